# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The users and orgs options: many targets in one task, and what declared secrets become."""

from __future__ import annotations

import json

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError
from ansible_collections.community.zitadel.plugins.module_utils._module import declared_secrets
from ansible_collections.community.zitadel.plugins.modules import org_metadata_bulk, org_metadata_info, user_metadata_bulk, user_metadata_info

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import (
    MISSING,
    OTHER_ORG,
    OWN_ORG,
    USER,
    USER2,
    USER3,
    USERS_PATH,
)

OWN = "the service account's own organisation"
ENTRY_FIELDS = {'user_id', 'org_id', 'changed', 'added', 'updated', 'removed', 'unchanged', 'failed'}


def path(user):
    return '/management/v1/users/%s/metadata' % user


def test_users_in_order_with_summary(zitadel, run_module):
    zitadel.entries[USER2]['tenant'] = b'acme'
    result = run_module(user_metadata_bulk, {
        'metadata': {'tenant': 'acme'},
        'users': [{'user_id': USER3, 'org_id': OTHER_ORG}, {'user_id': USER, 'metadata': {'team': 'platform'}},
                  {'login_name': 'bob@acme.example'}],
        'concurrency': 3,
    })
    assert result['changed'] and 'failed' not in result and 'diff' not in result
    assert [entry['user_id'] for entry in result['users']] == [USER3, USER, USER2]
    assert [entry['org_id'] for entry in result['users']] == [OTHER_ORG, None, OWN_ORG]
    assert set(result['users'][0]) == ENTRY_FIELDS, 'entries carry no metadata: the values are those the task declared'
    assert result['users'][2]['login_name'] == 'bob@acme.example' and result['users'][2]['unchanged'] == ['tenant']
    assert [entry['added'] for entry in result['users']] == [['tenant'], ['team', 'tenant'], []]
    assert [entry['changed'] for entry in result['users']] == [True, True, False]
    assert result['summary'] == {'targets': 3, 'failed': 0, 'changed': 2, 'unchanged': 1,
                                 'keys_added': 3, 'keys_updated': 0, 'keys_removed': 0}
    assert zitadel.entries[USER3] == {'tenant': b'acme'} and zitadel.entries[USER] == {'tenant': b'acme', 'team': b'platform'}
    assert zitadel.user_searches() == [(None, [{'loginNameQuery': {'loginName': 'bob@acme.example',
                                                                   'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}])]


def test_own_metadata_wins_over_the_shared(zitadel, run_module):
    run_module(user_metadata_bulk, {'metadata': {'team': 'all', 'tenant': 'acme'},
                                    'users': [{'user_id': USER, 'metadata': {'team': 'mine'}}, {'user_id': USER2}]})
    assert zitadel.entries[USER] == {'team': b'mine', 'tenant': b'acme'}
    assert zitadel.entries[USER2] == {'team': b'all', 'tenant': b'acme'}


def test_a_diff_per_changed_user(zitadel, run_module):
    zitadel.entries[USER2]['tenant'] = b'acme'
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'}, 'users': [{'user_id': USER}, {'user_id': USER2}],
                                             '_ansible_diff': True})
    assert result['diff'] == [{'before': {}, 'after': {'tenant': 'acme'},
                               'before_header': 'user %s in %s' % (USER, OWN), 'after_header': 'user %s in %s' % (USER, OWN)}]


def test_a_failed_user_does_not_stop_the_others(zitadel, run_module):
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'},
                                             'users': [{'user_id': USER}, {'user_id': MISSING}, {'user_id': USER2}],
                                             'concurrency': 2})
    assert result['failed'] and result['changed']
    assert result['msg'].startswith('1 of 3 users failed: ')
    assert "Could not set metadata key 'tenant' on user %s in %s" % (MISSING, OWN) in result['msg']
    failed = result['users'][1]
    assert failed['failed'] and failed['user_id'] == MISSING and failed['error_id'] == 'COMMAND-uXHNj' and failed['msg']
    assert (failed['added'], failed['updated'], failed['removed'], failed['unchanged']) == ([], [], [], [])
    assert [entry['failed'] for entry in result['users']] == [False, True, False]
    assert zitadel.entries[USER] == {'tenant': b'acme'} and zitadel.entries[USER2] == {'tenant': b'acme'}
    assert result['summary'] == {'targets': 3, 'failed': 1, 'changed': 2, 'unchanged': 0,
                                 'keys_added': 2, 'keys_updated': 0, 'keys_removed': 0}


def test_a_permission_error_of_one_user_is_reported_with_its_facts(zitadel, run_module):
    error = ZitadelApiError(403, 'POST', path(USER2) + '/tenant', code=7, error_id='AUTH-5mWD2')
    zitadel.faults.append(('POST', path(USER2) + '/tenant', error))
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'}, 'users': [{'user_id': USER}, {'user_id': USER2}]})
    assert result['failed'] and result['users'][1]['status'] == 403 and 'lack permission user.write' in result['msg']
    assert zitadel.entries[USER] == {'tenant': b'acme'}


def test_check_mode_checks_users_without_metadata_in_one_request(zitadel, run_module):
    zitadel.entries[USER2]['tenant'] = b'old'
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'}, '_ansible_check_mode': True,
                                             'users': [{'user_id': USER}, {'user_id': MISSING}, {'user_id': USER2}]})
    assert zitadel.writes() == []
    assert zitadel.user_searches() == [(None, [{'inUserIdsQuery': {'userIds': [USER, MISSING]}}])], \
        'one ListUsers for the users that read empty; a user with metadata exists'
    assert [entry['failed'] for entry in result['users']] == [False, True, False]
    assert 'Could not predict a change on user %s in %s: ZITADEL does not show this user' % (MISSING, OWN) in result['msg']


def test_unknown_login_name_fails_the_task_before_any_write(zitadel, run_module):
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'},
                                             'users': [{'user_id': USER}, {'login_name': 'nobody'}, {'login_name': 'alice@acme.example'}]})
    assert result['failed'] and "No user has the login name 'nobody' in %s" % OWN in result['msg']
    assert zitadel.writes() == [] and [p for _m, p in zitadel.calls] == [USERS_PATH]
    assert zitadel.user_searches() == [(None, [{'orQuery': {'queries': [
        {'loginNameQuery': {'loginName': 'nobody', 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}},
        {'loginNameQuery': {'loginName': 'alice@acme.example', 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}]}}])]


def test_a_login_name_and_an_id_of_the_same_user_fail(zitadel, run_module):
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'},
                                             'users': [{'login_name': 'alice@acme.example'}, {'user_id': USER}]})
    assert result['failed'] and 'name the same user' in result['msg'] and zitadel.writes() == []


@pytest.mark.parametrize('users, fragment', [
    ([{'user_id': USER}, {'user_id': USER}], 'users[0] (%s) and users[1] (%s) name the same user; list each one once.' % (USER, USER)),
    ([{'login_name': 'Alice'}, {'login_name': 'alice'}], 'users[0] (Alice) and users[1] (alice) name the same user'),
    ([{'user_id': USER, 'bogus': 1}], 'users[0] (%s): unknown option(s) bogus' % USER),
    ([{'user_id': USER, 'login_name': 'alice'}], 'users[0] (alice): give exactly one of user_id and login_name, not both.'),
    ([{}], 'users[0]: give exactly one of user_id and login_name (neither is set, or it is empty).'),
    ([{'user_id': 5}], 'users[0]: user_id must be a string, not int; quote IDs in YAML.'),
    ([{'user_id': USER, 'metadata': {'k': ''}}], "users[0] (%s): The value of key 'k' is 0 bytes long" % USER),
    ([{'user_id': USER, 'metadata': ['k']}], 'users[0] (%s): its metadata must be a dictionary' % USER),
])
def test_bad_items_fail_before_any_request(zitadel, run_module, users, fragment):
    result = run_module(user_metadata_bulk, {'metadata': {'tenant': 'acme'}, 'users': users})
    assert result['failed'] and fragment in result['msg'] and zitadel.calls == []


@pytest.mark.parametrize('concurrency', [-1, 0, 33])
def test_concurrency_outside_its_bounds_fails(zitadel, run_module, concurrency):
    result = run_module(user_metadata_bulk, {'metadata': {'a': 'x'}, 'users': [{'user_id': USER}], 'concurrency': concurrency})
    assert result.get('failed') and result['msg'] == 'concurrency must be between 1 and 32, not %d.' % concurrency
    assert zitadel.calls == []


def test_users_without_shared_metadata(zitadel, run_module):
    result = run_module(user_metadata_bulk, {'users': [{'user_id': USER, 'metadata': {'a': '1'}}, {'user_id': USER2}]})
    assert result['summary']['changed'] == 1 and zitadel.entries[USER2] == {}


def test_users_absent_removes_shared_and_own_keys(zitadel, run_module):
    zitadel.entries[USER].update({'a': b'1', 'b': b'2', 'c': b'3'})
    zitadel.entries[USER2].update({'a': b'1'})
    result = run_module(user_metadata_bulk, {'metadata': ['a'], 'state': 'absent',
                                             'users': [{'user_id': USER, 'metadata': ['b']}, {'user_id': USER2}]})
    assert [entry['removed'] for entry in result['users']] == [['a', 'b'], ['a']]
    assert result['summary']['keys_removed'] == 3
    assert zitadel.entries[USER] == {'c': b'3'} and zitadel.entries[USER2] == {}


def test_orgs(zitadel, run_module):
    zitadel.entries[OTHER_ORG]['tier'] = b'silver'
    result = run_module(org_metadata_bulk, {'metadata': {'tier': 'gold'}, 'orgs': [{'org_id': OTHER_ORG}, {'org_id': OWN_ORG}],
                                            '_ansible_diff': True})
    assert [entry['org_id'] for entry in result['orgs']] == [OTHER_ORG, OWN_ORG]
    assert [entry['updated'] for entry in result['orgs']] == [['tier'], []]
    assert result['summary'] == {'targets': 2, 'failed': 0, 'changed': 2, 'unchanged': 0, 'keys_added': 1, 'keys_updated': 1,
                                 'keys_removed': 0}
    assert [d['before_header'] for d in result['diff']] == ['organisation %s' % OTHER_ORG, 'organisation %s' % OWN_ORG]
    assert zitadel.entries[OTHER_ORG] == {'tier': b'gold'} and zitadel.entries[OWN_ORG] == {'tier': b'gold'}
    assert {org for _m, _p, _b, org in zitadel.requests} == {OTHER_ORG, OWN_ORG}


def test_a_failed_org_does_not_stop_the_others(zitadel, run_module):
    result = run_module(org_metadata_bulk, {'metadata': {'tier': 'gold'}, 'orgs': [{'org_id': '42'}, {'org_id': OTHER_ORG}]})
    assert result['failed'] and result['msg'].startswith('1 of 2 orgs failed: ') and 'organisation 42' in result['msg']
    assert zitadel.entries[OTHER_ORG] == {'tier': b'gold'}


@pytest.mark.parametrize('orgs, fragment', [
    ([{'org_id': OWN_ORG}, {'org_id': OWN_ORG}], 'orgs[0] (%s) and orgs[1] (%s) name the same organisation' % (OWN_ORG, OWN_ORG)),
    ([{}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string'),
    ([{'org_id': 7}], 'orgs[0]: give exactly one of org_id and org_name, as a non-empty string; quote IDs in YAML.'),
    (['x'], "Elements value for option 'orgs' is of type str"),
])
def test_bad_org_items_fail_before_any_request(zitadel, run_module, orgs, fragment):
    result = run_module(org_metadata_bulk, {'metadata': {'tier': 'gold'}, 'orgs': orgs})
    assert result['failed'] and fragment in result['msg'] and zitadel.calls == []


def test_users_info(zitadel, run_module):
    zitadel.entries[USER].update({'team': b'platform', 'api_key': b'hunter2'})
    zitadel.entries[USER3]['team'] = b'x'
    result = run_module(user_metadata_info, {'users': [{'user_id': USER3, 'org_id': OTHER_ORG}, {'login_name': 'alice@acme.example'}],
                                             'sensitive_keys': ['api_*']})
    assert not result['changed'] and 'failed' not in result
    assert [entry['user_id'] for entry in result['users']] == [USER3, USER]
    assert result['users'][1]['metadata'] == {'api_key': {'value': '<sensitive>', 'value_base64': '<sensitive>'},
                                              'team': {'value': 'platform', 'value_base64': 'cGxhdGZvcm0='}}
    assert result['summary'] == {'targets': 2, 'failed': 0}
    assert 'hunter2' not in json.dumps(result)


def test_users_info_with_a_missing_user(zitadel, run_module):
    zitadel.entries[USER]['team'] = b'platform'
    result = run_module(user_metadata_info, {'users': [{'user_id': MISSING}, {'user_id': USER}, {'user_id': USER2}]})
    assert result['failed'] and result['msg'].startswith('1 of 3 users failed: ')
    assert [entry['failed'] for entry in result['users']] == [True, False, False]
    assert result['users'][0]['metadata'] == {} and result['users'][1]['metadata']['team']['value'] == 'platform'
    assert result['summary'] == {'targets': 3, 'failed': 1}
    assert zitadel.user_searches() == [(None, [{'inUserIdsQuery': {'userIds': [MISSING, USER2]}}])]


def test_users_info_items_take_no_metadata(zitadel, run_module):
    result = run_module(user_metadata_info, {'users': [{'user_id': USER, 'metadata': {'a': 'b'}}]})
    assert result['failed'] and 'unknown option(s) metadata' in result['msg'] and zitadel.calls == []


def test_orgs_info_encoding_json(zitadel, run_module):
    zitadel.entries[OWN_ORG]['conf'] = b'{"a": [1, 2]}'
    zitadel.entries[OTHER_ORG]['conf'] = b'plain'
    result = run_module(org_metadata_info, {'orgs': [{'org_id': OWN_ORG}, {'org_id': OTHER_ORG}], 'encoding': 'json'})
    assert [entry['metadata']['conf']['value'] for entry in result['orgs']] == [{'a': [1, 2]}, None]


def test_sensitive_keys_of_many_users(zitadel, run_module, no_log_values):
    zitadel.entries[USER2]['api_key'] = b'old-key-value'
    result = run_module(user_metadata_bulk, {
        'metadata': {'api_key': 'shared-key-value', 'team': 'visible-team'},
        'users': [{'user_id': USER, 'metadata': {'api_key': 'own-key-value'}}, {'user_id': USER2}],
        'sensitive_keys': ['api_*'], '_ansible_diff': True})
    assert zitadel.entries[USER]['api_key'] == b'own-key-value' and zitadel.entries[USER2]['api_key'] == b'shared-key-value'
    assert [d['after'] for d in result['diff']] == [{'api_key': '<sensitive, changed>', 'team': 'visible-team'},
                                                    {'api_key': '<sensitive, changed>', 'team': 'visible-team'}]
    assert result['diff'][1]['before'] == {'api_key': '<sensitive>'}
    text = json.dumps(result)
    assert 'key-value' not in text and 'visible-team' in text
    assert {'own-key-value', 'shared-key-value'} <= no_log_values and 'visible-team' not in no_log_values


def test_declared_secrets_are_hidden_even_when_the_arguments_fail(zitadel, run_module, no_log_values):
    result = run_module(user_metadata_bulk, {'metadata': {'api_key': 'leaky-secret'}, 'sensitive_keys': ['api_*'],
                                             'user_id': USER, 'encoding': 'no-such-encoding'})
    assert result['failed'] and 'leaky-secret' in no_log_values and zitadel.calls == []


def test_sensitive_keys_as_a_comma_separated_string_hide_the_values_from_the_logs(zitadel, run_module, no_log_values):
    """Ansible's list type splits 'api_*,db_*' into two patterns: the values are hidden from the logs (no_log, so also
    the invocation) as they are from the results."""
    result = run_module(user_metadata_bulk, {'user_id': USER, 'sensitive_keys': 'api_*,db_*',
                                             'metadata': {'api_key': 'api-secret-value', 'db_key': 'db-secret-value', 'team': 'visible-team'}})
    assert result['metadata']['api_key'] == {'value': '<sensitive>', 'value_base64': '<sensitive>'}
    assert {'api-secret-value', 'db-secret-value'} <= no_log_values
    text = json.dumps(result)
    assert 'secret-value' not in text and 'visible-team' in text


@pytest.mark.parametrize('params, sensitive, secrets', [
    ({'metadata': {'api_key': 's1', 'team': 't'}, 'sensitive_keys': ['api_*']}, False, {'s1'}),
    ({'metadata': {'api_key': 's1', 'team': 't'}}, True, {'s1', 't'}),
    ({'metadata': {'team': 't'}, 'sensitive_keys': ['api_*'], 'users': [{'metadata': {'api_key': {'nested': ['s2', 3]}}}, 'junk']},
     False, {'s2', '3'}),
    ({'orgs': [{'metadata': {'api_x': 's3'}}], 'sensitive_keys': 'api_*'}, False, {'s3'}),
    ({'metadata': {'api_x': 's4', 'db_x': 's5', 'team': 't'}, 'sensitive_keys': 'api_*,db_*'}, False, {'s4', 's5'}),
    ({'key': 'api_pin', 'value': '1234', 'sensitive_keys': ['api_*']}, False, {'1234'}),
    ({'key': 'team', 'value': 'x', 'sensitive_keys': ['api_*']}, False, set()),
    ({'metadata': ['api_key'], 'sensitive_keys': ['api_*']}, False, set()),
    ({'metadata': {'api_key': True}, 'sensitive_keys': ['*']}, False, set()),
])
def test_declared_secrets(params, sensitive, secrets):
    assert declared_secrets(params, sensitive) == secrets
