#!/usr/bin/env python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Snapshot ZITADEL's API contract for the metadata and lookup RPCs from the published protobuf descriptors.

    hack/proto_snapshot.py [--package DIR|TGZ] [--version V] [--output FILE] [--check]

The local test server (tests/server) claims to answer like ZITADEL. tests/server/test_contract.py holds it
to tests/contract/zitadel-api.json, which this script writes from ZITADEL's own descriptors, so the server's
routes, JSON names and validation bounds cannot drift from ZITADEL's unnoticed.

Source: the npm package @zitadel/proto. Its protobuf-es files (es/**/*_pb.js) embed each .proto file as
fileDesc("<base64>"): a FileDescriptorProto, unpadded standard base64, with `dependency` and
`source_code_info` cleared and each json_name cleared where it equals the default lowerCamelCase name
(@bufbuild/protobuf embedFileDesc / fileDesc). A small wire-format decoder reads them, so only the standard
library is needed. Options are read through the extensions the package itself declares: google.api.http
(routes), validate.rules and validate.required (protoc-gen-validate bounds), google.api.field_behavior,
the ZITADEL auth options (permissions) and the OpenAPI base path (/management/v1 of the v1 routes).

Without --package, `npm pack @zitadel/proto@<version>` downloads the tarball (the only network use). With
an unpacked directory the tarball's integrity is unknown, and --check leaves it out of the comparison.
--check regenerates in memory and exits 1 if the checked-in snapshot differs.

Snapshot format (keys sorted, so diffs stay small):

* package: name, version, integrity, and zitadel: the ZITADEL releases the descriptors match (from, before,
  and the basis of before), told by MARKERS; the npm package follows its own versioning and lags the server.
* services.<service>.rpcs.<rpc>: request and response message, http bindings (method, full path
  template, body), permission, source (the package, or the shared facts for RPCs the package lacks), and
  zitadel: the oldest release the descriptor describes.
* messages.<message>.fields: in field-number order, each with name, json, number (not for facts), type (a scalar type,
  or the full name of a message or enum), repeated, and where set: oneof, optional, rules (PGV FieldRules
  in protojson names, integers as numbers), behavior (field_behavior). oneofs (real oneofs only)
  .<name>.required is PGV's; disabled/ignored are PGV's message options.
* enums.<enum>: value name -> number.
Messages are those the selected RPCs reach; google.protobuf.* types are named but not expanded.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from typing import Iterator

NPM_NAME = "@zitadel/proto"
VERSION = "1.3.1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(ROOT, "tests", "contract", "zitadel-api.json")

MANAGEMENT = "zitadel.management.v1.ManagementService"
USER_V2 = "zitadel.user.v2.UserService"
ORG_V2 = "zitadel.org.v2.OrganizationService"
ORG_V2BETA = "zitadel.org.v2beta.OrganizationService"
ORG_METADATA = ("SetOrganizationMetadata", "ListOrganizationMetadata", "DeleteOrganizationMetadata")
SELECTION = {
    MANAGEMENT: ("SetUserMetadata", "BulkSetUserMetadata", "ListUserMetadata", "GetUserMetadata", "RemoveUserMetadata",
                 "BulkRemoveUserMetadata", "SetOrgMetadata", "BulkSetOrgMetadata", "ListOrgMetadata", "GetOrgMetadata",
                 "RemoveOrgMetadata", "BulkRemoveOrgMetadata", "ListUsers", "GetUserByID", "GetUserByLoginNameGlobal", "GetMyOrg"),
    USER_V2: ("SetUserMetadata", "ListUserMetadata", "DeleteUserMetadata", "ListUsers", "GetUserByID"),
    ORG_V2: ("ListOrganizations",) + ORG_METADATA,  # metadata from FACT_RPCS while the package lacks it
    ORG_V2BETA: ORG_METADATA + ("ListOrganizations",),
}

# Extensions read from options: extended message -> extension full name -> key in the decoded options.
EXTENSIONS = {
    "google.protobuf.FileOptions": {"grpc.gateway.protoc_gen_openapiv2.options.openapiv2_swagger": "swagger"},
    "google.protobuf.MethodOptions": {"google.api.http": "http", "zitadel.v1.auth_option": "auth",
                                      "zitadel.protoc_gen_zitadel.v2.options": "zitadel"},
    "google.protobuf.MessageOptions": {"validate.disabled": "disabled", "validate.ignored": "ignored"},
    "google.protobuf.FieldOptions": {"validate.rules": "rules", "google.api.field_behavior": "behavior"},
    "google.protobuf.OneofOptions": {"validate.required": "required"},
}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# FieldDescriptorProto.Type numbers -> names; 10 (group) does not occur in proto3.
TYPES = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32", 8: "bool", 9: "string",
         11: "message", 12: "bytes", 13: "uint32", 14: "enum", 15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64"}
FIXED = {"fixed32": "<I", "sfixed32": "<i", "float": "<f", "fixed64": "<Q", "sfixed64": "<q", "double": "<d"}
LABEL_REPEATED = 3


@dataclass(frozen=True)
class Spec:
    """How to decode one field: its output name, type name, message or enum full name, and whether repeated."""

    name: str
    type: str = "string"
    ref: str = ""
    repeated: bool = False


# The parts of google/protobuf/descriptor.proto needed to read the embedded descriptors; options stay raw bytes
# until the extensions are known.
BOOT = {
    "FileDescriptorProto": {1: Spec("name"), 2: Spec("package"), 4: Spec("message_type", "message", "DescriptorProto", True),
                            5: Spec("enum_type", "message", "EnumDescriptorProto", True),
                            6: Spec("service", "message", "ServiceDescriptorProto", True),
                            7: Spec("extension", "message", "FieldDescriptorProto", True), 8: Spec("options", "bytes")},
    "DescriptorProto": {1: Spec("name"), 2: Spec("field", "message", "FieldDescriptorProto", True),
                        3: Spec("nested_type", "message", "DescriptorProto", True), 4: Spec("enum_type", "message", "EnumDescriptorProto", True),
                        6: Spec("extension", "message", "FieldDescriptorProto", True),
                        7: Spec("options", "bytes"), 8: Spec("oneof_decl", "message", "OneofDescriptorProto", True)},
    "FieldDescriptorProto": {1: Spec("name"), 2: Spec("extendee"), 3: Spec("number", "int32"), 4: Spec("label", "int32"), 5: Spec("type", "int32"),
                             6: Spec("type_name"), 8: Spec("options", "bytes"), 9: Spec("oneof_index", "int32"), 10: Spec("json_name"),
                             17: Spec("proto3_optional", "bool")},
    "OneofDescriptorProto": {1: Spec("name"), 2: Spec("options", "bytes")},
    "EnumDescriptorProto": {1: Spec("name"), 2: Spec("value", "message", "EnumValueDescriptorProto", True)},
    "EnumValueDescriptorProto": {1: Spec("name"), 2: Spec("number", "int32")},
    "ServiceDescriptorProto": {1: Spec("name"), 2: Spec("method", "message", "MethodDescriptorProto", True), 3: Spec("options", "bytes")},
    "MethodDescriptorProto": {1: Spec("name"), 2: Spec("input_type"), 3: Spec("output_type"), 4: Spec("options", "bytes")},
}

# Facts the package lacks: org v2 metadata (ZITADEL v4.7.0+), from shared/zitadel-api-v2-and-users.md sections 4 and 2.4
# (proto/zitadel/org/v2/org_service.proto @ v4.13.1). The facts give JSON names, types and bounds, not field numbers
# (left out) or message names: these are named like their v2beta twins, with the user v2 list types.
FACTS_RELEASE = "v4.13.1"
FACTS_SOURCE = f"proto/zitadel/org/v2/org_service.proto @ {FACTS_RELEASE} as quoted in shared facts; not in {NPM_NAME} {{version}}"
_ORG_ID = {"name": "organization_id", "json": "organizationId", "type": "string", "repeated": False,
           "rules": {"string": {"minLen": 1, "maxLen": 200}}, "behavior": ["REQUIRED"]}
_KEYS_RULES = {"repeated": {"items": {"string": {"minLen": 1, "maxLen": 200}}}}
FACT_RPCS = {
    "SetOrganizationMetadata": ("POST", "/v2/organizations/{organization_id}/metadata", "*"),
    "ListOrganizationMetadata": ("POST", "/v2/organizations/{organization_id}/metadata/search", "*"),
    "DeleteOrganizationMetadata": ("DELETE", "/v2/organizations/{organization_id}/metadata", ""),
}
FACT_MESSAGES = {
    "SetOrganizationMetadataRequest": [_ORG_ID, {"name": "metadata", "json": "metadata", "type": "zitadel.org.v2.Metadata",
                                                 "repeated": True}],
    "SetOrganizationMetadataResponse": [{"name": "set_date", "json": "setDate", "type": "google.protobuf.Timestamp",
                                         "repeated": False}],
    "Metadata": [{"name": "key", "json": "key", "type": "string", "repeated": False,
                  "rules": {"string": {"minLen": 1, "maxLen": 200}}},
                 {"name": "value", "json": "value", "type": "bytes", "repeated": False, "rules": {"bytes": {"maxLen": 500000}}}],
    "ListOrganizationMetadataRequest": [_ORG_ID,
                                        {"name": "pagination", "json": "pagination", "type": "zitadel.filter.v2.PaginationRequest",
                                         "repeated": False},
                                        {"name": "filters", "json": "filters", "type": "zitadel.metadata.v2.MetadataSearchFilter",
                                         "repeated": True}],
    "ListOrganizationMetadataResponse": [{"name": "pagination", "json": "pagination", "type": "zitadel.filter.v2.PaginationResponse",
                                          "repeated": False},
                                         {"name": "metadata", "json": "metadata", "type": "zitadel.metadata.v2.Metadata",
                                          "repeated": True}],
    "DeleteOrganizationMetadataRequest": [_ORG_ID, {"name": "keys", "json": "keys", "type": "string", "repeated": True,
                                                    "rules": _KEYS_RULES}],
    "DeleteOrganizationMetadataResponse": [{"name": "deletion_date", "json": "deletionDate", "type": "google.protobuf.Timestamp",
                                            "repeated": False}],
}

# Which ZITADEL releases a package describes: the selection needs v4.0.0 (user v2 metadata); each marker is a change of
# the descriptors in a later release (shared/zitadel-api-v2-and-users.md section 1), tested on the snapshot.
BASE_RELEASE = "v4.0.0"
MARKERS = (
    ("v4.6.0", "user v2 ListUserMetadata is `authenticated` at the interceptor",
     lambda doc: doc["services"][USER_V2]["rpcs"]["ListUserMetadata"]["permission"] == "authenticated"),
    ("v4.7.0", "org v2 has SetOrganizationMetadata",
     lambda doc: doc["services"][ORG_V2]["rpcs"]["SetOrganizationMetadata"]["source"] == f"{NPM_NAME} {doc['package']['version']}"),
    ("v4.13.0", "user v2 metadata values may be empty", lambda doc: "minLen" not in _user_value_rules(doc)),
)


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def wire_fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of a protobuf message: an int for varints, bytes otherwise."""
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        wire_type = tag & 7
        if wire_type == 0:
            value, pos = _varint(data, pos)
            yield tag >> 3, wire_type, value
            continue
        if wire_type == 2:
            size, pos = _varint(data, pos)
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
        else:
            raise ValueError(f"unsupported wire type {wire_type} (groups do not occur in these descriptors)")
        yield tag >> 3, wire_type, data[pos:pos + size]
        pos += size


def _scalar(spec: Spec, wire_type: int, value: int | bytes, enums: dict[str, dict[int, str]]) -> object:
    if isinstance(value, int):
        if spec.type in ("int32", "int64"):
            return value - (1 << 64) if value >> 63 else value
        if spec.type in ("sint32", "sint64"):
            return (value >> 1) ^ -(value & 1)
        if spec.type == "bool":
            return bool(value)
        if spec.type == "enum":
            return enums.get(spec.ref, {}).get(value, value)
        return value
    if spec.type in FIXED:
        return struct.unpack(FIXED[spec.type], value)[0]
    if spec.type == "string":
        return value.decode("utf-8")
    if spec.type == "bytes":
        return value
    raise ValueError(f"{spec.name}: wire type {wire_type} for {spec.type}")


def decode(data: bytes, message: str, schemas: dict[str, dict[int, Spec]], enums: dict[str, dict[int, str]]) -> dict:
    """A message as a dict keyed by the specs' names; packed scalars are unpacked.

    Fields without a spec are skipped, and so are messages the package does not describe (google.protobuf.*).
    """
    schema = schemas[message]
    result: dict = {}
    for number, wire_type, value in wire_fields(data):
        spec = schema.get(number)
        if spec is None or (spec.type == "message" and spec.ref not in schemas):
            continue
        if spec.type == "message":
            items = [decode(value, spec.ref, schemas, enums)]
        elif wire_type == 2 and spec.type not in ("string", "bytes"):  # packed repeated scalars
            items = [_scalar(spec, inner_type, inner, enums) for inner_type, inner in _packed(value, spec.type)]
        else:
            items = [_scalar(spec, wire_type, value, enums)]
        if spec.repeated:
            result.setdefault(spec.name, []).extend(items)
        elif spec.type == "message" and spec.name in result:  # a singular message seen twice merges, as in protobuf
            result[spec.name] = _merge(result[spec.name], items[0])
        else:
            result[spec.name] = items[-1]
    return result


def _packed(data: bytes, kind: str) -> Iterator[tuple[int, int | bytes]]:
    if kind in FIXED:
        size = struct.calcsize(FIXED[kind])
        for pos in range(0, len(data), size):
            yield (1 if size == 8 else 5), data[pos:pos + size]
        return
    pos = 0
    while pos < len(data):
        value, pos = _varint(data, pos)
        yield 0, value


def _merge(old: dict, new: dict) -> dict:
    merged = dict(old)
    for name, value in new.items():
        if isinstance(value, list):
            merged[name] = merged.get(name, []) + value
        elif isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = _merge(merged[name], value)
        else:
            merged[name] = value
    return merged


def proto_camel_case(name: str) -> str:
    """protoc's default json_name (protobuf-es protoCamelCase): drop underscores, upper-case the next letter."""
    parts = []
    upper = False
    for char in name:
        if char == "_":
            upper = True
        else:
            parts.append(char.upper() if upper and not char.isdigit() else char)
            upper = False
    return "".join(parts)


class Registry:
    """Every message, enum, service and extension of the package, by full name (no leading dot)."""

    def __init__(self, sources: dict[str, str]):
        self.messages: dict[str, dict] = {}
        self.enums: dict[str, dict[int, str]] = {}
        self.services: dict[str, tuple[dict, dict]] = {}
        self.extensions: dict[str, dict] = {}
        for text in sources.values():
            data = base64.b64decode(text + "=" * (-len(text) % 4))
            file = decode(data, "FileDescriptorProto", BOOT, {})
            prefix = file.get("package", "")
            self._add(prefix, file.get("message_type", []), file.get("enum_type", []), file.get("extension", []))
            for service in file.get("service", []):
                self.services[f"{prefix}.{service['name']}"] = (service, file)
        self.schemas = {name: {field["number"]: self._spec(field) for field in message.get("field", [])} for name, message in self.messages.items()}
        for extended, wanted in EXTENSIONS.items():
            self.schemas[extended] = {}
            for extension, key in wanted.items():
                field = self.extensions[extension]
                if field["extendee"] != "." + extended:
                    raise ValueError(f"{extension} extends {field['extendee']}, not {extended}")
                spec = self._spec(field)
                self.schemas[extended][field["number"]] = Spec(key, spec.type, spec.ref, spec.repeated)

    def _add(self, prefix: str, messages: list[dict], enums: list[dict], extensions: list[dict]) -> None:
        for enum in enums:
            self.enums[f"{prefix}.{enum['name']}"] = {value["number"]: value["name"] for value in enum.get("value", [])}
        for extension in extensions:
            self.extensions[f"{prefix}.{extension['name']}"] = extension
        for message in messages:
            name = f"{prefix}.{message['name']}"
            for field in message.get("field", []):
                field.setdefault("json_name", proto_camel_case(field["name"]))
            self.messages[name] = message
            self._add(name, message.get("nested_type", []), message.get("enum_type", []), message.get("extension", []))

    @staticmethod
    def _spec(field: dict) -> Spec:
        kind = TYPES[field["type"]]
        return Spec(field.get("json_name", field["name"]), kind, field.get("type_name", "").lstrip("."), field.get("label") == LABEL_REPEATED)

    def options(self, owner: dict, extended: str) -> dict:
        """The selected extensions set in an element's options."""
        return decode(owner.get("options", b""), extended, self.schemas, self.enums)


def _bindings(rule: dict, base_path: str) -> list[dict]:
    """google.api.HttpRule and its additional bindings as {method, path, body}; the base path prefixes relative v1 paths."""
    bindings = []
    for method in HTTP_METHODS:
        if method in rule:
            bindings.append({"method": method.upper(), "path": base_path.rstrip("/") + rule[method], "body": rule.get("body", "")})
    for extra in rule.get("additionalBindings", []):
        bindings.extend(_bindings(extra, base_path))
    return bindings


def _permission(options: dict) -> str:
    """The interceptor's permission: zitadel.v1.auth_option (v1) or the auth_option of zitadel.protoc_gen_zitadel.v2.options."""
    if "auth" in options:
        return options["auth"].get("permission", "")
    return options.get("zitadel", {}).get("authOption", {}).get("permission", "")


class Snapshot:
    """The contract document: the selected RPCs and the messages and enums they reach."""

    def __init__(self, registry: Registry, version: str):
        self.registry = registry
        self.source = f"{NPM_NAME} {version}"
        self.version = version
        self.messages: dict[str, dict] = {}
        self.enums: dict[str, dict[str, int]] = {}

    def services(self) -> dict:
        """Each selected service with its RPCs; org v2 metadata from FACTS while the package lacks it."""
        result = {}
        for service_name, rpcs in SELECTION.items():
            service, file = self.registry.services[service_name]
            methods = {method["name"]: method for method in service.get("method", [])}
            swagger = self.registry.options(file, "google.protobuf.FileOptions").get("swagger", {})
            base_path = swagger.get("basePath", "/")
            result[service_name] = {"file": file["name"], "basePath": base_path, "rpcs": {}}
            for rpc in rpcs:
                if rpc in methods:
                    result[service_name]["rpcs"][rpc] = self._rpc(methods[rpc], base_path)
                elif service_name == ORG_V2 and rpc in FACT_RPCS:
                    result[service_name]["rpcs"][rpc] = self._fact_rpc(rpc)
                else:
                    raise KeyError(f"{service_name}/{rpc} is not in {self.source}")
        return result

    def _rpc(self, method: dict, base_path: str) -> dict:
        options = self.registry.options(method, "google.protobuf.MethodOptions")
        request, response = method["input_type"].lstrip("."), method["output_type"].lstrip(".")
        self._reach(request)
        self._reach(response)
        return {"request": request, "response": response, "http": _bindings(options.get("http", {}), base_path),
                "permission": _permission(options), "source": self.source}

    def _fact_rpc(self, rpc: str) -> dict:
        source = FACTS_SOURCE.format(version=self.version)
        added = {name: fields for name, fields in FACT_MESSAGES.items() if name.startswith(rpc) or name == "Metadata"}
        for name, fields in added.items():
            self.messages[f"zitadel.org.v2.{name}"] = {"fields": fields, "source": source}
        for fields in added.values():
            for field in fields:
                self._reach(field["type"])
        method, path, body = FACT_RPCS[rpc]
        return {"request": f"zitadel.org.v2.{rpc}Request", "response": f"zitadel.org.v2.{rpc}Response",
                "http": [{"method": method, "path": path, "body": body}], "permission": "authenticated", "source": source}

    def _reach(self, name: str) -> None:
        """Add a message or enum and everything its fields reach."""
        if name in self.messages or name in self.enums or "." not in name or name.startswith("google.protobuf."):
            return
        if name in self.registry.enums:
            self.enums[name] = {value_name: number for number, value_name in self.registry.enums[name].items()}
            return
        message = self.registry.messages[name]
        oneofs = message.get("oneof_decl", [])
        fields = sorted(message.get("field", []), key=lambda item: item["number"])
        entry: dict = {"fields": [self._field(field, oneofs) for field in fields]}
        entry.update(self.registry.options(message, "google.protobuf.MessageOptions"))
        real_oneofs = sorted({field["oneof_index"] for field in fields if "oneof_index" in field and not field.get("proto3_optional")})
        for index in real_oneofs:
            options = self.registry.options(oneofs[index], "google.protobuf.OneofOptions")
            entry.setdefault("oneofs", {})[oneofs[index]["name"]] = {"required": options.get("required", False)}
        self.messages[name] = entry
        for field in entry["fields"]:
            self._reach(field["type"])

    def _field(self, field: dict, oneofs: list[dict]) -> dict:
        kind = TYPES[field["type"]]
        result = {"name": field["name"], "json": field["json_name"], "number": field["number"],
                  "type": field["type_name"].lstrip(".") if kind in ("message", "enum") else kind,
                  "repeated": field.get("label") == LABEL_REPEATED}
        if field.get("proto3_optional"):
            result["optional"] = True
        elif "oneof_index" in field:
            result["oneof"] = oneofs[field["oneof_index"]]["name"]
        options = self.registry.options(field, "google.protobuf.FieldOptions")
        if options.get("rules"):
            result["rules"] = _plain(options["rules"])
        if options.get("behavior"):
            result["behavior"] = options["behavior"]
        return result

    def document(self, integrity: str | None) -> dict:
        """The whole snapshot."""
        package: dict = {"name": NPM_NAME, "version": self.version}
        if integrity:
            package["integrity"] = integrity
        doc = {"generator": "hack/proto_snapshot.py", "package": package, "services": self.services(), "messages": self.messages, "enums": self.enums}
        package["zitadel"] = releases(doc)
        for service in doc["services"].values():
            for rpc in service["rpcs"].values():
                rpc["zitadel"] = package["zitadel"]["from"] if rpc["source"] == self.source else FACTS_RELEASE
        return doc


def _user_value_rules(doc: dict) -> dict:
    """The PGV bytes rules of the metadata value of user v2 SetUserMetadata."""
    item = next(field for field in doc["messages"][doc["services"][USER_V2]["rpcs"]["SetUserMetadata"]["request"]]["fields"]
                if field["json"] == "metadata")["type"]
    return next(field for field in doc["messages"][item]["fields"] if field["json"] == "value").get("rules", {}).get("bytes", {})


def releases(doc: dict) -> dict:
    """The releases whose descriptors the package matches: from (inclusive) and before (exclusive, absent if open)."""
    result = {"from": BASE_RELEASE}
    for release, change, holds in MARKERS:
        if not holds(doc):
            result.setdefault("before", release)
            result.setdefault("basis", f"{release}: {change}; not so in the package")
        elif "before" in result:
            raise ValueError(f"{release} ({change}) holds but {result['before']} does not: the markers contradict the package")
        else:
            result["from"] = release
    return result


def _plain(value: object) -> object:
    """Decoded options as JSON: bytes (PGV const/in of bytes fields) as base64."""
    if isinstance(value, dict):
        return {name: _plain(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


DESCRIPTOR = re.compile(r'fileDesc\("([A-Za-z0-9+/_-]*)"')


def read_package(path: str) -> tuple[dict[str, str], str, str | None]:
    """The fileDesc strings by file, the package version and the tarball's integrity (None for a directory)."""
    sources: dict[str, str] = {}
    if os.path.isdir(path):
        with open(os.path.join(path, "package.json"), encoding="utf-8") as handle:
            version = json.load(handle)["version"]
        for folder, _dirs, names in os.walk(os.path.join(path, "es")):
            for name in names:
                if name.endswith("_pb.js"):
                    with open(os.path.join(folder, name), encoding="utf-8") as handle:
                        _collect(sources, os.path.relpath(os.path.join(folder, name), path), handle.read())
        return sources, version, None
    with open(path, "rb") as handle:
        raw = handle.read()
    with tarfile.open(fileobj=io.BytesIO(raw)) as archive:
        version = ""
        for member in archive.getmembers():
            content = archive.extractfile(member) if member.isfile() else None
            if content is None:
                continue
            if member.name == "package/package.json":
                version = json.load(content)["version"]
            elif member.name.startswith("package/es/") and member.name.endswith("_pb.js"):
                _collect(sources, member.name[len("package/"):], content.read().decode("utf-8"))
    return sources, version, "sha512-" + base64.b64encode(hashlib.sha512(raw).digest()).decode("ascii")


def _collect(sources: dict[str, str], name: str, text: str) -> None:
    match = DESCRIPTOR.search(text)
    if match:
        sources[name] = match.group(1)


def npm_pack(version: str, folder: str) -> str:
    """Download the package tarball with npm; returns its path."""
    output = subprocess.run(["npm", "pack", f"{NPM_NAME}@{version}", "--json", "--pack-destination", folder],
                            check=True, capture_output=True, text=True).stdout
    return os.path.join(folder, json.loads(output)[0]["filename"])


def render(document: dict) -> str:
    """Deterministic JSON text."""
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> int:
    """Write or check the snapshot."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--package", help="unpacked @zitadel/proto directory or its .tgz (default: npm pack)")
    parser.add_argument("--version", default=VERSION, help="package version to download (default: %(default)s)")
    parser.add_argument("--output", default=OUTPUT, help="snapshot file (default: tests/contract/zitadel-api.json)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the snapshot file differs from a fresh one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sources, version, integrity = read_package(args.package or npm_pack(args.version, folder))
    document = Snapshot(Registry(sources), version).document(integrity)
    if not args.check:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(render(document))
        return 0
    with open(args.output, encoding="utf-8") as handle:
        stored = json.load(handle)
    if integrity is None:
        print("note: an unpacked package has no tarball integrity; not compared", file=sys.stderr)
        stored.get("package", {}).pop("integrity", None)
    if render(stored) != render(document):
        print(f"{args.output} differs from {NPM_NAME} {version}: rerun hack/proto_snapshot.py without --check", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
