# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The EXAMPLES of every module and plugin run as written against the local server, whose state (state.yml) holds the
IDs and names they use; only their instance URL and key file are pointed at the server and a fresh key."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'server'))
from zitadel_server import ZitadelServer  # noqa: E402  pylint: disable=wrong-import-position

EXAMPLE_URL = 'https://my-instance.zitadel.cloud'
EXAMPLE_KEY = '/etc/zitadel/ansible-key.json'
SERVICE_ACCOUNT = '281474976710656900'
PLUGINS = sorted(path.relative_to(ROOT / 'plugins') for path in (ROOT / 'plugins').glob('*/*.py')
                 if path.parent.name in ('modules', 'lookup'))


def examples_of(plugin):
    tree = ast.parse((ROOT / 'plugins' / plugin).read_text())
    return next(node.value.value for node in tree.body
                if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ['EXAMPLES'])


def task_count(tasks):
    return sum(task_count(task['block']) if 'block' in task else 1 for task in tasks)


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """The server with state.yml, and the key file of its service account: (server, key file path)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    state = yaml.safe_load((Path(__file__).parent / 'state.yml').read_text())
    (account,) = [a for o in state['orgs'] for a in o.get('service_accounts', ()) if a['id'] == SERVICE_ACCOUNT]
    account['keys'] = [{'id': 'examples-key', 'public_key': public}]
    key_file = tmp_path_factory.mktemp('key') / 'ansible-key.json'
    key_file.write_text(json.dumps({'type': 'serviceaccount', 'keyId': 'examples-key', 'key': private, 'userId': SERVICE_ACCOUNT}))
    with ZitadelServer(state=state, port=0) as srv:
        yield srv, key_file


@pytest.mark.parametrize('plugin', PLUGINS, ids=str)
def test_examples_run_as_written(plugin, server, tmp_path):
    srv, key_file = server
    text = examples_of(plugin)
    assert EXAMPLE_URL in text or plugin.parent.name == 'lookup', 'examples name the instance as %s' % EXAMPLE_URL
    tasks = yaml.safe_load(text.replace(EXAMPLE_URL, srv.url).replace(EXAMPLE_KEY, str(key_file)))
    assert tasks and EXAMPLE_URL not in str(tasks)
    # A lookup reads its connection from variables, which a play sets once.
    play_vars = {'alice_api_secret': 'example-secret', 'ansible_zitadel_api_url': srv.url,
                 'ansible_zitadel_jwt_profile_file': str(key_file)}
    playbook = [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks, 'vars': play_vars}]
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
    assert recap and recap.groups() == (str(task_count(tasks)), '0'), run.stdout
