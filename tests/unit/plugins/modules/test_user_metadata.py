# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.community.zitadel.plugins.modules import user_metadata

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import USER


def test_sets_a_new_key_and_returns_it(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform'})
    assert result['changed'] and result['metadata'] == {'key': 'team', 'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}
    assert zitadel.entries[USER] == {'team': b'platform'}
    assert zitadel.writes() == [('POST', '/management/v1/users/%s/metadata/team' % USER)]
    assert 'diff' not in result


def test_equal_value_sends_no_write(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform'})
    assert not result['changed'] and zitadel.writes() == []


def test_check_mode_with_diff_writes_nothing(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'infra',
                                        '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['changed'] and result['diff'] == {'before': {'team': 'platform'}, 'after': {'team': 'infra'}}
    assert zitadel.writes() == [] and zitadel.entries[USER] == {'team': b'platform'}


def test_json_is_compared_by_meaning(zitadel, run_module):
    zitadel.entries[USER]['q'] = b'{ "b": [1, 2], "a": true }'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'q', 'encoding': 'json', 'value': {'a': True, 'b': [1, 2]}})
    assert not result['changed'] and result['metadata']['value'] == {'a': True, 'b': [1, 2]}


def test_absent_missing_key_is_ok(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'state': 'absent'})
    assert not result['changed'] and result['metadata'] is None and zitadel.writes() == []


def test_key_with_slash_goes_through_bulk_routes(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'a/b', 'value': 'x'})
    assert result['changed'] and zitadel.writes() == [('POST', '/management/v1/users/%s/metadata/_bulk' % USER)]
    run_module(user_metadata, {'user_id': USER, 'key': 'a/b', 'state': 'absent'})
    assert zitadel.entries[USER] == {} and zitadel.writes()[-1] == ('DELETE', '/management/v1/users/%s/metadata/_bulk' % USER)


def test_sensitive_value_is_masked_everywhere(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'pin', 'value': 'hunter2-secret', 'sensitive': True,
                                        '_ansible_diff': True})
    assert zitadel.entries[USER] == {'pin': b'hunter2-secret'}
    text = json.dumps(result)
    assert 'hunter2' not in text and 'aHVudGVy' not in text and 'pat-secret-123' not in text
    assert result['diff']['after'] == {'pin': '<sensitive, changed>'}


@pytest.mark.parametrize('args, fragment', [
    ({'key': '', 'value': 'x'}, '1 to 200 characters'),
    ({'key': 'k', 'value': 'x' * 500001}, '500001 bytes'),
    ({'key': 'k', 'value': '%%%', 'encoding': 'base64'}, 'not valid base64'),
    ({'key': 'k', 'value': '{', 'encoding': 'json'}, 'not valid JSON'),
    ({'key': 'k', 'value': 'x', 'api_url': 'zitadel.example.com'}, 'not a valid ZITADEL URL'),
    ({'key': 'k', 'value': 'x', 'token': None}, 'No credentials'),
])
def test_bad_input_fails_before_any_request(zitadel, run_module, monkeypatch, args, fragment):
    for name in ('ZITADEL_TOKEN', 'ZITADEL_JWT_PROFILE_FILE', 'ZITADEL_JWT_PROFILE_JSON', 'ZITADEL_CLIENT_ID'):
        monkeypatch.delenv(name, raising=False)
    result = run_module(user_metadata, dict({'user_id': USER}, **args))
    assert result['failed'] and fragment in result['msg'] and zitadel.calls == []


def test_server_error_names_user_and_org(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': '999', 'key': 'team', 'value': 'x', 'org_id': '42'})
    assert result['failed'] and result['error_id'] == 'COMMAND-uXHNj' and result['status'] == 400
    assert "Could not set metadata key 'team' on user 999 in organisation 42" in result['msg']
