# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""JSON wire conventions of the gateway: protojson decoding and encoding; the protobuf size estimate."""
from __future__ import annotations

import pytest

from conftest import ALICE, assert_error, b64, unb64
from zitadel_server.wire import proto_size


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


def bulk_request(values: int, size: int = 500000) -> dict:
    """A BulkSetUserMetadataRequest as the gateway builds it (path id included)."""
    return {"id": ALICE, "metadata": [{"key": f"k{index}", "value": b64(b"x" * size)} for index in range(values)]}


def test_proto_size_of_small_messages_is_exact():
    assert proto_size({}) == 0
    assert proto_size({"key": "k", "value": b64(b"v")}) == 6
    assert proto_size({"value": b64(b"x" * 300)}) == 1 + 2 + 300
    assert proto_size({"key": "\u00e9"}) == 4
    assert proto_size({"query": {}}) == 2
    assert proto_size({"query": {"limit": 300, "asc": True, "offset": 0}}) == 2 + 3 + 2
    assert proto_size({"keys": ["a", "bb"], "none": None, "empty": "", "no": False, "list": []}) == 3 + 4


def test_proto_size_grows_with_every_byte_and_item():
    sizes = [proto_size(bulk_request(1, size)) for size in range(120, 140)]
    assert sizes == sorted(set(sizes))
    assert proto_size(bulk_request(3, 10)) < proto_size(bulk_request(4, 10))


def test_proto_size_around_the_4_mib_limit():
    assert proto_size(bulk_request(8)) < 4194304 < proto_size(bulk_request(9))
    page = {"details": {"totalResult": "9", "viewTimestamp": "2026-05-04T10:00:01.123456Z"},
            "result": [{"details": {"sequence": "12", "creationDate": "2026-05-04T10:00:01.123456Z", "changeDate": "2026-05-04T10:00:01.123456Z",
                                    "resourceOwner": "300000000000000001"}, "key": f"k{index}", "value": b64(b"x" * 500000)} for index in range(9)]}
    assert proto_size(page) > 4194304 > proto_size(dict(page, result=page["result"][:8]))
    assert 9 * 500000 < proto_size(page) < 9 * 500000 + 9 * 150
