# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Configurable limits: settings.max_query_limit for the metadata lists and the 4 MiB gRPC message size (HTTP 429)."""
from __future__ import annotations

import re

import pytest

from conftest import BOB, assert_error, b64

BIG = 500000
TOO_LARGE = re.compile(r"^grpc: received message larger than max \((\d+) vs\. 4194304\)$")


def seed(api, initial_state, **settings) -> None:
    """Restart from the test state with these settings."""
    assert api.control("POST", "seed", dict(initial_state, settings=settings)).status_code == 200


def bulk(api, keys: list[str], size: int = 1, **kwargs):
    """BulkSetUserMetadata of Bob, one value of `size` bytes per key."""
    return api.call("POST", f"/users/{BOB}/metadata/_bulk", {"metadata": [{"key": key, "value": b64(b"x" * size)} for key in keys]}, **kwargs)


def keys(count: int, prefix: str = "k") -> list[str]:
    """count distinct keys."""
    return [f"{prefix}{index:04d}" for index in range(count)]


def listed(api, limit: int | None = None):
    """ListUserMetadata of Bob."""
    return api.user_list(BOB, {} if limit is None else {"query": {"limit": limit}})


def assert_too_large(response) -> int:
    """The grpc-go size error: 429, code 8, no details, no Retry-After; returns the reported size."""
    body = assert_error(response, 429, 8)
    assert set(body) == {"code", "message"} and "Retry-After" not in response.headers
    match = TOO_LARGE.match(body["message"])
    assert match, body["message"]
    return int(match.group(1))


def test_lower_max_query_limit(api, initial_state):
    seed(api, initial_state, max_query_limit=100)
    assert bulk(api, keys(150)).status_code == 200
    assert_error(listed(api, 1000), 400, 3, "QUERY-4M0fs")
    assert len(listed(api, 100).json()["result"]) == 100
    assert len(listed(api).json()["result"]) == 100
    assert api.control("GET", "state").json()["settings"]["max_query_limit"] == 100


def test_max_query_limit_zero_means_no_maximum(api, initial_state):
    seed(api, initial_state, max_query_limit=0)
    assert bulk(api, keys(1200)).status_code == 200
    assert len(listed(api).json()["result"]) == 1200
    assert len(listed(api, 1100).json()["result"]) == 1100


def test_list_users_has_no_maximum(api, initial_state):
    seed(api, initial_state, max_query_limit=1)
    assert len(api.call("POST", "/users/_search", {"query": {"limit": 1000}}).json()["result"]) == 6


def test_bulk_set_over_4_mib_is_rejected_and_writes_nothing(api):
    size = assert_too_large(bulk(api, keys(9), BIG))
    assert 9 * BIG < size < 9 * BIG + 1000
    assert_error(api.user_get(BOB, "k0000"), 404, 5, "QUERY-Rgh32")
    assert api.log()["requests"][0]["status"] == 429
    assert bulk(api, keys(8), BIG).status_code == 200


def test_request_size_is_checked_before_auth(client_for):
    assert_too_large(bulk(client_for("not-a-token"), keys(9), BIG))


def test_list_page_over_4_mib(api):
    assert bulk(api, keys(5), BIG).status_code == 200 and bulk(api, keys(4, "m"), BIG).status_code == 200
    assert assert_too_large(listed(api)) > 9 * BIG
    assert len(listed(api, 8).json()["result"]) == 8
    assert api.log()["requests"][-2]["status"] == 429


def test_max_message_bytes_zero_disables_the_limit(api, initial_state):
    seed(api, initial_state, max_message_bytes=0)
    assert bulk(api, keys(9), BIG).status_code == 200
    assert len(listed(api).json()["result"]) == 9


def test_lower_max_message_bytes(api, initial_state):
    seed(api, initial_state, max_message_bytes=1000)
    assert api.user_set(BOB, "fits", b"x" * 900).status_code == 200
    body = assert_error(api.user_set(BOB, "big", b"x" * 1000), 429, 8)
    assert body["message"].endswith(" vs. 1000)")
    assert api.control("GET", "state").json()["settings"]["max_message_bytes"] == 1000


@pytest.mark.parametrize("settings, message", [
    ({"max_query_limit": -1}, "settings.max_query_limit: must be an integer >= 0"),
    ({"max_message_bytes": "4MiB"}, "settings.max_message_bytes: must be an integer >= 0"),
    ({"legacy": "no"}, "settings.legacy: must be true or false"),
    ({"page_size": 5}, "settings: unknown field(s) page_size"),
])
def test_settings_validation(api, initial_state, settings, message):
    response = api.control("POST", "seed", dict(initial_state, settings=settings))
    assert response.status_code == 400 and message in response.json()["error"]


def test_settings_defaults_are_exported(api):
    assert api.control("GET", "state").json()["settings"] == {"token_lifetime": 3600, "legacy": False, "max_query_limit": 1000,
                                                              "max_message_bytes": 4194304}
