#!/usr/bin/env bash
# Run ansible-test of one ansible-core line: hack/ansible-test.sh <2.21|2.20|2.19> <command> [args...]
# ansible-test needs the collection at .../ansible_collections/community/zitadel and resolves
# symlinks, so it runs on a copy under .build/ansible-test/<core>-<command>/ of the tracked and
# untracked-not-ignored files (new files count before they are committed); one copy per core and
# command, so `make -j` can run them side by side. Its results land in that copy's tests/output/.
# The copy gets an empty git repository of its own: ansible-test lists the files of the nearest
# enclosing git work tree, which would otherwise be this one, where .build/ is ignored.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

case "${1:-}" in
    2.21) venv=$root/.venv ;;
    2.20|2.19) venv=$root/.venv-$1 ;;
    *) echo "usage: $0 <2.21|2.20|2.19> <command> [args...]" >&2; exit 2 ;;
esac
[ -n "${2:-}" ] || { echo "usage: $0 <2.21|2.20|2.19> <command> [args...]" >&2; exit 2; }

tree=$root/.build/ansible-test/$1-$2/ansible_collections/community/zitadel
shift
mkdir -p "$tree"
find "$tree" -mindepth 1 ! -path "$tree/tests" ! -path "$tree/tests/output" ! -path "$tree/tests/output/*" -delete
cd "$root"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi  # skip deleted tracked files
    done |
    tar --null --files-from=- -cf - | tar -xf - -C "$tree"
# The integration targets' settings (ignored by git, as they may hold credentials): the file
# INTEGRATION_CONFIG names (hack/integration.sh writes one per run), else the one written by hand.
config=${INTEGRATION_CONFIG:-tests/integration/integration_config.yml}
if [ -e "$config" ]; then cp "$config" "$tree/tests/integration/integration_config.yml"; fi
git -C "$tree" init --quiet

# ansible-test takes every python3.X on PATH as a Python to test; pyenv shims would offer
# versions that do not run, so drop them and offer the interpreters setup.sh linked.
path=$(tr ':' '\n' <<< "$PATH" | grep -v '/shims$' | paste -sd:)
cd "$tree"
PATH="$root/.build/bin:$path" exec "$venv/bin/ansible-test" "$@"
