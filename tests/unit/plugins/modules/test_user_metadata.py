# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError
from ansible_collections.community.zitadel.plugins.modules import user_metadata

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import (
    MISSING,
    OTHER_ORG,
    OWN_ORG,
    USER,
    USER3,
    USERS_PATH,
)

BASE = '/management/v1/users/%s/metadata' % USER
OWN = "the service account's own organisation"


def test_sets_a_new_key_and_returns_it(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform'})
    assert result['changed'] and result['metadata'] == {'team': {'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}}
    assert (result['user_id'], result['org_id']) == (USER, None) and 'login_name' not in result
    assert (result['added'], result['updated'], result['removed'], result['unchanged']) == (['team'], [], [], [])
    assert zitadel.entries[USER] == {'team': b'platform'}
    assert zitadel.writes() == [('POST', BASE + '/team')]
    assert 'diff' not in result and 'failed' not in result


def test_reads_only_the_named_key(zitadel, run_module):
    zitadel.entries[USER].update({'team': b'platform', 'other': b'secret of another task'})
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform'})
    assert not result['changed'] and result['unchanged'] == ['team']
    assert list(result['metadata']) == ['team'], 'keys the task does not name are never returned'
    method, path, body, _org = zitadel.requests[0]
    assert (method, path) == ('POST', BASE + '/_search') and len(zitadel.requests) == 1
    assert body['queries'] == [{'keyQuery': {'key': 'team', 'method': 'TEXT_QUERY_METHOD_EQUALS'}}]
    assert 'secret of another task' not in json.dumps(result)


def test_equal_value_sends_no_write(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform'})
    assert not result['changed'] and zitadel.writes() == []


def test_check_mode_with_diff_writes_nothing(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'infra',
                                        '_ansible_check_mode': True, '_ansible_diff': True})
    header = 'user %s in %s' % (USER, OWN)
    assert result['changed'] and result['diff'] == {'before': {'team': 'platform'}, 'after': {'team': 'infra'},
                                                    'before_header': header, 'after_header': header}
    assert result['metadata'] == {'team': {'value': 'infra', 'value_base64': 'aW5mcmE='}}, 'the predicted state'
    assert zitadel.writes() == [] and zitadel.entries[USER] == {'team': b'platform'}


def test_json_is_compared_by_meaning(zitadel, run_module):
    zitadel.entries[USER]['q'] = b'{ "b": [1, 2], "a": true }'
    result = run_module(user_metadata, {'user_id': USER, 'key': 'q', 'encoding': 'json', 'value': {'a': True, 'b': [1, 2]}})
    assert not result['changed'] and result['metadata']['q']['value'] == {'a': True, 'b': [1, 2]}


def test_absent_missing_key_is_ok(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'state': 'absent'})
    assert not result['changed'] and result['metadata'] == {} and result['unchanged'] == ['team'] and zitadel.writes() == []


def test_absent_removes_an_existing_key(zitadel, run_module):
    zitadel.entries[USER].update({'team': b'platform', 'keep': b'1'})
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'state': 'absent', '_ansible_diff': True})
    assert result['changed'] and result['removed'] == ['team'] and result['metadata'] == {}
    assert result['diff']['before'] == {'team': 'platform'} and result['diff']['after'] == {}
    assert zitadel.entries[USER] == {'keep': b'1'} and zitadel.writes() == [('DELETE', BASE + '/team')]


@pytest.mark.parametrize('key', ['a/b', '_search', '_bulk', '.', '..'])
def test_unaddressable_keys_go_through_bulk_routes(zitadel, run_module, key):
    result = run_module(user_metadata, {'user_id': USER, 'key': key, 'value': 'x'})
    assert result['changed'] and zitadel.writes() == [('POST', BASE + '/_bulk')]
    assert zitadel.entries[USER] == {key: b'x'}
    assert not run_module(user_metadata, {'user_id': USER, 'key': key, 'value': 'x'})['changed']
    result = run_module(user_metadata, {'user_id': USER, 'key': key, 'state': 'absent'})
    assert result['removed'] == [key] and zitadel.entries[USER] == {}
    assert zitadel.writes()[-1] == ('DELETE', BASE + '/_bulk')


def test_key_with_a_space_is_escaped(zitadel, run_module):
    run_module(user_metadata, {'user_id': USER, 'key': 'a b', 'value': 'x'})
    assert zitadel.writes() == [('POST', BASE + '/a%20b')] and zitadel.entries[USER] == {'a b': b'x'}


def test_sensitive_value_is_masked_everywhere(zitadel, run_module, no_log_values):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'pin', 'value': 'hunter2-secret', 'sensitive': True,
                                        '_ansible_diff': True})
    assert zitadel.entries[USER] == {'pin': b'hunter2-secret'}
    text = json.dumps(result)
    assert 'hunter2' not in text and 'aHVudGVy' not in text and 'pat-secret-123' not in text
    assert result['metadata'] == {'pin': {'value': '<sensitive>', 'value_base64': '<sensitive>'}}
    assert result['diff']['before'] == {} and result['diff']['after'] == {'pin': '<sensitive, changed>'}
    assert {'hunter2-secret', 'pat-secret-123'} <= no_log_values


def test_sensitive_keys_mask_matching_keys(zitadel, run_module, no_log_values):
    zitadel.entries[USER]['api_pin'] = b'old-pin-value'
    args = {'user_id': USER, 'key': 'api_pin', 'value': 'new-pin-value', 'sensitive_keys': ['api_*'], '_ansible_diff': True}
    result = run_module(user_metadata, args)
    assert result['changed'] and result['updated'] == ['api_pin']
    assert result['metadata'] == {'api_pin': {'value': '<sensitive>', 'value_base64': '<sensitive>'}}
    assert result['diff']['before'] == {'api_pin': '<sensitive>'} and result['diff']['after'] == {'api_pin': '<sensitive, changed>'}
    assert 'pin-value' not in json.dumps(result)
    assert 'new-pin-value' in no_log_values, 'a declared secret is no_log'


def test_sensitive_keys_leave_other_keys_visible(zitadel, run_module, no_log_values):
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'platform', 'sensitive_keys': ['api_*']})
    assert result['metadata'] == {'team': {'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}}
    assert 'platform' not in no_log_values


def test_login_name_is_looked_up_ignoring_case(zitadel, run_module):
    result = run_module(user_metadata, {'login_name': 'ALICE@acme.example', 'key': 'team', 'value': 'platform'})
    assert result['changed'] and result['user_id'] == USER and result['login_name'] == 'ALICE@acme.example'
    assert result['org_id'] == OWN_ORG, 'the organisation ZITADEL found the user in'
    assert zitadel.entries[USER] == {'team': b'platform'}
    assert zitadel.user_searches() == [(None, [{'loginNameQuery': {'loginName': 'alice@acme.example',
                                                                   'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}])]
    assert zitadel.writes() == [('POST', BASE + '/team')]


def test_login_name_in_another_organisation(zitadel, run_module):
    result = run_module(user_metadata, {'login_name': 'carol', 'org_id': OTHER_ORG, 'key': 'team', 'value': 'x'})
    assert (result['user_id'], result['org_id']) == (USER3, OTHER_ORG)
    assert zitadel.entries[USER3] == {'team': b'x'} and zitadel.requests[-1][3] == OTHER_ORG


def test_unknown_login_name_fails_before_any_write(zitadel, run_module):
    result = run_module(user_metadata, {'login_name': 'nobody@acme.example', 'key': 'team', 'value': 'x'})
    assert result['failed'] and "No user has the login name 'nobody@acme.example'" in result['msg']
    assert 'Nothing was written' in result['msg'] and zitadel.writes() == []
    assert [path for _method, path in zitadel.calls] == [USERS_PATH]


def test_login_name_needs_no_existence_check_in_check_mode(zitadel, run_module):
    result = run_module(user_metadata, {'login_name': 'alice@acme.example', 'key': 'team', 'value': 'x', '_ansible_check_mode': True})
    assert result['changed'] and len(zitadel.user_searches()) == 1, 'only the lookup: a user found by login name exists'


@pytest.mark.parametrize('args, fragment', [
    ({'key': '', 'value': 'x'}, '1 to 200 characters'),
    ({'key': 'k', 'value': 'x' * 500001}, '500001 bytes'),
    ({'key': 'k', 'value': '%%%', 'encoding': 'base64'}, 'not valid base64'),
    ({'key': 'k', 'value': '{', 'encoding': 'json'}, 'not valid JSON'),
    ({'key': 'k', 'value': 5}, 'must be a string'),
    ({'key': 'k'}, 'state is present but all of the following are missing: value'),
    ({'key': 'k', 'value': 'x', 'api_url': 'zitadel.example.com'}, 'not a valid ZITADEL URL'),
    ({'key': 'k', 'value': 'x', 'token': None}, 'No credentials'),
    ({'key': 'k', 'value': 'x', 'org_id': '1\n2'}, 'org_id holds'),
    ({'key': 'k', 'value': 'x', 'login_name': 'alice'}, 'mutually exclusive'),
    ({'key': 'k', 'value': 'x', 'user_id': None}, 'give exactly one of user_id and login_name (neither is set'),
    ({'key': 'k', 'value': 'x', 'user_id': ''}, 'give exactly one of user_id and login_name (neither is set'),
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
    assert (result['user_id'], result['org_id']) == ('999', '42')


def test_permission_error_names_the_permission(zitadel, run_module):
    zitadel.faults.append(('POST', BASE + '/team', ZitadelApiError(403, 'POST', BASE + '/team', code=7, error_id='AUTH-5mWD2')))
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'x'})
    assert result['failed'] and 'lack permission user.write' in result['msg'] and result['status'] == 403
    assert result['added'] == [] and result['metadata'] == {}, 'a failed task reports no planned keys'


def test_check_mode_confirms_that_a_user_without_metadata_exists(zitadel, run_module):
    result = run_module(user_metadata, {'user_id': MISSING, 'key': 'team', 'value': 'x', '_ansible_check_mode': True})
    assert result['failed'] and 'Could not predict a change on user %s in %s: ZITADEL does not show this user' % (MISSING, OWN) in result['msg']
    assert zitadel.user_searches() == [(None, [{'inUserIdsQuery': {'userIds': [MISSING]}}])] and zitadel.writes() == []
    result = run_module(user_metadata, {'user_id': USER, 'key': 'team', 'value': 'x', '_ansible_check_mode': True})
    assert result['changed'] and not result.get('failed')
