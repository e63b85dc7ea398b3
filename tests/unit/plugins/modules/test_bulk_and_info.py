# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.community.zitadel.plugins.modules import org_metadata, org_metadata_bulk, org_metadata_info
from ansible_collections.community.zitadel.plugins.modules import user_metadata_bulk, user_metadata_info

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import USER


def test_user_bulk_writes_only_what_differs(zitadel, run_module):
    zitadel.entries[USER].update({'same': b'1', 'old': b'1', 'extra': b'x'})
    result = run_module(user_metadata_bulk, {'user_id': USER, 'metadata': {'same': '1', 'old': '2', 'new': '3'}, 'purge': True})
    assert (result['added'], result['updated'], result['removed'], result['unchanged']) == (['new'], ['old'], ['extra'], ['same'])
    assert zitadel.entries[USER] == {'same': b'1', 'old': b'2', 'new': b'3'}
    base = '/management/v1/users/%s/metadata' % USER
    assert zitadel.writes() == [('POST', base + '/_bulk'), ('DELETE', base + '/extra')]


def test_org_bulk_check_mode(zitadel, run_module):
    zitadel.entries[None]['tier'] = b'silver'
    result = run_module(org_metadata_bulk, {'metadata': {'tier': 'gold'}, '_ansible_check_mode': True})
    assert result['changed'] and result['updated'] == ['tier'] and zitadel.writes() == []


def test_org_single_key_repeat_is_unchanged(zitadel, run_module):
    assert run_module(org_metadata, {'key': 'region', 'value': 'eu'})['changed']
    assert not run_module(org_metadata, {'key': 'region', 'value': 'eu'})['changed']
    assert zitadel.writes() == [('POST', '/management/v1/metadata/region')]


def test_info_modules_read_sorted_entries(zitadel, run_module):
    zitadel.entries[USER].update({'b': b'{"x": 1}', 'a': b'\xff'})
    zitadel.entries[None]['region'] = b'eu'
    user = run_module(user_metadata_info, {'user_id': USER, 'parse_json': True})
    assert user['metadata'] == [{'key': 'a', 'value': None, 'value_base64': '/w=='},
                                {'key': 'b', 'value': '{"x": 1}', 'value_base64': 'eyJ4IjogMX0=', 'json': {'x': 1}}]
    org = run_module(org_metadata_info, {'prefix': 're'})
    assert not org['changed'] and [e['key'] for e in org['metadata']] == ['region']
    assert zitadel.writes() == []


def test_info_keys_and_prefix_are_exclusive(zitadel, run_module):
    result = run_module(user_metadata_info, {'user_id': USER, 'keys': ['a'], 'prefix': 'a'})
    assert result['failed'] and 'mutually exclusive' in result['msg'] and zitadel.calls == []
