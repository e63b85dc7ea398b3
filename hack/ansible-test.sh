#!/usr/bin/env bash
# Run ansible-test of one ansible-core line: hack/ansible-test.sh <2.21|2.19> <ansible-test args...>
# ansible-test needs the collection at .../ansible_collections/community/zitadel and resolves
# symlinks, so it runs on a copy under .build/ of the tracked and untracked-not-ignored files
# (new files count before they are committed). Its results land in that copy's tests/output/.
# The copy gets an empty git repository of its own: ansible-test lists the files of the nearest
# enclosing git work tree, which would otherwise be this one, where .build/ is ignored.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

case "${1:-}" in
    2.21) venv=$root/.venv ;;
    2.19) venv=$root/.venv-2.19 ;;
    *) echo "usage: $0 <2.21|2.19> <ansible-test args...>" >&2; exit 2 ;;
esac
shift

tree=$root/.build/ansible_collections/community/zitadel
mkdir -p "$tree"
find "$tree" -mindepth 1 ! -path "$tree/tests" ! -path "$tree/tests/output" ! -path "$tree/tests/output/*" -delete
cd "$root"
{ git ls-files -z --cached --others --exclude-standard
  # generated for the integration tests, hence ignored, but read by ansible-test
  printf '%s\0' tests/integration/integration_config.yml; } |
    while IFS= read -r -d '' f; do
        if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi  # skip deleted tracked files
    done |
    tar --null --files-from=- -cf - | tar -xf - -C "$tree"
git -C "$tree" init --quiet

# ansible-test takes every python3.X on PATH as a Python to test; pyenv shims would offer
# versions that do not run, so drop them and offer the interpreters setup.sh linked.
path=$(tr ':' '\n' <<< "$PATH" | grep -v '/shims$' | paste -sd:)
cd "$tree"
PATH="$root/.build/bin:$path" exec "$venv/bin/ansible-test" "$@"
