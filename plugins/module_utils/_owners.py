# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which owner a task's metadata belongs to (a user or an organisation), apart from which protocol reaches it.

An owner knows its ids, how messages name it and which permissions its metadata needs; the
protocol classes turn it into routes. Items of the `users` and `orgs` options are checked here,
before any request, with messages that name the item by position and name.
"""

from __future__ import annotations

from ansible_collections.community.zitadel.plugins.module_utils._client import check_header_value
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError

OWN_ORG = "the service account's own organisation"


def _org_description(org_id):
    return 'organisation %s' % org_id if org_id else OWN_ORG


class User:
    """A user, named by ID or by login name; its organisation is given, or comes from ZITADEL's answer."""

    kind = 'user'
    noun = 'user'
    read_permission = 'user.read'
    write_permission = 'user.write'

    def __init__(self, user_id=None, login_name=None, org_id=None):
        check_header_value('org_id', org_id)
        self.user_id = user_id
        self.login_name = login_name
        self.org_id = org_id
        self.org_given = bool(org_id)
        self.found = False  # shown by a search of ZITADEL's users
        # Without org_id, v1 acts in the service account's own organisation, while v2 reaches a user in any
        # organisation: the protocol says which (Protocol.own_org_default), and messages name only what is known.
        self.own_org_default = True

    @property
    def name(self):
        if self.login_name:
            return 'user %s (%s)' % (self.login_name, self.user_id) if self.user_id else 'user %s' % self.login_name
        return 'user %s' % self.user_id

    @property
    def org_description(self):
        """The user's organisation as messages name it; None when it is not known."""
        return _org_description(self.org_id) if self.org_id or self.own_org_default else None

    @property
    def description(self):
        org = self.org_description
        return '%s in %s' % (self.name, org) if org else self.name

    @property
    def check_hint(self):
        if self.org_description is None:
            return 'Check user_id.'
        return 'Check user_id, and set org_id to the organisation the user belongs to.'

    def resolve(self, user_id, org_id):
        """The ID and organisation ZITADEL found for the login name; a given org_id stays."""
        self.user_id = user_id
        self.found = True
        if not self.org_given:
            check_header_value('org_id', org_id)
            self.org_id = org_id

    def facts(self):
        facts = {'user_id': self.user_id, 'org_id': self.org_id}
        if self.login_name:
            facts['login_name'] = self.login_name
        return facts


class Organisation:
    """An organisation by ID, by name, or the service account's own one; a name or no ID is resolved by the protocol."""

    kind = 'org'
    noun = 'organisation'
    read_permission = 'org.read'
    write_permission = 'org.write'
    check_hint = 'Check org_id or org_name.'

    def __init__(self, org_id=None, org_name=None):
        check_header_value('org_id', org_id)
        self.org_id = org_id
        self.org_name = org_name
        self.own = not (org_id or org_name)
        self.found = False  # shown by a search of ZITADEL's organisations

    @property
    def name(self):
        if self.org_name:
            return 'organisation %s (%s)' % (self.org_name, self.org_id) if self.org_id else 'organisation %s' % self.org_name
        if self.own and self.org_id:
            return "the service account's own organisation (%s)" % self.org_id
        return _org_description(self.org_id)

    @property
    def org_description(self):
        return self.name

    description = org_description

    def resolve(self, org_id):
        """The ID ZITADEL found for the name, or for the service account's own organisation."""
        check_header_value('org_id', org_id)
        self.org_id = org_id
        self.found = True

    def facts(self):
        facts = {'org_id': self.org_id}
        if self.org_name:
            facts['org_name'] = self.org_name
        return facts


USER_FIELDS = ('user_id', 'login_name', 'org_id')
ORG_FIELDS = ('org_id', 'org_name')


def user(user_id=None, login_name=None, org_id=None):
    """A user given by exactly one of user_id and login_name."""
    if bool(user_id) == bool(login_name):
        raise ZitadelConfigError('give exactly one of user_id and login_name%s.'
                                 % (', not both' if user_id else ' (neither is set, or it is empty)'))
    return User(user_id=user_id, login_name=login_name, org_id=org_id)


def organisation(org_id=None, org_name=None):
    """An organisation given by at most one of org_id and org_name (neither: the service account's own)."""
    if org_id and org_name:
        raise ZitadelConfigError('give one of org_id and org_name, not both.')
    return Organisation(org_id=org_id or None, org_name=org_name or None)


def user_items(items, default_org_id=None, with_metadata=True):
    """[(User, metadata or None, item name)] from the items of the `users` option; duplicates and bad items fail here."""
    parsed = []
    seen = {}
    for index, item in enumerate(_items(items, 'users', USER_FIELDS + ('metadata',) * with_metadata)):
        where = _where('users', index, item, ('login_name', 'user_id'))
        for field in ('user_id', 'login_name', 'org_id'):
            if item.get(field) is not None and not isinstance(item[field], str):
                raise ZitadelConfigError('%s: %s must be a string, not %s; quote IDs in YAML.'
                                         % (where, field, type(item[field]).__name__))
        owner = named(where, user, item.get('user_id'), item.get('login_name'), item.get('org_id') or default_org_id)
        identity = ('user_id', owner.user_id) if owner.user_id else ('login_name', owner.login_name.lower())
        _claim(seen, identity, where)
        parsed.append((owner, item.get('metadata'), where))
    return parsed


def org_items(items, with_metadata=True):
    """[(Organisation, metadata or None, item name)] from the items of the `orgs` option."""
    parsed = []
    seen = {}
    for index, item in enumerate(_items(items, 'orgs', ORG_FIELDS + ('metadata',) * with_metadata)):
        where = _where('orgs', index, item, ('org_name', 'org_id'))
        given = [field for field in ORG_FIELDS if item.get(field) is not None]
        if len(given) != 1 or not isinstance(item[given[0]], str) or not item[given[0]]:
            raise ZitadelConfigError('%s: give exactly one of org_id and org_name, as a non-empty string; quote IDs in YAML.' % where)
        field = given[0]
        _claim(seen, (field, item[field] if field == 'org_id' else item[field].lower()), where)
        parsed.append((named(where, organisation, item.get('org_id'), item.get('org_name')), item.get('metadata'), where))
    return parsed


def check_distinct(owners, option):
    """Fail when two items turned out to be the same owner (a name and an ID, or two names)."""
    seen = {}
    for index, owner in enumerate(owners):
        _claim(seen, ('user_id', owner.user_id) if owner.kind == 'user' else ('org_id', owner.org_id), '%s[%d] (%s)' % (option, index, owner.name))


def named(where, factory, *args):
    """factory(*args), its errors prefixed with where the bad value is (an item, or the task)."""
    try:
        return factory(*args)
    except ZitadelConfigError as exc:
        raise ZitadelConfigError('%s: %s' % (where, exc)) from None


def _items(items, option, fields):
    if not isinstance(items, list):
        raise ZitadelConfigError('%s must be a list of dictionaries, not %s.' % (option, type(items).__name__))
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ZitadelConfigError('%s[%d] must be a dictionary with %s, not %s.'
                                     % (option, index, ', '.join(fields), type(item).__name__))
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise ZitadelConfigError('%s: unknown option(s) %s; an item takes %s.'
                                     % (_where(option, index, item, fields), ', '.join(unknown), ', '.join(fields)))
        yield item


def _where(option, index, item, name_fields):
    name = next((item[field] for field in name_fields if isinstance(item.get(field), str) and item[field]), None)
    return '%s[%d]%s' % (option, index, ' (%s)' % name if name else '')


def _claim(seen, identity, where):
    if identity in seen:
        raise ZitadelConfigError('%s and %s name the same %s; list each one once.'
                                 % (seen[identity], where, 'organisation' if identity[0] in ORG_FIELDS else 'user'))
    seen[identity] = where
