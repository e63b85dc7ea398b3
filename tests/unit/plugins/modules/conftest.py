# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import fnmatch
import json
import re
import threading
from urllib.parse import unquote

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.community.zitadel.plugins.module_utils import _module
from ansible_collections.community.zitadel.plugins.module_utils._client import ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError

OWN_ORG = '300000000000000001'  # the service account's organisation: the context when no org_id is sent
OTHER_ORG = '300000000000000002'
USER = '300000000000000101'  # alice@acme.example in OWN_ORG
USER2 = '300000000000000102'  # bob@acme.example in OWN_ORG
USER3 = '300000000000000103'  # carol in OTHER_ORG
MISSING = '300000000000000999'  # no such user
DIRECTORY = {USER: ('alice@acme.example', OWN_ORG), USER2: ('bob@acme.example', OWN_ORG), USER3: ('carol', OTHER_ORG)}
USERS_PATH = '/management/v1/users/_search'
ROUTE = re.compile(r'^/management/v1/(?:users/(?P<user>[^/]+)/)?metadata(?:/(?P<key>[^/]+))?$')
MAX_LIMIT = 1000


class FakeZitadel:
    """ZITADEL's v1 metadata routes and ListUsers, in memory, at the level of ZitadelClient.request.

    entries: owner ID (a user or an organisation) -> {key: bytes}. A user exists only in its organisation; reads of a
    user that does not exist there look empty and writes fail with COMMAND-uXHNj, as in ZITADEL. faults: (method,
    path glob, error) raised by every matching request.
    """

    def __init__(self):
        self.entries = {owner: {} for owner in list(DIRECTORY) + [OWN_ORG, OTHER_ORG]}
        self.requests = []
        self.faults = []
        self.lock = threading.Lock()

    @property
    def calls(self):
        return [(method, path) for method, path, _body, _org in self.requests]

    def request(self, method, path, body=None, org_id=None, params=None):  # pylint: disable=unused-argument
        with self.lock:
            self.requests.append((method, path, body, org_id))
            for fault_method, pattern, error in self.faults:
                if fault_method in ('*', method) and fnmatch.fnmatchcase(path, pattern):
                    raise error
            context = org_id or OWN_ORG
            if path == USERS_PATH:
                return self._list_users(body, context)
            return self._metadata(method, path, body, context)

    def _list_users(self, body, context):
        found = [user_id for user_id, (_login, org) in sorted(DIRECTORY.items())
                 if org == context and all(_matches(user_id, query) for query in body.get('queries') or [])]
        return _page([{'id': user_id, 'userName': DIRECTORY[user_id][0].split('@')[0], 'loginNames': [DIRECTORY[user_id][0]],
                       'preferredLoginName': DIRECTORY[user_id][0], 'details': {'resourceOwner': context}} for user_id in found],
                     body)

    def _metadata(self, method, path, body, context):
        match = ROUTE.match(path)
        assert match, 'no route for %s %s' % (method, path)
        user, key = match.group('user'), unquote(match.group('key') or '')
        if user is None:
            if context not in self.entries:
                raise ZitadelApiError(404, method, path, code=5, error_id='AUTH-Bs7Ds')
            entries = self.entries[context]
        elif user in DIRECTORY and DIRECTORY[user][1] == context:
            entries = self.entries[user]
        elif key == '_search':
            entries = {}  # a read of a user that does not exist looks empty
        else:
            raise ZitadelApiError(400, method, path, code=9, error_id='COMMAND-uXHNj')
        if key == '_search':
            return _page([{'key': k, 'value': base64.b64encode(v).decode()} for k, v in sorted(entries.items())], body)
        if key == '_bulk' and method == 'POST':
            entries.update({item['key']: base64.b64decode(item['value']) for item in body['metadata']})
        elif key == '_bulk':
            if not set(body['keys']) <= set(entries):
                raise ZitadelApiError(404, method, path, code=5, error_id='META-2nnds')
            for k in body['keys']:
                del entries[k]
        elif method == 'POST':
            entries[key] = base64.b64decode(body['value'])
        elif method == 'DELETE':
            if key not in entries:
                raise ZitadelApiError(404, method, path, code=5, error_id='META-ncnw3')
            del entries[key]
        else:
            raise AssertionError('unexpected %s %s' % (method, path))
        return {}

    def writes(self):
        return [(method, path) for method, path in self.calls if method == 'DELETE' or (method == 'POST' and not path.endswith('_search'))]

    def user_searches(self):
        """The queries of every ListUsers request, with the organisation it acted in."""
        return [(org_id, body['queries']) for method, path, body, org_id in self.requests if path == USERS_PATH]


def _matches(user_id, query):
    if 'orQuery' in query:
        return any(_matches(user_id, sub) for sub in query['orQuery']['queries'])
    if 'inUserIdsQuery' in query:
        return user_id in query['inUserIdsQuery']['userIds']
    if 'loginNameQuery' in query:
        assert query['loginNameQuery']['method'] == 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'
        return DIRECTORY[user_id][0].lower() == query['loginNameQuery']['loginName'].lower()
    raise AssertionError('unexpected query %r' % (query,))


def _page(items, body):
    query = body.get('query') or {}
    offset, limit = int(query.get('offset') or 0), int(query.get('limit') or MAX_LIMIT)
    return {'details': {'totalResult': str(len(items))}, 'result': items[offset:offset + limit]}


@pytest.fixture
def zitadel(monkeypatch):
    fake = FakeZitadel()
    monkeypatch.setattr(ZitadelClient, 'request', lambda client, *args, **kwargs: fake.request(*args, **kwargs))
    return fake


@pytest.fixture
def run_module(capsys):
    """run_module(module, args) runs module.main() and returns its JSON result; FakeZitadel serves the v1 API."""

    def run(module, args):
        params = dict({'api_url': 'https://zitadel.example.com', 'token': 'pat-secret-123', 'api_version': 'v1'}, **args)
        with patch_module_args(params), pytest.raises(SystemExit):
            module.main()
        return json.loads(capsys.readouterr().out)
    return run


@pytest.fixture
def no_log_values(monkeypatch):
    """The values the module hid (AnsibleModule.no_log_values) when it exited or failed; filled by run_module."""
    seen = set()
    for name in ('exit_json', 'fail_json'):
        original = getattr(_module._AnsibleModule, name)  # pylint: disable=protected-access

        def spy(self, *args, _original=original, **kwargs):
            seen.update(self.no_log_values)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(_module._AnsibleModule, name, spy)  # pylint: disable=protected-access
    return seen
