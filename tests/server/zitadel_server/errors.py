# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZITADEL error bodies: google.rpc.Status as grpc-gateway renders it."""
from __future__ import annotations

INVALID_ARGUMENT = 3
NOT_FOUND = 5
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
UNIMPLEMENTED = 12
INTERNAL = 13
UNAUTHENTICATED = 16

# grpc-gateway runtime.HTTPStatusFromCode
HTTP_STATUS = {
    1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429,
    9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}
DETAIL_TYPE = "type.googleapis.com/zitadel.v1.ErrorDetail"

# English texts of the i18n keys (internal/static/i18n/en.yaml)
METADATA_NOT_FOUND = "Metadata not found"
METADATA_INVALID = "Metadata is invalid"
METADATA_NO_DATA = "Metadata list is empty"
METADATA_KEY_NOT_EXISTING = "One or more keys do not exist"
USER_NOT_FOUND = "User could not be found"
ORG_NOT_FOUND = "Organisation not found"
LIMIT_EXCEEDED = "Limit exceeded"


class ApiError(Exception):
    """A gRPC status; with an error id it is a ZITADEL error and carries an ErrorDetail."""

    def __init__(self, code: int, text: str, error_id: str | None = None):
        super().__init__(text)
        self.code = code
        self.text = text
        self.error_id = error_id

    @property
    def status(self) -> int:
        """HTTP status chosen by grpc-gateway."""
        return HTTP_STATUS[self.code]

    @property
    def message(self) -> str:
        """The status message ("<text> (<id>)" for ZITADEL errors)."""
        return f"{self.text} ({self.error_id})" if self.error_id else self.text

    def body(self) -> dict:
        """The JSON body."""
        body: dict = {"code": self.code, "message": self.message}
        if self.error_id:
            body["details"] = [{"@type": DETAIL_TYPE, "id": self.error_id, "message": self.text}]
        return body

    def headers(self) -> dict[str, str]:
        """Extra response headers (grpc-gateway sets WWW-Authenticate for code 16)."""
        return {"WWW-Authenticate": self.message} if self.code == UNAUTHENTICATED else {}


def invalid(message: str) -> ApiError:
    """InvalidArgument without details (PGV and gateway decode errors)."""
    return ApiError(INVALID_ARGUMENT, message)
