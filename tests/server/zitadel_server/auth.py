# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""API authentication (bearer tokens) and permission checks."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, replace

from . import errors
from .errors import ApiError
from .store import Org, Store, User

API_SCOPE = "urn:zitadel:iam:org:project:id:zitadel:aud"
AUTHENTICATED = "authenticated"  # the auth option of v2 RPCs: a valid token, no permission in the context org


@dataclass(frozen=True)
class IssuedToken:
    """An access token issued by the token endpoint."""

    user_id: str
    expires: float
    api_access: bool


class Tokens:
    """Issued access tokens; personal access tokens live on the users."""

    def __init__(self) -> None:
        self._issued: dict[str, IssuedToken] = {}

    def clear(self) -> None:
        """Forget every issued token."""
        self._issued.clear()

    def issued(self) -> list[str]:
        """Every issued access token not yet forgotten, expired ones too (for tests that search output for secrets)."""
        return list(self._issued)

    def expire(self) -> None:
        """Let every issued access token expire now (the expire_tokens fault); PATs are not affected."""
        self._issued = {token: replace(issued, expires=0.0) for token, issued in self._issued.items()}

    def issue(self, user: User, scopes: list[str], lifetime: int) -> str:
        """A new opaque access token; only tokens asked with the ZITADEL audience scope may call the API."""
        token = secrets.token_urlsafe(32)
        self._issued[token] = IssuedToken(user.id, time.monotonic() + lifetime, API_SCOPE in scopes)
        return token

    def user(self, store: Store, token: str) -> User | None:
        """The user a token authenticates for API calls, if any."""
        issued = self._issued.get(token)
        if issued is not None:
            if issued.expires <= time.monotonic():
                return None
            return store.users.get(issued.user_id) if issued.api_access else None
        return next((user for user in store.users.values() if token and token in user.pats), None)


def authenticate(store: Store, tokens: Tokens, authorization: str | None, org_header: str | None) -> tuple[User, Org]:
    """The caller and the context org (x-zitadel-orgid, else the caller's own), or the 401/403 ZITADEL answers."""
    if not authorization:
        raise ApiError(errors.UNAUTHENTICATED, "auth header missing")
    parts = authorization.split("Bearer ")  # like ZITADEL's strings.Split(token, "Bearer ")
    if len(parts) != 2:
        raise ApiError(errors.UNAUTHENTICATED, "invalid auth header", "AUTH-7fs1e")
    user = tokens.user(store, parts[1])
    if user is None:
        raise ApiError(errors.UNAUTHENTICATED, "Errors.Token.Invalid", "AUTH-7fs1e")
    org = store.orgs.get(org_header or user.owner)
    if org is None:
        raise ApiError(errors.PERMISSION_DENIED, "Organisation doesn't exist", "AUTH-Bs7Ds")
    return user, org


def require(user: User, org: Org, permission: str) -> None:
    """The interceptor's check of a route's permission in the context org."""
    if not user.may(org.id, permission):
        raise ApiError(errors.PERMISSION_DENIED, "No matching permissions found", "AUTH-5mWD2")


def check_permission(user: User, org_id: str, permission: str) -> None:
    """A v2 handler's check on the target's org: 404 without any membership there or in the instance, else 403."""
    if not user.member_of(org_id):
        raise ApiError(errors.NOT_FOUND, "membership not found", "AUTHZ-cdgFk")
    if not user.may(org_id, permission):
        raise ApiError(errors.PERMISSION_DENIED, "No matching permissions found", "AUTH-AWfge")
