# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Management API v1 operations: request decoding, PGV validation, handlers and response shapes."""
from __future__ import annotations

import hashlib
from datetime import datetime

from . import errors
from .errors import ApiError, invalid
from .store import Entry, Org, Store, Target, now
from .wire import Message, encode_bytes, timestamp

MAX_QUERY_LIMIT = 1000
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
        query = body.message("query", "ListQuery")
        self.offset = query.uint("offset") if query else 0
        self.limit = query.uint("limit", 32) if query else 0
        if query:
            query.boolean("asc")  # decoded for type errors; v1 metadata lists have no sort column
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
        limit = self.limit
        if not store.settings.legacy:
            if limit > MAX_QUERY_LIMIT:
                raise ApiError(errors.INVALID_ARGUMENT, errors.LIMIT_EXCEEDED, "QUERY-4M0fs")
            limit = limit or MAX_QUERY_LIMIT
        entries, processed = store.list_metadata(self.target(org))
        keys = sorted((key for key in entries if all(_matches(key, wanted, method) for wanted, method in self.queries)), key=_unordered)
        page = keys[self.offset:self.offset + limit] if limit else keys[self.offset:]
        details: dict = {"totalResult": str(len(keys))} if keys else {}
        if processed:
            details["processedSequence"] = str(processed)
        details["viewTimestamp"] = timestamp(now())
        response: dict = {"details": details}
        owner = org.id
        if page:
            response["result"] = [_item(key, entries[key], owner, store.settings.legacy) for key in page]
        return response


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


class GetUserByID(Operation):
    """GetUserByID: lets clients tell a missing user from a missing key."""

    def run(self, store: Store, org: Org) -> dict:
        user = store.user_in_org(self.user_id or "", org.id)
        if user is None:
            raise ApiError(errors.NOT_FOUND, errors.USER_NOT_FOUND, "QUERY-Dfbg2")
        body: dict = {
            "id": user.id,
            "details": _details(user.sequence, user.owner, creationDate=user.created, changeDate=user.changed),
            "state": "USER_STATE_ACTIVE",
            "userName": user.username,
            "loginNames": [user.username],
            "preferredLoginName": user.username,
        }
        body["machine" if user.machine else "human"] = {"name": user.username} if user.machine else {}
        return {"user": body}


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
