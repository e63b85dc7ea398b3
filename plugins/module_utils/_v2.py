# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The metadata of users and organisations through ZITADEL's v2 services, and finding users and organisations there."""

from __future__ import annotations

import threading
from urllib.parse import quote, urlencode

from ansible_collections.community.zitadel.plugins.module_utils._errors import ROLES_GRANTING, ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._protocol import (
    PAGE_SIZE,
    Listing,
    PartialWrite,
    Protocol,
    chunk_by_size,
    chunks,
    decode_value,
    describe_keys,
    encode_value,
    key_size,
    only,
)

USER_METADATA = '/v2/users/%s/metadata'
ORG_METADATA = {'v2': '/v2/organizations/%s/metadata', 'v2beta': '/v2beta/organizations/%s/metadata'}
USERS_PATH = '/v2/users'
ORGS_PATH = '/v2/organizations/_search'
# v2 has no route for the service account's own organisation; v1's GetMyOrg names it.
MY_ORG_PATH = '/management/v1/orgs/me'
METADATA_LISTING = Listing('pagination', 'metadata', ('pagination', 'totalResult'), order={'asc': True})
SEARCH_LISTING = Listing('query', 'result', ('details', 'totalResult'), filtered=True)
# A removal carries its keys in the query string. ZITADEL itself accepts about 1 MiB, but proxies in front of
# it limit a request line to a few KiB (nginx: 8 KiB); a key of 200 characters takes up to 2400 when encoded.
QUERY_BUDGET = 4096


class _Scope:
    """What a search covers, as its errors name it."""

    def __init__(self, description, org_description):
        self.description = description
        self.org_description = org_description


INSTANCE = _Scope('the instance', 'the instance')


class V2Metadata(Protocol):
    """ZITADEL's v2 user and organisation services: every key travels in a body or a query string, and the target's
    organisation comes from the target itself, so no x-zitadel-orgid header is sent (a wrong one fails every call).

    org_api: 'v2' (ZITADEL v4.7 and later) or 'v2beta' (v4.0 to v4.6) for organisation metadata.
    """

    user_id_field = 'userId'
    own_org_default = False
    missing_route_hint = ('ZITADEL serves the v2 user metadata since v4.0 and the v2 organisation metadata since v4.7 '
                          '(v2beta since v4.0); for an older server set api_version to v1, or to auto.')

    def __init__(self, client, org_api='v2'):
        super().__init__(client)
        self.org_api = org_api
        self._my_org = None
        self._my_org_lock = threading.Lock()

    def list(self, owner, keys=None, prefix=None):
        """All entries as {key: bytes}, optionally only exact keys or a key prefix; paginated.

        A user's list leaves out the entries the credentials may not read, but still counts them: such a list
        fails instead of reading as empty.
        """
        key, method = (keys[0], 'EQUALS') if keys is not None and len(keys) == 1 else (prefix, 'STARTS_WITH')
        body = {}
        if key and owner.kind == 'org' and self.org_api == 'v2beta':
            body['filter'] = [{'keyQuery': {'key': key, 'method': 'TEXT_QUERY_METHOD_' + method}}]
        elif key:
            body['filters'] = [{'keyFilter': {'key': key, 'method': 'TEXT_FILTER_METHOD_' + method}}]
        items, total = self._search(owner, 'list metadata', owner.read_permission, self._path(owner) + '/search', body, None,
                                    METADATA_LISTING)
        if total and not items:
            raise ZitadelError('Could not list metadata on %s: ZITADEL counts %d %s but shows none, so the credentials lack '
                               'permission %s on it. Grant the service account a role that includes %s, for example %s.'
                               % (owner.description, total, 'entry' if total == 1 else 'entries', owner.read_permission, owner.read_permission,
                                  ROLES_GRANTING[owner.read_permission]))
        return only({item['key']: decode_value(item.get('value')) for item in items}, keys, prefix)

    def set(self, owner, entries):
        """Write {key: bytes} in as few requests as the message size limit allows."""
        path = self._path(owner)
        with PartialWrite('set') as written:
            for chunk in chunk_by_size(list(entries.items()), lambda item: key_size(item[0]) + len(item[1])):
                self._call(owner, 'set metadata %s' % describe_keys(dict(chunk)), owner.write_permission, 'POST', path,
                           {'metadata': [{'key': k, 'value': encode_value(v)} for k, v in chunk]})
                written.extend(key for key, _value in chunk)

    def _remove(self, owner, keys):
        path = self._path(owner)
        with PartialWrite('removed') as written:
            for chunk in chunk_by_size(keys, lambda key: len(urlencode({'keys': key})), budget=QUERY_BUDGET, overhead=1):
                self._call(owner, 'remove metadata %s' % describe_keys(chunk), owner.write_permission, 'DELETE', path,
                           params={'keys': chunk})
                written.extend(chunk)

    def find_orgs(self, orgs):
        """Give organisations named by name, and the service account's own one, their IDs; return those not found."""
        for org in orgs:
            if org.own:
                org.resolve(self._my_org_id(org))
        named = [org for org in orgs if org.org_name]
        if not named:
            return []
        wanted = {}
        for org in named:
            wanted.setdefault(org.org_name.lower(), []).append(org)
        query = {'nameQuery': {'name': named[0].org_name, 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}}
        for found in self._search_orgs('find organisations by name', [query] if len(wanted) == 1 else []):
            for org in wanted.pop((found.get('name') or '').lower(), ()):
                org.resolve(found['id'])
        return [org for group in wanted.values() for org in group]

    def missing(self, owners):
        """The owners that ZITADEL's v2 searches do not show: they do not exist, or the credentials may not read them."""
        users = [owner for owner in owners if owner.kind == 'user']
        orgs = [owner for owner in owners if owner.kind == 'org']
        missing = []
        for chunk in chunks(users, PAGE_SIZE):
            query = {'inUserIdsQuery': {'userIds': [user.user_id for user in chunk]}}
            shown = {item.get('userId') for item in self._search_users('check that the users exist', [query])}
            missing.extend(user for user in chunk if user.user_id not in shown)
        if orgs:
            query = [{'idQuery': {'id': orgs[0].org_id}}] if len(orgs) == 1 else []
            shown = {item.get('id') for item in self._search_orgs('check that the organisations exist', query)}
            missing.extend(org for org in orgs if org.org_id not in shown)
        return missing

    def _search_users(self, action, queries, org_id=None):
        """ListUsers over every organisation the credentials may read, narrowed to org_id when one is given."""
        query = queries[0] if len(queries) == 1 else {'orQuery': {'queries': queries}}
        body = {'queries': [query] + ([{'organizationIdQuery': {'organizationId': org_id}}] if org_id else [])}
        return self._search(INSTANCE, action, 'user.read', USERS_PATH, body, None, SEARCH_LISTING)[0]

    def _search_orgs(self, action, queries):
        """Organisations the credentials may read: those matching one query, or all of them (pages of 1000), as v2
        cannot OR organisation queries."""
        return self._search(INSTANCE, action, 'org.read', ORGS_PATH, {'queries': queries}, None, SEARCH_LISTING)[0]

    def _my_org_id(self, owner):
        with self._my_org_lock:
            if self._my_org is None:
                answer = self._call(owner, "find the service account's own organisation", 'org.read', 'GET', MY_ORG_PATH)
                self._my_org = (answer.get('org') or {}).get('id')
                if not self._my_org:
                    raise ZitadelError("ZITADEL did not name the service account's own organisation (GET %s); give org_id." % MY_ORG_PATH)
            return self._my_org

    def _path(self, owner):
        if owner.kind == 'user':
            return USER_METADATA % quote(owner.user_id, safe='')
        return ORG_METADATA[self.org_api] % quote(owner.org_id, safe='')
