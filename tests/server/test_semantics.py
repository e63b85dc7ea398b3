# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ZITADEL's metadata semantics, case by case, for user and org metadata, with the JSON shapes of each answer."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from conftest import ALICE, BOB, CAROL, GLOBAL_PAT, ORG, OTHER_ORG, assert_error, b64, unb64

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$")


@dataclass(frozen=True)
class Scope:
    """Where a metadata family lives and which error ids it uses."""

    name: str
    base: str
    remove_missing: str
    bulk_remove_missing: str
    bulk_remove_empty: str
    get_missing: str


USER = Scope("user", f"/users/{ALICE}/metadata", "META-ncnw3", "META-2nnds", "META-9mm2d", "QUERY-Rgh32")
ORG_SCOPE = Scope("org", "/metadata", "META-mcnw3", "META-2npds", "META-9mw2d", "QUERY-Rph32")


@pytest.fixture(params=[USER, ORG_SCOPE], ids=["user", "org"])
def scope(request) -> Scope:
    """User metadata of alice, or metadata of the context org."""
    return request.param


def sequence(api, scope: Scope, key: str) -> int:
    """The sequence GET reports for a key."""
    response = api.call("GET", f"{scope.base}/{key}")
    assert response.status_code == 200, response.text
    return int(response.json()["metadata"]["details"]["sequence"])


def latest(api, scope: Scope) -> int:
    """The aggregate's current sequence (a write of a scratch key reports it)."""
    return int(api.call("POST", f"{scope.base}/scratch", {"value": b64("scratch")}).json()["details"]["sequence"])


def check_details(details: dict, keys: set[str]) -> None:
    """Exact ObjectDetails keys, uint64 as string, RFC 3339 dates, resource owner."""
    assert set(details) == keys
    assert isinstance(details["sequence"], str) and details["sequence"].isdigit()
    for name in keys & {"creationDate", "changeDate"}:
        assert TIMESTAMP.match(details[name]), details[name]
    assert details["resourceOwner"] == ORG


def test_set_returns_creation_date_but_no_change_date_and_no_id(api, scope):
    response = api.call("POST", f"{scope.base}/color", {"value": b64("blue")})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"details"}
    check_details(body["details"], {"sequence", "creationDate", "resourceOwner"})


def test_get_item_shape(api, scope):
    api.call("POST", f"{scope.base}/color", {"value": b64("blue")})
    body = api.call("GET", f"{scope.base}/color").json()
    assert set(body) == {"metadata"}
    item = body["metadata"]
    assert set(item) == {"details", "key", "value"}
    assert item["key"] == "color" and item["value"] == "Ymx1ZQ=="
    check_details(item["details"], {"sequence", "creationDate", "changeDate", "resourceOwner"})


def test_update_keeps_creation_date_and_moves_change_date(api, scope):
    first = api.call("POST", f"{scope.base}/color", {"value": b64("blue")}).json()["details"]
    second = api.call("POST", f"{scope.base}/color", {"value": b64("green")}).json()["details"]
    assert int(second["sequence"]) == int(first["sequence"]) + 1
    item = api.call("GET", f"{scope.base}/color").json()["metadata"]
    assert item["details"]["creationDate"] == first["creationDate"]
    assert item["details"]["changeDate"] == second["creationDate"]
    assert item["details"]["sequence"] == second["sequence"]
    assert unb64(item["value"]) == "green"


def test_user_same_value_set_is_a_silent_noop(api):
    first = api.user_set(ALICE, "color", "blue").json()["details"]
    again = api.user_set(ALICE, "color", "blue")
    assert again.status_code == 200
    assert again.json()["details"] == first
    assert sequence(api, USER, "color") == int(first["sequence"])
    assert api.user_set(ALICE, "other", "x").json()["details"]["sequence"] == str(int(first["sequence"]) + 1)


def test_org_same_value_set_pushes_a_new_event(api):
    first = api.call("POST", "/metadata/color", {"value": b64("blue")}).json()["details"]
    again = api.call("POST", "/metadata/color", {"value": b64("blue")})
    assert again.status_code == 200
    assert int(again.json()["details"]["sequence"]) == int(first["sequence"]) + 1
    assert sequence(api, ORG_SCOPE, "color") == int(first["sequence"]) + 1


def test_sequences_are_per_aggregate(api):
    bob_before = api.user_set(BOB, "k", "1").json()["details"]["sequence"]
    org_before = api.call("POST", "/metadata/k", {"value": b64("1")}).json()["details"]["sequence"]
    for value in ("2", "3", "4"):
        api.user_set(ALICE, "k", value)
    assert api.user_set(BOB, "k", "2").json()["details"]["sequence"] == str(int(bob_before) + 1)
    assert api.call("POST", "/metadata/k", {"value": b64("2")}).json()["details"]["sequence"] == str(int(org_before) + 1)


def test_bulk_set_shape_and_one_event_per_key(api, scope):
    before = latest(api, scope)
    response = api.call("POST", f"{scope.base}/_bulk", {"metadata": [{"key": "a", "value": b64("1")}, {"key": "b", "value": b64("2")}]})
    assert response.status_code == 200
    details = response.json()["details"]
    check_details(details, {"sequence", "changeDate", "resourceOwner"})
    assert int(details["sequence"]) == before + 2
    assert sequence(api, scope, "b") == before + 2 and sequence(api, scope, "a") == before + 1


def test_user_bulk_set_skips_byte_equal_keys(api):
    team = sequence(api, USER, "team")
    before = latest(api, USER)
    body = {"metadata": [{"key": "team", "value": b64("platform")}, {"key": "new", "value": b64("1")}]}
    details = api.call("POST", f"{USER.base}/_bulk", body).json()["details"]
    assert int(details["sequence"]) == before + 1
    assert sequence(api, USER, "team") == team
    unchanged = api.call("POST", f"{USER.base}/_bulk", body)
    assert unchanged.status_code == 200 and unchanged.json()["details"]["sequence"] == details["sequence"]


def test_org_bulk_set_pushes_equal_keys_too(api):
    before = latest(api, ORG_SCOPE)
    details = api.call("POST", "/metadata/_bulk", {"metadata": [{"key": "region", "value": b64("eu-west")}]}).json()["details"]
    assert int(details["sequence"]) == before + 1


def test_bulk_set_duplicate_key_last_wins(api, scope):
    body = {"metadata": [{"key": "dup", "value": b64("first")}, {"key": "dup", "value": b64("second")}]}
    assert api.call("POST", f"{scope.base}/_bulk", body).status_code == 200
    assert unb64(api.call("GET", f"{scope.base}/dup").json()["metadata"]["value"]) == "second"


@pytest.mark.parametrize("bad_item", [{"key": "", "value": b64("x")}, {"key": "k2", "value": ""}, {"key": "k2"}, {"key": "x" * 201, "value": b64("x")}])
def test_bulk_set_with_an_invalid_item_writes_nothing(api, scope, bad_item):
    response = api.call("POST", f"{scope.base}/_bulk", {"metadata": [{"key": "good", "value": b64("1")}, bad_item]})
    body = assert_error(response, 400, 3)
    assert "Metadata[1]" in body["message"]
    assert_error(api.call("GET", f"{scope.base}/good"), 404, 5, scope.get_missing)


def test_bulk_set_empty_list(api, scope):
    assert_error(api.call("POST", f"{scope.base}/_bulk", {"metadata": []}), 400, 9, "META-9mm2d")
    assert_error(api.call("POST", f"{scope.base}/_bulk", {}), 400, 9, "META-9mm2d")


def test_remove_then_remove_again_is_not_found(api, scope):
    api.call("POST", f"{scope.base}/gone", {"value": b64("x")})
    before = sequence(api, scope, "gone")
    response = api.call("DELETE", f"{scope.base}/gone")
    assert response.status_code == 200
    details = response.json()["details"]
    check_details(details, {"sequence", "changeDate", "resourceOwner"})
    assert int(details["sequence"]) == before + 1
    assert_error(api.call("GET", f"{scope.base}/gone"), 404, 5, scope.get_missing)
    body = assert_error(api.call("DELETE", f"{scope.base}/gone"), 404, 5, scope.remove_missing)
    assert body["details"][0]["message"] == "Metadata not found"


def test_bulk_remove(api, scope):
    api.call("POST", f"{scope.base}/_bulk", {"metadata": [{"key": "a", "value": b64("1")}, {"key": "b", "value": b64("2")}]})
    before = sequence(api, scope, "b")
    response = api.call("DELETE", f"{scope.base}/_bulk", {"keys": ["a", "b"]})
    assert response.status_code == 200
    details = response.json()["details"]
    check_details(details, {"sequence", "changeDate", "resourceOwner"})
    assert int(details["sequence"]) == before + 2
    assert_error(api.call("GET", f"{scope.base}/a"), 404, 5, scope.get_missing)


def test_bulk_remove_with_a_missing_key_removes_nothing(api, scope):
    api.call("POST", f"{scope.base}/keep", {"value": b64("1")})
    body = assert_error(api.call("DELETE", f"{scope.base}/_bulk", {"keys": ["keep", "missing"]}), 404, 5, scope.bulk_remove_missing)
    assert body["details"][0]["message"] == "One or more keys do not exist"
    assert api.call("GET", f"{scope.base}/keep").status_code == 200


def test_bulk_remove_empty_keys(api, scope):
    body = assert_error(api.call("DELETE", f"{scope.base}/_bulk", {"keys": []}), 400, 9, scope.bulk_remove_empty)
    assert body["details"][0]["message"] == "Metadata list is empty"


def test_bulk_remove_blank_key_is_caught_by_pgv(api, scope):
    api.call("POST", f"{scope.base}/keep", {"value": b64("1")})
    body = assert_error(api.call("DELETE", f"{scope.base}/_bulk", {"keys": ["keep", ""]}), 400, 3)
    assert "Keys[1]: value length must be between 1 and 200 runes, inclusive" in body["message"]
    assert api.call("GET", f"{scope.base}/keep").status_code == 200


def test_get_missing_key(api, scope):
    body = assert_error(api.call("GET", f"{scope.base}/nope"), 404, 5, scope.get_missing)
    assert body["message"] == f"Metadata not found ({scope.get_missing})"


@pytest.mark.parametrize("value, ok", [("x" * 500000, True), ("x" * 500001, False)])
def test_value_limit_counts_decoded_bytes(api, scope, value, ok):
    response = api.call("POST", f"{scope.base}/big", {"value": b64(value)})
    if ok:
        assert response.status_code == 200
    else:
        body = assert_error(response, 400, 3)
        assert body["message"].endswith("Request.Value: value length must be between 1 and 500000 bytes, inclusive")


@pytest.mark.parametrize("key, ok", [("\u00e4" * 200, True), ("k" * 201, False)])
def test_key_limit_counts_runes(api, scope, key, ok):
    response = api.call("POST", f"{scope.base}/{key}", {"value": b64("v")})
    if ok:
        assert response.status_code == 200
        assert api.call("GET", f"{scope.base}/{key}").json()["metadata"]["key"] == key
    else:
        body = assert_error(response, 400, 3)
        assert body["message"].endswith("Request.Key: value length must be between 1 and 200 runes, inclusive")


@pytest.mark.parametrize("body", [{}, {"value": ""}, {"value": None}], ids=["missing", "empty", "null"])
def test_missing_or_empty_value(api, scope, body):
    message = assert_error(api.call("POST", f"{scope.base}/k", body), 400, 3)["message"]
    rpc = "SetUserMetadataRequest" if scope is USER else "SetOrgMetadataRequest"
    assert message == f"invalid {rpc}.Value: value length must be between 1 and 500000 bytes, inclusive"


@pytest.mark.parametrize("value", ["not base64!", "YQ=x", "YWJj=", 5])
def test_invalid_base64_is_a_decode_error(api, scope, value):
    assert_error(api.call("POST", f"{scope.base}/k", {"value": value}), 400, 3)
    assert_error(api.call("GET", f"{scope.base}/k"), 404, 5, scope.get_missing)


@pytest.mark.parametrize("user", ["999999999999999999", CAROL], ids=["missing", "other-org"])
def test_user_not_found_or_in_another_org(api, user):
    writes = [
        api.user_set(user, "k", "v"),
        api.call("POST", f"/users/{user}/metadata/_bulk", {"metadata": [{"key": "k", "value": b64("v")}]}),
        api.user_remove(user, "team"),
        api.call("DELETE", f"/users/{user}/metadata/_bulk", {"keys": ["team"]}),
    ]
    for response in writes:
        body = assert_error(response, 400, 9, "COMMAND-uXHNj")
        assert body["message"] == "User could not be found (COMMAND-uXHNj)"
    assert_error(api.user_get(user, "team"), 404, 5, "QUERY-Rgh32")
    listed = api.user_list(user)
    assert listed.status_code == 200
    assert "result" not in listed.json() and "totalResult" not in listed.json()["details"]


def test_validation_runs_before_the_user_lookup(api):
    assert_error(api.user_set("999", "k", b""), 400, 3)


def test_org_header_selects_the_org(client_for):
    admin = client_for(GLOBAL_PAT)
    item = admin.user_get(CAROL, "team", org=OTHER_ORG).json()["metadata"]
    assert unb64(item["value"]) == "research" and item["details"]["resourceOwner"] == OTHER_ORG
    region = admin.call("GET", "/metadata/region", org=OTHER_ORG).json()["metadata"]
    assert unb64(region["value"]) == "us-east" and region["details"]["resourceOwner"] == OTHER_ORG
    assert unb64(admin.call("GET", "/metadata/region").json()["metadata"]["value"]) == "eu-west"
    set_details = admin.user_set(CAROL, "k", "v", org=OTHER_ORG).json()["details"]
    assert set_details["resourceOwner"] == OTHER_ORG
    assert_error(admin.user_get(ALICE, "team", org=OTHER_ORG), 404, 5, "QUERY-Rgh32")


def test_binary_values_round_trip(api, scope):
    raw = bytes(range(256))
    assert api.call("POST", f"{scope.base}/bin", {"value": b64(raw)}).status_code == 200
    assert api.call("GET", f"{scope.base}/bin").json()["metadata"]["value"] == b64(raw)
