# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Management API v1 operations: request decoding, PGV validation, handlers and response shapes; the search queries v2 shares."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from . import errors
from .errors import ApiError, invalid
from .store import Entry, Org, Settings, Store, Target, User, now
from .wire import Message, encode_bytes, timestamp

TEXT_QUERY_METHODS = (
    "TEXT_QUERY_METHOD_EQUALS",
    "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE",
    "TEXT_QUERY_METHOD_STARTS_WITH",
    "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE",
    "TEXT_QUERY_METHOD_CONTAINS",
    "TEXT_QUERY_METHOD_CONTAINS_IGNORE_CASE",
    "TEXT_QUERY_METHOD_ENDS_WITH",
    "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE",
)


def check_runes(where: str, value: str, maximum: int = 200) -> None:
    """PGV string min_len 1 and max_len."""
    if not 1 <= len(value) <= maximum:
        raise invalid(f"invalid {where}: value length must be between 1 and {maximum} runes, inclusive")


def _check_bytes(where: str, value: bytes) -> None:
    if not 1 <= len(value) <= 500000:
        raise invalid(f"invalid {where}: value length must be between 1 and 500000 bytes, inclusive")


def embedded(where: str, error: ApiError) -> ApiError:
    """PGV's error for an invalid nested message."""
    return invalid(f"invalid {where}: embedded message failed validation | caused by: {error.text}")


def _details(sequence: int, owner: str, **dates: datetime | None) -> dict:
    """ObjectDetails with zero values omitted (field order: sequence, creationDate, changeDate, resourceOwner)."""
    details: dict = {"sequence": str(sequence)} if sequence else {}
    details.update((name, timestamp(moment)) for name, moment in dates.items() if moment is not None)
    if owner:
        details["resourceOwner"] = owner
    return details


def _item(key: str, entry: Entry, owner: str, legacy: bool) -> dict:
    created = entry.changed if legacy else entry.created
    return {"details": _details(entry.sequence, owner, creationDate=created, changeDate=entry.changed), "key": key, "value": encode_bytes(entry.value)}


def matches(key: str, wanted: str, method: int) -> bool:
    """A text query: method is a TextQueryMethod (or TextFilterMethod, same numbers)."""
    if method % 2:
        key, wanted = key.lower(), wanted.lower()
    return (key == wanted, key.startswith(wanted), wanted in key, key.endswith(wanted))[method // 2]


def list_query(body: Message) -> tuple[int, int, bool]:
    """ListQuery: offset, limit and asc (zero values when absent)."""
    query = body.message("query", "ListQuery")
    if query is None:
        return 0, 0, False
    return query.uint("offset"), query.uint("limit", 32), query.boolean("asc")


def paginate(items: list, offset: int, limit: int) -> list:
    """One page; limit 0: all from the offset."""
    return items[offset:offset + limit] if limit else items[offset:]


def _list_details(total: int, processed: int) -> dict:
    """ListDetails with zero values omitted; totalResult ignores offset and limit."""
    details: dict = {"totalResult": str(total)} if total else {}
    if processed:
        details["processedSequence"] = str(processed)
    details["viewTimestamp"] = timestamp(now())
    return details


def _list_response(details: dict, result: list) -> dict:
    return {"details": details, "result": result} if result else {"details": details}


def unordered(key: str) -> bytes:
    """Sort key for list results: stable across pages but neither key nor insertion order."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class Call:
    """Who calls, and the context org (x-zitadel-orgid, else the caller's own)."""

    caller: User
    org: Org


class Operation:
    """One call: decoded by the gateway, validated (PGV) after auth, then run (v1: against the context org)."""

    def __init__(self, rpc: str, params: dict[str, str], body: dict, settings: Settings):
        self.settings = settings
        self.message = f"{rpc}Request"
        self.user_id = params.get("id")
        self.key = params.get("key", "")
        self.decode(Message(body, self.message))

    def decode(self, body: Message) -> None:
        """Read the body fields (gateway JSON decoding)."""

    def validate(self) -> None:
        """The protoc-gen-validate rules, in proto field order."""
        if self.user_id is not None:
            check_runes(f"{self.message}.Id", self.user_id)

    def target(self, org: Org) -> Target:
        """The user (looked up inside the context org) or the context org."""
        return Target("org", org.id, org.id) if self.user_id is None else Target("user", self.user_id, org.id)

    def run(self, store: Store, call: Call) -> dict:
        """Execute and return the response body."""
        raise NotImplementedError


class SetMetadata(Operation):
    """SetUserMetadata / SetOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.value = body.binary("value")

    def validate(self) -> None:
        super().validate()
        check_runes(f"{self.message}.Key", self.key)
        _check_bytes(f"{self.message}.Value", self.value)

    def run(self, store: Store, call: Call) -> dict:
        sequence, moment, owner = store.set_metadata(self.target(call.org), self.key, self.value)
        return {"details": _details(sequence, owner, creationDate=moment)}


class BulkSetMetadata(Operation):
    """BulkSetUserMetadata / BulkSetOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.items = [(item.string("key"), item.binary("value")) for item in body.messages("metadata", f"{self.message}_Metadata")]

    def validate(self) -> None:
        super().validate()
        for index, (key, value) in enumerate(self.items):
            try:
                check_runes(f"{self.message}_Metadata.Key", key)
                _check_bytes(f"{self.message}_Metadata.Value", value)
            except ApiError as error:
                raise embedded(f"{self.message}.Metadata[{index}]", error) from None

    def run(self, store: Store, call: Call) -> dict:
        sequence, moment, owner = store.bulk_set_metadata(self.target(call.org), self.items)
        return {"details": _details(sequence, owner, changeDate=moment)}


class ListMetadata(Operation):
    """ListUserMetadata / ListOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.offset, self.limit = list_query(body)[:2]  # asc: v1 metadata lists have no sort column
        self.queries: list[tuple[str, int] | None] = []
        for item in body.messages("queries", "MetadataQuery"):
            key_query = item.message("keyQuery", "MetadataKeyQuery", "key_query")
            self.queries.append(None if key_query is None else (key_query.string("key"), key_query.enum("method", TEXT_QUERY_METHODS)))

    def validate(self) -> None:
        super().validate()
        for index, query in enumerate(self.queries):
            where = f"{self.message}.Queries[{index}]"
            if query is None:
                raise embedded(where, invalid("invalid MetadataQuery.Query: value is required"))
            key, method = query
            if len(key) > 200:
                cause = invalid("invalid MetadataKeyQuery.Key: value length must be at most 200 runes")
            elif not 0 <= method < len(TEXT_QUERY_METHODS):
                cause = invalid("invalid MetadataKeyQuery.Method: value must be one of the defined enum values")
            else:
                continue
            raise embedded(where, embedded("MetadataQuery.KeyQuery", cause))

    def run(self, store: Store, call: Call) -> dict:
        limit, maximum = self.limit, store.settings.max_query_limit
        if not store.settings.legacy:
            if maximum and limit > maximum:
                raise ApiError(errors.INVALID_ARGUMENT, errors.LIMIT_EXCEEDED, "QUERY-4M0fs")
            limit = limit or maximum
        entries, processed = store.list_metadata(self.target(call.org))
        keys = sorted((key for key in entries if all(matches(key, wanted, method) for wanted, method in self.queries)), key=unordered)
        page = [_item(key, entries[key], call.org.id, store.settings.legacy) for key in paginate(keys, self.offset, limit)]
        return _list_response(_list_details(len(keys), processed), page)


class GetMetadata(Operation):
    """GetUserMetadata / GetOrgMetadata."""

    def validate(self) -> None:
        super().validate()
        check_runes(f"{self.message}.Key", self.key)

    def run(self, store: Store, call: Call) -> dict:
        entry, owner = store.get_metadata(self.target(call.org), self.key)
        return {"metadata": _item(self.key, entry, owner, store.settings.legacy)}


class RemoveMetadata(GetMetadata):
    """RemoveUserMetadata / RemoveOrgMetadata."""

    def run(self, store: Store, call: Call) -> dict:
        sequence, moment, owner = store.remove_metadata(self.target(call.org), self.key)
        return {"details": _details(sequence, owner, changeDate=moment)}


class BulkRemoveMetadata(Operation):
    """BulkRemoveUserMetadata / BulkRemoveOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.keys = body.strings("keys")

    def validate(self) -> None:
        super().validate()
        for index, key in enumerate(self.keys):
            check_runes(f"{self.message}.Keys[{index}]", key)

    def run(self, store: Store, call: Call) -> dict:
        sequence, moment, owner = store.bulk_remove_metadata(self.target(call.org), self.keys)
        return {"details": _details(sequence, owner, changeDate=moment)}


def _user(user: User, org: Org) -> dict:
    """zitadel.user.v1.User of a member of the org, as GetUserByID and ListUsers return it."""
    login_names = org.login_names(user.username)
    body: dict = {
        "id": user.id,
        "details": _details(user.sequence, user.owner, creationDate=user.created, changeDate=user.changed),
        "state": "USER_STATE_ACTIVE",
        "userName": user.username,
        "loginNames": login_names,
        "preferredLoginName": login_names[0],
    }
    body["machine" if user.machine else "human"] = {"name": user.username} if user.machine else {}
    return body


class GetUserByID(Operation):
    """GetUserByID: lets clients tell a missing user from a missing key."""

    def run(self, store: Store, call: Call) -> dict:
        user = store.user_in_org(self.user_id or "", call.org.id)
        if user is None:
            raise ApiError(errors.NOT_FOUND, errors.USER_NOT_FOUND, "QUERY-Dfbg2")
        return {"user": _user(user, call.org)}


class GetMyOrg(Operation):
    """GetMyOrg: the context organisation (x-zitadel-orgid, else the caller's own), which v2 clients need by ID."""

    def run(self, store: Store, call: Call) -> dict:
        org = call.org
        body: dict = {"id": org.id, "details": _details(org.sequence, org.id, creationDate=org.created, changeDate=org.changed),
                      "state": "ORG_STATE_ACTIVE", "name": org.name}
        if org.domain:
            body["primaryDomain"] = org.domain
        return {"org": body}


# zitadel.user.v1.UserFieldName; only USER_NAME changes the order, every other column sorts like the default (user id)
USER_FIELD_NAMES = (
    "USER_FIELD_NAME_UNSPECIFIED",
    "USER_FIELD_NAME_USER_NAME",
    "USER_FIELD_NAME_FIRST_NAME",
    "USER_FIELD_NAME_LAST_NAME",
    "USER_FIELD_NAME_NICK_NAME",
    "USER_FIELD_NAME_DISPLAY_NAME",
    "USER_FIELD_NAME_EMAIL",
    "USER_FIELD_NAME_STATE",
    "USER_FIELD_NAME_TYPE",
    "USER_FIELD_NAME_CREATION_DATE",
)


@dataclass(frozen=True)
class QueryMember:
    """A modelled member of a SearchQuery oneof."""

    proto_name: str
    message: str
    text: tuple[str, str, str] | None = None  # the text field's JSON, proto and Go name
    method: bool = True  # whether a text query has a TextQueryMethod


@dataclass(frozen=True)
class Search:
    """The SearchQuery of one list RPC: its proto package, the modelled oneof members (by JSON name; other members
    are unknown fields, so such a query counts as empty) and the shortest text a text query accepts."""

    package: str
    members: dict[str, QueryMember]
    min_text: int


_V1_MEMBERS = {
    "userNameQuery": QueryMember("user_name_query", "UserNameQuery", ("userName", "user_name", "UserName")),
    "loginNameQuery": QueryMember("login_name_query", "LoginNameQuery", ("loginName", "login_name", "LoginName")),
    "inUserIdsQuery": QueryMember("in_user_ids_query", "InUserIDQuery"),
    "orQuery": QueryMember("or_query", "OrQuery"),
    "andQuery": QueryMember("and_query", "AndQuery"),
    "notQuery": QueryMember("not_query", "NotQuery"),
}
USERS_V1 = Search("zitadel.user.v1", _V1_MEMBERS, 0)
USERS_V2 = Search("zitadel.user.v2", {
    **_V1_MEMBERS,
    "organizationIdQuery": QueryMember("organization_id_query", "OrganizationIdQuery", ("organizationId", "organization_id", "OrganizationId"), method=False),
}, 1)
MAX_NESTING = 20  # ZITADEL converts queries up to this level (top level 0) and rejects deeper ones
_TOO_DEEP = "tooDeep"  # stands for a query nested deeper, which is neither decoded nor validated further


@dataclass(frozen=True)
class Query:
    """One decoded SearchQuery; member is the JSON name of the oneof member set, None if none."""

    member: str | None
    text: str = ""
    method: int = 0
    ids: frozenset[str] = frozenset()
    queries: tuple[Query, ...] = ()


def decode_query(doc: Message, search: Search, level: int = 0) -> Query:
    """Decode one SearchQuery (and the queries nested in it)."""
    if level > MAX_NESTING:
        return Query(_TOO_DEEP)
    present = [(name, body) for name, member in search.members.items() if (body := doc.message(name, member.message, member.proto_name)) is not None]
    if len(present) > 1:
        raise invalid(f"proto: oneof {search.package}.SearchQuery.query is already set")
    if not present:
        return Query(None)
    name, body = present[0]
    member = search.members[name]
    if member.text:
        return Query(name, body.string(*member.text[:2]), body.enum("method", TEXT_QUERY_METHODS) if member.method else 0)
    if name == "inUserIdsQuery":
        return Query(name, ids=frozenset(body.strings("userIds", "user_ids")))
    if name == "notQuery":
        child = body.message("query", "SearchQuery")
        return Query(name, queries=() if child is None else (decode_query(child, search, level + 1),))
    if name in ("orQuery", "andQuery"):
        return Query(name, queries=tuple(decode_query(item, search, level + 1) for item in body.messages("queries", "SearchQuery")))
    return Query(name)


def query_error(query: Query, search: Search) -> ApiError | None:
    """PGV of one SearchQuery: the oneof is required, text within its bounds, methods defined."""
    if query.member is None:
        return invalid("invalid SearchQuery.Query: value is required")
    if query.member == _TOO_DEEP:
        return None
    member = search.members[query.member]
    cause = _text_query_error(member, query, search.min_text) if member.text else _nested_query_error(member.message, query, search)
    return None if cause is None else embedded(f"SearchQuery.{query.member[0].upper()}{query.member[1:]}", cause)


def _text_query_error(member: QueryMember, query: Query, min_text: int) -> ApiError | None:
    if not min_text <= len(query.text) <= 200:
        bounds = f"between {min_text} and 200 runes, inclusive" if min_text else "at most 200 runes"
        return invalid(f"invalid {member.message}.{member.text[2]}: value length must be {bounds}")
    if member.method and not 0 <= query.method < len(TEXT_QUERY_METHODS):
        return invalid(f"invalid {member.message}.Method: value must be one of the defined enum values")
    return None


def check_queries(message: str, queries: list[Query], search: Search) -> None:
    """PGV of a list request's queries."""
    for index, query in enumerate(queries):
        error = query_error(query, search)
        if error is not None:
            raise embedded(f"{message}.Queries[{index}]", error)


def _nested_query_error(message: str, query: Query, search: Search) -> ApiError | None:
    for index, child in enumerate(query.queries):
        error = query_error(child, search)
        if error is not None:
            return embedded("NotQuery.Query" if message == "NotQuery" else f"{message}.Queries[{index}]", error)
    return None


def convert_user_query(query: Query) -> None:
    """The handler's checks after PGV, depth first like ZITADEL's conversion to a database query."""
    if query.member == _TOO_DEEP:
        raise ApiError(errors.INVALID_ARGUMENT, "Too many query nesting levels (Max 20)", "USER-zsQ97")
    if query.member == "notQuery" and not query.queries:
        raise ApiError(errors.INVALID_ARGUMENT, "List.Query.Invalid", "GRPC-vR9nC")  # [INFERRED] a notQuery without its query
    for child in query.queries:
        convert_user_query(child)


def user_matches(query: Query, user: User, org: Org) -> bool:
    """Whether a user of that org fits the query."""
    member = query.member
    if member == "userNameQuery":
        return matches(user.username, query.text, query.method)
    if member == "loginNameQuery":
        return any(matches(name, query.text, query.method) for name in org.login_names(user.username))
    if member == "organizationIdQuery":
        return user.owner == query.text
    if member == "inUserIdsQuery":
        return user.id in query.ids
    if member == "notQuery":
        return not user_matches(query.queries[0], user, org)
    return (any if member == "orQuery" else all)(user_matches(child, user, org) for child in query.queries)


def _by_id(user: User) -> tuple[bool, int, str]:
    """Ids are decimal strings, compared as numbers; an id of another form (hand-written states) ranks above them all."""
    numeric = user.id.isascii() and user.id.isdigit()
    return not numeric, int(user.id) if numeric else 0, user.id


def sort_users(users: list[User], sorting: int, asc: bool) -> None:
    """ListUsers order: user id descending, by user name with USER_FIELD_NAME_USER_NAME; asc flips it."""
    by_user_name = sorting == USER_FIELD_NAMES.index("USER_FIELD_NAME_USER_NAME")
    users.sort(key=(lambda user: user.username) if by_user_name else _by_id, reverse=not asc)


class ListUsers(Operation):
    """ListUsers (v1): the context org's users; top-level queries are ANDed; no default limit and no maximum."""

    def decode(self, body: Message) -> None:
        self.offset, self.limit, self.asc = list_query(body)
        self.sorting = body.enum("sortingColumn", USER_FIELD_NAMES, "sorting_column")
        self.queries = [decode_query(item, USERS_V1) for item in body.messages("queries", "SearchQuery")]

    def validate(self) -> None:
        super().validate()
        check_queries(self.message, self.queries, USERS_V1)

    def run(self, store: Store, call: Call) -> dict:
        org = call.org
        for query in self.queries:
            convert_user_query(query)
        members = [user for user in store.users.values() if user.owner == org.id]
        found = [user for user in members if all(user_matches(query, user, org) for query in self.queries)]
        sort_users(found, self.sorting, self.asc)
        processed = max((user.sequence for user in members), default=0)
        return _list_response(_list_details(len(found), processed), [_user(user, org) for user in paginate(found, self.offset, self.limit)])


def _list_field(body: dict, name: str) -> list:
    value = body.get(name)
    return value if isinstance(value, list) else []


def named_keys(params: dict[str, str], body: object) -> list[str]:
    """Metadata keys a request names (path key, set and delete keys, key filters), for the request log; never values."""
    keys = [params["key"]] if "key" in params else []
    if isinstance(body, dict):
        candidates = [item.get("key") for item in _list_field(body, "metadata") if isinstance(item, dict)]
        for name in ("queries", "filters", "filter"):
            for query in _list_field(body, name):
                for member in ("keyQuery", "key_query", "keyFilter", "key_filter"):
                    key_filter = query.get(member) if isinstance(query, dict) else None
                    candidates.append(key_filter.get("key") if isinstance(key_filter, dict) else None)
        candidates.extend(_list_field(body, "keys"))
        keys.extend(key for key in candidates if isinstance(key, str))
    return keys
