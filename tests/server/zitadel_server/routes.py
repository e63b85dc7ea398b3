# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""grpc-gateway style routing: the routing table (method + path pattern -> RPC), legacy path unescaping, query strings."""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from . import api, api_v2, errors
from .auth import AUTHENTICATED
from .errors import ApiError, invalid
from .store import Settings

_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
MANAGEMENT = "zitadel.management.v1.ManagementService"
USER_V2 = "zitadel.user.v2.UserService"
ORG_V2 = "zitadel.org.v2.OrganizationService"
ORG_V2BETA = "zitadel.org.v2beta.OrganizationService"


@dataclass(frozen=True)
class Route:
    """One HTTP binding of an RPC.

    permission is what the interceptor demands in the context org (AUTHENTICATED: a valid token only); on release v4.0
    a route with an early_permission demands that one instead. since is the first emulated release serving the route.
    query names the repeated fields a route without a body reads from the query string.
    """

    method: str
    pattern: str
    rpc: str
    permission: str
    operation: type[api.Operation]
    body: bool = True
    service: str = MANAGEMENT
    since: str = "v3"
    early_permission: str = ""
    query: tuple[str, ...] = ()

    @property
    def api(self) -> str:
        """The API version of the service: v1, v2 or v2beta."""
        return self.service.split(".")[2]

    def served(self, settings: Settings) -> bool:
        """Whether the emulated server has this route (the v1 metadata routes can be switched off)."""
        if self.service == MANAGEMENT and self.rpc.endswith("Metadata"):
            return settings.v1_metadata
        return settings.since(self.since)

    def interceptor_permission(self, settings: Settings) -> str:
        """The permission the interceptor checks in the context org."""
        return self.early_permission if self.early_permission and not settings.since("v4.7") else self.permission

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
_USER_V2 = "/v2/users/{user_id}/metadata"
_ORG_V2 = "/v2/organizations/{organization_id}/metadata"
_ORG_V2BETA = "/v2beta/organizations/{organization_id}/metadata"

# v1: registration order of the generated gateway (proto order). grpc-gateway's ServeMux.Handle prepends,
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
    Route("POST", "/v2/users", "ListUsers", AUTHENTICATED, api_v2.ListUsers, service=USER_V2),
    Route("GET", "/v2/users/{user_id}", "GetUserByID", AUTHENTICATED, api_v2.GetUserByID, body=False, service=USER_V2),
    Route("POST", _USER_V2, "SetUserMetadata", AUTHENTICATED, api_v2.SetMetadata, service=USER_V2, since="v4.0"),
    Route("POST", _USER_V2 + "/search", "ListUserMetadata", AUTHENTICATED, api_v2.ListMetadata, service=USER_V2, since="v4.0",
          early_permission="user.read"),
    Route("DELETE", _USER_V2, "DeleteUserMetadata", AUTHENTICATED, api_v2.DeleteMetadata, body=False, service=USER_V2, since="v4.0",
          query=("keys",)),
    Route("POST", "/v2/organizations/_search", "ListOrganizations", AUTHENTICATED, api_v2.ListOrganizations, service=ORG_V2),
    Route("POST", _ORG_V2, "SetOrganizationMetadata", AUTHENTICATED, api_v2.SetMetadata, service=ORG_V2, since="v4.7"),
    Route("POST", _ORG_V2 + "/search", "ListOrganizationMetadata", AUTHENTICATED, api_v2.ListMetadata, service=ORG_V2, since="v4.7"),
    Route("DELETE", _ORG_V2, "DeleteOrganizationMetadata", AUTHENTICATED, api_v2.DeleteMetadata, body=False, service=ORG_V2, since="v4.7",
          query=("keys",)),
    Route("POST", _ORG_V2BETA, "SetOrganizationMetadata", AUTHENTICATED, api_v2.SetMetadataBeta, service=ORG_V2BETA, since="v4.0",
          early_permission="org.write"),
    Route("POST", _ORG_V2BETA + "/search", "ListOrganizationMetadata", AUTHENTICATED, api_v2.ListMetadataBeta, service=ORG_V2BETA, since="v4.0",
          early_permission="org.read"),
    Route("DELETE", _ORG_V2BETA, "DeleteOrganizationMetadata", AUTHENTICATED, api_v2.DeleteMetadataBeta, body=False, service=ORG_V2BETA,
          since="v4.0", early_permission="org.write", query=("keys",)),
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


def resolve(method: str, path: str, settings: Settings) -> tuple[Route, dict[str, str]]:
    """The route and its path parameters; the gateway's 404 or 501 (method not allowed) otherwise."""
    segments = path[1:].split("/")
    routes = [route for route in ROUTES if route.served(settings)]
    for route in reversed(routes):
        params = route.match(segments) if route.method == method else None
        if params is not None:
            return route, params
    if any(route.match(segments) is not None for route in routes):
        raise ApiError(errors.UNIMPLEMENTED, "Method Not Allowed")
    raise ApiError(errors.NOT_FOUND, "Not Found")


def _query_unescape(text: str) -> str:
    """Go's url.QueryUnescape: + is a space, % needs two hex digits; invalid UTF-8 is kept as surrogates and rejected later."""
    bad = _BAD_ESCAPE.search(text)
    if bad is not None:
        raise invalid(f'invalid URL escape "{text[bad.start():bad.start() + 3]}"')
    return unquote_to_bytes(text.replace("+", " ")).decode("utf-8", "surrogateescape")


def parse_query(raw: str) -> dict[str, list[str]]:
    """The query string as the gateway reads it (Go's url.ParseQuery); its first error is a 400."""
    values: dict[str, list[str]] = {}
    for part in raw.split("&"):
        if ";" in part:
            raise invalid("invalid semicolon separator in query")
        if part:
            name, value = (part.split("=", 1) + [""])[:2]
            values.setdefault(_query_unescape(name), []).append(_query_unescape(value))
    return values
