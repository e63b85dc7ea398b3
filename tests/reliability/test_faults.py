# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network and server faults: retried within bounds, nothing lost, nothing duplicated, `changed` true."""

from __future__ import annotations

import pytest

from conftest import USER

SET_TEAM = {'user_id': USER, 'key': 'team', 'value': 'platform'}


def count(zitadel, rpc):
    return len(zitadel.requests(rpc))


def test_429_with_retry_after(zitadel, ansible, record, api):
    zitadel.fault('POST', api.user_list, 'status', status=429, retry_after=1)
    outcome = ansible.run('user_metadata', api.args(SET_TEAM))
    reads = zitadel.requests('ListUserMetadata')
    waited = reads[1]['time'] - reads[0]['time'] if len(reads) == 2 else 0
    record(api.name('429 with Retry-After: 1 on the read (the list filtered to the key)'), 'ok, changed; read 2 times, 1 write; waited 1 s',
           '%s; read %d times, %d write; waited %s' % (outcome.text, len(reads), count(zitadel, api.set_rpc),
                                                       '1 s' if waited >= 1 else 'less'))


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_burst_of_server_errors_on_bulk_write(zitadel, ansible, record, api, status):
    zitadel.fault('POST', api.user_set_many, 'status', count=2, status=status)
    outcome = ansible.run('user_metadata_bulk', api.args({'user_id': USER, 'metadata': {'a': '1', 'b': '2'}, 'retries': 3}))
    stored = 'both keys stored' if zitadel.metadata() == {'a': b'1', 'b': b'2'} else zitadel.metadata()
    record(api.name('%d twice on the bulk set (retries 3)' % status), 'ok, changed; 3 bulk set attempts; both keys stored',
           '%s; %d bulk set attempts; %s' % (outcome.text, count(zitadel, api.set_many_rpc), stored))


def test_dropped_connection_on_list(zitadel, ansible, record, api):
    zitadel.fault('POST', api.user_list, 'drop')
    outcome = ansible.run('user_metadata_bulk', api.args({'user_id': USER, 'metadata': {'a': '1'}}))
    record(api.name('Connection dropped on the list'), 'ok, changed; listed 2 times; key stored',
           '%s; listed %d times; %s' % (outcome.text, count(zitadel, 'ListUserMetadata'),
                                        'key stored' if zitadel.metadata().get('a') == b'1' else 'key missing'))


def test_answer_slower_than_timeout(zitadel, ansible, record, api):
    zitadel.fault('POST', api.user_list, 'delay', seconds=3)
    outcome = ansible.run('user_metadata', api.args(dict(SET_TEAM, timeout=1)))
    record(api.name('Read (the list filtered to the key) answered after 3 s with timeout 1'), 'ok, changed; read 2 times; value stored',
           '%s; read %d times; %s' % (outcome.text, count(zitadel, 'ListUserMetadata'),
                                      'value stored' if zitadel.metadata().get('team') == b'platform' else 'not stored'))


def test_retries_exhausted(zitadel, ansible, record, api):
    zitadel.fault('POST', api.user_list, 'status', count=10, status=503)
    outcome = ansible.run('user_metadata', api.args(dict(SET_TEAM, retries=2)))
    assert outcome.seconds < 60
    record(api.name('503 on every attempt of the read (retries 2)'), 'failed naming HTTP 503; 3 attempts; nothing written',
           '%s naming %s; %d attempts; %s' % (outcome.text, 'HTTP 503' if 'HTTP 503' in outcome.msg else outcome.msg,
                                              count(zitadel, 'ListUserMetadata'),
                                              'nothing written' if 'team' not in zitadel.metadata() else 'written'))


def test_timeout_on_every_attempt(zitadel, ansible, record, api):
    zitadel.fault('POST', api.user_list, 'delay', count=10, seconds=2)
    outcome = ansible.run('user_metadata', api.args(dict(SET_TEAM, retries=1, timeout=0.5)))
    assert outcome.seconds < 60
    named = 'the timeout' if 'timeout of 0.5 seconds' in outcome.msg else outcome.msg
    record(api.name('No answer to the read within timeout 0.5 on every attempt (retries 1)'), 'failed naming the timeout; 2 attempts',
           '%s naming %s; %d attempts' % (outcome.text, named, count(zitadel, 'ListUserMetadata')))


def test_lost_answer_of_a_set(zitadel, ansible, record, api):
    before = zitadel.sequence()
    zitadel.fault('POST', api.user_key('team'), 'drop_after')
    outcome = ansible.run('user_metadata', api.args(SET_TEAM))
    record(api.name('Answer of a set lost after it was written'), 'ok, changed; set sent 2 times; 1 event',
           '%s; set sent %d times; %d event' % (outcome.text, count(zitadel, api.set_rpc), zitadel.sequence() - before))


def test_lost_answer_of_a_removal(zitadel, ansible, record, api):
    zitadel.set_raw({'team': 'platform'})
    zitadel.fault('DELETE', api.user_key('team'), 'drop_after')
    outcome = ansible.run('user_metadata', api.args({'user_id': USER, 'key': 'team', 'state': 'absent'}))
    record(api.name('Answer of a removal lost after it was done'), 'ok, changed; removal sent 2 times; key gone',
           '%s; removal sent %d times; %s' % (outcome.text, count(zitadel, api.remove_rpc),
                                              'key gone' if 'team' not in zitadel.metadata() else 'key left'))


def test_lost_answer_of_a_bulk_removal(zitadel, ansible, record, api):
    zitadel.set_raw({'a': '1', 'b': '2', 'c': '3'})
    zitadel.fault('DELETE', api.user_remove_many, 'drop_after')
    outcome = ansible.run('user_metadata_bulk', api.args({'user_id': USER, 'metadata': ['a', 'b'], 'state': 'absent'}))
    record(api.name('Answer of a bulk removal lost after it was done'), 'ok, changed; bulk removal sent 2 times, then 1 list; c kept',
           '%s; bulk removal sent %d times, then %d list; %s' % (
               outcome.text, count(zitadel, api.remove_many_rpc), count(zitadel, 'ListUserMetadata') - 1,
               'c kept' if zitadel.metadata() == {'c': b'3'} else zitadel.metadata()))


def test_lost_answer_of_an_org_bulk_set(zitadel, ansible, record, api):
    zitadel.fault('POST', api.org_set_many, 'drop_after')
    outcome = ansible.run('org_metadata_bulk', api.args({'metadata': {'region': 'eu', 'tier': 'gold'}}))
    stored = zitadel.metadata(user=None)
    record(api.name('Answer of an org bulk set lost after it was written'), 'ok, changed; both keys stored',
           '%s; %s' % (outcome.text, 'both keys stored' if stored == {'region': b'eu', 'tier': b'gold'} else stored))


def test_projection_lag(zitadel, ansible, record, api):
    zitadel.control('POST', 'lag', {'reads': 1})
    args = api.args({'user_id': USER, 'metadata': {'a': '1', 'b': '2'}})
    first = ansible.run('user_metadata_bulk', args)
    before = zitadel.sequence()
    second = ansible.run('user_metadata_bulk', args)
    third = ansible.run('user_metadata_bulk', args)
    record(api.name('Projection lag: the read after a write sees the old state'),
           'first run ok, changed; the next run reads the old state and sets the same values again (no event); '
           'the run after ok, unchanged',
           'first run %s; the next run %s; the run after %s' % (
               first.text,
               'reads the old state and sets the same values again (no event)'
               if second.changed and count(zitadel, api.set_many_rpc) == 2 and zitadel.sequence() == before
               else second.text,
               third.text))


def test_projection_lag_during_a_lost_bulk_removal(zitadel, ansible, record, api):
    zitadel.set_raw({'a': '1', 'b': '2'})
    zitadel.control('POST', 'lag', {'reads': 3})
    zitadel.fault('DELETE', api.user_remove_many, 'drop_after')
    outcome = ansible.run('user_metadata_bulk', api.args({'user_id': USER, 'metadata': ['a', 'b'], 'state': 'absent'}))
    requests_sent = len(zitadel.requests())
    record(api.name('Lost bulk removal answer while lists lag behind'), 'ok, changed; keys gone; at most 7 requests',
           '%s; %s; %s' % (outcome.text, 'keys gone' if zitadel.metadata() == {} else 'keys left',
                           'at most 7 requests' if requests_sent <= 7 else '%d requests' % requests_sent))


def test_bulk_partial_failure_then_converges(zitadel, ansible, record, api):
    zitadel.set_raw({'old': 'x'})
    zitadel.fault('DELETE', api.user_key('old'), 'status', count=5, status=503)
    args = api.args({'user_id': USER, 'metadata': {'a': '1', 'b': '2'}, 'purge': True, 'retries': 0})
    failed = ansible.run('user_metadata_bulk', args)
    written = failed.result.get('written')
    zitadel.control('DELETE', 'faults')
    rerun = ansible.run('user_metadata_bulk', args)
    again = ansible.run('user_metadata_bulk', args)
    record(api.name('Bulk set written, then the removal fails (503, retries 0)'),
           'failed, reporting written set a, b; rerun ok, changed (removal only); then unchanged',
           '%s, reporting written %s; rerun %s (%s); then %s' % (
               failed.text, written if 'Already written before the failure: set a, b' in failed.msg else failed.msg,
               rerun.text, 'removal only' if rerun.result.get('removed') == ['old'] and not rerun.result.get('added') else rerun.result,
               'unchanged' if not again.changed else 'changed'))


def test_two_playbooks_on_one_user_at_once(zitadel, ansible, record, api):
    first = ansible.start('user_metadata_bulk', api.args({'user_id': USER, 'metadata': {'shared': 'same', 'one': '1'}}))
    second = ansible.start('user_metadata_bulk', api.args({'user_id': USER, 'metadata': {'shared': 'same', 'two': '2'}}))
    outcomes = [first(), second()]
    stored = zitadel.metadata()
    record(api.name('Two playbooks update one user at the same time'), 'both ok; all keys stored',
           '%s; %s' % ('both ok' if not any(o.failed for o in outcomes) else [o.msg for o in outcomes],
                       'all keys stored' if stored == {'shared': b'same', 'one': b'1', 'two': b'2'} else stored))


def test_401_renews_an_issued_token(zitadel, ansible, record, jwt_key, api):
    zitadel.fault('POST', api.user_list, 'status', status=401)
    outcome = ansible.run('user_metadata', api.args(dict(SET_TEAM, token=None, jwt_profile_file=str(jwt_key[0]))))
    record(api.name('401 on the read with an access token from the JWT profile'), 'ok, changed; 2 tokens requested',
           '%s; %d tokens requested' % (outcome.text, count(zitadel, 'Token')))
