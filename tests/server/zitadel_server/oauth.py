# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OAuth token endpoint: JWT profile (RFC 7523) and client credentials grants."""
from __future__ import annotations

import base64
import hmac
import json
import time
from urllib.parse import parse_qs, unquote_plus

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from .auth import Tokens
from .store import Store, User

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
CLOCK_SKEW = 60
MAX_ASSERTION_AGE = 3600


class OAuthError(Exception):
    """An RFC 6749 error response."""

    def __init__(self, error: str, description: str, status: int = 400):
        super().__init__(description)
        self.error = error
        self.status = status

    def body(self) -> dict:
        """The JSON body."""
        return {"error": self.error, "error_description": str(self)}


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _grant(description: str) -> OAuthError:
    return OAuthError("invalid_grant", description)


def _decode(assertion: str) -> tuple[dict, dict, bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWS."""
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header, claims = json.loads(_b64url(header_b64)), json.loads(_b64url(payload_b64))
        signature = _b64url(signature_b64)
    except ValueError as exc:
        raise _grant("assertion is not a valid JWT") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _grant("assertion is not a valid JWT")
    return header, claims, f"{header_b64}.{payload_b64}".encode("ascii"), signature


def _check_times(claims: dict) -> None:
    issued_at, expiry, current = claims.get("iat"), claims.get("exp"), time.time()
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in (issued_at, expiry)):
        raise _grant("iat and exp are required numeric claims")
    if expiry <= current:
        raise _grant("assertion has expired")
    if issued_at > current + CLOCK_SKEW:
        raise _grant("iat is in the future")
    if issued_at < current - MAX_ASSERTION_AGE:
        raise _grant("iat is older than one hour")


def verify_assertion(store: Store, assertion: str, audiences: set[str]) -> User:
    """The service account that signed a valid RS256 JWT-profile assertion."""
    header, claims, signing_input, signature = _decode(assertion)
    if header.get("alg") != "RS256":
        raise _grant("assertion must be signed with RS256")
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or claims.get("sub") != issuer:
        raise _grant("iss and sub must both be the service account's user id")
    user = store.users.get(issuer)
    pem = user.keys.get(str(header.get("kid"))) if user is not None and user.machine else None
    if pem is None:
        raise _grant("no key with this kid is registered for the service account")
    try:
        load_pem_public_key(pem.encode("ascii")).verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise _grant("invalid signature") from exc
    audience = claims.get("aud")
    audience = [audience] if isinstance(audience, str) else audience if isinstance(audience, list) else []
    if not any(isinstance(item, str) and item.rstrip("/") in audiences for item in audience):
        raise _grant(f"audience must contain the issuer {min(audiences)}")
    _check_times(claims)
    return user


def _client(store: Store, authorization: str | None, form: dict[str, str]) -> User:
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if authorization and authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
        except ValueError as exc:
            raise OAuthError("invalid_client", "malformed basic authentication", 401) from exc
        user_part, secret_part = decoded.split(":", 1) if ":" in decoded else (decoded, "")
        client_id, secret = unquote_plus(user_part), unquote_plus(secret_part)
    user = next((user for user in store.users.values() if client_id and user.client_id == client_id), None)
    if user is None or not hmac.compare_digest(user.client_secret.encode(), secret.encode()):
        raise OAuthError("invalid_client", "client authentication failed", 401)
    return user


def token_endpoint(store: Store, tokens: Tokens, body: bytes, authorization: str | None, audiences: set[str]) -> dict:
    """Handle POST /oauth/v2/token; raises OAuthError."""
    form = {name: values[0] for name, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    grant_type = form.get("grant_type", "")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type missing")
    if grant_type == JWT_BEARER:
        if not form.get("assertion"):
            raise OAuthError("invalid_request", "assertion missing")
        user = verify_assertion(store, form["assertion"], audiences)
    elif grant_type == "client_credentials":
        user = _client(store, authorization, form)
    else:
        raise OAuthError("unsupported_grant_type", f"grant_type {grant_type} is not supported")
    lifetime = store.settings.token_lifetime
    token = tokens.issue(user, form.get("scope", "").split(), lifetime)
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}
