# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What only v2 has or needs: a removal whose keys would not fit in one URL, and a server without the v1 metadata
routes, whatever api_version says. Numbers come from the server's request log and state."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

from conftest import ORG, USER

QUERY_LIMIT = 4096  # what the collection keeps a removal's query string under, for proxies in front of ZITADEL


def seed_user_metadata(zitadel, entries, **settings):
    state = zitadel.state()
    state['settings'].update(settings)
    org = next(o for o in state['orgs'] if o['id'] == ORG)
    user = next(u for u in org['users'] if u['id'] == USER)
    user['metadata'] = {key: {'base64': base64.b64encode(value).decode()} for key, value in entries.items()}
    zitadel.seed(state)


def test_removal_too_long_for_one_url(zitadel, ansible, record):
    """40 keys of 198 characters, each 1165 once percent-encoded: the removal is split so that no URL outgrows a proxy."""
    keys = ['long-%02d-' % n + 'ä' * 190 for n in range(40)]
    seed_user_metadata(zitadel, dict.fromkeys(keys + ['kept'], b'v'))
    args = {'user_id': USER, 'metadata': keys, 'state': 'absent', 'api_version': 'v2'}
    outcome = ansible.run('user_metadata_bulk', args)
    removals = zitadel.requests('DeleteUserMetadata')
    longest = max(len('&'.join(urlencode({'keys': key}) for key in entry['keys'])) for entry in removals)
    removed = sorted(key for entry in removals for key in entry['keys'])
    left = zitadel.metadata()
    zitadel.clear_log()
    repeat = ansible.run('user_metadata_bulk', args)
    record('Removal of 40 keys of 198 non-ASCII characters over v2 (about 46 KiB of query string)',
           'ok, changed; each key removed once in 14 removals, every query string under 4 KiB; kept left alone; '
           'repeat ok, unchanged with 1 list',
           '%s; %s in %d removals, %s; %s; repeat %s with %s' % (
               outcome.text, 'each key removed once' if removed == sorted(keys) else 'removed %d keys' % len(removed),
               len(removals), 'every query string under 4 KiB' if longest < QUERY_LIMIT else 'one of %d characters' % longest,
               'kept left alone' if left == {'kept': b'v'} else 'left %s' % sorted(left),
               repeat.text, '1 list' if [e['rpc'] for e in zitadel.requests()] == ['ListUserMetadata'] else zitadel.requests()))


def test_server_without_v1_metadata(zitadel, ansible, record):
    """A ZITADEL that no longer serves the v1 metadata routes: api_version v1 fails saying what to set, auto costs nothing."""
    seed_user_metadata(zitadel, {}, v1_metadata=False)
    pinned = ansible.run('user_metadata', {'user_id': USER, 'key': 'team', 'value': 'platform', 'api_version': 'v1'})
    pinned_log = zitadel.requests()
    zitadel.clear_log()
    auto = ansible.run('user_metadata', {'user_id': USER, 'key': 'team', 'value': 'platform', 'api_version': 'auto'})
    auto_log = [(e['api'], e['rpc']) for e in zitadel.requests()]
    record('api_version v1 on a server without the v1 metadata routes, then auto',
           'v1 failed naming HTTP 404 and api_version, not changed; 1 request, nothing written; '
           'auto ok, changed with 1 v2 list and 1 v2 set',
           'v1 %s%s, %s; %d request, %s; auto %s with %s' % (
               pinned.text, ' naming HTTP 404 and api_version' if 'HTTP 404' in pinned.msg and 'api_version' in pinned.msg
               else ' "%s"' % pinned.msg, 'changed' if pinned.changed else 'not changed', len(pinned_log),
               'nothing written' if not any(e['rpc'] == 'SetUserMetadata' for e in pinned_log) else 'written',
               auto.text, '1 v2 list and 1 v2 set' if auto_log == [('v2', 'ListUserMetadata'), ('v2', 'SetUserMetadata')]
               else auto_log))
