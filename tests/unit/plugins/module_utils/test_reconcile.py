# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import random

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._errors import PartialApplyError, ZitadelApiError, ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import (
    MASK,
    MASK_CHANGED,
    Codec,
    Plan,
    encode_all,
    entry,
    read_entries,
    reconcile_key,
    reconcile_keys,
    validate_key,
)


class FakeTarget:
    """Holds entries in memory and records the write requests a plan sends."""

    def __init__(self, entries=None, fail_remove=None):
        self.entries = dict(entries or {})
        self.writes = []
        self.fail_remove = fail_remove

    def get(self, key):
        self.writes.append(('get', [key]))
        return self.entries.get(key)

    def list(self, keys=None, prefix=None):
        self.writes.append(('list', keys))
        return {k: v for k, v in self.entries.items()
                if (keys is None or k in keys) and (prefix is None or k.startswith(prefix))}

    def check_exists(self):
        self.writes.append(('check_exists', []))

    def set(self, entries):
        self.writes.append(('set', sorted(entries)))
        self.entries.update(entries)

    def remove(self, keys):
        if self.fail_remove:
            raise self.fail_remove
        self.writes.append(('remove', sorted(keys)))
        for key in keys:
            del self.entries[key]


@pytest.mark.parametrize('encoding, value, stored', [
    ('text', 'platform', b'platform'),
    ('text', 'grüße', 'grüße'.encode('utf-8')),
    ('base64', base64.b64encode(b'\x00\xff').decode(), b'\x00\xff'),
    ('json', {'b': 1, 'a': [True, None]}, b'{"b":1,"a":[true,null]}'),
    ('json', '{ "a" : 1 }', b'{"a":1}'),
    ('json', '"just text"', b'"just text"'),
    ('json', 42, b'42'),
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


def test_value_limit_counts_bytes_not_characters():
    assert len(Codec('text').encode('k', 'é' * 250000)) == 500000
    with pytest.raises(ZitadelConfigError):
        Codec('text').encode('k', 'é' * 250001)


@pytest.mark.parametrize('key', ['', 'k' * 201, None])
def test_validate_key_rejects(key):
    with pytest.raises(ZitadelConfigError, match='1 to 200 characters'):
        validate_key(key)


def test_key_limit_counts_characters():
    assert validate_key('ü' * 200) == 'ü' * 200


def test_encode_all_validates_every_key_first():
    with pytest.raises(ZitadelConfigError, match="'bad'"):
        encode_all(Codec('text'), {'good': 'x', 'bad': ''})


def test_json_equal_by_meaning_but_typed():
    codec = Codec('json')
    assert codec.equal(b'{ "a": 1, "b": [1, 2] }', b'{"b":[1,2],"a":1}')
    assert not codec.equal(b'{"a":1.0}', b'{"a":1}')
    assert not codec.equal(b'{"a":true}', b'{"a":1}')
    assert not codec.equal(b'not json', b'"not json"')


def test_text_and_base64_compare_bytes():
    assert Codec('text').equal(b'a', b'a')
    assert not Codec('base64').equal(b'a ', b'a')


def test_show_per_encoding():
    assert Codec('text').show(b'hi') == 'hi'
    assert Codec('text').show(b'\xff') == base64.b64encode(b'\xff').decode()
    assert Codec('base64').show(b'hi') == 'aGk='
    assert Codec('json').show(b'{"a":1}') == {'a': 1}
    assert Codec('json').show(b'plain') == 'plain'


def test_plan_present_and_purge_with_exemptions():
    codec = Codec('text')
    current = {'same': b'1', 'old': b'1', 'extra': b'x', 'keep_me': b'y'}
    desired = {'same': b'1', 'old': b'2', 'new': b'3'}
    plan = Plan(current, codec, desired=desired, purge=True, keep=['keep_*'])
    assert (plan.added, plan.updated, plan.removed, plan.unchanged) == (['new'], ['old'], ['extra'], ['same'])
    assert plan.to_set() == {'new': b'3', 'old': b'2'}
    assert plan.after() == {'same': b'1', 'old': b'2', 'new': b'3', 'keep_me': b'y'}


def test_plan_absent_ignores_missing_keys():
    plan = Plan({'a': b'1'}, Codec('text'), absent=['a', 'gone'])
    assert plan.removed == ['a'] and plan.unchanged == ['gone'] and plan.changed


def test_plan_in_sync_writes_nothing():
    target = FakeTarget({'a': b'1'})
    plan = Plan(dict(target.entries), Codec('text'), desired={'a': b'1'})
    assert not plan.changed
    plan.apply(target)
    assert target.writes == []


def test_apply_sends_one_set_and_one_remove():
    target = FakeTarget({'a': b'1', 'b': b'2', 'c': b'3'})
    plan = Plan(dict(target.entries), Codec('text'), desired={'a': b'9', 'd': b'4'}, purge=True)
    plan.apply(target)
    assert target.writes == [('set', ['a', 'd']), ('remove', ['b', 'c'])]


def test_reconcile_key_check_mode_predicts_without_writing():
    target = FakeTarget({'a': b'1'})
    result = reconcile_key(target, Codec('text'), 'a', '2', 'present', check_mode=True)
    assert result['changed'] and result['metadata']['value'] == '2'
    assert result['diff'] == {'before': {'a': '1'}, 'after': {'a': '2'}}
    assert target.writes == [('get', ['a'])] and target.entries == {'a': b'1'}


def test_check_mode_confirms_a_target_that_reads_empty():
    target = FakeTarget()
    assert reconcile_key(target, Codec('text'), 'a', '2', 'present', check_mode=True)['changed']
    assert target.writes == [('get', ['a']), ('check_exists', [])]


def test_reconcile_key_absent_missing_is_ok_without_writes():
    target = FakeTarget()
    result = reconcile_key(target, Codec('text'), 'a', None, 'absent', check_mode=False)
    assert not result['changed'] and result['metadata'] is None and target.writes == [('get', ['a'])]


def test_reconcile_keys_reports_each_outcome():
    target = FakeTarget({'same': b'1', 'old': b'1', 'extra': b'x', 'keep_1': b'k'})
    result = reconcile_keys(target, Codec('text'), {'same': '1', 'old': '2', 'new': '3'}, 'present', check_mode=False,
                            purge=True, purge_exclude=['keep_*'])
    assert (result['added'], result['updated'], result['removed'], result['unchanged']) == (['new'], ['old'], ['extra'], ['same'])
    assert result['metadata'] == {'keep_1': 'k', 'new': '3', 'old': '2', 'same': '1'}
    assert result['diff']['before'] == {'same': '1', 'old': '1', 'extra': 'x'}
    assert target.writes == [('list', None), ('set', ['new', 'old']), ('remove', ['extra'])]


def test_reconcile_keys_absent_accepts_a_list_and_skips_missing_keys():
    target = FakeTarget({'a': b'1', 'b': b'2'})
    result = reconcile_keys(target, Codec('text'), ['a', 'gone'], 'absent', check_mode=False)
    assert result['removed'] == ['a'] and result['unchanged'] == ['gone'] and target.writes[-1] == ('remove', ['a'])


@pytest.mark.parametrize('metadata, state, purge, fragment', [
    (['a'], 'present', False, 'must be a dictionary'),
    ('a', 'absent', False, 'must be a list of keys'),
    (['a'], 'absent', True, 'purge works with state=present only'),
    ({'': 'x'}, 'present', False, '1 to 200 characters'),
])
def test_reconcile_keys_rejects_bad_input_before_reading(metadata, state, purge, fragment):
    target = FakeTarget()
    with pytest.raises(ZitadelConfigError, match=fragment):
        reconcile_keys(target, Codec('text'), metadata, state, check_mode=False, purge=purge)
    assert target.writes == []


def test_read_entries():
    target = FakeTarget({'app.a': b'{"x": 1}', 'app.b': b'\xff', 'other': b'plain'})
    assert read_entries(target, prefix='app.', parse_json=True) == [
        {'key': 'app.a', 'value': '{"x": 1}', 'value_base64': base64.b64encode(b'{"x": 1}').decode(), 'json': {'x': 1}},
        {'key': 'app.b', 'value': None, 'value_base64': '/w=='},
    ]
    assert [e['key'] for e in read_entries(target, keys=['other', 'missing'])] == ['other']
    assert read_entries(target, keys=[]) == []


def test_partial_failure_reports_what_was_written():
    error = ZitadelApiError(503, 'DELETE', '/x')
    target = FakeTarget({'a': b'1', 'b': b'2'}, fail_remove=error)
    plan = Plan(dict(target.entries), Codec('text'), desired={'a': b'9'}, purge=True)
    with pytest.raises(PartialApplyError) as info:
        plan.apply(target)
    assert 'set a' in str(info.value) and info.value.facts()['written'] == 'set a'
    assert info.value.facts()['status'] == 503


def test_result_masks_sensitive_values_but_shows_change():
    plan = Plan({'a': b'old', 'b': b'same'}, Codec('text'), desired={'a': b'new', 'b': b'same'})
    result = plan.result(Codec('text'), sensitive=True)
    assert result['diff'] == {'before': {'a': MASK, 'b': MASK}, 'after': {'a': MASK_CHANGED, 'b': MASK}}
    assert entry(Codec('text'), 'a', b'new', sensitive=True) == {'key': 'a', 'value': MASK, 'value_base64': MASK}
    clear = plan.result(Codec('text'))
    assert clear['diff'] == {'before': {'a': 'old', 'b': 'same'}, 'after': {'a': 'new', 'b': 'same'}}


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
