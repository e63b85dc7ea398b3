# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP responses as the handler writes them."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote

from .errors import ApiError


@dataclass
class Response:
    """Status, headers and body of one answer."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, doc: object, headers: dict[str, str] | None = None) -> Response:
    """A compact JSON answer."""
    body = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def error_response(error: ApiError) -> Response:
    """The grpc-gateway error answer for a gRPC status."""
    return json_response(error.status, error.body(), error.headers())


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    """A plain (non-JSON) answer."""
    return Response(status, text.encode("utf-8"), {"Content-Type": content_type})


def redirect_response(path: str) -> Response:
    """301 to a path, escaped like Go's url.URL.EscapedPath; no body."""
    return Response(301, b"", {"Location": quote(path.encode("utf-8", "surrogateescape"), safe="/$&+,:;=@")})
