# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The server against ZITADEL's own API descriptors (tests/contract/zitadel-api.json, written by hack/proto_snapshot.py).

The other server tests encode what we read in ZITADEL's source; these are generated from the snapshot, so a new
snapshot changes them without any edit here: the routing table, every protoc-gen-validate bound of the metadata
RPCs (a value just inside passes, one just outside is a 400 code 3 without details), and the JSON names the server
writes. That the server reads the snapshot's request names follows from the bound tests: each bound is placed
under those names and must be rejected. Each request runs on the emulated release the snapshot says its
descriptor describes (an npm package can lag ZITADEL by several releases).
"""
from __future__ import annotations

import base64
import copy
import json
import os
import re
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote

import pytest

from conftest import ALICE, GLOBAL_PAT, ORG, assert_error
from zitadel_server.routes import ROUTES
from zitadel_server.store import RELEASES

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "contract", "zitadel-api.json"), encoding="utf-8") as _snapshot:
    SNAPSHOT = json.load(_snapshot)
MESSAGES, ENUMS = SNAPSHOT["messages"], SNAPSHOT["enums"]
MANAGEMENT = "zitadel.management.v1.ManagementService"
PARAM = re.compile(r"\{([^}=]+)[^}]*\}")
# The segment before a path parameter names what the parameter identifies; others (v1 {key}) are plain values.
ID_KINDS = {"users": "user", "organizations": "org"}
DEFAULT_IDS = {"user": ALICE, "org": ORG}
ID_DIGITS = {"user": "8", "org": "7"}  # ids of users and orgs made up to sit exactly on a length bound
EXISTING = {"loginName": "alice"}  # lookups must find something to show their response names
RUNE = "\u00e9"  # two UTF-8 bytes: a server counting bytes instead of runes fails the upper bounds
# The PGV rules bounds() turns into cases; a snapshot with others fails test_the_generator_understands_every_rule.
KNOWN_RULES = {f"{prefix}{kind}.{name}" for prefix in ("", "repeated.items.") for kind in ("string", "bytes") for name in ("minLen", "maxLen")}
KNOWN_RULES.add("enum.definedOnly")


@dataclass(frozen=True)
class Binding:
    """One HTTP binding of a snapshot RPC."""

    service: str
    rpc: str
    method: str
    path: str
    body: str
    request: str
    response: str

    def __str__(self) -> str:
        return f"{'.'.join(self.service.split('.')[1:3])}.{self.rpc}"

    def params(self) -> dict[str, str | None]:
        """Path parameters as request JSON names -> the kind of object they identify (None for plain values)."""
        json_names = {field["name"]: field["json"] for field in MESSAGES[self.request]["fields"]}
        segments = self.path.split("/")
        return {json_names[PARAM.fullmatch(segment).group(1)]: ID_KINDS.get(segments[index - 1])
                for index, segment in enumerate(segments) if PARAM.fullmatch(segment)}


BINDINGS = [Binding(service, rpc, http["method"], http["path"], http["body"], spec["request"], spec["response"])
            for service, service_spec in sorted(SNAPSHOT["services"].items()) for rpc, spec in sorted(service_spec["rpcs"].items())
            for http in spec["http"]]
METADATA_BINDINGS = [binding for binding in BINDINGS if "Metadata" in binding.rpc]


def template(path: str) -> str:
    """A path template with parameter names dropped: {id} and {user_id} are the same route."""
    return PARAM.sub("{}", path)


def route_service(route) -> str | None:
    """The proto service of a route; routes without one predate the v2 API, which makes /management/v1 the Management API."""
    return getattr(route, "service", None) or (MANAGEMENT if route.pattern.startswith("/management/v1/") else None)


SERVED = {(route_service(route), route.rpc, route.method, template(route.pattern)) for route in ROUTES}
LOOKUP_BINDINGS = [binding for binding in BINDINGS if binding not in METADATA_BINDINGS
                   and (binding.service, binding.rpc, binding.method, template(binding.path)) in SERVED]


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.pattern}")
def test_every_route_is_in_the_snapshot(route):
    service = route_service(route)
    rpc = SNAPSHOT["services"].get(service, {}).get("rpcs", {}).get(route.rpc)
    assert rpc is not None, f"{service}/{route.rpc} is not in the snapshot"
    # A package older than the emulated release may show the interceptor permission v2 RPCs had at first (early_permission).
    assert rpc["permission"] in {route.permission, getattr(route, "early_permission", "")} - {""}
    if route.pattern == f"/{service}/{route.rpc}":  # the Connect binding every v2 RPC has
        assert route.method == "POST"
        return
    bindings = {(http["method"], template(http["path"])): http["body"] for http in rpc["http"]}
    assert (route.method, template(route.pattern)) in bindings, f"{service}/{route.rpc} is bound to {rpc['http']}"
    assert route.body == bool(bindings[route.method, template(route.pattern)])


@pytest.mark.parametrize("binding", METADATA_BINDINGS, ids=str)
def test_every_metadata_binding_is_served(binding):
    assert (binding.service, binding.rpc, binding.method, template(binding.path)) in SERVED, f"{binding.method} {binding.path}"


def length_rules(field: dict) -> dict:
    """The string or bytes length bounds of a field, or of its items when repeated."""
    rules = field.get("rules", {})
    rules = rules.get("repeated", {}).get("items", rules)
    return rules.get("string") or rules.get("bytes") or {}


def sample(field: dict, length: int, kind: str | None = None) -> str | bytes:
    """A value of the given length in runes or bytes; for an id, of a user or org the test state holds."""
    if field["type"] == "bytes":
        return b"v" * length
    return ID_DIGITS[kind] * length if kind else RUNE * length


def minimal(message: str) -> dict:
    """The smallest valid message: bounded strings and bytes, write payloads (metadata items, keys), required oneofs."""
    spec = MESSAGES[message]
    doc: dict = {}
    for field in spec["fields"]:
        if field["json"] in EXISTING:
            item: object = EXISTING[field["json"]]
        elif length_rules(field):
            item = sample(field, max(length_rules(field).get("minLen", 0), 1))
        elif field["repeated"] and field["type"] in MESSAGES and any(length_rules(inner).get("minLen") for inner in MESSAGES[field["type"]]["fields"]):
            item = minimal(field["type"])  # an empty list of writes is refused by the handler
        else:
            continue
        doc[field["json"]] = [item] if field["repeated"] else item
    for oneof, options in spec.get("oneofs", {}).items():
        members = [field for field in spec["fields"] if field.get("oneof") == oneof]
        if options["required"] and not any(member["json"] in doc for member in members):
            doc[members[0]["json"]] = minimal(members[0]["type"]) if members[0]["type"] in MESSAGES else sample(members[0], 1)
    return doc


def request(binding: Binding) -> dict:
    """A valid request of the binding, naming objects of the test state."""
    doc = minimal(binding.request)
    doc.update((name, DEFAULT_IDS[kind]) for name, kind in binding.params().items() if kind)
    return doc


def bounds(message: str, ids: dict[tuple[str, ...], str], prefix: tuple[str, ...] = (), seen: frozenset[str] = frozenset()
           ) -> Iterator[tuple[tuple[str, ...], str, object, object]]:
    """(JSON path, bound, value just inside, value just outside) of every PGV rule a message reaches."""
    spec = MESSAGES[message]
    for oneof, options in spec.get("oneofs", {}).items():
        if options["required"]:
            assert prefix, f"{message}: a required oneof at the top level needs a case builder"
            members = {field["json"] for field in spec["fields"] if field.get("oneof") == oneof}
            item = minimal(message)
            yield prefix, f"{oneof} required", item, {name: value for name, value in item.items() if name not in members}
    for field in spec["fields"]:
        path = prefix + (field["json"],)
        lengths, kind = length_rules(field), ids.get(path)
        if lengths.get("minLen"):
            yield path, f"minLen {lengths['minLen']}", sample(field, lengths["minLen"], kind), sample(field, lengths["minLen"] - 1, kind)
        if "maxLen" in lengths:
            yield path, f"maxLen {lengths['maxLen']}", sample(field, lengths["maxLen"], kind), sample(field, lengths["maxLen"] + 1, kind)
        if field.get("rules", {}).get("enum", {}).get("definedOnly"):
            highest = max(ENUMS[field["type"]].values())
            yield path, "definedOnly", highest, highest + 1
        if field["type"] in MESSAGES and field["type"] not in seen:
            yield from bounds(field["type"], ids, path, seen | {message})


@dataclass(frozen=True)
class Case:
    """One bound of one binding."""

    binding: Binding
    path: tuple[str, ...]
    bound: str
    inside: object
    outside: object

    def __str__(self) -> str:
        return f"{self.binding}:{'.'.join(self.path)}:{self.bound}"


def cases() -> Iterator[Case]:
    """The bound cases of the metadata RPCs; an empty path parameter is sent only at the end of the path (elsewhere the router cleans it away)."""
    for binding in METADATA_BINDINGS:
        params = binding.params()
        last = list(params)[-1] if params and template(binding.path).endswith("{}") else None
        for path, bound, inside, outside in bounds(binding.request, {(name,): kind for name, kind in params.items() if kind}):
            if outside == "" and path[0] in params and path[0] != last:
                continue
            yield Case(binding, path, bound, inside, outside)


def place(doc: dict, message: str, path: tuple[str, ...], value: object) -> None:
    """Set the value at a JSON path, creating minimal messages on the way and leaving one member per oneof."""
    fields = {field["json"]: field for field in MESSAGES[message]["fields"]}
    field = fields[path[0]]
    if "oneof" in field:
        for other in fields.values():
            if other.get("oneof") == field["oneof"] and other is not field:
                doc.pop(other["json"], None)
    if len(path) == 1:
        doc[path[0]] = [value] if field["repeated"] else value
        return
    if path[0] not in doc:
        doc[path[0]] = [minimal(field["type"])] if field["repeated"] else minimal(field["type"])
    place(doc[path[0]][0] if field["repeated"] else doc[path[0]], field["type"], path[1:], value)


def _json(value: object) -> object:
    """protojson: bytes as standard base64."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {name: _json(item) for name, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    return value


def send(client, binding: Binding, doc: dict):
    """The request over REST: path parameters into the path, the rest into the body (body "*") or the query string."""
    rest = dict(doc)
    proto_to_json = {field["name"]: field["json"] for field in MESSAGES[binding.request]["fields"]}
    path = PARAM.sub(lambda match: quote(rest.pop(proto_to_json[match.group(1)]), safe=""), binding.path)
    assert binding.body in ("*", ""), f"body {binding.body!r} needs support here"
    if binding.body:
        return client.session.request(binding.method, client.url + path, json=_json(rest), timeout=30)
    query = [(name, item) for name, value in rest.items() for item in (value if isinstance(value, list) else [value])]
    return client.session.request(binding.method, client.url + path, params=query, timeout=30)


def _version(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release[1:].split("."))


def emulated(binding: Binding) -> str:
    """The server release to emulate: the newest one not newer than the release the binding's descriptor describes."""
    described = _version(SNAPSHOT["services"][binding.service]["rpcs"][binding.rpc]["zitadel"])
    return max((release for release in RELEASES if _version(release) <= described), key=_version)


def seeded(initial_state: dict, binding: Binding, doc: dict) -> dict:
    """The test state for the binding's release, holding the request's target and every key the request names (so reads and
    deletes find them)."""
    state = copy.deepcopy(initial_state)
    state["settings"]["release"] = emulated(binding)
    kind, ident = next(((kind, doc[name]) for name, kind in binding.params().items() if kind), ("org", ORG))  # v1 org metadata: the context org
    home = state["orgs"][0]
    entities = state["orgs"] if kind == "org" else [user for org in state["orgs"] for user in org.get("users", [])]
    entity = next((entity for entity in entities if entity["id"] == ident), None)
    if entity is None:
        entity = {"id": ident, "name": f"contract-{len(ident)}"} if kind == "org" else {"id": ident, "username": f"contract-{len(ident)}"}
        (state["orgs"] if kind == "org" else home["users"]).append(entity)
    entity.setdefault("metadata", {}).update((key, "v") for key in named_keys(doc))
    return state


def named_keys(doc: object) -> list[str]:
    """Values of every `key` and `keys` field of a request."""
    if isinstance(doc, list):
        return [key for item in doc for key in named_keys(item)]
    if not isinstance(doc, dict):
        return []
    keys = [value for name, value in doc.items() if name == "key" and isinstance(value, str)]
    keys.extend(item for item in doc.get("keys", []) if isinstance(item, str))
    return keys + [key for value in doc.values() for key in named_keys(value)]


@pytest.fixture
def admin(client_for):
    """A client allowed everything everywhere, so that only validation can refuse."""
    return client_for(GLOBAL_PAT)


def rule_names(rules: dict, prefix: str = "") -> set[str]:
    """Flat names of PGV rules, e.g. repeated.items.string.maxLen."""
    names = set()
    for kind, rule in rules.items():
        for name, value in rule.items():
            names |= rule_names(value, f"{prefix}{kind}.items.") if (kind, name) == ("repeated", "items") else {f"{prefix}{kind}.{name}"}
    return names


def reachable(message: str, seen: set[str]) -> set[str]:
    """The message and every message its fields reach."""
    if message in MESSAGES and message not in seen:
        seen.add(message)
        for field in MESSAGES[message]["fields"]:
            reachable(field["type"], seen)
    return seen


def test_the_generator_understands_every_rule():
    found = set()
    for binding in METADATA_BINDINGS:
        for message in reachable(binding.request, set()):
            assert not {"disabled", "ignored"} & set(MESSAGES[message]), message
            found |= {name for field in MESSAGES[message]["fields"] for name in rule_names(field.get("rules", {}))}
    assert found <= KNOWN_RULES, f"bounds() needs cases for {sorted(found - KNOWN_RULES)}"


@pytest.mark.parametrize("case", list(cases()), ids=str)
def test_validation_bound(admin, initial_state, case):
    inside = request(case.binding)
    place(inside, case.binding.request, case.path, case.inside)
    assert admin.control("POST", "seed", seeded(initial_state, case.binding, inside)).status_code == 200
    response = send(admin, case.binding, inside)
    assert 200 <= response.status_code < 300, response.text[:500]
    outside = request(case.binding)
    place(outside, case.binding.request, case.path, case.outside)
    body = assert_error(send(admin, case.binding, outside), 400, 3)
    assert body["message"].startswith(f"invalid {case.binding.request.rsplit('.', 1)[1]}."), body


def stray_names(doc: dict, message: str, where: str) -> list[str]:
    """JSON names of a response that its message (recursively) does not have."""
    fields = {field["json"]: field for field in MESSAGES[message]["fields"]}
    strays = []
    for name, value in doc.items():
        field = fields.get(name)
        if field is None:
            strays.append(f"{where}.{name}")
        elif field["type"] in MESSAGES:
            for item in value if field["repeated"] else [value]:
                strays.extend(stray_names(item, field["type"], f"{where}.{name}"))
    return strays


@pytest.mark.parametrize("binding", METADATA_BINDINGS + LOOKUP_BINDINGS, ids=str)
def test_response_names_are_the_snapshots(admin, initial_state, binding):
    doc = request(binding)
    assert admin.control("POST", "seed", seeded(initial_state, binding, doc)).status_code == 200
    response = send(admin, binding, doc)
    assert response.status_code == 200, response.text[:500]
    assert stray_names(response.json(), binding.response, binding.response.rsplit(".", 1)[1]) == []
