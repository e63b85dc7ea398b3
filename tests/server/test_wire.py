# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JSON wire conventions of the gateway: protojson decoding and encoding."""
from __future__ import annotations

import pytest

from conftest import ALICE, assert_error, unb64


@pytest.mark.parametrize("encoded", ["+/8=", "+/8", "-_8=", "-_8"], ids=["std", "std-unpadded", "url", "url-unpadded"])
def test_base64_variants_are_accepted(api, encoded):
    assert api.call("POST", f"/users/{ALICE}/metadata/bin", {"value": encoded}).status_code == 200
    assert api.user_get(ALICE, "bin").json()["metadata"]["value"] == "+/8="


def test_unknown_request_fields_are_ignored(api):
    assert api.call("POST", f"/users/{ALICE}/metadata/k", {"value": "dg==", "unknownField": {"x": 1}}).status_code == 200


def test_snake_case_and_camel_case_request_names(api):
    body = {"query": {"limit": "5", "offset": 0, "asc": True}, "queries": [{"key_query": {"key": "team", "method": "TEXT_QUERY_METHOD_EQUALS"}}]}
    result = api.user_list(ALICE, body).json()["result"]
    assert [item["key"] for item in result] == ["team"]
    body["queries"] = [{"keyQuery": {"key": "team", "method": 0}}]
    assert [item["key"] for item in api.user_list(ALICE, body).json()["result"]] == ["team"]


def test_the_same_field_twice_is_a_decode_error(api):
    body = {"queries": [{"keyQuery": {"key": "a"}, "key_query": {"key": "b"}}]}
    assert_error(api.user_list(ALICE, body), 400, 3)


@pytest.mark.parametrize("raw", [b"{not json", b"[1]", b'{"value": "dg==", "value": "dg=="}', b"\xff\xfe"])
def test_undecodable_bodies(api, raw):
    response = api.call("POST", f"/users/{ALICE}/metadata/k", data=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400, 3)


@pytest.mark.parametrize("query", [{"limit": -1}, {"offset": "ten"}, {"limit": 2 ** 32}, {"asc": "yes"}, {"limit": True}])
def test_bad_scalar_types(api, query):
    assert_error(api.user_list(ALICE, {"query": query}), 400, 3)


def test_empty_body_is_an_empty_message(api):
    response = api.call("POST", f"/users/{ALICE}/metadata/k", data=b"")
    assert_error(response, 400, 3)
    assert api.user_list(ALICE, None).status_code == 200


def test_uint64_are_strings_and_zero_values_are_omitted(api):
    body = api.call("POST", "/users/" + ALICE + "/metadata/_search", {"queries": [{"keyQuery": {"key": "none"}}]}).json()
    assert "result" not in body and "totalResult" not in body["details"]
    assert isinstance(body["details"]["processedSequence"], str)
    item = api.user_get(ALICE, "team").json()["metadata"]
    assert isinstance(item["details"]["sequence"], str) and unb64(item["value"]) == "platform"


def test_responses_are_json(api):
    response = api.user_get(ALICE, "team")
    assert response.headers["Content-Type"] == "application/json"
    assert api.user_get(ALICE, "missing").headers["Content-Type"] == "application/json"
