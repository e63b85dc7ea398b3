# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZITADEL's v2 APIs over REST: user v2 and org v2/v2beta metadata, v2 ListUsers, GetUserByID and ListOrganizations."""
from __future__ import annotations

from dataclasses import dataclass

from . import errors
from .api import (TEXT_QUERY_METHODS, USER_FIELD_NAMES, USERS_V2, Call, Operation, Query, QueryMember, Search, check_queries, check_runes,
                  convert_user_query, decode_query, embedded, list_query, matches, paginate, sort_users, unordered, user_matches)
from .auth import check_permission
from .errors import ApiError, invalid
from .store import ORG_IDS, USER_IDS, Aggregate, Entry, Org, Settings, Store, Target, User, now
from .wire import Message, encode_bytes, timestamp

TEXT_FILTER_METHODS = tuple(name.replace("_QUERY_", "_FILTER_") for name in TEXT_QUERY_METHODS)  # zitadel.filter.v2.TextFilterMethod
DEFAULT_QUERY_LIMIT = 100  # SystemDefaults.DefaultQueryLimit
MAX_VALUE_BYTES = 500000
NO_HISTORY = "0001-01-01T00:00:00Z"  # [INFERRED] the setDate of an unchanged set without any earlier metadata event: Go's zero time


def _details(agg: Aggregate) -> dict:
    """zitadel.object.v2.Details (field order: sequence, changeDate, resourceOwner, creationDate)."""
    return {"sequence": str(agg.sequence), "changeDate": timestamp(agg.changed), "resourceOwner": agg.owner, "creationDate": timestamp(agg.created)}


def _list_response(total: int, result: list) -> dict:
    """zitadel.object.v2.ListDetails and the result, zero values omitted."""
    details: dict = {"totalResult": str(total)} if total else {}
    details["timestamp"] = timestamp(now())
    return {"details": details, "result": result} if result else {"details": details}


def _user(user: User, org: Org) -> dict:
    """zitadel.user.v2.User; the optional profile fields are always set, so they appear even when empty."""
    login_names = org.login_names(user.username)
    body: dict = {"userId": user.id, "details": _details(user), "state": "USER_STATE_ACTIVE", "username": user.username,
                  "loginNames": login_names, "preferredLoginName": login_names[0]}
    if user.machine:
        body["machine"] = {"name": user.username}
    else:
        body["human"] = {"profile": {"nickName": "", "displayName": "", "preferredLanguage": "", "gender": "GENDER_UNSPECIFIED"}, "email": {}, "phone": {}}
    return body


def _org(org: Org) -> dict:
    """zitadel.org.v2.Organization."""
    body: dict = {"id": org.id, "details": _details(org), "state": "ORGANIZATION_STATE_ACTIVE"}
    if org.name:
        body["name"] = org.name
    if org.domain:
        body["primaryDomain"] = org.domain
    return body


class V2Operation(Operation):
    """One v2 call: the interceptor only wants a valid token; handlers check permissions on the target's org."""

    def __init__(self, rpc: str, params: dict[str, str], body: dict, settings: Settings):
        self.target_id = params.get("user_id", params.get("organization_id", ""))
        self.kind = "user" if "user_id" in params else "org"
        super().__init__(rpc, params, body, settings)

    def check_target_id(self) -> None:
        """PGV of the path parameter: 1 to 200 runes."""
        check_runes(f"{self.message}.{'UserId' if self.kind == 'user' else 'OrganizationId'}", self.target_id)


class _Metadata(V2Operation):
    """Base of the metadata RPCs of user v2 (path user_id) and org v2 or v2beta (path organization_id)."""

    beta = False  # org v2beta

    def write_target(self, store: Store, call: Call) -> Target:
        """The target after the handler's checks: a user exists (any org) and user.write there, or org.write on the org."""
        if self.kind == "user":
            user = store.users.get(self.target_id)
            if user is None:
                raise ApiError(errors.FAILED_PRECONDITION, errors.USER_NOT_FOUND, "COMMAND-uXHNj")
            if user.id != call.caller.id or self.settings.since("v4.7"):  # v4.0 to v4.2 let a user write its own metadata
                check_permission(call.caller, user.owner, "user.write")
            return Target("user", user.id, user.owner)
        if not self.beta or self.settings.since("v4.7"):  # v2beta before v4.6.3: only the interceptor's check in the context org
            check_permission(call.caller, self.target_id, "org.write")
        return Target("org", self.target_id, self.target_id)  # the store's COMMAND-QXPGs if there is no such org


class SetMetadata(_Metadata):
    """SetUserMetadata / SetOrganizationMetadata: one atomic push; an empty value deletes the key from v4.13 on."""

    def decode(self, body: Message) -> None:
        self.items = [(item.string("key"), item.binary("value")) for item in body.messages("metadata", "Metadata")]

    def validate(self) -> None:
        self.check_target_id()
        least = 1 if self.beta or not self.settings.since("v4.13") else 0
        for index, (key, value) in enumerate(self.items):
            try:
                check_runes("Metadata.Key", key)
                if not least <= len(value) <= MAX_VALUE_BYTES:
                    bounds = f"between 1 and {MAX_VALUE_BYTES} bytes, inclusive" if least else f"at most {MAX_VALUE_BYTES} bytes"
                    raise invalid(f"invalid Metadata.Value: value length must be {bounds}")
            except ApiError as error:
                raise embedded(f"{self.message}.Metadata[{index}]", error) from None

    def run(self, store: Store, call: Call) -> dict:
        if not self.items:
            raise ApiError(errors.FAILED_PRECONDITION, errors.METADATA_NO_DATA, "META-9mm2d")
        skip_equal = self.kind == "user" or self.settings.since("v4.13")  # org commands skip unchanged values from v4.13 on
        moment = store.set_metadata_v2(self.write_target(store, call), self.items, skip_equal)
        return {"setDate": timestamp(moment) if moment else NO_HISTORY}


class SetMetadataBeta(SetMetadata):
    """SetOrganizationMetadata of org v2beta: a value needs at least 1 byte on every release."""

    beta = True


class DeleteMetadata(_Metadata):
    """DeleteUserMetadata / DeleteOrganizationMetadata: keys from the query string; one missing key fails the whole request."""

    def decode(self, body: Message) -> None:
        self.keys = body.strings("keys")

    def validate(self) -> None:
        if self.kind == "org":  # DeleteUserMetadataRequest.user_id has no rule
            self.check_target_id()
        for index, key in enumerate(self.keys):
            check_runes(f"{self.message}.Keys[{index}]", key)

    def run(self, store: Store, call: Call) -> dict:
        if not self.keys:
            raise ApiError(errors.FAILED_PRECONDITION, errors.METADATA_NO_DATA, (USER_IDS if self.kind == "user" else ORG_IDS).bulk_remove_empty)
        moment = store.bulk_remove_metadata(self.write_target(store, call), self.keys)[1]
        return {"deletionDate": timestamp(moment)}


class DeleteMetadataBeta(DeleteMetadata):
    """DeleteOrganizationMetadata of org v2beta."""

    beta = True


@dataclass(frozen=True)
class KeyFilters:
    """The key filter field of a metadata list request (its JSON and proto name are the same)."""

    field: str
    message: str
    oneof: str
    member: str
    member_proto: str
    member_message: str
    methods: tuple[str, ...]


V2_FILTERS = KeyFilters("filters", "MetadataSearchFilter", "Filter", "keyFilter", "key_filter", "MetadataKeyFilter", TEXT_FILTER_METHODS)
BETA_FILTERS = KeyFilters("filter", "MetadataQuery", "Query", "keyQuery", "key_query", "MetadataKeyQuery", TEXT_QUERY_METHODS)


class ListMetadata(_Metadata):
    """ListUserMetadata / ListOrganizationMetadata: default limit 100; filters are ANDed; nothing unreadable is returned."""

    filters_field = V2_FILTERS

    def decode(self, body: Message) -> None:
        pagination = body.message("pagination", "PaginationRequest")
        self.offset, self.limit, self.asc = (0, 0, False) if pagination is None else (
            pagination.uint("offset"), pagination.uint("limit", 32), pagination.boolean("asc"))
        dialect = self.filters_field
        self.filters: list[tuple[str, int] | None] = []  # None: a filter without its oneof member
        for item in body.messages(dialect.field, dialect.message):
            key_filter = item.message(dialect.member, dialect.member_message, dialect.member_proto)
            self.filters.append(None if key_filter is None else (key_filter.string("key"), key_filter.enum("method", dialect.methods)))

    def validate(self) -> None:
        self.check_target_id()
        dialect = self.filters_field
        for index, key_filter in enumerate(self.filters):
            where = f"{self.message}.{dialect.field.capitalize()}[{index}]"
            if key_filter is None:
                raise embedded(where, invalid(f"invalid {dialect.message}.{dialect.oneof}: value is required"))
            key, method = key_filter
            if len(key) > 200:
                cause = invalid(f"invalid {dialect.member_message}.Key: value length must be at most 200 runes")
            elif not 0 <= method < len(dialect.methods):
                cause = invalid(f"invalid {dialect.member_message}.Method: value must be one of the defined enum values")
            else:
                continue
            raise embedded(where, embedded(f"{dialect.message}.{dialect.member[0].upper()}{dialect.member[1:]}", cause))

    def run(self, store: Store, call: Call) -> dict:
        maximum = self.settings.max_query_limit
        if maximum and self.limit > maximum:
            raise ApiError(errors.INVALID_ARGUMENT, errors.LIMIT_EXCEEDED, "QUERY-4M0fs")
        if self.kind == "user":
            entries, readable, total, applied = self._user_metadata(store, call)
        else:
            entries, readable, total, applied = self._org_metadata(store, call)
        pagination = {"totalResult": str(total)} if total else {}
        if applied:
            pagination["appliedLimit"] = str(applied)
        page = paginate(readable, self.offset, self.limit or DEFAULT_QUERY_LIMIT)
        items = [{"creationDate": timestamp(entries[key].created), "changeDate": timestamp(entries[key].changed), "key": key,
                  "value": encode_bytes(entries[key].value)} for key in page]
        return {"pagination": pagination, "metadata": items} if items else {"pagination": pagination}

    def _matching(self, entries: dict[str, Entry]) -> list[str]:
        return [key for key in entries if all(matches(key, *key_filter) for key_filter in self.filters)]

    def _user_metadata(self, store: Store, call: Call) -> tuple[dict[str, Entry], list[str], int, int]:
        """Creation date descending (asc flips it); the caller's own or with user.read on the user's org, else filtered after
        the query: totalResult still counts the hidden entries unless permission_check_v2; appliedLimit is the effective limit."""
        user = store.users.get(self.target_id)
        entries = store.list_metadata(Target("user", user.id, user.owner))[0] if user else {}
        found = sorted(self._matching(entries), key=lambda key: (entries[key].created, entries[key].sequence), reverse=not self.asc)
        if user is not None and (user.id == call.caller.id or call.caller.may(user.owner, "user.read")):
            return entries, found, len(found), self.limit or DEFAULT_QUERY_LIMIT
        return entries, [], 0 if self.settings.permission_check_v2 else len(found), self.limit or DEFAULT_QUERY_LIMIT

    def _org_metadata(self, store: Store, call: Call) -> tuple[dict[str, Entry], list[str], int, int]:
        """No defined order; org.read filters in the query, so an unreadable or unknown org has nothing and totalResult 0;
        appliedLimit echoes the requested limit (omitted without one)."""
        org = store.orgs.get(self.target_id)
        if org is None or not call.caller.may(org.id, "org.read"):
            return {}, [], 0, self.limit
        entries = store.list_metadata(Target("org", org.id, org.id))[0]
        found = sorted(self._matching(entries), key=unordered)
        return entries, found, len(found), self.limit


class ListMetadataBeta(ListMetadata):
    """ListOrganizationMetadata of org v2beta: `filter` with `keyQuery` and TEXT_QUERY_METHOD_*."""

    beta = True
    filters_field = BETA_FILTERS


class _Listing(V2Operation):
    """Base of the v2 searches: a ListQuery, a sorting column and ANDed SearchQuery members of one kind."""

    field_names: tuple[str, ...] = ()
    search: Search

    def decode(self, body: Message) -> None:
        self.offset, self.limit, self.asc = list_query(body)
        self.sorting = body.enum("sortingColumn", self.field_names, "sorting_column")
        self.queries = [decode_query(item, self.search) for item in body.messages("queries", "SearchQuery")]

    def validate(self) -> None:
        check_queries(self.message, self.queries, self.search)


class ListUsers(_Listing):
    """ListUsers (v2): users of every org, without those the caller may not read (user.read there; itself always); no
    default limit and no maximum; totalResult counts the visible users (and on v4.0 the hidden ones too)."""

    field_names = USER_FIELD_NAMES
    search = USERS_V2

    def run(self, store: Store, call: Call) -> dict:
        for query in self.queries:
            convert_user_query(query)
        found = [user for user in store.users.values() if all(user_matches(query, user, store.orgs[user.owner]) for query in self.queries)]
        visible = [user for user in found if user.id == call.caller.id or call.caller.may(user.owner, "user.read")]
        sort_users(visible, self.sorting, self.asc)
        counts_hidden = self.settings.release == "v4.0" and not self.settings.permission_check_v2  # fixed in v4.7.2
        result = [_user(user, store.orgs[user.owner]) for user in paginate(visible, self.offset, self.limit)]
        return _list_response(len(found if counts_hidden else visible), result)


class GetUserByID(V2Operation):
    """GetUserByID (v2): any org; user.read on the user's org unless it is the caller."""

    def validate(self) -> None:
        self.check_target_id()

    def run(self, store: Store, call: Call) -> dict:
        user = store.users.get(self.target_id)
        if user is None:
            raise ApiError(errors.NOT_FOUND, errors.USER_NOT_FOUND, "QUERY-Dfbg2")
        if user.id != call.caller.id:
            check_permission(call.caller, user.owner, "user.read")
        return {"details": _details(user), "user": _user(user, store.orgs[user.owner])}


ORGS = Search("zitadel.org.v2", {
    "nameQuery": QueryMember("name_query", "OrganizationNameQuery", ("name", "name", "Name")),
    "domainQuery": QueryMember("domain_query", "OrganizationDomainQuery", ("domain", "domain", "Domain")),
    "idQuery": QueryMember("id_query", "OrganizationIDQuery", ("id", "id", "Id"), method=False),
    "defaultQuery": QueryMember("default_query", "DefaultOrganizationQuery"),
}, 1)
ORG_FIELD_NAMES = ("ORGANIZATION_FIELD_NAME_UNSPECIFIED", "ORGANIZATION_FIELD_NAME_NAME")


def _org_matches(query: Query, org: Org, default_id: str) -> bool:
    if query.member == "nameQuery":
        return matches(org.name, query.text, query.method)
    if query.member == "domainQuery":
        return bool(org.domain) and matches(org.domain, query.text, query.method)
    if query.member == "idQuery":
        return org.id == query.text
    return org.id == default_id


class ListOrganizations(_Listing):
    """ListOrganizations (v2): orgs without org.read are left out, but totalResult counts them unless permission_check_v2;
    queries are ANDed; no default limit, no maximum; state order (by name with ORGANIZATION_FIELD_NAME_NAME)."""

    field_names = ORG_FIELD_NAMES
    search = ORGS

    def run(self, store: Store, call: Call) -> dict:
        default_id = next(iter(store.orgs), "")  # the instance's default org: the first of the state
        found = [org for org in store.orgs.values() if all(_org_matches(query, org, default_id) for query in self.queries)]
        visible = [org for org in found if call.caller.may(org.id, "org.read")]
        if self.sorting == ORG_FIELD_NAMES.index("ORGANIZATION_FIELD_NAME_NAME"):
            visible.sort(key=lambda org: org.name, reverse=not self.asc)
        result = [_org(org) for org in paginate(visible, self.offset, self.limit)]
        return _list_response(len(visible if self.settings.permission_check_v2 else found), result)
