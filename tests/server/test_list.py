# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""v1 search/list: pagination, limits, key filters, unspecified order."""
from __future__ import annotations

import pytest

from conftest import ALICE, BOB, assert_error, b64

KEYS = ["team", "Team", "teammate", "my-team", "other"]


@pytest.fixture
def many(api) -> list[str]:
    """Bob with 2500 keys."""
    keys = [f"k{index:04d}" for index in range(2500)]
    response = api.call("POST", f"/users/{BOB}/metadata/_bulk", {"metadata": [{"key": key, "value": b64(key)} for key in keys]})
    assert response.status_code == 200
    return keys


def page(api, offset: int, limit: int | None = None) -> dict:
    """One page of Bob's metadata."""
    query = {"offset": str(offset)}
    if limit is not None:
        query["limit"] = limit
    response = api.user_list(BOB, {"query": query})
    assert response.status_code == 200, response.text
    return response.json()


def test_paging_through_2500_keys(api, many):
    seen = []
    offset = 0
    while True:
        body = page(api, offset)
        assert body["details"]["totalResult"] == "2500"
        if "result" not in body:
            break
        assert len(body["result"]) == (1000 if offset < 2000 else 500)
        seen.extend(item["key"] for item in body["result"])
        offset += len(body["result"])
    assert offset == 2500 and sorted(seen) == many


def test_order_is_neither_key_nor_insertion_order_but_stable(api, many):
    first = [item["key"] for item in page(api, 0, 50)["result"]]
    assert first != many[:50] and first != sorted(first)
    assert [item["key"] for item in page(api, 0, 50)["result"]] == first
    assert [item["key"] for item in page(api, 10, 5)["result"]] == first[10:15]


@pytest.mark.usefixtures("many")
def test_limit_above_1000_is_rejected(api):
    body = assert_error(api.user_list(BOB, {"query": {"limit": 1001}}), 400, 3, "QUERY-4M0fs")
    assert body["message"] == "Limit exceeded (QUERY-4M0fs)"
    assert len(page(api, 0, 1000)["result"]) == 1000
    assert len(page(api, 0, 0)["result"]) == 1000


@pytest.mark.usefixtures("many")
def test_total_ignores_offset_and_limit(api):
    body = page(api, 2490, 3)
    assert body["details"]["totalResult"] == "2500" and len(body["result"]) == 3
    assert "viewTimestamp" in body["details"] and body["details"]["processedSequence"] == "2501"


def test_list_items_have_full_details(api):
    item = api.user_list(ALICE).json()["result"][0]
    assert set(item) == {"details", "key", "value"}
    assert set(item["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}


def test_org_list(api):
    body = api.call("POST", "/metadata/_search", {}).json()
    assert body["details"]["totalResult"] == "2"
    assert {item["key"] for item in body["result"]} == {"region", "logo"}


METHODS = ["EQUALS", "EQUALS_IGNORE_CASE", "STARTS_WITH", "STARTS_WITH_IGNORE_CASE", "CONTAINS", "CONTAINS_IGNORE_CASE", "ENDS_WITH", "ENDS_WITH_IGNORE_CASE"]
EXPECTED = [
    ("team", {"team"}),
    ("TEAM", {"team", "Team"}),
    ("team", {"team", "teammate"}),
    ("tEAm", {"team", "Team", "teammate"}),
    ("tea", {"team", "teammate", "my-team"}),
    ("TEA", {"team", "Team", "teammate", "my-team"}),
    ("team", {"team", "my-team"}),
    ("TEAM", {"team", "Team", "my-team"}),
]


@pytest.mark.parametrize("number", range(8), ids=METHODS)
@pytest.mark.parametrize("by_name", [True, False], ids=["name", "number"])
def test_text_query_methods(api, number, by_name):
    api.call("POST", f"/users/{BOB}/metadata/_bulk", {"metadata": [{"key": key, "value": b64("v")} for key in KEYS]})
    wanted, expected = EXPECTED[number]
    method = f"TEXT_QUERY_METHOD_{METHODS[number]}" if by_name else number
    body = api.user_list(BOB, {"queries": [{"keyQuery": {"key": wanted, "method": method}}]}).json()
    assert {item["key"] for item in body.get("result", [])} == expected
    assert body["details"]["totalResult"] == str(len(expected))


def test_queries_are_combined_with_and(api):
    api.call("POST", f"/users/{BOB}/metadata/_bulk", {"metadata": [{"key": key, "value": b64("v")} for key in KEYS]})
    queries = [{"keyQuery": {"key": "team", "method": "TEXT_QUERY_METHOD_STARTS_WITH"}}, {"keyQuery": {"key": "mate", "method": "TEXT_QUERY_METHOD_ENDS_WITH"}}]
    assert [item["key"] for item in api.user_list(BOB, {"queries": queries}).json()["result"]] == ["teammate"]


@pytest.mark.parametrize("queries, message", [
    ([{}], "invalid ListUserMetadataRequest.Queries[0]: embedded message failed validation | caused by: invalid MetadataQuery.Query: value is required"),
    ([{"keyQuery": {"key": "k" * 201}}], "caused by: invalid MetadataKeyQuery.Key: value length must be at most 200 runes"),
    ([{"keyQuery": {"key": "k", "method": 8}}], "caused by: invalid MetadataKeyQuery.Method: value must be one of the defined enum values"),
])
def test_invalid_queries_fail_validation(api, queries, message):
    assert assert_error(api.user_list(ALICE, {"queries": queries}), 400, 3)["message"].endswith(message)


def test_unknown_method_name_is_a_decode_error(api):
    assert_error(api.user_list(ALICE, {"queries": [{"keyQuery": {"key": "k", "method": "TEXT_QUERY_METHOD_REGEX"}}]}), 400, 3)
