# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import random
import threading
import time

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    PartialApplyError,
    ZitadelApiError,
    ZitadelConfigError,
    ZitadelError,
)
from ansible_collections.community.zitadel.plugins.module_utils._owners import Organisation, organisation, user
from ansible_collections.community.zitadel.plugins.module_utils._protocol import Target
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import (
    MASK,
    MASK_CHANGED,
    NOT_NAMED,
    Codec,
    Job,
    Masking,
    Plan,
    ReportedFailure,
    declare,
    encode_all,
    find_owners,
    many_result,
    read,
    reconcile,
    single_result,
    validate_key,
)

OWN = "the service account's own organisation"
TEXT = Codec('text')
CLEAR = Masking()


def b64(data):
    return base64.b64encode(data).decode()


def shown(value):
    """A metadata entry of a value shown in clear text."""
    return {'value': value, 'value_base64': b64(value.encode())}


class FakeApi:
    """A metadata protocol in memory: entries per owner, users that exist, login names, and a record of every call.

    Reads of a user that does not exist look empty and writes to it fail, as in ZITADEL. fail[(operation, owner id)]
    is raised by that operation; delay[owner id] slows its list down.
    """

    own_org_default = True  # as v1: a user without org_id is in the service account's own organisation

    def __init__(self, users=('1', '2', '3'), logins=None):
        self.existing = set(users)
        self.logins = dict(logins or {})  # lower-case login name -> (user_id, org_id)
        self.entries = {}
        self.calls = []
        self.fail = {}
        self.delay = {}
        self.lock = threading.Lock()

    @staticmethod
    def ident(owner):
        return owner.user_id if owner.kind == 'user' else 'org:%s' % owner.org_id

    def target(self, owner):
        return Target(self, owner)

    def _enter(self, operation, owner, detail):
        with self.lock:
            self.calls.append((operation, self.ident(owner), detail))
        error = self.fail.get((operation, self.ident(owner)))
        if error:
            raise error

    def list(self, owner, keys=None, prefix=None):
        self._enter('list', owner, keys if prefix is None else prefix)
        time.sleep(self.delay.get(self.ident(owner), 0))
        with self.lock:
            entries = dict(self.entries.get(self.ident(owner), {}))
        return {k: v for k, v in entries.items() if (keys is None or k in keys) and (prefix is None or k.startswith(prefix))}

    def set(self, owner, entries):
        self._enter('set', owner, sorted(entries))
        self._check_user(owner)
        with self.lock:
            self.entries.setdefault(self.ident(owner), {}).update(entries)

    def remove(self, owner, keys):
        self._enter('remove', owner, sorted(keys))
        self._check_user(owner)
        with self.lock:
            for key in keys:
                self.entries[self.ident(owner)].pop(key, None)

    def _check_user(self, owner):
        if owner.kind == 'user' and owner.user_id not in self.existing:
            raise ZitadelApiError(400, 'POST', '/x', code=9, error_id='COMMAND-uXHNj')

    def find_users(self, users):
        with self.lock:
            self.calls.append(('find_users', None, [u.login_name for u in users]))
        missing = []
        for owner in users:
            found = self.logins.get(owner.login_name.lower())
            if found:
                owner.resolve(*found)
            else:
                missing.append(owner)
        return missing

    def missing(self, owners):
        with self.lock:
            self.calls.append(('missing', None, [o.user_id if o.kind == 'user' else o.org_id for o in owners]))
        error = self.fail.get(('missing', None))
        if error:
            raise error
        return [owner for owner in owners if owner.kind == 'user' and owner.user_id not in self.existing]

    def operations(self, *names):
        return [call for call in self.calls if call[0] in names]

    def writes(self):
        return self.operations('set', 'remove')


def job(owner, metadata, state='present', shared=None, purge=False, codec=TEXT, where=None):
    return declare(owner=owner, codec=codec, state=state, metadata=metadata, shared=shared, purge=purge, where=where)


def run(api, jobs, check_mode=False, masking=CLEAR, purge=False, purge_exclude=(), concurrency=1, codec=TEXT):
    return reconcile(api=api, jobs=jobs, codec=codec, check_mode=check_mode, masking=masking, purge=purge,
                     purge_exclude=purge_exclude, concurrency=concurrency)


# Codec

@pytest.mark.parametrize('encoding, value, stored', [
    ('text', 'platform', b'platform'),
    ('text', 'grüße', 'grüße'.encode('utf-8')),
    ('base64', base64.b64encode(b'\x00\xff').decode(), b'\x00\xff'),
    ('json', {'b': 1, 'a': [True, None]}, b'{"b":1,"a":[true,null]}'),
    ('json', '{ "a" : 1 }', b'{"a":1}'),
    ('json', '"just text"', b'"just text"'),
    ('json', 42, b'42'),
    ('json', {'k': 'ü'}, '{"k":"ü"}'.encode('utf-8')),
])
def test_encode(encoding, value, stored):
    assert Codec(encoding).encode('k', value) == stored


@pytest.mark.parametrize('encoding, value, fragment', [
    ('text', '', '0 bytes long'),
    ('text', 'x' * 500001, '500001 bytes long'),
    ('text', 5, 'must be a string'),
    ('text', {'a': 1}, 'must be a string'),
    ('base64', 'not base64!', 'not valid base64'),
    ('base64', '', '0 bytes long'),
    ('json', '{broken', 'not valid JSON'),
])
def test_encode_rejects_bad_values(encoding, value, fragment):
    with pytest.raises(ZitadelConfigError, match=fragment):
        Codec(encoding).encode('k', value)


def test_unknown_encoding():
    with pytest.raises(ZitadelConfigError, match="encoding must be one of text, base64, json, not 'yaml'"):
        Codec('yaml')


def test_value_limit_counts_bytes_not_characters():
    assert len(TEXT.encode('k', 'é' * 250000)) == 500000
    with pytest.raises(ZitadelConfigError):
        TEXT.encode('k', 'é' * 250001)


@pytest.mark.parametrize('key', ['', 'k' * 201, None, 5])
def test_validate_key_rejects(key):
    with pytest.raises(ZitadelConfigError, match='1 to 200 characters'):
        validate_key(key)


def test_key_limit_counts_characters():
    assert validate_key('ü' * 200) == 'ü' * 200


def test_encode_all_validates_every_key_first():
    with pytest.raises(ZitadelConfigError, match="'bad'"):
        encode_all(TEXT, {'good': 'x', 'bad': ''})


def test_json_equal_by_meaning_but_typed():
    codec = Codec('json')
    assert codec.equal(b'{ "a": 1, "b": [1, 2] }', b'{"b":[1,2],"a":1}')
    assert not codec.equal(b'{"a":1.0}', b'{"a":1}')
    assert not codec.equal(b'{"a":true}', b'{"a":1}')
    assert not codec.equal(b'not json', b'"not json"')
    assert not codec.equal(b'\xff', b'"x"')


def test_text_and_base64_compare_bytes():
    assert TEXT.equal(b'a', b'a')
    assert not Codec('base64').equal(b'a ', b'a')


def test_show_per_encoding():
    assert TEXT.show(b'hi') == 'hi'
    assert TEXT.show(b'\xff') is None, 'bytes that are not UTF-8 have no text form (value_base64 has them)'
    assert Codec('base64').show(b'hi') == 'aGk=' and Codec('base64').show(b'\xff') == '/w=='
    assert Codec('json').show(b'{"a":1}') == {'a': 1}
    assert Codec('json').show(b'"x"') == 'x'
    assert Codec('json').show(b'plain') is None
    assert Codec('json').show(b'\xff') is None


# Plan

class FakeTarget:
    """Holds entries in memory and records the requests a plan sends."""

    def __init__(self, entries=None, fail_remove=None):
        self.entries = dict(entries or {})
        self.writes = []
        self.fail_remove = fail_remove

    def list(self, keys=None, prefix=None):
        return {k: v for k, v in self.entries.items() if (keys is None or k in keys) and (prefix is None or k.startswith(prefix))}

    def set(self, entries):
        self.writes.append(('set', sorted(entries)))
        self.entries.update(entries)

    def remove(self, keys):
        if self.fail_remove:
            raise self.fail_remove
        self.writes.append(('remove', sorted(keys)))
        for key in keys:
            del self.entries[key]


def test_plan_present_and_purge_with_exemptions():
    current = {'same': b'1', 'old': b'1', 'extra': b'x', 'keep_me': b'y'}
    desired = {'same': b'1', 'old': b'2', 'new': b'3'}
    plan = Plan(current, TEXT, desired=desired, purge=True, keep=['keep_*'])
    assert (plan.added, plan.updated, plan.removed, plan.unchanged) == (['new'], ['old'], ['extra'], ['same'])
    assert plan.to_set() == {'new': b'3', 'old': b'2'}
    assert plan.after() == {'same': b'1', 'old': b'2', 'new': b'3', 'keep_me': b'y'}
    assert not hasattr(plan, 'result'), 'results are made by the engine, per target'


def test_plan_absent_ignores_missing_keys():
    plan = Plan({'a': b'1'}, TEXT, absent=['a', 'gone'])
    assert plan.removed == ['a'] and plan.unchanged == ['gone'] and plan.changed


def test_plan_in_sync_writes_nothing():
    target = FakeTarget({'a': b'1'})
    plan = Plan(dict(target.entries), TEXT, desired={'a': b'1'})
    assert not plan.changed
    plan.apply(target)
    assert target.writes == []


def test_apply_sends_one_set_and_one_remove():
    target = FakeTarget({'a': b'1', 'b': b'2', 'c': b'3'})
    plan = Plan(dict(target.entries), TEXT, desired={'a': b'9', 'd': b'4'}, purge=True)
    plan.apply(target)
    assert target.writes == [('set', ['a', 'd']), ('remove', ['b', 'c'])]


def test_partial_failure_reports_what_was_written():
    error = ZitadelApiError(503, 'DELETE', '/x')
    target = FakeTarget({'a': b'1', 'b': b'2'}, fail_remove=error)
    plan = Plan(dict(target.entries), TEXT, desired={'a': b'9'}, purge=True)
    with pytest.raises(PartialApplyError) as info:
        plan.apply(target)
    assert 'set a' in str(info.value) and info.value.facts()['written'] == 'set a'
    assert info.value.facts()['status'] == 503


def test_a_failed_removal_alone_is_not_partial():
    error = ZitadelApiError(503, 'DELETE', '/x')
    plan = Plan({'a': b'1'}, TEXT, absent=['a'])
    with pytest.raises(ZitadelApiError):
        plan.apply(FakeTarget({'a': b'1'}, fail_remove=error))


# Masking

def test_masking_hides_every_key_when_sensitive():
    assert Masking(sensitive=True).hides('anything')
    assert not Masking().hides('anything')


def test_masking_patterns_match_case_sensitively():
    masking = Masking(patterns=['api_*', 'pin'])
    assert masking.hides('api_key') and masking.hides('pin')
    assert not masking.hides('API_key') and not masking.hides('pin2') and not masking.hides('team')
    assert Masking(patterns=None).patterns == ()


def test_masking_entries_are_sorted_and_hide_both_forms():
    entries = Masking(patterns=['s*']).entries(TEXT, {'team': b'x', 'secret': b'hunter2', 'bin': b'\xff'})
    assert list(entries) == ['bin', 'secret', 'team']
    assert entries == {'bin': {'value': None, 'value_base64': '/w=='}, 'secret': {'value': MASK, 'value_base64': MASK},
                       'team': shown('x')}
    assert Masking().entries(Codec('json'), {'j': b'{"a":1}'}) == {'j': {'value': {'a': 1}, 'value_base64': b64(b'{"a":1}')}}


# declare

def test_declare_merges_shared_and_own_metadata_and_own_wins():
    declared = job(user('1'), {'team': 'mine', 'own': 'x'}, shared={'team': 'all', 'tenant': 'acme'})
    assert isinstance(declared, Job) and declared.absent == ()
    assert declared.desired == {'team': b'mine', 'own': b'x', 'tenant': b'acme'}
    assert declared.named == {'team', 'own', 'tenant'} and declared.plan is None


def test_declare_without_shared_or_own():
    assert job(user('1'), None, shared={'a': 'x'}).desired == {'a': b'x'}
    assert job(user('1'), {'a': 'x'}).desired == {'a': b'x'}
    assert job(user('1'), None).desired == {}


def test_declare_absent_merges_key_lists():
    declared = job(user('1'), ['b', 'a'], state='absent', shared=['a', 'c'])
    assert declared.absent == ['a', 'b', 'c'] and declared.desired == {} and declared.named == {'a', 'b', 'c'}
    assert job(user('1'), {'x': 'ignored'}, state='absent').absent == ['x'], 'a dictionary names its keys'


def test_declare_encodes_with_the_codec():
    assert job(user('1'), {'q': {'a': 1}}, codec=Codec('json')).desired == {'q': b'{"a":1}'}


@pytest.mark.parametrize('kwargs, message', [
    ({'metadata': ['a']}, 'metadata must be a dictionary of key to value with state=present, not list.'),
    ({'metadata': ['a'], 'where': 'users[1] (bob)'},
     'users[1] (bob): its metadata must be a dictionary of key to value with state=present, not list.'),
    ({'metadata': None, 'shared': 'a', 'where': 'users[0] (7)'}, 'users[0] (7): metadata must be a dictionary'),
    ({'metadata': 'a', 'state': 'absent'}, 'metadata must be a list of keys (or a dictionary) with state=absent.'),
    ({'metadata': ['a'], 'state': 'absent', 'purge': True},
     'purge works with state=present only; with state=absent list the keys to remove.'),
    ({'metadata': {'': 'x'}, 'where': 'orgs[2] (9)'}, "orgs[2] (9): Metadata key '' is 0 characters long"),
    ({'metadata': [''], 'state': 'absent'}, "Metadata key '' is 0 characters long"),
    ({'metadata': {'k': ''}, 'where': 'users[0] (7)'}, "users[0] (7): The value of key 'k' is 0 bytes long"),
    ({'metadata': {'k': 5}, 'shared': {'j': 'x'}}, "The value of key 'k' must be a string with encoding=text, not int."),
])
def test_declare_rejects_bad_input_naming_the_item(kwargs, message):
    kwargs = dict(kwargs)
    metadata = kwargs.pop('metadata')
    with pytest.raises(ZitadelConfigError) as info:
        job(user('7'), metadata, **kwargs)
    assert str(info.value).startswith(message)


# reconcile: one target

def test_single_target_result_names_only_the_declared_keys():
    api = FakeApi()
    api.entries['1'] = {'team': b'old', 'other': b'not named'}
    report = run(api, [job(user('1'), {'team': 'new', 'added': 'x'})])[0]
    result = single_result(report)
    assert result == {'user_id': '1', 'org_id': None, 'changed': True, 'added': ['added'], 'updated': ['team'], 'removed': [],
                      'unchanged': [], 'metadata': {'added': shown('x'), 'team': shown('new')},
                      'diff': {'before': {'team': 'old'}, 'after': {'added': 'x', 'team': 'new'},
                               'before_header': 'user 1 in %s' % OWN, 'after_header': 'user 1 in %s' % OWN}}
    assert api.entries['1'] == {'team': b'new', 'added': b'x', 'other': b'not named'}
    assert api.calls == [('list', '1', None), ('set', '1', ['added', 'team'])]


def test_one_named_key_reads_only_that_key():
    api = FakeApi()
    api.entries['1'] = {'team': b'x', 'other': b'y'}
    run(api, [job(user('1'), {'team': 'x'})])
    assert api.calls == [('list', '1', ['team'])]
    run(api, [job(user('1'), {'team': 'x'})], purge=True)
    assert api.calls[1:] == [('list', '1', None), ('remove', '1', ['other'])], 'purge needs every key'


def test_in_sync_target_writes_nothing():
    api = FakeApi()
    api.entries['1'] = {'a': b'1', 'b': b'2'}
    result = single_result(run(api, [job(user('1'), {'a': '1', 'b': '2'})])[0])
    assert not result['changed'] and result['unchanged'] == ['a', 'b'] and api.writes() == []
    assert result['diff']['before'] == result['diff']['after'] == {'a': '1', 'b': '2'}


def test_check_mode_predicts_without_writing():
    api = FakeApi()
    api.entries['1'] = {'a': b'1', 'gone': b'x'}
    result = single_result(run(api, [job(user('1'), {'a': '2'})], check_mode=True, purge=True)[0])
    assert result['changed'] and result['updated'] == ['a'] and result['removed'] == ['gone']
    assert result['metadata'] == {'a': shown('2')}
    assert api.writes() == [] and api.entries['1'] == {'a': b'1', 'gone': b'x'}


def test_purged_keys_show_as_not_named():
    api = FakeApi()
    api.entries['1'] = {'keep': b'1', 'secret_of_another_task': b'hunter2', 'idp_id': b'9'}
    result = single_result(run(api, [job(user('1'), {'keep': '1', 'new': 'n'})], purge=True, purge_exclude=['idp_*'])[0])
    assert result['removed'] == ['secret_of_another_task']
    assert result['diff']['before'] == {'keep': '1', 'secret_of_another_task': NOT_NAMED}
    assert result['diff']['after'] == {'keep': '1', 'new': 'n'}
    assert result['metadata'] == {'keep': shown('1'), 'new': shown('n')}
    assert 'hunter2' not in repr(result) and 'idp_id' not in repr(result)
    assert api.entries['1'] == {'keep': b'1', 'new': b'n', 'idp_id': b'9'}


def test_sensitive_keys_are_masked_in_results_and_diffs():
    api = FakeApi()
    api.entries['1'] = {'api_key': b'old-secret', 'api_same': b'same-secret', 'team': b'a'}
    masking = Masking(patterns=['api_*'])
    result = single_result(run(api, [job(user('1'), {'api_key': 'new-secret', 'api_same': 'same-secret', 'api_new': 'n-secret',
                                                     'team': 'b'})], masking=masking)[0])
    assert result['diff']['before'] == {'api_key': MASK, 'api_same': MASK, 'team': 'a'}
    assert result['diff']['after'] == {'api_key': MASK_CHANGED, 'api_new': MASK_CHANGED, 'api_same': MASK, 'team': 'b'}
    assert result['metadata'] == {'api_key': {'value': MASK, 'value_base64': MASK}, 'api_new': {'value': MASK, 'value_base64': MASK},
                                  'api_same': {'value': MASK, 'value_base64': MASK}, 'team': shown('b')}
    assert 'secret' not in repr(result)


def test_sensitive_masks_every_key():
    api = FakeApi()
    result = single_result(run(api, [job(user('1'), {'a': 'x'})], masking=Masking(sensitive=True))[0])
    assert result['diff']['after'] == {'a': MASK_CHANGED} and result['metadata'] == {'a': {'value': MASK, 'value_base64': MASK}}


def test_a_purged_sensitive_key_shows_as_not_named():
    api = FakeApi()
    api.entries['1'] = {'api_old': b'secret'}
    result = single_result(run(api, [job(user('1'), {'a': 'x'})], masking=Masking(patterns=['api_*']), purge=True)[0])
    assert result['diff']['before'] == {'api_old': NOT_NAMED}


def test_values_not_valid_in_the_encoding_show_as_base64_in_diffs():
    api = FakeApi()
    api.entries['1'] = {'k': b'\xff'}
    result = single_result(run(api, [job(user('1'), {'k': 'text'})])[0])
    assert result['diff']['before'] == {'k': '<base64 /w==>'}


def test_a_json_null_shows_as_null_in_diffs():
    """null is valid JSON: the diff shows it as the value null, not as the base64 of bytes that are not JSON."""
    json_codec = Codec('json')
    api = FakeApi()
    api.entries['1'] = {'k': b'1'}
    result = single_result(run(api, [job(user('1'), {'k': None}, codec=json_codec)], codec=json_codec)[0])
    assert result['metadata'] == {'k': {'value': None, 'value_base64': b64(b'null')}}
    assert result['diff']['before'] == {'k': 1} and result['diff']['after'] == {'k': None}


def test_absent_keys():
    api = FakeApi()
    api.entries['1'] = {'a': b'1', 'b': b'2'}
    result = single_result(run(api, [job(user('1'), ['a', 'gone'], state='absent')])[0])
    assert result['removed'] == ['a'] and result['unchanged'] == ['gone'] and result['metadata'] == {}
    assert result['diff'] == {'before': {'a': '1'}, 'after': {}, 'before_header': 'user 1 in %s' % OWN,
                              'after_header': 'user 1 in %s' % OWN}
    assert api.writes() == [('remove', '1', ['a'])] and api.entries['1'] == {'b': b'2'}


def test_an_organisation_target():
    api = FakeApi()
    result = single_result(run(api, [job(Organisation('5'), {'tier': 'gold'})])[0])
    assert result['org_id'] == '5' and 'user_id' not in result
    assert result['diff']['before_header'] == 'organisation 5'
    assert api.entries['org:5'] == {'tier': b'gold'}


def test_single_result_raises_the_failure_with_its_facts():
    api = FakeApi()
    api.fail[('set', '1')] = ZitadelApiError(403, 'POST', '/x', code=7, error_id='AUTH-5mWD2')
    api.entries['1'] = {'a': b'old'}
    report = run(api, [job(user('1'), {'a': 'new'})])[0]
    with pytest.raises(ReportedFailure) as info:
        single_result(report)
    assert str(info.value) == report['msg'] and 'Request POST /x failed' in str(info.value)
    facts = info.value.facts()
    assert 'msg' not in facts and 'failed' not in facts and 'diff' not in facts
    assert facts['status'] == 403 and facts['error_id'] == 'AUTH-5mWD2' and facts['user_id'] == '1'
    assert facts['metadata'] == {'a': shown('old')}, 'a failed target reports its metadata as it was read'
    assert (facts['added'], facts['updated'], facts['changed']) == ([], [], False)


# reconcile: many targets

def test_failed_targets_do_not_stop_the_others_and_order_is_kept():
    api = FakeApi()
    api.delay = {'1': 0.05, '2': 0.02}  # the first targets finish last
    api.fail[('list', '2')] = ZitadelApiError(503, 'POST', '/x')
    jobs = [job(user('1'), {'a': 'x'}), job(user('2'), {'a': 'x'}), job(user('3'), {'a': 'x'}), job(Organisation('9'), {'a': 'x'})]
    reports = run(api, jobs, concurrency=4)
    assert [r.get('user_id', r['org_id']) for r in reports] == ['1', '2', '3', '9']
    assert [r['failed'] for r in reports] == [False, True, False, False]
    failed = reports[1]
    assert (failed['added'], failed['updated'], failed['removed'], failed['unchanged'], failed['metadata']) == ([], [], [], [], {})
    assert failed['status'] == 503 and 'HTTP 503' in failed['msg'] and not failed['changed'] and 'diff' not in failed
    assert api.entries == {'1': {'a': b'x'}, '3': {'a': b'x'}, 'org:9': {'a': b'x'}}


def test_a_partial_write_counts_as_changed_and_failed():
    api = FakeApi()
    api.entries['1'] = {'old': b'1'}
    api.fail[('remove', '1')] = ZitadelApiError(503, 'DELETE', '/x')
    report = run(api, [job(user('1'), {'a': 'x'})], purge=True)[0]
    assert report['failed'] and report['changed'] and report['written'] == 'set a'
    assert 'Already written before the failure: set a' in report['msg']
    assert report['metadata'] == {}, 'the metadata as read: the named key did not exist'


def test_the_summary_of_a_partial_write_counts_no_target_as_unchanged():
    """A target that failed after a partial write is changed and failed: unchanged is 0, never negative."""
    api = FakeApi()
    api.entries['1'] = {'old': b'1'}
    api.fail[('remove', '1')] = ZitadelApiError(503, 'DELETE', '/x')
    summary = many_result('users', run(api, [job(user('1'), {'a': 'x'})], purge=True))['summary']
    assert (summary['targets'], summary['failed']) == (1, 1)
    assert summary['unchanged'] == 0, summary


def test_many_result_summary_and_diffs():
    api = FakeApi()
    api.entries['2'] = {'tenant': b'acme'}
    api.entries['3'] = {'tenant': b'old', 'gone': b'x'}
    api.fail[('set', '4')] = ZitadelApiError(503, 'POST', '/x')
    api.existing.add('4')
    jobs = [job(user(uid), {'tenant': 'acme'}) for uid in ('1', '2', '3', '4')]
    result = many_result('users', run(api, jobs, purge=True, concurrency=2))
    assert result['changed'] and result['failed']
    assert result['summary'] == {'targets': 4, 'failed': 1, 'changed': 2, 'unchanged': 1,
                                 'keys_added': 1, 'keys_updated': 1, 'keys_removed': 1}
    assert [d['before_header'] for d in result['diff']] == ['user 1 in %s' % OWN, 'user 3 in %s' % OWN]
    assert result['diff'][1] == {'before': {'gone': NOT_NAMED, 'tenant': 'old'}, 'after': {'tenant': 'acme'},
                                 'before_header': 'user 3 in %s' % OWN, 'after_header': 'user 3 in %s' % OWN}
    assert [entry['user_id'] for entry in result['users']] == ['1', '2', '3', '4']
    for entry in result['users']:
        assert 'metadata' not in entry and 'diff' not in entry
    assert result['msg'].startswith('1 of 4 users failed: ') and 'HTTP 503' in result['msg']


def test_many_result_all_well():
    api = FakeApi()
    result = many_result('orgs', run(api, [job(Organisation('8'), {'a': 'x'}), job(Organisation('9'), {'a': 'x'})]))
    assert result['changed'] and 'failed' not in result and 'msg' not in result
    assert [entry['org_id'] for entry in result['orgs']] == ['8', '9'] and len(result['diff']) == 2


def test_many_result_without_changes_keeps_metadata():
    api = FakeApi()
    api.entries['1'] = {'a': b'x'}
    reports = read(api=api, owners=[user('1'), Organisation('9')], codec=TEXT, masking=CLEAR)
    result = many_result('users', reports, changes=False)
    assert result == {'changed': False, 'summary': {'targets': 2, 'failed': 0},
                      'users': [{'user_id': '1', 'org_id': None, 'failed': False, 'metadata': {'a': shown('x')}},
                                {'org_id': '9', 'failed': False, 'metadata': {}}]}


def test_check_mode_existence_check_is_one_batch():
    api = FakeApi(users=('1', '2'), logins={'alice': ('7', '1')})
    api.entries['2'] = {'a': b'old'}
    jobs = [job(user('1'), {'a': 'x'}), job(user('2'), {'a': 'x'}), job(user('3'), {'a': 'x'}),
            job(user(login_name='alice'), {'a': 'x'}), job(Organisation('9'), {'a': 'x'}), job(user('4'), ['a'], state='absent')]
    reports = run(api, jobs, check_mode=True, concurrency=3)
    assert api.operations('missing') == [('missing', None, ['1', '3', '9'])], \
        'only owners not found by name that read empty and would change: one call for all of them'
    assert [r['failed'] for r in reports] == [False, False, True, False, False, False]
    assert reports[2]['msg'] == ("Could not predict a change on user 3 in %s: ZITADEL does not show this user to the credentials, so "
                                 "it does not exist or the service account lacks user.read on it. Check user_id, and set org_id to "
                                 "the organisation the user belongs to." % OWN)
    assert not reports[2]['changed'] and reports[2]['added'] == []
    assert api.writes() == []


def test_no_existence_check_outside_check_mode():
    api = FakeApi()
    run(api, [job(user('1'), {'a': 'x'}), job(user('2'), {'a': 'x'})])
    assert api.operations('missing') == []


def test_a_failed_existence_check_fails_its_candidates():
    api = FakeApi()
    api.entries['2'] = {'a': b'old'}
    api.fail[('missing', None)] = ZitadelApiError(403, 'POST', '/management/v1/users/_search', code=7, error_id='AUTH-5mWD2')
    reports = run(api, [job(user('1'), {'a': 'x'}), job(user('2'), {'a': 'x'})], check_mode=True)
    assert [r['failed'] for r in reports] == [True, False] and reports[0]['status'] == 403


def test_login_names_are_found_in_one_batch_before_any_read():
    api = FakeApi(logins={'alice@acme': ('1', '50'), 'bob': ('2', '60')})
    jobs = [job(user(login_name='Alice@Acme'), {'a': 'x'}), job(user('3'), {'a': 'x'}), job(user(login_name='bob', org_id='70'), {'a': 'x'})]
    reports = run(api, jobs, concurrency=2)
    assert api.calls[0] == ('find_users', None, ['Alice@Acme', 'bob']) and len(api.operations('find_users')) == 1
    found = [(r['user_id'], r['org_id'], r.get('login_name')) for r in reports]
    assert found == [('1', '50', 'Alice@Acme'), ('3', None, None), ('2', '70', 'bob')]
    assert reports[0]['diff']['before_header'] == 'user Alice@Acme (1) in organisation 50'


def test_an_unknown_login_name_fails_before_any_write():
    api = FakeApi(logins={'alice': ('1', '50')})
    jobs = [job(user('2'), {'a': 'x'}), job(user(login_name='alice'), {'a': 'x'}), job(user(login_name='Nobody', org_id='5'), {'a': 'x'})]
    with pytest.raises(ZitadelError) as info:
        run(api, jobs)
    assert str(info.value).startswith("No user has the login name 'Nobody' in organisation 5. Nothing was written.")
    assert api.operations('list', 'set', 'remove', 'missing') == []


def test_a_protocol_that_reaches_users_in_any_organisation_names_none_it_was_not_given():
    api = FakeApi(logins={'alice': ('1', '50')})
    api.own_org_default = False  # as v2
    reports = run(api, [job(user('2'), {'a': 'x'}), job(user(login_name='alice'), {'a': 'x'})])
    assert [r['diff']['before_header'] for r in reports] == ['user 2', 'user alice (1) in organisation 50']
    with pytest.raises(ZitadelError) as info:
        run(api, [job(user(login_name='nobody'), {'a': 'x'})])
    assert str(info.value).startswith("No user has the login name 'nobody' in any organisation the credentials may read.")
    reports = run(api, [job(user('9'), {'a': 'x'})], check_mode=True)
    assert reports[0]['msg'] == ('Could not predict a change on user 9: ZITADEL does not show this user to the credentials, so it '
                                 'does not exist or the service account lacks user.read on it. Check user_id.')


def test_a_login_name_of_a_user_also_named_by_id_fails():
    api = FakeApi(logins={'alice': ('1', '50')})
    with pytest.raises(ZitadelConfigError, match=r'users\[0\] \(user alice \(1\)\) and users\[1\] \(user 1\) name the same user'):
        run(api, [job(user(login_name='alice'), {'a': 'x'}), job(user('1'), {'a': 'x'})])
    assert api.operations('list', 'set', 'remove') == []


def test_find_owners_sends_nothing_without_login_names():
    api = FakeApi()
    find_owners(api, [user('1'), Organisation('2')])
    find_owners(api, [])
    assert api.calls == []


# read

def test_read_all_keys_exact_keys_or_a_prefix():
    api = FakeApi()
    api.entries['1'] = {'app.a': b'{"x": 1}', 'app.b': b'\xff', 'other': b'plain'}
    [report] = read(api=api, owners=[user('1')], codec=Codec('json'), masking=CLEAR, prefix='app.')
    assert report == {'user_id': '1', 'org_id': None, 'failed': False,
                      'metadata': {'app.a': {'value': {'x': 1}, 'value_base64': b64(b'{"x": 1}')},
                                   'app.b': {'value': None, 'value_base64': '/w=='}}}
    [report] = read(api=api, owners=[user('1')], codec=TEXT, masking=CLEAR, keys=['other', 'missing', 'other'])
    assert report['metadata'] == {'other': shown('plain')}
    assert api.calls[-1] == ('list', '1', ['missing', 'other']), 'keys sorted and without duplicates'
    [report] = read(api=api, owners=[user('1')], codec=TEXT, masking=Masking(patterns=['app.*']))
    assert report['metadata']['app.a'] == {'value': MASK, 'value_base64': MASK} and report['metadata']['other'] == shown('plain')


def test_read_no_keys_sends_no_request():
    api = FakeApi()
    reports = read(api=api, owners=[user('1'), user('99')], codec=TEXT, masking=CLEAR, keys=[])
    assert [r['metadata'] for r in reports] == [{}, {}] and api.calls == []


def test_read_checks_keys_before_any_request():
    api = FakeApi()
    with pytest.raises(ZitadelConfigError, match='1 to 200 characters'):
        read(api=api, owners=[user('1')], codec=TEXT, masking=CLEAR, keys=['ok', ''])
    assert api.calls == []


def test_read_confirms_owners_that_read_empty_in_one_batch():
    api = FakeApi(users=('1', '2'))
    api.entries['2'] = {'a': b'x'}
    reports = read(api=api, owners=[user('1'), user('2'), user('3'), Organisation('9')], codec=TEXT, masking=CLEAR, concurrency=4)
    assert api.operations('missing') == [('missing', None, ['1', '3', '9'])]
    assert [r['failed'] for r in reports] == [False, False, True, False]
    assert reports[2]['metadata'] == {} and reports[2]['msg'].startswith('Could not read metadata on user 3 in %s: ZITADEL does not show this user'
                                                                         % OWN)


def test_read_failure_of_one_owner():
    api = FakeApi()
    api.entries['2'] = {'a': b'x'}
    api.fail[('list', '1')] = ZitadelApiError(403, 'POST', '/x', code=7, error_id='AUTH-5mWD2')
    reports = read(api=api, owners=[user('1'), user('2')], codec=TEXT, masking=CLEAR, concurrency=2)
    assert reports[0]['failed'] and reports[0]['metadata'] == {} and reports[0]['status'] == 403
    assert reports[1] == {'user_id': '2', 'org_id': None, 'failed': False, 'metadata': {'a': shown('x')}}


def test_read_finds_login_names():
    api = FakeApi(logins={'alice': ('1', '50')})
    api.entries['1'] = {'a': b'x'}
    [report] = read(api=api, owners=[user(login_name='ALICE')], codec=TEXT, masking=CLEAR)
    assert report['user_id'] == '1' and report['org_id'] == '50' and report['login_name'] == 'ALICE'
    assert report['metadata'] == {'a': shown('x')}


# convergence

@pytest.mark.parametrize('seed', range(200))
def test_any_state_converges_in_one_run(seed):
    """Property: for random current and desired states, one apply converges and a second plan is empty."""
    rng = random.Random(seed)
    keys = ['k%d' % i for i in range(8)]
    values = [b'1', b'2', b'{"a":1}', b'{ "a": 1 }']
    codec = Codec(rng.choice(['text', 'json']))
    current = {k: rng.choice(values) for k in keys if rng.random() < 0.6}
    desired = {k: rng.choice(values) for k in keys if rng.random() < 0.5}
    absent = [k for k in keys if k not in desired and rng.random() < 0.3]
    purge = rng.random() < 0.5
    target = FakeTarget(current)
    first = Plan(dict(target.entries), codec, desired=desired, absent=absent, purge=purge)
    first.apply(target)
    assert len(target.writes) <= 2
    assert target.entries == first.after()
    second = Plan(dict(target.entries), codec, desired=desired, absent=absent, purge=purge)
    assert not second.changed
    for key, value in desired.items():
        assert codec.equal(target.entries[key], value)
    assert not set(absent) & set(target.entries)
    if purge:
        assert set(target.entries) == set(desired)


@pytest.mark.parametrize('seed', range(200))
def test_many_targets_converge_in_one_run(seed):
    """Property, through the engine: any owners, shared and own metadata, purge and concurrency converge in one run; the
    second run writes nothing, and check mode predicts the first run exactly."""
    rng = random.Random(seed)
    keys = ['k%d' % i for i in range(6)]
    values = ['1', '2', 'x']
    owners = ['%d' % i for i in range(rng.randint(1, 5))]
    state = rng.choice(['present', 'present', 'absent'])
    purge = state == 'present' and rng.random() < 0.5
    exclude = ['k5'] if rng.random() < 0.3 else []

    def declared(share):
        chosen = [k for k in keys if rng.random() < share]
        return {k: rng.choice(values) for k in chosen} if state == 'present' else chosen

    shared = declared(0.3)
    own = {owner: declared(0.3) for owner in owners}
    api = FakeApi(users=owners)
    api.entries = {owner: {k: rng.choice(values).encode() for k in keys if rng.random() < 0.5} for owner in owners}

    def jobs():
        return [job(user(owner), own[owner], state=state, shared=shared, purge=purge) for owner in owners]

    concurrency = rng.choice([1, 2, 8])
    before = {owner: dict(entries) for owner, entries in api.entries.items()}
    predicted = run(api, jobs(), check_mode=True, purge=purge, purge_exclude=exclude, concurrency=concurrency)
    assert api.entries == before and api.writes() == []
    first = run(api, jobs(), purge=purge, purge_exclude=exclude, concurrency=concurrency)
    for guess, report in zip(predicted, first):
        for field in ('changed', 'added', 'updated', 'removed', 'unchanged', 'metadata', 'diff'):
            assert guess[field] == report[field]
    for owner in owners:
        assert len([c for c in api.writes() if c[1] == owner]) <= 2, 'at most one set and one removal per owner'
    api.calls = []
    second = run(api, jobs(), purge=purge, purge_exclude=exclude, concurrency=concurrency)
    assert api.writes() == [] and not any(r['changed'] for r in second)
    for owner in owners:
        entries = api.entries[owner]
        if state == 'present':
            wanted = dict(shared, **own[owner])
            assert {k: entries.get(k) for k in wanted} == {k: v.encode() for k, v in wanted.items()}
            if purge:
                assert set(entries) - set(wanted) <= set(exclude)
        else:
            assert not set(entries) & (set(shared) | set(own[owner]))


# organisations by name, and the own organisation

class OrgFakeApi(FakeApi):
    """FakeApi with organisations: names (lower-case name -> ID), the service account's own, and those that exist."""

    def __init__(self, orgs=None, own='1', **kwargs):
        super().__init__(**kwargs)
        self.orgs = dict(orgs or {})
        self.own = own
        self.existing_orgs = set(self.orgs.values()) | {own}

    def find_orgs(self, orgs):
        with self.lock:
            self.calls.append(('find_orgs', None, [o.org_name for o in orgs]))
        missing = []
        for org in orgs:
            found = self.own if org.own else self.orgs.get(org.org_name.lower())
            if found:
                org.resolve(found)
            else:
                missing.append(org)
        return missing

    def missing(self, owners):
        shown = super().missing(owners)
        return shown + [owner for owner in owners if owner.kind == 'org' and owner.org_id not in self.existing_orgs]


def test_find_owners_resolves_org_names_and_the_own_organisation_in_one_call():
    api = OrgFakeApi(orgs={'acme': '5', 'globex': '6'})
    acme, own, seven, globex = organisation(org_name='ACME'), organisation(), organisation('7'), organisation(org_name='Globex')
    find_owners(api, [acme, own, seven, globex])
    assert api.calls == [('find_orgs', None, ['ACME', None, 'Globex'])], 'one call, only for the organisations without ID'
    assert [(o.org_id, o.found) for o in (acme, own, seven, globex)] == [('5', True), ('1', True), ('7', False), ('6', True)]


def test_find_owners_of_users_and_organisations():
    api = OrgFakeApi(orgs={'acme': '5'}, logins={'alice': ('7', '5')})
    alice, acme = user(login_name='alice'), organisation(org_name='acme')
    find_owners(api, [alice, user('8'), acme, organisation('9')])
    assert [c[0] for c in api.calls] == ['find_users', 'find_orgs']
    assert (alice.user_id, acme.org_id) == ('7', '5')


def test_an_unknown_org_name_fails_before_any_write_naming_it():
    api = OrgFakeApi(orgs={'acme': '5'})
    jobs = [job(organisation('2'), {'a': 'x'}), job(organisation(org_name='ACME'), {'a': 'x'}), job(organisation(org_name='Nope'), {'a': 'x'}),
            job(organisation(org_name='Gone'), {'a': 'x'})]
    with pytest.raises(ZitadelError) as info:
        run(api, jobs)
    assert str(info.value) == ("No organisation that the credentials may read (org.read) is named 'Nope', 'Gone'. Nothing was written. "
                               'Check the spelling (ZITADEL compares organisation names ignoring case), or give org_id.')
    assert not isinstance(info.value, ZitadelConfigError)
    assert api.operations('list', 'set', 'remove', 'missing') == []


def test_an_unknown_login_name_fails_before_the_organisations_are_searched():
    api = OrgFakeApi(orgs={'acme': '5'})
    with pytest.raises(ZitadelError, match="^No user has the login name 'nobody'"):
        find_owners(api, [user(login_name='nobody'), organisation(org_name='acme')])
    assert [c[0] for c in api.calls] == ['find_users']


def test_two_items_that_turn_out_to_be_the_same_organisation_fail():
    api = OrgFakeApi(orgs={'acme': '5', 'acme inc': '5'})
    with pytest.raises(ZitadelConfigError, match=r'^orgs\[0\] \(organisation ACME \(5\)\) and orgs\[1\] \(organisation 5\) name the same organisation'):
        run(api, [job(organisation(org_name='ACME'), {'a': 'x'}), job(organisation('5'), {'a': 'x'})])
    with pytest.raises(ZitadelConfigError, match=r'^orgs\[0\] \(organisation acme \(5\)\) and orgs\[1\] \(organisation ACME inc \(5\)\) name the same'):
        run(api, [job(organisation(org_name='acme'), {'a': 'x'}), job(organisation(org_name='ACME inc'), {'a': 'x'})])
    assert api.operations('list', 'set', 'remove') == []


def test_organisations_by_id_alone_are_not_checked_for_duplicates_here():
    """org_items refuses two equal IDs before any request; find_owners sends nothing for organisations given by ID."""
    api = OrgFakeApi()
    find_owners(api, [organisation('5'), organisation('6')])
    assert api.calls == []


def test_an_org_found_by_name_reports_its_name_and_id():
    api = OrgFakeApi(orgs={'acme': '5'})
    report = single_result(run(api, [job(organisation(org_name='Acme'), {'tier': 'gold'})])[0])
    assert (report['org_id'], report['org_name']) == ('5', 'Acme')
    assert report['diff']['before_header'] == 'organisation Acme (5)'
    assert api.entries['org:5'] == {'tier': b'gold'}


def test_the_own_organisation_reports_its_id():
    api = OrgFakeApi(own='1')
    report = single_result(run(api, [job(organisation(), {'tier': 'gold'})])[0])
    assert report['org_id'] == '1' and 'org_name' not in report
    assert report['diff']['before_header'] == "the service account's own organisation (1)"


def test_check_mode_confirms_organisations_not_found_by_name():
    api = OrgFakeApi(orgs={'acme': '5'})
    api.existing_orgs.add('6')
    jobs = [job(organisation(org_name='acme'), {'a': 'x'}), job(organisation('6'), {'a': 'x'}), job(organisation('404'), {'a': 'x'}),
            job(organisation(), {'a': 'x'})]
    reports = run(api, jobs, check_mode=True, concurrency=2)
    assert api.operations('missing') == [('missing', None, ['6', '404'])], 'organisations found by name or as the own one are shown already'
    assert [r['failed'] for r in reports] == [False, False, True, False]
    assert reports[2]['msg'] == ('Could not predict a change on organisation 404: ZITADEL does not show this organisation to the '
                                 'credentials, so it does not exist or the service account lacks org.read on it. Check org_id or org_name.')
    assert api.writes() == []


def test_read_confirms_organisations_that_read_empty():
    api = OrgFakeApi(orgs={'acme': '5'})
    api.entries['org:6'] = {'a': b'x'}
    owners = [organisation(org_name='ACME'), organisation('6'), organisation('404'), organisation('7')]
    api.existing_orgs.add('7')
    reports = read(api=api, owners=owners, codec=TEXT, masking=CLEAR, concurrency=3)
    assert api.operations('missing') == [('missing', None, ['404', '7'])]
    assert [r['failed'] for r in reports] == [False, False, True, False]
    assert reports[0] == {'org_id': '5', 'org_name': 'ACME', 'failed': False, 'metadata': {}}
    assert reports[2]['msg'].startswith('Could not read metadata on organisation 404: ZITADEL does not show this organisation')
