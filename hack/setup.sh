#!/usr/bin/env bash
# Prepare what the checks need; a rerun with nothing changed does next to nothing.
#   .venv       Python 3.12 + ansible-core 2.21 (main environment)
#   .venv-2.20  Python 3.13 + ansible-core 2.20
#   .venv-2.19  Python 3.11 + ansible-core 2.19
#   .venv-importer  Python 3.12 + galaxy-importer, whose caps on shared libraries would hold .venv back
#   .build/bin  python3.X for each module Python found, and shellcheck: hack/ansible-test.sh
#               puts it first on PATH so ansible-test sees exactly these
#   ~/.ansible/test/cache/get_pip_<version>.py  offline stand-in for ansible-test's pip bootstrap
#   /usr/bin/chromium  Debian's chromium, the headless browser of the docsite test (make docsite)
set -euo pipefail
cd "$(dirname "$0")/.."

module_pythons='3.9 3.10 3.11 3.12 3.13 3.14'

# Print a working interpreter for Python $1: the newest pyenv install, else one on PATH.
find_python() {
    local p
    for p in $(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}/versions/$1".*/bin/"python$1" | sort -rV) \
             "$(command -v "python$1" || true)"; do
        if [ -n "$p" ] && "$p" -c '' 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# make_venv <dir> <python version> <requirements file> [<constraints file>]; skipped when the stamp is current.
make_venv() {
    local dir=$1 version=$2 reqs=$3 constraints=${4:-hack/constraints.txt} python stamp
    python=$(find_python "$version") || { echo "setup: Python $version not found" >&2; exit 1; }
    stamp=$(cat "$reqs" requirements.txt "$constraints" | sha256sum | cut -d' ' -f1)
    stamp="$python $stamp"
    if [ "$(cat "$dir/.setup-stamp" 2>/dev/null)" = "$stamp" ]; then
        return 0
    fi
    echo "setup: $dir ($python, $reqs)"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    # -qq: errors only; a pip configuration with an unreachable extra index would warn once per package.
    "$dir/bin/python" -m pip install -qq -r "$reqs" -c "$constraints"
    echo "$stamp" > "$dir/.setup-stamp"
}

# The docsite test drives Debian's chromium; a rerun finds it and does nothing.
if [ ! -x /usr/bin/chromium ]; then
    echo "setup: chromium (apt-get)"
    if ! log=$({ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } 2>&1); then
        printf '%s\nsetup: could not install Debian'"'"'s chromium (as root: apt-get install chromium)\n' "$log" >&2
        exit 1
    fi
fi

make_venv .venv 3.12 hack/requirements-2.21.txt
make_venv .venv-2.20 3.13 hack/requirements-2.20.txt
make_venv .venv-2.19 3.11 hack/requirements-2.19.txt
make_venv .venv-importer 3.12 hack/requirements-importer.txt hack/constraints-importer.txt

mkdir -p .build/bin
for v in $module_pythons; do
    if p=$(find_python "$v"); then
        ln -sfn "$p" ".build/bin/python$v"
    else
        rm -f ".build/bin/python$v"
    fi
done
ln -sfn ../../.venv/bin/shellcheck .build/bin/shellcheck

# The collection where ansible-playbook finds it (the demo, the benchmark): .build/collections.
mkdir -p .build/collections/ansible_collections/community
ln -sfn "$PWD" .build/collections/ansible_collections/community/zitadel

# ansible-test bootstraps pip in its venvs with a get-pip.py it downloads, unless cached.
cache=$HOME/.ansible/test/cache
STAND_IN_MARK='Offline stand-in for get-pip.py, which ansible-test downloads'
mkdir -p "$cache"
pip_versions=$(sed -n "s/^ *pip='\([0-9.]*\)',$/\1/p" \
    .venv{,-2.20,-2.19}/lib/python3.*/site-packages/ansible_test/_internal/python_requirements.py | sort -u)
[ -n "$pip_versions" ] || { echo "setup: pip version wanted by ansible-test not found" >&2; exit 1; }
# A file there that is not this stand-in (say, the real get-pip.py ansible-test downloaded) is left alone.
for v in $pip_versions; do
    target=$cache/get_pip_${v//./_}.py
    if [ ! -e "$target" ] || { ! cmp -s hack/get_pip.py "$target" && grep -q "$STAND_IN_MARK" "$target"; }; then
        echo "setup: $target (offline stand-in for ansible-test's pip bootstrap)"
        cp hack/get_pip.py "$target"
    fi
done
