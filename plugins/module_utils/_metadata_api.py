# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Metadata of one target (a user or an organisation) through the Management API v1.

Every target offers the same four operations (read, list, set, remove) with values as bytes,
so the reconcile logic never sees routes. A v2 implementation would offer the same interface.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

from ansible_collections.community.zitadel.plugins.module_utils._client import check_header_value
from ansible_collections.community.zitadel.plugins.module_utils._errors import ErrorContext, ZitadelApiError

PAGE_SIZE = 1000  # ZITADEL's maximum list limit
# The v1 single-key POST and DELETE routes cannot address these keys: `_bulk` and `_search` are
# shadowed by the bulk and list routes, and a `/` (even as %2F) adds a path segment.
RESERVED_KEYS = frozenset(('_bulk', '_search'))
KEY_MISSING_IDS = frozenset(('META-ncnw3', 'META-mcnw3', 'META-2nnds', 'META-2npds', 'QUERY-Rgh32', 'QUERY-Rph32'))


def single_key_addressable(key):
    return key not in RESERVED_KEYS and '/' not in key


def describe_keys(keys):
    keys = sorted(keys)
    shown = ', '.join(repr(k) for k in keys[:5])
    more = ' and %d more' % (len(keys) - 5) if len(keys) > 5 else ''
    return 'key %s' % shown if len(keys) == 1 else 'keys %s%s' % (shown, more)


class MetadataTarget:
    """Base for a metadata owner; subclasses set the route prefix, descriptions and permissions."""

    base_path = ''
    read_permission = write_permission = ''

    def __init__(self, client, org_id=None):
        check_header_value('org_id', org_id)
        self.client = client
        self.org_id = org_id

    @property
    def org_description(self):
        return 'organisation %s' % self.org_id if self.org_id else "the service account's own organisation"

    def get(self, key):
        """The value of one key as bytes, or None when it does not exist."""
        if not single_key_addressable(key):
            return self.list(keys=[key]).get(key)
        try:
            body = self._call('read %s' % describe_keys([key]), self.read_permission, 'GET', self._key_path(key))
        except ZitadelApiError as err:
            if err.status == 404 and err.error_id in KEY_MISSING_IDS:
                return None
            raise
        return _decode(body.get('metadata', {}).get('value'))

    def list(self, keys=None, prefix=None):
        """All entries as {key: bytes}, optionally only exact keys or a key prefix; paginated."""
        if keys is not None and len(keys) == 1:
            queries = [{'keyQuery': {'key': keys[0], 'method': 'TEXT_QUERY_METHOD_EQUALS'}}]
        elif prefix:
            queries = [{'keyQuery': {'key': prefix, 'method': 'TEXT_QUERY_METHOD_STARTS_WITH'}}]
        else:
            queries = []
        entries = {}
        offset = 0
        while True:
            body = self._call('list metadata', self.read_permission, 'POST', self.base_path + '/_search',
                              {'query': {'offset': str(offset), 'limit': PAGE_SIZE}, 'queries': queries})
            page = body.get('result') or []
            for item in page:
                entries[item['key']] = _decode(item.get('value'))
            offset += len(page)
            total = int((body.get('details') or {}).get('totalResult') or 0)
            if not page or offset >= total:
                break
        if keys is not None:
            wanted = set(keys)
            entries = {k: v for k, v in entries.items() if k in wanted}
        if prefix:  # STARTS_WITH may treat _ and % as wildcards on the server
            entries = {k: v for k, v in entries.items() if k.startswith(prefix)}
        return entries

    def set(self, entries):
        """Write {key: bytes}: the single-key route for one addressable key, else one bulk request."""
        action = 'set metadata %s' % describe_keys(entries)
        if len(entries) == 1 and single_key_addressable(next(iter(entries))):
            key, value = next(iter(entries.items()))
            self._call(action, self.write_permission, 'POST', self._key_path(key), {'value': _encode(value)})
        else:
            items = [{'key': k, 'value': _encode(v)} for k, v in entries.items()]
            self._call(action, self.write_permission, 'POST', self.base_path + '/_bulk', {'metadata': items})

    def remove(self, keys):
        """Remove keys; a key that is already gone counts as removed (a retried request may find it so).

        ZITADEL aborts a whole bulk removal when one key is missing. Then a fresh list names the keys
        left; as a list may lag behind writes, keys that fail again are removed one by one, where a
        404 is definite for that key.
        """
        keys = list(keys)
        if self._remove_unless_missing(keys) or len(keys) == 1:
            return
        existing = self.list()
        keys = [k for k in keys if k in existing]
        if keys and not self._remove_unless_missing(keys):
            for key in keys:
                self._remove_unless_missing([key])

    def _remove_unless_missing(self, keys):
        """Remove keys in one request; False when ZITADEL answers that one of them does not exist."""
        try:
            self._remove_once(keys)
        except ZitadelApiError as err:
            if err.status == 404 and err.error_id in KEY_MISSING_IDS:
                return False
            raise
        return True

    def _remove_once(self, keys):
        action = 'remove metadata %s' % describe_keys(keys)
        if len(keys) == 1 and single_key_addressable(keys[0]):
            return self._call(action, self.write_permission, 'DELETE', self._key_path(keys[0]))
        return self._call(action, self.write_permission, 'DELETE', self.base_path + '/_bulk', {'keys': keys})

    def _key_path(self, key):
        return '%s/%s' % (self.base_path, quote(key, safe=''))

    def _call(self, action, permission, method, path, body=None):
        try:
            return self.client.request(method, path, body=body, org_id=self.org_id)
        except ZitadelApiError as err:
            raise err.with_context(ErrorContext(action, self.description, permission, self.org_description)) from None


class UserMetadata(MetadataTarget):
    """Metadata of one user, resolved inside the context organisation (org_id)."""

    read_permission = 'user.read'
    write_permission = 'user.write'

    def __init__(self, client, user_id, org_id=None):
        super().__init__(client, org_id)
        self.user_id = user_id
        self.base_path = '/management/v1/users/%s/metadata' % quote(user_id, safe='')

    @property
    def description(self):
        return 'user %s in %s' % (self.user_id, self.org_description)

    def check_exists(self):
        """Fail as a write would when the user does not exist; metadata reads of a missing user look empty."""
        self._call('predict a change', self.read_permission, 'GET', '/management/v1/users/%s' % quote(self.user_id, safe=''))


class OrgMetadata(MetadataTarget):
    """Metadata of the context organisation (org_id, or the service account's own organisation)."""

    read_permission = 'org.read'
    write_permission = 'org.write'
    base_path = '/management/v1/metadata'

    @property
    def description(self):
        return self.org_description

    def check_exists(self):
        """The organisation was checked by ZITADEL's authorisation when its metadata was read."""


def _encode(value):
    return base64.b64encode(value).decode('ascii')


def _decode(value):
    """ZITADEL answers standard base64; accept URL-safe and unpadded forms too."""
    text = (value or '').strip()
    text += '=' * (-len(text) % 4)
    return base64.b64decode(text.replace('-', '+').replace('_', '/'))
