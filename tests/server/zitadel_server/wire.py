# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""protojson conventions: request decoding and response encoding."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone

from .errors import invalid


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with 0, 3 or 6 fractional digits, as protojson writes it."""
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    micro = moment.microsecond
    if micro % 1000000 == 0:
        return text + "Z"
    if micro % 1000 == 0:
        return f"{text}.{micro // 1000:03d}Z"
    return f"{text}.{micro:06d}Z"


def encode_bytes(value: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(value).decode("ascii")


def decode_bytes(text: str) -> bytes:
    """Standard or URL-safe base64, padded or not; raise ValueError otherwise."""
    text = text.replace("\r", "").replace("\n", "")
    altchars = b"-_" if ("-" in text or "_" in text) else None
    if len(text) % 4:
        if "=" in text:
            raise ValueError("bad padding")
        text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, altchars=altchars, validate=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from exc


BYTES_FIELDS = frozenset({"value"})  # the metadata values: base64 in JSON, raw bytes on the wire


def _varint_size(number: int) -> int:
    return max(1, (number.bit_length() + 6) // 7)


def _base64_size(text: str) -> int:
    """Decoded length of base64 text, without validating it."""
    return len(text.replace("\r", "").replace("\n", "").rstrip("=")) * 3 // 4


def proto_size(doc: dict, bytes_fields: frozenset[str] = BYTES_FIELDS) -> int:
    """Estimated protobuf size of a JSON message, which is what grpc-go's message size limit measures.

    Strings count as UTF-8, bytes fields as decoded base64, nested messages recursively, and each field
    and repeated item adds its tag (one byte: field numbers below 16) and a varint length. Zero values
    are omitted as in proto3. uint64, enums and timestamps are counted as their JSON text, a few bytes more
    than their binary form. The estimate grows with every added byte, field or item.
    """
    return sum(_field_size(name, value, bytes_fields) for name, value in doc.items())


def _field_size(name: str, value: object, bytes_fields: frozenset[str]) -> int:
    if isinstance(value, list):
        return sum(_field_size(name, item, bytes_fields) for item in value)
    if isinstance(value, dict):
        length = proto_size(value, bytes_fields)  # a message that is set is written, even when empty
    elif isinstance(value, str):
        length = _base64_size(value) if name in bytes_fields else len(value.encode("utf-8", "surrogatepass"))
        if not length:
            return 0
    elif isinstance(value, bool):
        return 2 if value else 0
    elif isinstance(value, int):
        return 1 + _varint_size(value % 2 ** 64) if value else 0
    elif isinstance(value, float):
        return 9 if value else 0  # a double: tag and 8 bytes
    else:
        return 0  # null: the field is absent
    return 1 + _varint_size(length) + length


def _no_duplicates(pairs: list) -> dict:
    result = {}
    for name, value in pairs:
        if name in result:
            raise invalid(f'proto: duplicate field "{name}"')
        result[name] = value
    return result


def parse_body(raw: bytes) -> dict:
    """Decode a request body like the gateway; an empty body is an empty message."""
    if not raw.strip():
        return {}
    try:
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError as exc:
        raise invalid("proto: invalid UTF-8 in JSON") from exc
    except ValueError as exc:
        raise invalid(f"proto: syntax error: {exc}") from exc
    if not isinstance(doc, dict):
        raise invalid("proto: syntax error: unexpected token, want object")
    return doc


class Message:
    """Read access to one JSON object of a request, accepting camelCase and snake_case names."""

    def __init__(self, doc: object, name: str):
        if not isinstance(doc, dict):
            raise invalid(f"proto: invalid value for message {name}")
        self.doc = doc

    def get(self, json_name: str, proto_name: str | None = None) -> object:
        """The field value, None when absent or null."""
        proto_name = proto_name or json_name
        if json_name != proto_name and json_name in self.doc and proto_name in self.doc:
            raise invalid(f'proto: duplicate field "{proto_name}"')
        value = self.doc.get(json_name)
        return self.doc.get(proto_name) if value is None else value

    def string(self, json_name: str, proto_name: str | None = None) -> str:
        """A string field ("" when absent)."""
        value = self.get(json_name, proto_name)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise invalid(f"proto: invalid value for string field {json_name}")
        return value

    def binary(self, json_name: str) -> bytes:
        """A bytes field given as base64 (b"" when absent)."""
        value = self.get(json_name)
        if value is None:
            return b""
        if not isinstance(value, str):
            raise invalid(f"proto: invalid value for bytes field {json_name}")
        try:
            return decode_bytes(value)
        except ValueError as exc:
            raise invalid(f"proto: invalid value for bytes field {json_name}") from exc

    def uint(self, json_name: str, bits: int = 64) -> int:
        """An unsigned integer given as a JSON number or a decimal string (0 when absent)."""
        value = self.get(json_name)
        if value is None:
            return 0
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** bits:
            raise invalid(f"proto: invalid value for uint{bits} field {json_name}")
        return value

    def boolean(self, json_name: str) -> bool:
        """A bool field (False when absent)."""
        value = self.get(json_name)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise invalid(f"proto: invalid value for bool field {json_name}")
        return value

    def enum(self, json_name: str, names: tuple[str, ...], proto_name: str | None = None) -> int:
        """An enum field given by name or number (numbers are not range-checked here)."""
        value = self.get(json_name, proto_name)
        if value is None:
            return 0
        if isinstance(value, str) and value in names:
            return names.index(value)
        if isinstance(value, int) and not isinstance(value, bool) and -2 ** 31 <= value < 2 ** 31:
            return value
        raise invalid(f"proto: invalid value for enum field {json_name}")

    def messages(self, json_name: str, name: str, proto_name: str | None = None) -> list[Message]:
        """A repeated message field."""
        return [Message(item, name) for item in self.array(json_name, proto_name)]

    def strings(self, json_name: str, proto_name: str | None = None) -> list[str]:
        """A repeated string field."""
        items = self.array(json_name, proto_name)
        if not all(isinstance(item, str) for item in items):
            raise invalid(f"proto: invalid value for string field {json_name}")
        return items

    def array(self, json_name: str, proto_name: str | None = None) -> list:
        """A repeated field as a list ([] when absent)."""
        value = self.get(json_name, proto_name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(f"proto: syntax error: unexpected token, want array for field {json_name}")
        return value

    def message(self, json_name: str, name: str, proto_name: str | None = None) -> Message | None:
        """A singular message field, None when absent."""
        value = self.get(json_name, proto_name)
        return None if value is None else Message(value, name)
