# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""grpc-gateway style routing: the routing table (method + path pattern -> RPC) and legacy path unescaping."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from . import api, errors
from .errors import ApiError

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class Route:
    """One HTTP binding of an RPC."""

    method: str
    pattern: str
    rpc: str
    permission: str
    operation: type[api.Operation]
    body: bool = True

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Path parameters if the segments fit the pattern."""
        parts = self.pattern[1:].split("/")
        if len(parts) != len(segments):
            return None
        params = {}
        for part, segment in zip(parts, segments):
            if part.startswith("{"):
                params[part[1:-1]] = segment
            elif part != segment:
                return None
        return params


_V1 = "/management/v1"
_USER = _V1 + "/users/{id}/metadata"

# Registration order of the generated gateway (proto order). grpc-gateway's ServeMux.Handle prepends,
# so the route registered last is tried first: POST .../_bulk is BulkSet, POST .../_search is List,
# DELETE .../_bulk is BulkRemove, and GET .../_bulk is a Get of the key "_bulk".
ROUTES: tuple[Route, ...] = (
    Route("GET", _V1 + "/orgs/me", "GetMyOrg", "org.read", api.GetMyOrg, body=False),
    Route("GET", _V1 + "/users/{id}", "GetUserByID", "user.read", api.GetUserByID, body=False),
    Route("POST", _V1 + "/users/_search", "ListUsers", "user.read", api.ListUsers),
    Route("POST", _USER + "/{key}", "SetUserMetadata", "user.write", api.SetMetadata),
    Route("POST", _USER + "/_bulk", "BulkSetUserMetadata", "user.write", api.BulkSetMetadata),
    Route("POST", _USER + "/_search", "ListUserMetadata", "user.read", api.ListMetadata),
    Route("GET", _USER + "/{key}", "GetUserMetadata", "user.read", api.GetMetadata, body=False),
    Route("DELETE", _USER + "/{key}", "RemoveUserMetadata", "user.write", api.RemoveMetadata, body=False),
    Route("DELETE", _USER + "/_bulk", "BulkRemoveUserMetadata", "user.write", api.BulkRemoveMetadata),
    Route("POST", _V1 + "/metadata/{key}", "SetOrgMetadata", "org.write", api.SetMetadata),
    Route("POST", _V1 + "/metadata/_bulk", "BulkSetOrgMetadata", "org.write", api.BulkSetMetadata),
    Route("POST", _V1 + "/metadata/_search", "ListOrgMetadata", "org.read", api.ListMetadata),
    Route("GET", _V1 + "/metadata/{key}", "GetOrgMetadata", "org.read", api.GetMetadata, body=False),
    Route("DELETE", _V1 + "/metadata/{key}", "RemoveOrgMetadata", "org.write", api.RemoveMetadata, body=False),
    Route("DELETE", _V1 + "/metadata/_bulk", "BulkRemoveOrgMetadata", "org.write", api.BulkRemoveMetadata),
)


def decode_path(raw: str) -> str:
    """Unescape the whole path before routing, as grpc-gateway's legacy mode does (%2F becomes a real /).

    Raises ValueError for a malformed escape; invalid UTF-8 is kept as surrogates and rejected later.
    """
    if _BAD_ESCAPE.search(raw):
        raise ValueError(f"invalid URL escape in {raw!r}")
    return unquote_to_bytes(raw).decode("utf-8", "surrogateescape")


def clean_path(path: str) -> str:
    """The canonical path Go's HTTP routers redirect to: path.Clean, keeping a trailing slash."""
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            segments = segments[:-1]
        elif segment not in ("", "."):
            segments.append(segment)
    cleaned = "/" + "/".join(segments)
    return cleaned + "/" if path.endswith("/") and cleaned != "/" else cleaned


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route and its path parameters; the gateway's 404 or 501 (method not allowed) otherwise."""
    segments = path[1:].split("/")
    for route in reversed(ROUTES):
        params = route.match(segments) if route.method == method else None
        if params is not None:
            return route, params
    if any(route.match(segments) is not None for route in ROUTES):
        raise ApiError(errors.UNIMPLEMENTED, "Method Not Allowed")
    raise ApiError(errors.NOT_FOUND, "Not Found")
