# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-memory ZITADEL model: orgs, users and metadata, with the command and query semantics of ZITADEL."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from . import errors
from .errors import ApiError


def now() -> datetime:
    """The current time in UTC."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ErrorIds:
    """Error ids that differ between user and org metadata."""

    invalid: str
    remove_blank: str
    remove_missing: str
    bulk_remove_empty: str
    bulk_remove_blank: str
    bulk_remove_missing: str
    get_missing: str


USER_IDS = ErrorIds("META-2m00f", "META-2n0fs", "META-ncnw3", "META-9mm2d", "COMMAND-m29ds", "META-2nnds", "QUERY-Rgh32")
ORG_IDS = ErrorIds("META-2ml0f", "META-2n0f1", "META-mcnw3", "META-9mw2d", "COMMAND-m19ds", "META-2npds", "QUERY-Rph32")


@dataclass(frozen=True)
class Entry:
    """One metadata key as the projection holds it."""

    value: bytes
    sequence: int
    created: datetime
    changed: datetime


@dataclass(eq=False)
class Aggregate:
    """An event-sourced object with its own sequence counter and metadata."""

    id: str
    owner: str
    sequence: int = 1
    created: datetime = field(default_factory=now)
    changed: datetime = field(default_factory=now)
    metadata: dict[str, Entry] = field(default_factory=dict)
    metadata_changed: datetime | None = None  # the date of the last metadata event (None: no metadata history)

    def push(self) -> tuple[int, datetime]:
        """Record one new event."""
        self.sequence += 1
        self.changed = now()
        return self.sequence, self.changed

    def push_metadata(self) -> tuple[int, datetime]:
        """Record one new metadata event."""
        sequence, self.metadata_changed = self.push()
        return sequence, self.metadata_changed


@dataclass(eq=False)
class Org(Aggregate):
    """An organisation; its resource owner is itself."""

    name: str = ""
    domain: str = ""
    user_login_must_be_domain: bool = False

    def login_names(self, username: str) -> list[str]:
        """A member's login names: the org domain suffix only when its domain policy demands it (userLoginMustBeDomain)."""
        return [f"{username}@{self.domain}" if self.user_login_must_be_domain and self.domain else username]


@dataclass(eq=False)
class User(Aggregate):
    """A human user or a service account (machine user) with its credentials."""

    username: str = ""
    machine: bool = False
    permissions: dict[str, frozenset[str]] = field(default_factory=dict)
    pats: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)
    client_id: str = ""
    client_secret: str = ""

    def may(self, org_id: str, permission: str) -> bool:
        """Whether the user holds the permission in that org (or instance-wide)."""
        granted = self.permissions.get(org_id, frozenset()) | self.permissions.get("*", frozenset())
        return permission in granted or "*" in granted

    def member_of(self, org_id: str) -> bool:
        """Whether the user has a membership (even one without permissions) in that org or in the instance."""
        return org_id in self.permissions or "*" in self.permissions


@dataclass(frozen=True)
class Target:
    """What a metadata call addresses: a user of the org org_id (v1: the context org), or the org org_id itself."""

    kind: str
    id: str
    org_id: str

    @property
    def ids(self) -> ErrorIds:
        """The error ids for this kind of target."""
        return USER_IDS if self.kind == "user" else ORG_IDS


RELEASES = ("v3", "v4.0", "v4.7", "v4.13")  # the ZITADEL releases whose v2 API the server can emulate, oldest first


@dataclass
class Settings:
    """Server-wide behaviour switches."""

    token_lifetime: int = 43199
    legacy: bool = False
    max_query_limit: int = 1000  # SystemDefaults.MaxQueryLimit; 0: no maximum
    max_message_bytes: int = 4194304  # grpc-go's default message size limit; 0: none
    release: str = "v4.13"  # one of RELEASES
    v1_metadata: bool = True  # False: the v1 metadata routes are unknown (a v2-only server)
    permission_check_v2: bool = False  # ZITADEL's PermissionCheckV2 feature flag

    def since(self, release: str) -> bool:
        """Whether the emulated release is that release or a later one."""
        return RELEASES.index(self.release) >= RELEASES.index(release)


class Store:
    """State plus the metadata commands and queries. Callers hold the server lock."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.orgs: dict[str, Org] = {}
        self.users: dict[str, User] = {}
        self.lag_reads = 0
        self._stale: dict[str, tuple[tuple[dict[str, Entry], int], int]] = {}

    def user_in_org(self, user_id: str, org_id: str) -> User | None:
        """The user if it belongs to that org."""
        user = self.users.get(user_id)
        return user if user is not None and user.owner == org_id else None

    def set_lag(self, reads: int) -> None:
        """Projection lag: the next `reads` reads after a write still see the older state."""
        self.lag_reads = reads
        self._stale.clear()

    def _write_target(self, target: Target) -> Aggregate:
        if target.kind == "org":
            org = self.orgs.get(target.id)
            if org is None:
                raise ApiError(errors.FAILED_PRECONDITION, errors.ORG_NOT_FOUND, "COMMAND-QXPGs")
            return org
        user = self.user_in_org(target.id, target.org_id)
        if user is None:
            error_id = "COMMAND-4M0fs" if self.settings.legacy else "COMMAND-uXHNj"
            raise ApiError(errors.FAILED_PRECONDITION, errors.USER_NOT_FOUND, error_id)
        return user

    def _read_target(self, target: Target) -> Aggregate | None:
        if target.kind == "org":
            return self.orgs.get(target.id)
        return self.user_in_org(target.id, target.org_id)

    def _skips_equal(self, agg: Aggregate) -> bool:
        return isinstance(agg, User) and not self.settings.legacy

    def _before_write(self, agg: Aggregate) -> None:
        if self.lag_reads:
            stale = self._stale.get(agg.id)
            snapshot = stale[0] if stale else (dict(agg.metadata), agg.sequence)
            self._stale[agg.id] = (snapshot, self.lag_reads)

    def _view(self, agg: Aggregate) -> tuple[dict[str, Entry], int]:
        stale = self._stale.get(agg.id)
        if stale is None:
            return agg.metadata, agg.sequence
        snapshot, remaining = stale
        if remaining > 1:
            self._stale[agg.id] = (snapshot, remaining - 1)
        else:
            del self._stale[agg.id]
        return snapshot

    def _put(self, agg: Aggregate, key: str, value: bytes) -> tuple[int, datetime]:
        sequence, moment = agg.push_metadata()
        current = agg.metadata.get(key)
        agg.metadata[key] = Entry(value, sequence, current.created if current else moment, moment)
        return sequence, moment

    def set_metadata(self, target: Target, key: str, value: bytes) -> tuple[int, datetime | None, str]:
        """SetUserMetadata / SetOrgMetadata: (sequence, event date, resource owner)."""
        agg = self._write_target(target)
        current = agg.metadata.get(key)
        if self._skips_equal(agg) and (current.value if current else b"") == value:
            # v4 user command: an unchanged value is a silent no-op returning the key's last event
            return (current.sequence, current.changed, agg.owner) if current else (0, None, agg.owner)
        if not key or not value:
            raise ApiError(errors.INVALID_ARGUMENT, errors.METADATA_INVALID, target.ids.invalid)
        self._before_write(agg)
        sequence, moment = self._put(agg, key, value)
        return sequence, moment, agg.owner

    def bulk_set_metadata(self, target: Target, items: list[tuple[str, bytes]]) -> tuple[int, datetime, str]:
        """BulkSet*: all items validated first, then applied in order (the last duplicate wins)."""
        if not items:
            raise ApiError(errors.FAILED_PRECONDITION, errors.METADATA_NO_DATA, "META-9mm2d")
        agg = self._write_target(target)
        if not all(key and value for key, value in items):
            raise ApiError(errors.INVALID_ARGUMENT, errors.METADATA_INVALID, target.ids.invalid)
        skip = self._skips_equal(agg)
        for key, value in items:
            current = agg.metadata.get(key)
            if skip and current is not None and current.value == value:
                continue
            self._before_write(agg)
            self._put(agg, key, value)
        return agg.sequence, agg.changed, agg.owner

    def set_metadata_v2(self, target: Target, items: list[tuple[str, bytes]], skip_equal: bool) -> datetime | None:
        """v2 Set*: one atomic push; each item is compared with the value from before the request, an empty value
        deletes the key (PGV rejects it where the release does not), and without any change the date of the
        previous metadata event is returned (None: there is none)."""
        agg = self._write_target(target)
        before = dict(agg.metadata)
        changes: list[tuple[str, bytes]] = []
        for key, value in items:
            current = before.get(key)
            if (skip_equal or not value) and (current.value if current else b"") == value:
                continue
            changes.append((key, value))
        if changes:
            self._before_write(agg)
        for key, value in changes:
            if value:
                self._put(agg, key, value)
            else:
                agg.push_metadata()
                agg.metadata.pop(key, None)
        return agg.metadata_changed

    def remove_metadata(self, target: Target, key: str) -> tuple[int, datetime, str]:
        """Remove*: 404 for a missing key (not idempotent)."""
        if not key:
            raise ApiError(errors.INVALID_ARGUMENT, errors.METADATA_INVALID, target.ids.remove_blank)
        agg = self._write_target(target)
        if key not in agg.metadata:
            raise ApiError(errors.NOT_FOUND, errors.METADATA_NOT_FOUND, target.ids.remove_missing)
        self._before_write(agg)
        sequence, moment = agg.push_metadata()
        del agg.metadata[key]
        return sequence, moment, agg.owner

    def bulk_remove_metadata(self, target: Target, keys: list[str]) -> tuple[int, datetime, str]:
        """BulkRemove*: every key must exist, otherwise nothing is removed."""
        ids = target.ids
        if not keys:
            raise ApiError(errors.FAILED_PRECONDITION, errors.METADATA_NO_DATA, ids.bulk_remove_empty)
        agg = self._write_target(target)
        for key in keys:
            if not key:
                raise ApiError(errors.INVALID_ARGUMENT, errors.METADATA_INVALID, ids.bulk_remove_blank)
            if key not in agg.metadata:
                raise ApiError(errors.NOT_FOUND, errors.METADATA_KEY_NOT_EXISTING, ids.bulk_remove_missing)
        self._before_write(agg)
        for key in keys:
            agg.push_metadata()
            agg.metadata.pop(key, None)
        return agg.sequence, agg.changed, agg.owner

    def get_metadata(self, target: Target, key: str) -> tuple[Entry, str]:
        """Get*: a missing user and a missing key give the same 404."""
        agg = self._read_target(target)
        entry = self._view(agg)[0].get(key) if agg is not None else None
        if entry is None:
            raise ApiError(errors.NOT_FOUND, errors.METADATA_NOT_FOUND, target.ids.get_missing)
        return entry, agg.owner

    def list_metadata(self, target: Target) -> tuple[dict[str, Entry], int]:
        """List*: (entries, processed sequence); a missing user simply has no entries."""
        agg = self._read_target(target)
        return self._view(agg) if agg is not None else ({}, 0)
