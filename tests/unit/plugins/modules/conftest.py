# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import json
import re
from urllib.parse import unquote

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.community.zitadel.plugins.module_utils._client import ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError

USER = '300000000000000101'
ROUTE = re.compile(r'^/management/v1/(?:users/(?P<user>[^/]+)/)?metadata(?:/(?P<key>[^/]+))?$')


class FakeZitadel:
    """The v1 metadata routes of one user and the organisation, in memory, at the level of ZitadelClient.request."""

    def __init__(self):
        self.entries = {USER: {}, None: {}}
        self.calls = []

    def request(self, method, path, body=None, org_id=None):  # pylint: disable=unused-argument
        self.calls.append((method, path))
        if path == '/management/v1/users/%s' % USER:
            return {'user': {'id': USER}}
        match = ROUTE.match(path)
        owner, key = match.group('user'), unquote(match.group('key') or '')
        if owner not in self.entries and method != 'GET' and key != '_search':
            raise ZitadelApiError(400, method, path, code=9, error_id='COMMAND-uXHNj')
        entries = self.entries.get(owner, {})  # reads of a missing user look empty, as in ZITADEL
        if key == '_search':
            items = [{'key': k, 'value': base64.b64encode(v).decode()} for k, v in entries.items()]
            return {'details': {'totalResult': str(len(items))}, 'result': items}
        if key == '_bulk' and method == 'POST':
            entries.update({item['key']: base64.b64decode(item['value']) for item in body['metadata']})
        elif key == '_bulk':
            for k in body['keys']:
                entries.pop(k)
        elif method == 'GET':
            if key not in entries:
                raise ZitadelApiError(404, method, path, code=5, error_id='QUERY-Rgh32')
            return {'metadata': {'key': key, 'value': base64.b64encode(entries[key]).decode()}}
        elif method == 'POST':
            entries[key] = base64.b64decode(body['value'])
        else:
            entries.pop(key)
        return {}

    def writes(self):
        return [call for call in self.calls if call[0] == 'DELETE' or (call[0] == 'POST' and not call[1].endswith('_search'))]


@pytest.fixture
def zitadel(monkeypatch):
    fake = FakeZitadel()
    monkeypatch.setattr(ZitadelClient, 'request', lambda client, *args, **kwargs: fake.request(*args, **kwargs))
    return fake


@pytest.fixture
def run_module(capsys):
    """run_module(module, args) runs module.main() and returns its JSON result."""

    def run(module, args):
        params = dict({'api_url': 'https://zitadel.example.com', 'token': 'pat-secret-123'}, **args)
        with patch_module_args(params), pytest.raises(SystemExit):
            module.main()
        return json.loads(capsys.readouterr().out)
    return run
