# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults during one task over many users (`users` with `concurrency`): every target ends right, nothing is
written twice, pauses and token renewals are shared by the workers, a failing target does not stop the others.

Every number in a row is read from the server's request log or state, not from the module's result.
"""

from __future__ import annotations


import pytest

from conftest import BATCH, CLIENT_ID, CLIENT_SECRET, MISSING_USER, scratch_login_name

SHARED = {'tenant': 'acme'}


def items(users, by_login_name=()):
    """`users` items with a key of their own; users in by_login_name are named by login name."""
    return [dict({'login_name': scratch_login_name(user)} if user in by_login_name else {'user_id': user},
                 metadata={'team': 'team-' + user[-2:]}) for user in users]


def declared(user):
    return dict({k: v.encode() for k, v in SHARED.items()}, team=('team-' + user[-2:]).encode())


def wrong(zitadel, users):
    """The users whose metadata on the server is not what items() declares."""
    held = zitadel.users()
    return [user for user in users if held[user][0] != declared(user)]


def of_user(entries, api, user):
    base = api.user_base % user
    return [e for e in entries if e['path'] == base or e['path'].startswith(base + '/')]


def test_429_storm_pauses_every_worker(zitadel, ansible, record, api):
    """429 with Retry-After: 1 on four lists in two waves; each pause must hold back every worker, not only its own."""
    by_login_name = BATCH[::2]
    for user, count in ((BATCH[0], 1), (BATCH[1], 1), (BATCH[2], 1), (BATCH[9], 1)):
        zitadel.fault('POST', api.user_base % user + api.list_route, 'status', count=count, status=429, retry_after=1)
    outcome = ansible.run('user_metadata_bulk', api.args({'metadata': SHARED, 'users': items(BATCH, by_login_name), 'concurrency': 4}))
    log = zitadel.requests()
    refused = [e['time'] for e in log if e['status'] == 429]
    # The client receives a 429 a few ms after it arrived and then holds every request until 1 s after that;
    # requests already on their way may still arrive within the first 0.1 s.
    inside = [e for e in log for t in refused if t + 0.1 < e['time'] < t + 0.95]
    bad = wrong(zitadel, BATCH)
    record(api.name('429 with Retry-After: 1 on 4 of the lists of 12 users (concurrency 4, 6 by login name)'),
           'ok, changed; all 12 users right; 4 answered 429; no request within 1 s after a 429 (the pause is shared); '
           '29 requests; at most 4 in flight',
           '%s; %s; %d answered 429; %s; %d requests; %s' % (
               outcome.text, 'all 12 users right' if not bad else 'wrong: %s' % bad, len(refused),
               'no request within 1 s after a 429 (the pause is shared)' if not inside
               else '%d requests within 1 s after a 429' % len(inside),
               len(log), 'at most 4 in flight' if zitadel.in_flight() <= 4 else '%d in flight' % zitadel.in_flight()))


def events(before, after, users):
    """Events per user between two reads of zitadel.users(): {user: n}."""
    return {user: after[user][1] - before[user][1] for user in users}


def one_event_per_key(before, after, users):
    """Every user got one event per declared key: a write sent twice pushed no second event."""
    counted = events(before, after, users)
    extra = {user: n for user, n in counted.items() if n != len(declared(user))}
    return '1 event per key (no duplicate write)' if not extra else 'events %s' % extra


def test_server_errors_and_dropped_connections_in_a_batch(zitadel, ansible, record, api):
    """A burst of 5xx and two dropped connections (nothing processed) on different users' lists and writes."""
    users = BATCH[:8]
    lists, sets = api.list_route, api.set_many_route
    faults = [(users[0], lists, 'drop', {}), (users[1], sets, 'status', {'status': 500, 'count': 2}),
              (users[2], sets, 'status', {'status': 502}), (users[3], lists, 'status', {'status': 503}),
              (users[4], lists, 'status', {'status': 504}), (users[5], sets, 'drop', {})]
    for user, route, action, options in faults:
        zitadel.fault('POST', api.user_base % user + route, action, **options)
    before = zitadel.users()
    args = api.args({'metadata': SHARED, 'users': items(users), 'concurrency': 4})
    outcome = ansible.run('user_metadata_bulk', args)
    log = zitadel.requests()
    after = zitadel.users()
    zitadel.clear_log()
    rerun = ansible.run('user_metadata_bulk', args)
    writes = [e for e in zitadel.requests() if e['rpc'] != 'ListUserMetadata']
    bad = wrong(zitadel, users)
    record(api.name('500 twice, 502, 503, 504 and two dropped connections on the lists and bulk sets of 8 users (concurrency 4)'),
           'ok, changed; all 8 users right; 1 event per key (no duplicate write); 7 faulted requests, 23 in all; '
           'rerun ok, unchanged with no write',
           '%s; %s; %s; %d faulted requests, %d in all; rerun %s with %s' % (
               outcome.text, 'all 8 users right' if not bad else 'wrong: %s' % bad,
               one_event_per_key(before, after, users), sum(1 for e in log if e['fault']), len(log),
               rerun.text, 'no write' if not writes else '%d writes' % len(writes)))


@pytest.mark.parametrize('method', ['jwt_profile_file', 'client_credentials'])
def test_token_expiring_mid_batch_is_renewed_once(zitadel, ansible, record, jwt_key, api, method):
    """Every issued token expires while 4 workers are busy; those whose request got 401 share one renewal."""
    credentials = ({'jwt_profile_file': str(jwt_key[0])} if method == 'jwt_profile_file'
                   else {'client_id': CLIENT_ID, 'client_secret': CLIENT_SECRET})
    zitadel.fault('POST', api.user_base % BATCH[6] + api.list_route, 'expire_tokens')
    outcome = ansible.run('user_metadata_bulk', api.args(dict(credentials, token=None, metadata=SHARED, users=items(BATCH), concurrency=4)))
    log = zitadel.requests()
    rejected = [e for e in log if e['status'] == 401]
    statuses = {}
    for entry in log:
        statuses.setdefault((entry['method'], entry['path']), []).append(entry['status'])
    # each request answered 401 is sent once more and then succeeds: 12 lists, 12 bulk sets, 2 tokens, plus the 401s
    once_more = all(statuses[e['method'], e['path']] == [401, 200] for e in rejected)
    expected_total = 12 + 12 + 2 + len(rejected)
    bad = wrong(zitadel, BATCH)
    record(api.name('Access token (%s) expiring mid-batch, 12 users, concurrency 4' % method),
           'ok, changed; all 12 users right; 2 token requests (1 renewal); at least 1 answered 401, each sent once more',
           '%s; %s; %d token requests (%d renewal); %s' % (
               outcome.text, 'all 12 users right' if not bad else 'wrong: %s' % bad,
               sum(1 for e in log if e['rpc'] == 'Token'),
               sum(1 for e in log if e['rpc'] == 'Token') - 1,
               'at least 1 answered 401, each sent once more' if rejected and once_more and len(log) == expected_total
               else '%d answered 401, %d requests (expected %d)' % (len(rejected), len(log), expected_total)))


def test_missing_user_among_many(zitadel, ansible, record, api):
    """One user ID that does not exist among 8 items: the others are written, the task fails naming it."""
    users = BATCH[:3] + [MISSING_USER] + BATCH[3:7]
    outcome = ansible.run('user_metadata_bulk', api.args({'metadata': SHARED, 'users': items(users), 'concurrency': 4}))
    entries = outcome.result.get('users') or []
    per_item = [(e.get('user_id'), bool(e.get('failed'))) for e in entries]
    present = [user for user in users if user != MISSING_USER]
    bad = wrong(zitadel, present)
    named = MISSING_USER in outcome.msg and '1 of 8 users failed' in outcome.msg
    zitadel.clear_log()
    rerun = ansible.run('user_metadata_bulk', api.args({'metadata': SHARED, 'users': items(present), 'concurrency': 4}))
    writes = [e for e in zitadel.requests() if e['rpc'] != 'ListUserMetadata']
    record(api.name('A user ID that does not exist among 8 users (concurrency 4)'),
           'failed naming the missing user ("1 of 8 users failed"); the 7 others right; 8 results in order, only '
           'users[3] failed; rerun without it ok, unchanged with no write',
           '%s naming %s; %s; %s; rerun without it %s with %s' % (
               outcome.text, 'the missing user ("1 of 8 users failed")' if named else '"%s"' % outcome.msg[:200],
               'the 7 others right' if not bad else 'wrong: %s' % bad,
               '8 results in order, only users[3] failed' if per_item == [(u, u == MISSING_USER) for u in users]
               else 'results %s' % per_item,
               rerun.text, 'no write' if not writes else '%d writes' % len(writes)))


def test_lost_answer_of_a_bulk_set_in_a_batch(zitadel, ansible, record, api):
    """The answer of one user's bulk set is lost after it was written; the retry must not add an event."""
    users = BATCH[:8]
    lost = users[4]
    zitadel.fault('POST', api.user_base % lost + api.set_many_route, 'drop_after')
    before = zitadel.users()
    outcome = ansible.run('user_metadata_bulk', api.args({'metadata': SHARED, 'users': items(users), 'concurrency': 4}))
    log = zitadel.requests()
    after = zitadel.users()
    bad = wrong(zitadel, users)
    record(api.name('Answer of one bulk set lost after it was written, 8 users (concurrency 4)'),
           'ok, changed; all 8 users right; that bulk set sent 2 times; 1 event per key (values stored once)',
           '%s; %s; that bulk set sent %d times; %s' % (
               outcome.text, 'all 8 users right' if not bad else 'wrong: %s' % bad,
               sum(1 for e in of_user(log, api, lost) if e['rpc'] == api.set_many_rpc),
               one_event_per_key(before, after, users).replace('no duplicate write', 'values stored once')))
