# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of every module run as written against the local server with the demo state."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'server'))
from zitadel_server import ZitadelServer  # noqa: E402  pylint: disable=wrong-import-position

EXAMPLE_URL = 'http://127.0.0.1:8080'
MODULES = sorted(path.stem for path in (ROOT / 'plugins' / 'modules').glob('*.py'))


def examples_of(module):
    tree = ast.parse((ROOT / 'plugins' / 'modules' / (module + '.py')).read_text())
    return next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ['EXAMPLES'])


@pytest.fixture(scope='module')
def server():
    with ZitadelServer(state=str(ROOT / 'demo' / 'state.yml'), port=0) as srv:
        yield srv


@pytest.mark.parametrize('module', MODULES)
def test_examples_run_as_written(module, server, tmp_path):
    tasks = yaml.safe_load(examples_of(module).replace(EXAMPLE_URL, server.url))
    assert tasks and all(EXAMPLE_URL not in str(task) for task in tasks)
    playbook = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks,
                 'vars': {'zitadel_token': 'demo-pat-0000-not-a-secret', 'alice_api_secret': 'example-secret'}}]
    (tmp_path / 'playbook.yml').write_text(yaml.safe_dump(playbook))
    (tmp_path / 'ansible_collections' / 'community').mkdir(parents=True)
    (tmp_path / 'ansible_collections' / 'community' / 'zitadel').symlink_to(ROOT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(('ZITADEL_', 'ANSIBLE_'))}
    env.update({'ANSIBLE_COLLECTIONS_PATH': str(tmp_path), 'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
                'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false', 'ANSIBLE_NOCOLOR': '1'})
    run = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                          str(tmp_path / 'playbook.yml')], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    recap = re.search(r'localhost +: ok=(\d+) .* failed=(\d+) ', run.stdout)
    assert recap and recap.groups() == (str(len(tasks)), '0'), run.stdout
