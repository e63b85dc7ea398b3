# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.community.zitadel.plugins.modules import org_metadata, org_metadata_bulk, org_metadata_info
from ansible_collections.community.zitadel.plugins.modules import user_metadata_bulk, user_metadata_info

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import MISSING, OTHER_ORG, OWN_ORG, USER

BASE = '/management/v1/users/%s/metadata' % USER
OWN = "the service account's own organisation"


def test_user_bulk_writes_only_what_differs(zitadel, run_module):
    zitadel.entries[USER].update({'same': b'1', 'old': b'1', 'extra': b'x'})
    result = run_module(user_metadata_bulk, {'user_id': USER, 'metadata': {'same': '1', 'old': '2', 'new': '3'}, 'purge': True})
    assert (result['added'], result['updated'], result['removed'], result['unchanged']) == (['new'], ['old'], ['extra'], ['same'])
    assert zitadel.entries[USER] == {'same': b'1', 'old': b'2', 'new': b'3'}
    assert zitadel.writes() == [('POST', BASE + '/_bulk'), ('DELETE', BASE + '/extra')]
    assert sorted(result['metadata']) == ['new', 'old', 'same'], 'only the keys the task names'
    assert result['metadata']['old'] == {'value': '2', 'value_base64': 'Mg=='}


def test_purged_keys_are_not_shown_in_the_diff(zitadel, run_module):
    zitadel.entries[USER].update({'keep': b'1', 'other_secret': b'hunter2', 'idp_x': b'y'})
    result = run_module(user_metadata_bulk, {'user_id': USER, 'metadata': {'keep': '1'}, 'purge': True, 'purge_exclude': ['idp_*'],
                                             '_ansible_diff': True})
    assert result['removed'] == ['other_secret'] and zitadel.entries[USER] == {'keep': b'1', 'idp_x': b'y'}
    header = 'user %s in %s' % (USER, OWN)
    assert result['diff'] == {'before': {'keep': '1', 'other_secret': '<not named by the task>'}, 'after': {'keep': '1'},
                              'before_header': header, 'after_header': header}
    assert 'hunter2' not in json.dumps(result) and 'idp_x' not in json.dumps(result)


def test_user_bulk_absent_takes_a_list(zitadel, run_module):
    zitadel.entries[USER].update({'a': b'1', 'b': b'2', 'c': b'3'})
    result = run_module(user_metadata_bulk, {'user_id': USER, 'metadata': ['a', 'b', 'gone'], 'state': 'absent'})
    assert result['removed'] == ['a', 'b'] and result['unchanged'] == ['gone'] and result['metadata'] == {}
    assert zitadel.entries[USER] == {'c': b'3'} and zitadel.writes() == [('DELETE', BASE + '/_bulk')]


@pytest.mark.parametrize('args, fragment', [
    ({'metadata': ['a']}, 'metadata must be a dictionary'),
    ({'metadata': 'a', 'state': 'absent'}, 'must be a list of keys'),
    ({'metadata': ['a'], 'state': 'absent', 'purge': True}, 'purge works with state=present only'),
    ({'metadata': {'': 'x'}}, '1 to 200 characters'),
    ({}, 'metadata is required for a single user'),
    ({'metadata': {'a': 'x'}, 'users': [{'user_id': USER}]}, 'mutually exclusive'),
])
def test_bulk_input_errors_fail_before_any_request(zitadel, run_module, args, fragment):
    result = run_module(user_metadata_bulk, dict({'user_id': USER}, **args))
    assert result['failed'] and fragment in result['msg'] and zitadel.calls == []


def test_org_bulk_check_mode(zitadel, run_module):
    zitadel.entries[OWN_ORG]['tier'] = b'silver'
    result = run_module(org_metadata_bulk, {'metadata': {'tier': 'gold'}, '_ansible_check_mode': True, '_ansible_diff': True})
    assert result['changed'] and result['updated'] == ['tier'] and zitadel.writes() == []
    assert result['org_id'] is None and result['diff']['before_header'] == OWN
    assert result['diff']['before'] == {'tier': 'silver'} and result['diff']['after'] == {'tier': 'gold'}


def test_org_bulk_requires_metadata_for_one_org(zitadel, run_module):
    result = run_module(org_metadata_bulk, {})
    assert result['failed'] and 'metadata is required for a single organisation' in result['msg'] and zitadel.calls == []


def test_org_single_key_repeat_is_unchanged(zitadel, run_module):
    assert run_module(org_metadata, {'key': 'region', 'value': 'eu'})['changed']
    assert not run_module(org_metadata, {'key': 'region', 'value': 'eu'})['changed']
    assert zitadel.writes() == [('POST', '/management/v1/metadata/region')]
    assert zitadel.entries[OWN_ORG] == {'region': b'eu'}


def test_org_single_key_in_a_named_org(zitadel, run_module):
    result = run_module(org_metadata, {'org_id': OTHER_ORG, 'key': 'region', 'value': 'eu', 'sensitive_keys': ['reg*']})
    assert result['org_id'] == OTHER_ORG and result['metadata'] == {'region': {'value': '<sensitive>', 'value_base64': '<sensitive>'}}
    assert zitadel.entries[OTHER_ORG] == {'region': b'eu'} and zitadel.requests[-1][3] == OTHER_ORG


def test_org_error_names_the_organisation(zitadel, run_module):
    result = run_module(org_metadata, {'org_id': '42', 'key': 'region', 'value': 'eu'})
    assert result['failed'] and result['error_id'] == 'AUTH-Bs7Ds' and result['org_id'] == '42'
    assert 'on organisation 42' in result['msg'] and 'organisation does not exist' in result['msg']


def test_info_modules_read_sorted_entries(zitadel, run_module):
    zitadel.entries[USER].update({'b': b'{"x": 1}', 'a': b'\xff'})
    zitadel.entries[OWN_ORG].update({'region': b'eu', 'other': b'x'})
    user = run_module(user_metadata_info, {'user_id': USER})
    assert user['metadata'] == {'a': {'value': None, 'value_base64': '/w=='},
                                'b': {'value': '{"x": 1}', 'value_base64': 'eyJ4IjogMX0='}}
    assert list(user['metadata']) == ['a', 'b'] and (user['user_id'], user['org_id']) == (USER, None)
    assert not user.get('changed') and 'failed' not in user
    org = run_module(org_metadata_info, {'prefix': 're'})
    assert not org.get('changed') and org['metadata'] == {'region': {'value': 'eu', 'value_base64': 'ZXU='}}
    assert zitadel.writes() == []


def test_info_encoding_json_parses_values(zitadel, run_module):
    zitadel.entries[USER].update({'b': b'{"x": [1, true]}', 'plain': b'not json', 'bin': b'\xff'})
    result = run_module(user_metadata_info, {'user_id': USER, 'encoding': 'json'})
    assert result['metadata']['b']['value'] == {'x': [1, True]}
    assert result['metadata']['plain'] == {'value': None, 'value_base64': 'bm90IGpzb24='}, 'not JSON: value is null'
    assert result['metadata']['bin']['value'] is None


def test_info_encoding_base64(zitadel, run_module):
    zitadel.entries[USER]['bin'] = b'\xff\x00'
    result = run_module(user_metadata_info, {'user_id': USER, 'encoding': 'base64'})
    assert result['metadata'] == {'bin': {'value': '/wA=', 'value_base64': '/wA='}}


def test_info_parse_json_is_gone(zitadel, run_module):
    result = run_module(user_metadata_info, {'user_id': USER, 'parse_json': True})
    assert result['failed'] and 'parse_json' in result['msg'] and zitadel.calls == []


def test_info_keys_filter(zitadel, run_module):
    zitadel.entries[USER].update({'a': b'1', 'b': b'2', 'c': b'3'})
    result = run_module(user_metadata_info, {'user_id': USER, 'keys': ['b', 'a', 'missing']})
    assert sorted(result['metadata']) == ['a', 'b']
    result = run_module(user_metadata_info, {'user_id': USER, 'keys': ['c']})
    assert list(result['metadata']) == ['c']
    body = zitadel.requests[-1][2]
    assert body['queries'] == [{'keyQuery': {'key': 'c', 'method': 'TEXT_QUERY_METHOD_EQUALS'}}]


def test_info_empty_keys_sends_no_request(zitadel, run_module):
    result = run_module(user_metadata_info, {'user_id': USER, 'keys': []})
    assert result['metadata'] == {} and zitadel.calls == []


def test_info_masks_sensitive_keys(zitadel, run_module):
    zitadel.entries[USER].update({'api_token': b'hunter2', 'team': b'platform'})
    result = run_module(user_metadata_info, {'user_id': USER, 'sensitive_keys': ['api_*']})
    assert result['metadata'] == {'api_token': {'value': '<sensitive>', 'value_base64': '<sensitive>'},
                                  'team': {'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}}
    assert 'hunter2' not in json.dumps(result) and 'aHVudGVyMg' not in json.dumps(result)


def test_info_of_a_user_that_does_not_exist_fails(zitadel, run_module):
    result = run_module(user_metadata_info, {'user_id': MISSING})
    assert result['failed'] and 'Could not read metadata on user %s in %s: ZITADEL does not show this user' % (MISSING, OWN) in result['msg']
    assert zitadel.user_searches() == [(None, [{'inUserIdsQuery': {'userIds': [MISSING]}}])]


def test_info_by_login_name(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata_info, {'login_name': 'Alice@Acme.Example'})
    assert result['user_id'] == USER and result['login_name'] == 'Alice@Acme.Example' and result['org_id'] == OWN_ORG
    assert result['metadata'] == {'team': {'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}}


def test_info_keys_and_prefix_are_exclusive(zitadel, run_module):
    result = run_module(user_metadata_info, {'user_id': USER, 'keys': ['a'], 'prefix': 'a'})
    assert result['failed'] and 'mutually exclusive' in result['msg'] and zitadel.calls == []
