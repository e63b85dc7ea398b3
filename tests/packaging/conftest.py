# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checkout as a fresh clone holds it, and the tools of the environment that runs the tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tool(name):
    """A command of the environment that runs pytest (ansible-galaxy, antsibull-changelog, ...)."""
    return str(Path(sys.executable).parent / name)


def tracked_files():
    listed = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, check=True).stdout.decode().split('\0')
    return [name for name in listed if name and (ROOT / name).is_file()]


def copy_tracked_files(tree):
    """Copy the tracked files to tree, as a fresh clone would hold them; returns tree."""
    for name in tracked_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes((ROOT / name).read_bytes())
    return tree
