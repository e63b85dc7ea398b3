# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every metadata protocol offers, and the parts they share.

A protocol (today the Management API v1) reads and writes the metadata of any owner with values as
bytes, so the reconcile engine never sees routes. Target binds one owner to a protocol: it is what
a Plan applies itself to.
"""

from __future__ import annotations

import base64

from ansible_collections.community.zitadel.plugins.module_utils._errors import ErrorContext, PartialApplyError, ZitadelApiError, ZitadelError

PAGE_SIZE = 1000  # ZITADEL's default maximum list limit (MaxQueryLimit)
DEFAULT_QUERY_LIMIT = 100

# grpc-go's default message size limit between ZITADEL's REST gateway and its gRPC server. Requests
# are kept under it with room for the path, headers and field tags.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
REQUEST_BUDGET = MAX_MESSAGE_BYTES - 64 * 1024
ENTRY_OVERHEAD = 16  # field tags and length prefixes of one key/value item
KEY_MISSING_IDS = frozenset(('META-ncnw3', 'META-mcnw3', 'META-2nnds', 'META-2npds', 'QUERY-Rgh32', 'QUERY-Rph32'))
LIMIT_EXCEEDED = 'QUERY-4M0fs'


def describe_keys(keys):
    keys = sorted(keys)
    shown = ', '.join(repr(k) for k in keys[:5])
    more = ' and %d more' % (len(keys) - 5) if len(keys) > 5 else ''
    return 'key %s' % shown if len(keys) == 1 else 'keys %s%s' % (shown, more)


def chunk_by_size(items, size, budget=REQUEST_BUDGET, overhead=ENTRY_OVERHEAD):
    """Split items into consecutive lists whose summed size(item) + overhead stays within budget (an item never splits)."""
    chunks, current, used = [], [], 0
    for item in items:
        cost = size(item) + overhead
        if current and used + cost > budget:
            chunks.append(current)
            current, used = [], 0
        current.append(item)
        used += cost
    if current:
        chunks.append(current)
    return chunks


def key_size(key):
    return len(key.encode('utf-8'))


def encode_value(value):
    return base64.b64encode(value).decode('ascii')


def decode_value(value):
    """ZITADEL answers standard base64; accept URL-safe and unpadded forms too."""
    text = (value or '').strip()
    text += '=' * (-len(text) % 4)
    return base64.b64decode(text.replace('-', '+').replace('_', '/'))


def only(entries, keys=None, prefix=None):
    """The entries a list asked for: the server's filter may match more (STARTS_WITH may treat _ and % as wildcards)."""
    if keys is not None:
        wanted = set(keys)
        entries = {k: v for k, v in entries.items() if k in wanted}
    if prefix:
        entries = {k: v for k, v in entries.items() if k.startswith(prefix)}
    return entries


def chunks(items, size):
    return [items[start:start + size] for start in range(0, len(items), size)]


def by_org(owners):
    """[(org_id, [owners])] in the order of first appearance."""
    groups = {}
    for owner in owners:
        groups.setdefault(owner.org_id, []).append(owner)
    return list(groups.items())


def smaller_page(limit, default):
    """The page size to try after an answer too large for the message size limit."""
    return max(1, (limit or default) // 2)


class PartialWrite:
    """Collects the keys that earlier requests of one write wrote, so that a later failure says what is already done."""

    def __init__(self, verb):
        self.verb = verb
        self.keys = []

    def __enter__(self):
        return self.keys

    def __exit__(self, kind, error, trace):
        if isinstance(error, ZitadelError) and self.keys:
            raise PartialApplyError(error, '%s %s' % (self.verb, describe_keys(self.keys))) from None
        return False


class Target:
    """One owner's metadata through one protocol: list, set and remove, values as bytes."""

    def __init__(self, api, owner):
        self.api = api
        self.owner = owner

    def list(self, keys=None, prefix=None):
        return self.api.list(self.owner, keys=keys, prefix=prefix)

    def set(self, entries):
        self.api.set(self.owner, entries)

    def remove(self, keys):
        self.api.remove(self.owner, keys)


class Listing:
    """How one kind of list request pages: the request field of offset and limit, the answer's items and total.

    order: further fields of the paging message (ascending order keeps offsets stable while entries are added).
    filtered: ZITADEL drops the rows the credentials may not read after it read a page, and still counts them, so
    a page may come back short or empty before the end: the offset moves on by the limit, up to the total.
    """

    def __init__(self, paging, items, total, order=None, filtered=False):
        self.paging = paging
        self.items = items
        self.total = total
        self.order = order or {}
        self.filtered = filtered

    def body(self, body, offset, limit):
        return dict(body, **{self.paging: dict(self.order, offset=str(offset), limit=limit)})

    def read(self, answer):
        """(items, total) of one answer."""
        return answer.get(self.items) or [], int((answer.get(self.total[0]) or {}).get(self.total[1]) or 0)


class Protocol:
    """Base of the protocol classes: error context, paginated lists, and the removal that tolerates keys already gone.

    A protocol also answers which of some owners ZITADEL does not show to the credentials (missing), since
    a missing user or organisation may read like one without metadata.
    """

    # What to do when a route of this protocol does not exist on the server.
    missing_route_hint = ''
    # The field of a ListUsers result that holds the user's ID.
    user_id_field = 'id'
    # Whether a user given without org_id is looked for in the service account's own organisation only.
    own_org_default = True

    def __init__(self, client):
        self.client = client
        # The page size that works on this server; it shrinks, for every owner, when an answer exceeds the
        # message size limit or the server's maximum list limit is lower than ZITADEL's default.
        self.page_size = PAGE_SIZE

    def target(self, owner):
        return Target(self, owner)

    def remove(self, owner, keys):
        """Remove keys; a key that is already gone counts as removed (a retried request may find it so).

        ZITADEL aborts a whole removal when one key is missing. Then a fresh list names the keys
        left; as a list may lag behind writes, keys that fail again are removed one by one, where a
        404 is definite for that key.
        """
        keys = list(keys)
        if self._remove_unless_missing(owner, keys) or len(keys) == 1:
            return
        existing = self.list(owner)
        keys = [k for k in keys if k in existing]
        if keys and not self._remove_unless_missing(owner, keys):
            for key in keys:
                self._remove_unless_missing(owner, [key])

    def _remove_unless_missing(self, owner, keys):
        """Remove keys (in as few requests as the size limit allows); False when one of them does not exist."""
        try:
            self._remove(owner, keys)
        except (ZitadelApiError, PartialApplyError) as err:
            cause = err.cause if isinstance(err, PartialApplyError) else err  # a later chunk of a split removal
            if isinstance(cause, ZitadelApiError) and cause.status == 404 and cause.error_id in KEY_MISSING_IDS:
                return False
            raise
        return True

    def _call(self, owner, action, permission, method, path, body=None, org_id=None, params=None):
        try:
            return self.client.request(method, path, body=body, org_id=org_id, params=params)
        except ZitadelApiError as err:
            context = ErrorContext(action, owner.description, permission, owner.org_description, self.missing_route_hint)
            raise err.with_context(context) from None

    def _search(self, owner, action, permission, path, body, org_id, listing):
        """(every item, the total of the first answer) of a paginated search; shrinks the page when the server refuses its size.

        A limit of 0 is the server's own default, whatever an operator set its maximum to.
        """
        items, offset, first_total = [], 0, None
        while True:
            limit = self.page_size
            try:
                answer = self._call(owner, action, permission, 'POST', path, listing.body(body, offset, limit), org_id)
            except ZitadelApiError as err:
                if err.is_message_too_large and limit != 1:
                    self.page_size = smaller_page(limit, DEFAULT_QUERY_LIMIT)
                elif err.error_id == LIMIT_EXCEEDED and limit:
                    self.page_size = 0
                else:
                    raise
                continue
            page, total = listing.read(answer)
            first_total = total if first_total is None else first_total
            items.extend(page)
            if listing.filtered:
                if not limit:  # no limit: every row in one answer
                    return items, first_total
                offset += limit
            elif page:
                offset += len(page)
            else:
                return items, first_total
            if offset >= total:
                return items, first_total

    def list(self, owner, keys=None, prefix=None):
        raise NotImplementedError

    def _search_users(self, action, queries, org_id=None):
        """Every ListUsers result matching any of the queries."""
        raise NotImplementedError

    def find_users(self, users):
        """Give each user named by login name its ID and organisation; return the users not found.

        One ListUsers per organisation and 1000 login names, an OR of case-insensitive matches.
        """
        missing = []
        for org_id, group in by_org(users):
            for chunk in chunks(group, PAGE_SIZE):
                wanted = {user.login_name.lower(): user for user in chunk}
                queries = [{'loginNameQuery': {'loginName': name, 'method': 'TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE'}} for name in wanted]
                for found in self._search_users('find users by login name', queries, org_id):
                    names = {name.lower() for name in found.get('loginNames') or ()}
                    names.add((found.get('preferredLoginName') or '').lower())
                    for name in names & set(wanted):
                        wanted.pop(name).resolve(found[self.user_id_field], (found.get('details') or {}).get('resourceOwner'))
                missing.extend(wanted.values())
        return missing

    def find_orgs(self, orgs):
        """Give each organisation named by name, or the service account's own (no ID), its ID; return those not found."""
        raise NotImplementedError

    def missing(self, owners):
        """The owners ZITADEL does not show to the credentials: they do not exist, or may not be read."""
        raise NotImplementedError

    def _remove(self, owner, keys):
        raise NotImplementedError
