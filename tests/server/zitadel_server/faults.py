# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected faults: error statuses, dropped connections, lost answers, delays and token expiry."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from http import HTTPStatus

from . import errors
from .errors import ApiError
from .responses import Response, error_response, text_response

ACTIONS = ("status", "drop", "drop_after", "delay", "expire_tokens")
_GATEWAY_PAGES = {
    502: ("text/html", "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body></html>\r\n"),
    503: ("text/plain", "upstream connect error or disconnect/reset before headers. reset reason: connection failure"),
    504: ("text/plain", "upstream request timeout"),
}


@dataclass
class Fault:
    """Applies to the next `count` requests whose method and decoded path match."""

    action: str
    method: str = "*"
    path: str = "*"
    count: int = 1
    status: int = 0
    retry_after: int | None = None
    seconds: float = 0.0

    @classmethod
    def from_doc(cls, doc: object) -> Fault:
        """Validate a POST /_control/faults body; raises ValueError."""
        if not isinstance(doc, dict):
            raise ValueError("a fault must be a JSON object")
        unknown = set(doc) - {"action", "method", "path", "count", "status", "retry_after", "seconds"}
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if doc.get("action") not in ACTIONS:
            raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
        fault = cls(**doc)
        if not isinstance(fault.method, str) or not isinstance(fault.path, str):
            raise ValueError("method and path must be strings")
        fault.method = fault.method.upper()
        if not _is_int(fault.count) or fault.count < 1:
            raise ValueError("count must be a positive integer")
        if fault.action == "status" and not (_is_int(fault.status) and 400 <= fault.status <= 599):
            raise ValueError("action status needs a status between 400 and 599")
        if fault.retry_after is not None and not (_is_int(fault.retry_after) and fault.retry_after >= 0):
            raise ValueError("retry_after must be a non-negative integer")
        if not isinstance(fault.seconds, (int, float)) or isinstance(fault.seconds, bool) or not 0 <= fault.seconds <= 60:
            raise ValueError("seconds must be a number between 0 and 60")
        return fault

    def matches(self, method: str, path: str) -> bool:
        """Whether the fault applies to this request."""
        return self.method in ("*", method) and fnmatchcase(path, self.path)

    def as_dict(self) -> dict:
        """JSON form."""
        return asdict(self)

    def response(self) -> Response:
        """The injected answer of a status fault."""
        if self.status in _GATEWAY_PAGES:
            content_type, text = _GATEWAY_PAGES[self.status]
            return text_response(self.status, text, content_type)
        if self.status == 429:
            response = error_response(ApiError(errors.RESOURCE_EXHAUSTED, "Quota.Access.Exhausted", "QUOTA-vjAy8"))
        elif self.status == 500:
            response = error_response(ApiError(errors.INTERNAL, "db connection error"))
        else:
            code = next((code for code, status in errors.HTTP_STATUS.items() if status == self.status), 2)
            response = error_response(ApiError(code, _phrase(self.status)))
        response.status = self.status
        if self.retry_after is not None:
            response.headers["Retry-After"] = str(self.retry_after)
        return response


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class FaultQueue:
    """Queued faults; the first matching one wins."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault behind the existing ones."""
        self.faults.append(fault)

    def clear(self) -> None:
        """Drop every queued fault."""
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching the request."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if not fault.count:
                    self.faults.remove(fault)
                return fault
        return None
