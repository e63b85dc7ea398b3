"""Offline stand-in for get-pip.py, which ansible-test downloads to bootstrap pip in its venvs.

setup.sh copies it to ~/.ansible/test/cache/get_pip_<version>.py, where ansible-test looks first.
ansible-test runs it as: python get_pip_X.py <pip options> pip==X [--no-setuptools] [--no-wheel]
"""
from __future__ import annotations

import subprocess
import sys


def main() -> None:
    """Bootstrap pip with ensurepip, then install the requested packages with it."""
    flags = ('--no-setuptools', '--no-wheel')
    args = [arg for arg in sys.argv[1:] if arg not in flags]
    pip = [sys.executable, '-m', 'pip']
    subprocess.run([sys.executable, '-m', 'ensurepip'], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(pip + ['install', '--quiet'] + args, check=True)
    if '--no-setuptools' in sys.argv and sys.version_info < (3, 12):
        # ensurepip of these Pythons also installs setuptools
        subprocess.run(pip + ['uninstall', '--yes', '--quiet', 'setuptools'], check=True)


if __name__ == '__main__':
    main()
