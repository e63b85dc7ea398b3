# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the modules through ansible-playbook against the local ZITADEL-compatible server, with faults.

Fixtures: `zitadel` (the server, reset for each test, with its control API), `ansible` (runs one
task and returns its outcome and complete output), `api` (the routes of v1 or v2, for cases run over
both) and `record` (one row of docs/reliability.md).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests' / 'server'))
from zitadel_server import ZitadelServer  # noqa: E402  pylint: disable=wrong-import-position

ORG = '400000000000000001'
USER = '400000000000000101'  # alice
BOB = '400000000000000102'
ADMIN_PAT = 'it-admin-pat-not-a-secret'
CLIENT_ID = 'ansible-it'
CLIENT_SECRET = 'it-client-secret-not-a-secret'
SERVICE_ACCOUNT = '400000000000000900'
TABLE = ROOT / 'docs' / 'reliability.md'
TABLE_HEADER = ['| Fault or misuse | Expected | Observed |', '|---|---|---|']


@dataclass
class Outcome:
    """What one task did: its registered result, the complete ansible-playbook output, and its duration."""

    result: dict
    output: str
    seconds: float

    @property
    def failed(self):
        return bool(self.result.get('failed'))

    @property
    def changed(self):
        return bool(self.result.get('changed'))

    @property
    def msg(self):
        return self.result.get('msg', '')

    @property
    def text(self):
        """'failed', 'ok, changed' or 'ok, unchanged', as the rows of docs/reliability.md say it."""
        if self.failed:
            return 'failed'
        return 'ok, changed' if self.changed else 'ok, unchanged'


class Zitadel:
    """The running server: its URL, its control API, and raw reads that bypass the modules."""

    def __init__(self, server):
        self.server = server
        self.url = server.url

    def control(self, method, path, body=None):
        response = requests.request(method, '%s/_control/%s' % (self.url, path), json=body, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def fault(self, method, path, action, count=1, **options):
        self.control('POST', 'faults', dict(method=method, path=path, action=action, count=count, **options))

    def requests(self, rpc=None):
        """The request log, optionally only the requests of one RPC."""
        entries = self.control('GET', 'requests')['requests']
        return [e for e in entries if rpc is None or e['rpc'] == rpc]

    def clear_log(self):
        self.control('DELETE', 'requests')

    def state(self):
        return self.control('GET', 'state')

    def seed(self, state):
        """Replace the server's state (until the next test's reset); clears log and faults."""
        self.control('POST', 'seed', state)

    def in_flight(self):
        """The most requests the server handled at once since the log was cleared."""
        return self.control('GET', 'requests')['max_in_flight']

    def metadata(self, user=USER):
        """A user's (or with user=None the org's) metadata as the server holds it: key -> bytes."""
        owner = self._owner(user)
        return {k: base64.b64decode(v['base64']) for k, v in (owner.get('metadata') or {}).items()}

    def users(self):
        """Every user of ORG from one read of the state: ID -> (metadata key -> bytes, aggregate sequence)."""
        org = next(o for o in self.state()['orgs'] if o['id'] == ORG)
        return {u['id']: ({k: base64.b64decode(v['base64']) for k, v in (u.get('metadata') or {}).items()}, u['sequence'])
                for u in org['users']}

    def sequence(self, user=USER):
        """The user's (or the org's) aggregate sequence: it grows by one per event."""
        return self._owner(user)['sequence']

    def _owner(self, user):
        org = next(o for o in self.control('GET', 'state')['orgs'] if o['id'] == ORG)
        return org if user is None else next(u for u in org['users'] if u['id'] == user)

    def set_raw(self, entries, user=USER):
        path = '/management/v1/users/%s/metadata/_bulk' % user if user else '/management/v1/metadata/_bulk'
        items = [{'key': k, 'value': base64.b64encode(v.encode()).decode()} for k, v in entries.items()]
        response = requests.post(self.url + path, json={'metadata': items}, timeout=10,
                                 headers={'Authorization': 'Bearer ' + ADMIN_PAT, 'x-zitadel-orgid': ORG})
        response.raise_for_status()
        self.clear_log()

    def issued_tokens(self):
        return self.server.app.tokens.issued()


class Ansible:
    """Runs one module task with ansible-playbook and returns an Outcome."""

    def __init__(self, zitadel, workdir, collections):
        self.zitadel = zitadel
        self.workdir = workdir
        self.collections = collections
        self.runs = 0

    def defaults(self):
        """The connection of every task; the rows name v1's routes unless a test asks for api_version v2."""
        return {'api_url': self.zitadel.url, 'org_id': ORG, 'token': ADMIN_PAT, 'api_version': 'v1'}

    def start(self, module, args, check=False, diff=False, verbosity=0, env=None):
        """Start the task; returns a callable that waits for it and gives its Outcome."""
        self.runs += 1
        run_dir = self.workdir / ('run%d' % self.runs)
        run_dir.mkdir()
        task_args = {k: v for k, v in dict(self.defaults(), **args).items() if v is not None}
        playbook = [{
            'hosts': 'localhost', 'gather_facts': False, 'tasks': [
                {'name': 'task under test', 'community.zitadel.' + module: task_args, 'register': 'outcome',
                 'ignore_errors': True, 'check_mode': check, 'diff': diff},
                {'name': 'keep the result', 'ansible.builtin.copy': {'content': '{{ outcome | to_json }}',
                                                                     'dest': str(run_dir / 'result.json')},
                 'no_log': True},
            ]}]
        started = time.monotonic()
        process = self._playbook(run_dir, playbook, verbosity, env)

        def wait():
            output = process.communicate(timeout=300)[0]
            seconds = time.monotonic() - started
            result_file = run_dir / 'result.json'
            assert result_file.exists(), 'the playbook did not run:\n' + output
            return Outcome(json.loads(result_file.read_text()), output, seconds)
        return wait

    def run(self, module, args, **kwargs):
        return self.start(module, args, **kwargs)()

    def play(self, tasks, verbosity=0):
        """Run any tasks on localhost; (return code, complete output)."""
        self.runs += 1
        run_dir = self.workdir / ('run%d' % self.runs)
        run_dir.mkdir()
        process = self._playbook(run_dir, [{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], verbosity)
        output = process.communicate(timeout=300)[0]
        return process.returncode, output

    def _playbook(self, run_dir, playbook, verbosity, env=None):
        (run_dir / 'playbook.yml').write_text(json.dumps(playbook))
        environ = {k: v for k, v in os.environ.items() if not k.startswith(('ZITADEL_', 'ANSIBLE_'))}
        environ.update({
            'ANSIBLE_COLLECTIONS_PATH': str(self.collections), 'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
            'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_LOCALHOST_WARNING': 'false', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_LOCAL_TEMP': str(run_dir / 'tmp'), 'ANSIBLE_HOME': str(run_dir / 'home'),
        })
        environ.update(env or {})
        command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                   str(run_dir / 'playbook.yml')] + (['-' + 'v' * verbosity] if verbosity else [])
        return subprocess.Popen(command, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope='session')
def jwt_key(tmp_path_factory):
    """A service account key registered with the server: (key file path, key file content)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption()).decode()
    content = json.dumps({'type': 'serviceaccount', 'keyId': 'reliability-key', 'key': pem, 'userId': SERVICE_ACCOUNT})
    path = tmp_path_factory.mktemp('keys') / 'key.json'
    path.write_text(content)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, content, public.decode()


def scratch_user(number):
    """The ID of the suite's own scratch user `number` (1-98) in ORG; 4000000000000077xx cannot clash with state.yml."""
    assert 1 <= number <= 98
    return '4000000000000077%02d' % number


# Users of many-target cases (BATCH), and users that single cases of test_secrets.py have to themselves.
BATCH = [scratch_user(number) for number in range(1, 13)]
MISSING_USER = '400000000000007799'  # never created


def scratch_login_name(user_id):
    return 'reliability-%s' % user_id[-2:]


@pytest.fixture(scope='session')
def server_state(jwt_key):
    """tests/integration/state.yml with the suite's JWT key and scratch users 4000000000000077xx added to ORG."""
    state = yaml.safe_load((ROOT / 'tests' / 'integration' / 'state.yml').read_text())
    account = next(a for o in state['orgs'] for a in o.get('service_accounts', ()) if a['id'] == SERVICE_ACCOUNT)
    account['keys'] = [{'id': 'reliability-key', 'public_key': jwt_key[2]}]
    org = next(o for o in state['orgs'] if o['id'] == ORG)
    org.setdefault('users', []).extend({'id': scratch_user(number), 'username': scratch_login_name(scratch_user(number))}
                                       for number in range(1, 41))
    return state


@pytest.fixture(scope='session')
def server(server_state):
    with ZitadelServer(state=server_state, port=0) as srv:
        yield srv


@pytest.fixture(scope='session')
def collections(tmp_path_factory):
    path = tmp_path_factory.mktemp('collections')
    (path / 'ansible_collections' / 'community').mkdir(parents=True)
    (path / 'ansible_collections' / 'community' / 'zitadel').symlink_to(ROOT)
    return path


@pytest.fixture
def zitadel(server):
    zitadel = Zitadel(server)
    zitadel.control('POST', 'reset')
    return zitadel


@pytest.fixture
def ansible(zitadel, tmp_path, collections):
    return Ansible(zitadel, tmp_path, collections)


class Api:
    """The routes of one API version (user_base % a user ID, then list_route or set_many_route; those of the test user
    and of the organisation) and the RPC names the server logs."""

    def __init__(self, version):
        self.version = version
        if version == 'v2':
            self.user_base, self.list_route, self.set_many_route = '/v2/users/%s/metadata', '/search', ''
            self.key_route, self.remove_many_route = '', ''  # keys travel in the body or the query string
            self.org_set_many = '/v2/organizations/%s/metadata' % ORG
            self.set_rpc = self.set_many_rpc = 'SetUserMetadata'
            self.remove_rpc = self.remove_many_rpc = 'DeleteUserMetadata'
        else:
            self.user_base, self.list_route, self.set_many_route = '/management/v1/users/%s/metadata', '/_search', '/_bulk'
            self.key_route, self.remove_many_route = '/%s', '/_bulk'
            self.org_set_many = '/management/v1/metadata/_bulk'
            self.set_rpc, self.set_many_rpc = 'SetUserMetadata', 'BulkSetUserMetadata'
            self.remove_rpc, self.remove_many_rpc = 'RemoveUserMetadata', 'BulkRemoveUserMetadata'
        user = self.user_base % USER
        self.user_list, self.user_set_many, self.user_remove_many = user + self.list_route, user + self.set_many_route, user + self.remove_many_route

    def user_key(self, key):
        """The route that sets or removes one key of the test user."""
        return self.user_base % USER + (self.key_route % key if self.key_route else '')

    def args(self, args):
        return dict(args, api_version=self.version)

    def name(self, scenario):
        return '%s (%s)' % (scenario, self.version)


@pytest.fixture(params=['v1', 'v2'])
def api(request):
    """The fault cases that take it run over v1 and over v2."""
    return Api(request.param)


RECORDED = []


@pytest.fixture
def record(request):
    """record(scenario, expected, observed): asserts observed == expected and adds the row to the table."""

    def check(scenario, expected, observed):
        RECORDED.append((request.node.nodeid, '| %s | %s | %s |' % (scenario, expected, observed)))
        assert observed == expected, '%s: expected %r, observed %r' % (scenario, expected, observed)
    return check


def pytest_collection_modifyitems(items):
    """The check of docs/reliability.md runs after every test that records a row."""
    items.sort(key=lambda item: item.name == 'test_table_in_docs_matches_the_suite')


def table_rows(document):
    return [line for line in document.splitlines() if line.startswith('| ') and line not in TABLE_HEADER]
