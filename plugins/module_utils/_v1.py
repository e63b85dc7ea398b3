# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metadata of users and organisations through ZITADEL's Management API v1, and finding users there."""

from __future__ import annotations

from urllib.parse import quote

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._owners import Organisation
from ansible_collections.community.zitadel.plugins.module_utils._protocol import (
    PAGE_SIZE,
    Listing,
    PartialWrite,
    Protocol,
    by_org,
    chunk_by_size,
    chunks,
    decode_value,
    describe_keys,
    encode_value,
    key_size,
    only,
)

LISTING = Listing('query', 'result', ('details', 'totalResult'))
USERS_PATH = '/management/v1/users/_search'
# The single-key POST and DELETE routes cannot address these keys: `_bulk` and `_search` are shadowed
# by the bulk and list routes, a `/` (even as %2F) adds a path segment, and `.` and `..` are dot
# segments that HTTP clients drop and ZITADEL's router redirects. They go through the bulk routes.
UNADDRESSABLE_KEYS = frozenset(('_bulk', '_search', '.', '..'))


def single_key_addressable(key):
    return key not in UNADDRESSABLE_KEYS and '/' not in key


class V1Metadata(Protocol):
    """Management API v1: user metadata under /management/v1/users/{id}/metadata, the context organisation's under
    /management/v1/metadata; x-zitadel-orgid names the organisation of the user, or the organisation itself."""

    missing_route_hint = 'This server lacks the Management API v1 metadata routes: set api_version to auto or v2.'

    def list(self, owner, keys=None, prefix=None):
        """All entries as {key: bytes}, optionally only exact keys or a key prefix; paginated."""
        if keys is not None and len(keys) == 1:
            queries = [{'keyQuery': {'key': keys[0], 'method': 'TEXT_QUERY_METHOD_EQUALS'}}]
        elif prefix:
            queries = [{'keyQuery': {'key': prefix, 'method': 'TEXT_QUERY_METHOD_STARTS_WITH'}}]
        else:
            queries = []
        items, _total = self._search(owner, 'list metadata', owner.read_permission, self._base_path(owner) + '/_search',
                                     {'queries': queries}, owner.org_id, LISTING)
        return only({item['key']: decode_value(item.get('value')) for item in items}, keys, prefix)

    def set(self, owner, entries):
        """Write {key: bytes}: the single-key route for one addressable key, else bulk requests within the size limit."""
        if len(entries) == 1 and single_key_addressable(next(iter(entries))):
            key, value = next(iter(entries.items()))
            self._call(owner, 'set metadata %s' % describe_keys([key]), owner.write_permission, 'POST',
                       self._key_path(owner, key), {'value': encode_value(value)}, owner.org_id)
            return
        with PartialWrite('set') as written:
            for chunk in chunk_by_size(list(entries.items()), lambda item: key_size(item[0]) + len(item[1])):
                self._call(owner, 'set metadata %s' % describe_keys(dict(chunk)), owner.write_permission, 'POST',
                           self._base_path(owner) + '/_bulk', {'metadata': [{'key': k, 'value': encode_value(v)} for k, v in chunk]},
                           owner.org_id)
                written.extend(key for key, _value in chunk)

    def _remove(self, owner, keys):
        if len(keys) == 1 and single_key_addressable(keys[0]):
            self._call(owner, 'remove metadata %s' % describe_keys(keys), owner.write_permission, 'DELETE',
                       self._key_path(owner, keys[0]), org_id=owner.org_id)
            return
        with PartialWrite('removed') as written:
            for chunk in chunk_by_size(keys, key_size):
                self._call(owner, 'remove metadata %s' % describe_keys(chunk), owner.write_permission, 'DELETE',
                           self._base_path(owner) + '/_bulk', {'keys': chunk}, owner.org_id)
                written.extend(chunk)

    def find_orgs(self, orgs):
        """Without an ID, v1 acts in the service account's own organisation; names need the v2 organisation search."""
        named = [org.org_name for org in orgs if org.org_name]
        if named:
            raise ZitadelConfigError('org_name %s: organisations are found by name through ZITADEL\'s v2 organisation search, '
                                     'which api_version v1 does not use. Set api_version to auto or v2, or give org_id.'
                                     % ', '.join(repr(name) for name in named))
        return []

    def missing(self, owners):
        """Users (named by ID) absent from their organisation: one ListUsers per organisation and 1000 IDs.

        Organisations are never missing here: v1 answers an error for one that does not exist or may not be read.
        """
        missing = []
        for org_id, group in by_org([owner for owner in owners if owner.kind == 'user']):
            for chunk in chunks(group, PAGE_SIZE):
                query = {'inUserIdsQuery': {'userIds': [user.user_id for user in chunk]}}
                found = {item['id'] for item in self._search_users('check that the users exist', [query], org_id)}
                missing.extend(user for user in chunk if user.user_id not in found)
        return missing

    def _search_users(self, action, queries, org_id=None):
        """ListUsers of the organisation the request acts in: org_id, else the service account's own."""
        body = {'queries': queries if len(queries) == 1 else [{'orQuery': {'queries': queries}}]}
        return self._search(Organisation(org_id), action, 'user.read', USERS_PATH, body, org_id, LISTING)[0]

    @staticmethod
    def _base_path(owner):
        if owner.kind == 'user':
            return '/management/v1/users/%s/metadata' % quote(owner.user_id, safe='')
        return '/management/v1/metadata'

    def _key_path(self, owner, key):
        return '%s/%s' % (self._base_path(owner), quote(key, safe=''))
