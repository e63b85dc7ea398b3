# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Management API v1 operations: request decoding, PGV validation, handlers and response shapes."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from . import errors
from .errors import ApiError, invalid
from .store import Entry, Org, Store, Target, User, now
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


def _check_runes(where: str, value: str, maximum: int = 200) -> None:
    if not 1 <= len(value) <= maximum:
        raise invalid(f"invalid {where}: value length must be between 1 and {maximum} runes, inclusive")


def _check_bytes(where: str, value: bytes) -> None:
    if not 1 <= len(value) <= 500000:
        raise invalid(f"invalid {where}: value length must be between 1 and 500000 bytes, inclusive")


def _embedded(where: str, error: ApiError) -> ApiError:
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


def _matches(key: str, wanted: str, method: int) -> bool:
    if method % 2:
        key, wanted = key.lower(), wanted.lower()
    return (key == wanted, key.startswith(wanted), wanted in key, key.endswith(wanted))[method // 2]


def _list_query(body: Message) -> tuple[int, int, bool]:
    """ListQuery: offset, limit and asc (zero values when absent)."""
    query = body.message("query", "ListQuery")
    if query is None:
        return 0, 0, False
    return query.uint("offset"), query.uint("limit", 32), query.boolean("asc")


def _page(items: list, offset: int, limit: int) -> list:
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


def _unordered(key: str) -> bytes:
    """Sort key for list results: stable across pages but neither key nor insertion order."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class Operation:
    """One v1 call: decoded by the gateway, validated (PGV) after auth, then run against the context org."""

    def __init__(self, rpc: str, params: dict[str, str], body: dict):
        self.message = f"{rpc}Request"
        self.user_id = params.get("id")
        self.key = params.get("key", "")
        self.decode(Message(body, self.message))

    def decode(self, body: Message) -> None:
        """Read the body fields (gateway JSON decoding)."""

    def validate(self) -> None:
        """The protoc-gen-validate rules, in proto field order."""
        if self.user_id is not None:
            _check_runes(f"{self.message}.Id", self.user_id)

    def target(self, org: Org) -> Target:
        """The user (looked up inside the context org) or the context org."""
        return Target("org", org.id, org.id) if self.user_id is None else Target("user", self.user_id, org.id)

    def run(self, store: Store, org: Org) -> dict:
        """Execute and return the response body."""
        raise NotImplementedError


class SetMetadata(Operation):
    """SetUserMetadata / SetOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.value = body.binary("value")

    def validate(self) -> None:
        super().validate()
        _check_runes(f"{self.message}.Key", self.key)
        _check_bytes(f"{self.message}.Value", self.value)

    def run(self, store: Store, org: Org) -> dict:
        sequence, moment, owner = store.set_metadata(self.target(org), self.key, self.value)
        return {"details": _details(sequence, owner, creationDate=moment)}


class BulkSetMetadata(Operation):
    """BulkSetUserMetadata / BulkSetOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.items = [(item.string("key"), item.binary("value")) for item in body.messages("metadata", f"{self.message}_Metadata")]

    def validate(self) -> None:
        super().validate()
        for index, (key, value) in enumerate(self.items):
            try:
                _check_runes(f"{self.message}_Metadata.Key", key)
                _check_bytes(f"{self.message}_Metadata.Value", value)
            except ApiError as error:
                raise _embedded(f"{self.message}.Metadata[{index}]", error) from None

    def run(self, store: Store, org: Org) -> dict:
        sequence, moment, owner = store.bulk_set_metadata(self.target(org), self.items)
        return {"details": _details(sequence, owner, changeDate=moment)}


class ListMetadata(Operation):
    """ListUserMetadata / ListOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.offset, self.limit = _list_query(body)[:2]  # asc: v1 metadata lists have no sort column
        self.queries: list[tuple[str, int] | None] = []
        for item in body.messages("queries", "MetadataQuery"):
            key_query = item.message("keyQuery", "MetadataKeyQuery", "key_query")
            self.queries.append(None if key_query is None else (key_query.string("key"), key_query.enum("method", TEXT_QUERY_METHODS)))

    def validate(self) -> None:
        super().validate()
        for index, query in enumerate(self.queries):
            where = f"{self.message}.Queries[{index}]"
            if query is None:
                raise _embedded(where, invalid("invalid MetadataQuery.Query: value is required"))
            key, method = query
            if len(key) > 200:
                cause = invalid("invalid MetadataKeyQuery.Key: value length must be at most 200 runes")
            elif not 0 <= method < len(TEXT_QUERY_METHODS):
                cause = invalid("invalid MetadataKeyQuery.Method: value must be one of the defined enum values")
            else:
                continue
            raise _embedded(where, _embedded("MetadataQuery.KeyQuery", cause))

    def run(self, store: Store, org: Org) -> dict:
        limit, maximum = self.limit, store.settings.max_query_limit
        if not store.settings.legacy:
            if maximum and limit > maximum:
                raise ApiError(errors.INVALID_ARGUMENT, errors.LIMIT_EXCEEDED, "QUERY-4M0fs")
            limit = limit or maximum
        entries, processed = store.list_metadata(self.target(org))
        keys = sorted((key for key in entries if all(_matches(key, wanted, method) for wanted, method in self.queries)), key=_unordered)
        page = [_item(key, entries[key], org.id, store.settings.legacy) for key in _page(keys, self.offset, limit)]
        return _list_response(_list_details(len(keys), processed), page)


class GetMetadata(Operation):
    """GetUserMetadata / GetOrgMetadata."""

    def validate(self) -> None:
        super().validate()
        _check_runes(f"{self.message}.Key", self.key)

    def run(self, store: Store, org: Org) -> dict:
        entry, owner = store.get_metadata(self.target(org), self.key)
        return {"metadata": _item(self.key, entry, owner, store.settings.legacy)}


class RemoveMetadata(GetMetadata):
    """RemoveUserMetadata / RemoveOrgMetadata."""

    def run(self, store: Store, org: Org) -> dict:
        sequence, moment, owner = store.remove_metadata(self.target(org), self.key)
        return {"details": _details(sequence, owner, changeDate=moment)}


class BulkRemoveMetadata(Operation):
    """BulkRemoveUserMetadata / BulkRemoveOrgMetadata."""

    def decode(self, body: Message) -> None:
        self.keys = body.strings("keys")

    def validate(self) -> None:
        super().validate()
        for index, key in enumerate(self.keys):
            _check_runes(f"{self.message}.Keys[{index}]", key)

    def run(self, store: Store, org: Org) -> dict:
        sequence, moment, owner = store.bulk_remove_metadata(self.target(org), self.keys)
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

    def run(self, store: Store, org: Org) -> dict:
        user = store.user_in_org(self.user_id or "", org.id)
        if user is None:
            raise ApiError(errors.NOT_FOUND, errors.USER_NOT_FOUND, "QUERY-Dfbg2")
        return {"user": _user(user, org)}


class GetMyOrg(Operation):
    """GetMyOrg: the context organisation (x-zitadel-orgid, else the caller's own), which v2 clients need by ID."""

    def run(self, store: Store, org: Org) -> dict:
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
# the modelled members of the SearchQuery oneof: JSON name -> (proto name, message name, text field JSON / proto / Go name)
_USER_QUERIES = {
    "userNameQuery": ("user_name_query", "UserNameQuery", ("userName", "user_name", "UserName")),
    "loginNameQuery": ("login_name_query", "LoginNameQuery", ("loginName", "login_name", "LoginName")),
    "inUserIdsQuery": ("in_user_ids_query", "InUserIDQuery", None),
    "orQuery": ("or_query", "OrQuery", None),
    "andQuery": ("and_query", "AndQuery", None),
    "notQuery": ("not_query", "NotQuery", None),
}
MAX_NESTING = 20  # ZITADEL converts queries up to this level (top level 0) and rejects deeper ones
_TOO_DEEP = "tooDeep"  # stands for a query nested deeper, which is neither decoded nor validated further


@dataclass(frozen=True)
class UserQuery:
    """One decoded zitadel.user.v1.SearchQuery; member is the JSON name of the oneof member set, None if none."""

    member: str | None
    text: str = ""
    method: int = 0
    ids: frozenset[str] = frozenset()
    queries: tuple[UserQuery, ...] = ()


def _decode_user_query(doc: Message, level: int) -> UserQuery:
    if level > MAX_NESTING:
        return UserQuery(_TOO_DEEP)
    present = [(member, body) for member, (proto_name, message, _fields) in _USER_QUERIES.items()
               if (body := doc.message(member, message, proto_name)) is not None]
    if len(present) > 1:
        raise invalid("proto: oneof zitadel.user.v1.SearchQuery.query is already set")
    if not present:
        return UserQuery(None)
    member, body = present[0]
    text_field = _USER_QUERIES[member][2]
    if text_field:
        return UserQuery(member, body.string(*text_field[:2]), body.enum("method", TEXT_QUERY_METHODS))
    if member == "inUserIdsQuery":
        return UserQuery(member, ids=frozenset(body.strings("userIds", "user_ids")))
    if member == "notQuery":
        child = body.message("query", "SearchQuery")
        return UserQuery(member, queries=() if child is None else (_decode_user_query(child, level + 1),))
    return UserQuery(member, queries=tuple(_decode_user_query(item, level + 1) for item in body.messages("queries", "SearchQuery")))


def _user_query_error(query: UserQuery) -> ApiError | None:
    """PGV of one SearchQuery: the oneof is required, text at most 200 runes (empty allowed), methods defined."""
    if query.member is None:
        return invalid("invalid SearchQuery.Query: value is required")
    if query.member == _TOO_DEEP:
        return None
    message, text_field = _USER_QUERIES[query.member][1:]
    cause = _text_query_error(message, text_field[2], query) if text_field else _nested_query_error(message, query)
    return None if cause is None else _embedded(f"SearchQuery.{query.member[0].upper()}{query.member[1:]}", cause)


def _text_query_error(message: str, field: str, query: UserQuery) -> ApiError | None:
    if len(query.text) > 200:
        return invalid(f"invalid {message}.{field}: value length must be at most 200 runes")
    if not 0 <= query.method < len(TEXT_QUERY_METHODS):
        return invalid(f"invalid {message}.Method: value must be one of the defined enum values")
    return None


def _nested_query_error(message: str, query: UserQuery) -> ApiError | None:
    for index, child in enumerate(query.queries):
        error = _user_query_error(child)
        if error is not None:
            return _embedded("NotQuery.Query" if message == "NotQuery" else f"{message}.Queries[{index}]", error)
    return None


def _convert_user_query(query: UserQuery) -> None:
    """The handler's checks after PGV, depth first like ZITADEL's conversion to a database query."""
    if query.member == _TOO_DEEP:
        raise ApiError(errors.INVALID_ARGUMENT, "Too many query nesting levels (Max 20)", "USER-zsQ97")
    if query.member == "notQuery" and not query.queries:
        raise ApiError(errors.INVALID_ARGUMENT, "List.Query.Invalid", "GRPC-vR9nC")  # [INFERRED] a notQuery without its query
    for child in query.queries:
        _convert_user_query(child)


def _user_matches(query: UserQuery, user: User, org: Org) -> bool:
    member = query.member
    if member == "userNameQuery":
        return _matches(user.username, query.text, query.method)
    if member == "loginNameQuery":
        return any(_matches(name, query.text, query.method) for name in org.login_names(user.username))
    if member == "inUserIdsQuery":
        return user.id in query.ids
    if member == "notQuery":
        return not _user_matches(query.queries[0], user, org)
    return (any if member == "orQuery" else all)(_user_matches(child, user, org) for child in query.queries)


def _by_id(user: User) -> tuple[bool, int, str]:
    """Ids are decimal strings, compared as numbers; an id of another form (hand-written states) ranks above them all."""
    numeric = user.id.isascii() and user.id.isdigit()
    return not numeric, int(user.id) if numeric else 0, user.id


class ListUsers(Operation):
    """ListUsers (v1): the context org's users; top-level queries are ANDed; no default limit and no maximum."""

    def decode(self, body: Message) -> None:
        self.offset, self.limit, self.asc = _list_query(body)
        self.sorting = body.enum("sortingColumn", USER_FIELD_NAMES, "sorting_column")
        self.queries = [_decode_user_query(item, 0) for item in body.messages("queries", "SearchQuery")]

    def validate(self) -> None:
        super().validate()
        for index, query in enumerate(self.queries):
            error = _user_query_error(query)
            if error is not None:
                raise _embedded(f"{self.message}.Queries[{index}]", error)

    def run(self, store: Store, org: Org) -> dict:
        for query in self.queries:
            _convert_user_query(query)
        members = [user for user in store.users.values() if user.owner == org.id]
        found = [user for user in members if all(_user_matches(query, user, org) for query in self.queries)]
        by_user_name = self.sorting == USER_FIELD_NAMES.index("USER_FIELD_NAME_USER_NAME")
        found.sort(key=(lambda user: user.username) if by_user_name else _by_id, reverse=not self.asc)
        processed = max((user.sequence for user in members), default=0)
        return _list_response(_list_details(len(found), processed), [_user(user, org) for user in _page(found, self.offset, self.limit)])


def _list_field(body: dict, name: str) -> list:
    value = body.get(name)
    return value if isinstance(value, list) else []


def named_keys(params: dict[str, str], body: object) -> list[str]:
    """Metadata keys a request names (path key, bulk keys, key filters), for the request log; never values."""
    keys = [params["key"]] if "key" in params else []
    if isinstance(body, dict):
        candidates = [item.get("key") for item in _list_field(body, "metadata") if isinstance(item, dict)]
        for query in _list_field(body, "queries"):
            key_query = (query.get("keyQuery") or query.get("key_query")) if isinstance(query, dict) else None
            candidates.append(key_query.get("key") if isinstance(key_query, dict) else None)
        candidates.extend(_list_field(body, "keys"))
        keys.extend(key for key in candidates if isinstance(key, str))
    return keys
