# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Keys and sizes at ZITADEL's limits: the dot-segment keys, a server with a lower list maximum, and writes and
reads near the 4 MiB gRPC message limit. Numbers come from the server's request log and state."""

from __future__ import annotations

import base64

from conftest import ORG, USER, scratch_user

BIG = 500000  # bytes, ZITADEL's largest value


def counts(zitadel):
    return zitadel.control('GET', 'requests')['counts']


def test_dot_segment_keys(zitadel, ansible, record):
    """`.` and `..` cannot travel in a path (clients drop them, %2E is redirected): every write goes through the bulk routes."""
    user = {'user_id': USER}
    outcomes = [ansible.run('user_metadata', dict(user, key='.', value='dot')),
                ansible.run('user_metadata_bulk', dict(user, metadata={'.': 'dot', '..': 'dotdot'}))]
    stored = zitadel.metadata()
    outcomes += [ansible.run('user_metadata', dict(user, key='..', state='absent')),
                 ansible.run('user_metadata_bulk', dict(user, metadata=['.', '..'], state='absent'))]
    gone = zitadel.metadata()
    outcomes.append(ansible.run('user_metadata_bulk', dict(user, metadata=['.', '..'], state='absent')))
    seen = counts(zitadel)
    texts = [o.text for o in outcomes]
    single = sum(seen.get(rpc, 0) for rpc in ('SetUserMetadata', 'RemoveUserMetadata', 'GetUserMetadata', 'Redirect'))
    record('Keys . and .. set and removed (user_metadata, user_metadata_bulk; 5 tasks)',
           'ok, changed 4 times, then ok, unchanged; both stored, then both gone; 2 bulk sets, 2 bulk removals, '
           'no single-key route, no redirect',
           '%s; %s, then %s; %d bulk sets, %d bulk removals, %s' % (
               'ok, changed 4 times, then ok, unchanged' if texts == ['ok, changed'] * 4 + ['ok, unchanged'] else ', '.join(texts),
               'both stored' if stored == {'.': b'dot', '..': b'dotdot'} else 'stored %s' % stored,
               'both gone' if gone == {} else 'left %s' % gone,
               seen.get('BulkSetUserMetadata', 0), seen.get('BulkRemoveUserMetadata', 0),
               'no single-key route, no redirect' if not single else '%d single-key or redirected requests' % single))


def test_server_with_a_lower_list_maximum(zitadel, ansible, record):
    """A server whose max_query_limit is 100 refuses ZITADEL's default page of 1000 (QUERY-4M0fs); lists then use its own."""
    state = zitadel.state()
    state['settings']['max_query_limit'] = 100
    org = next(o for o in state['orgs'] if o['id'] == ORG)
    alice = next(u for u in org['users'] if u['id'] == USER)
    alice['metadata'] = {'k%03d' % n: {'base64': base64.b64encode(b'v%03d' % n).decode()} for n in range(250)}
    zitadel.seed(state)
    read = ansible.run('user_metadata_info', {'user_id': USER})
    lists = zitadel.requests('ListUserMetadata')
    zitadel.clear_log()
    purged = ansible.run('user_metadata_bulk', {'user_id': USER, 'metadata': {'k000': 'v000'}, 'purge': True})
    purge_log = zitadel.requests()
    read_keys = len(read.result.get('metadata') or {}) if not read.failed else 0
    record('Server maximum list limit 100 (the default page of 1000 is refused), 250 keys',
           'info ok, 250 keys; 1 list refused (400), then 3 pages; bulk with purge ok, changed, 249 keys removed '
           'in 1 request after the same 4 lists',
           'info %s, %d keys; %d list refused (%s), then %d pages; bulk with purge %s, %d keys removed in %d request '
           'after the same %d lists' % (
               'ok' if not read.failed else 'failed', read_keys, sum(1 for e in lists if e['status'] != 200),
               ', '.join(sorted({str(e['status']) for e in lists if e['status'] != 200})) or 'none',
               sum(1 for e in lists if e['status'] == 200), purged.text,
               250 - len(zitadel.metadata()) if zitadel.metadata() == {'k000': b'v000'} else -1,
               sum(1 for e in purge_log if e['rpc'] == 'BulkRemoveUserMetadata'),
               sum(1 for e in purge_log if e['rpc'] == 'ListUserMetadata')))


def test_nine_values_of_500000_bytes(zitadel, ansible, record):
    """4.5 MB of values: the bulk set is split under 4 MiB, and the read shrinks its page instead of repeating a size 429."""
    user = scratch_user(40)
    values = {'big%d' % n: chr(ord('a') + n) * BIG for n in range(9)}
    written = ansible.run('user_metadata_bulk', {'user_id': user, 'metadata': values, 'retries': 3})
    sets = zitadel.requests('BulkSetUserMetadata')
    zitadel.clear_log()
    read = ansible.run('user_metadata_info', {'user_id': user, 'retries': 3})
    lists = zitadel.requests('ListUserMetadata')
    too_large = [e for e in lists if e['status'] == 429]
    returned = {k: v.get('value') for k, v in (read.result.get('metadata') or {}).items()}
    held = zitadel.users()[user][0]
    # Pages of 1000, 500, 250, 125, 62, 31 and 15 would hold all 9 values (4.5 MB): 7 answers 429 for size. A page
    # of 7 fits, then one of the last 2: 9 lists. Retrying a size 429 (retries 3) would send each of the 7 again 3 times.
    record('Nine values of 500000 bytes (user_metadata_bulk, then user_metadata_info)',
           'ok, changed; 2 bulk sets (8 + 1 keys) answered 200, 9 stored; read ok, 9 values right; 7 lists answered 429 '
           '(size), none retried; 9 lists',
           '%s; %d bulk sets (%s keys) answered %s, %d stored; read %s, %s; %d lists answered 429 (size), %s; %d lists' % (
               written.text, len(sets), ' + '.join(str(len(e['keys'])) for e in sets),
               ', '.join(sorted({str(e['status']) for e in sets})),
               sum(1 for k, v in values.items() if held.get(k) == v.encode()),
               'ok' if not read.failed else 'failed', '9 values right' if returned == values else '%d values right'
               % sum(1 for k, v in values.items() if returned.get(k) == v),
               len(too_large), 'none retried' if len(lists) == len(too_large) + 2 else '%d other lists' % (len(lists) - len(too_large)),
               len(lists)))
