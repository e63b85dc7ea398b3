# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Injected faults (statuses, drops, delays, token expiry) and projection lag."""
from __future__ import annotations

import time

import pytest
import requests

from conftest import ALICE, API_SCOPE, BOB, CLIENT_ID, CLIENT_SECRET, assert_error, b64, unb64

BULK = "/management/v1/users/*/metadata/_bulk"


def add_fault(api, **fault) -> dict:
    """Queue a fault."""
    response = api.control("POST", "faults", fault)
    assert response.status_code == 201, response.text
    return response.json()


def bulk(api, user: str = ALICE, key: str = "k", value: str = "v") -> requests.Response:
    """BulkSetUserMetadata of one key."""
    return api.call("POST", f"/users/{user}/metadata/_bulk", {"metadata": [{"key": key, "value": b64(value)}]})


def test_429_with_retry_after_for_the_next_count_requests(api):
    fault = add_fault(api, method="POST", path=BULK, count=2, action="status", status=429, retry_after=1)
    assert fault["count"] == 2 and fault["action"] == "status"
    assert api.user_get(ALICE, "team").status_code == 200
    for response in (bulk(api), bulk(api)):
        assert_error(response, 429, 8, "QUOTA-vjAy8")
        assert response.headers["Retry-After"] == "1"
    assert_error(api.user_get(ALICE, "k"), 404, 5, "QUERY-Rgh32")
    assert bulk(api).status_code == 200
    log = api.log()["requests"]
    assert [entry["fault"] for entry in log] == [None, "status", "status", None, None]
    assert [entry["status"] for entry in log] == [200, 429, 429, 404, 200]


def test_500_is_a_grpc_internal_error(api):
    add_fault(api, path="/management/v1/users/*", action="status", status=500)
    assert_error(api.call("GET", f"/users/{ALICE}"), 500, 13)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_are_not_json(api, status):
    add_fault(api, action="status", status=status)
    response = api.user_get(ALICE, "team")
    assert response.status_code == status
    assert not response.headers["Content-Type"].startswith("application/json") and response.text
    assert api.user_get(ALICE, "team").status_code == 200


def test_fault_matching_by_method_and_glob(api):
    add_fault(api, method="DELETE", path="/management/v1/metadata/*", action="status", status=503)
    assert api.call("GET", "/metadata/region").status_code == 200
    assert api.user_remove(ALICE, "team").status_code == 200
    assert api.call("DELETE", "/metadata/region").status_code == 503
    assert api.call("DELETE", "/metadata/region").status_code == 200


def test_first_matching_fault_wins_and_faults_can_be_listed_and_cleared(api):
    add_fault(api, action="status", status=502)
    add_fault(api, action="status", status=504)
    assert [fault["status"] for fault in api.control("GET", "faults").json()["faults"]] == [502, 504]
    assert api.user_get(ALICE, "team").status_code == 502
    assert api.control("DELETE", "faults").status_code == 200
    assert api.control("GET", "faults").json()["faults"] == []
    assert api.user_get(ALICE, "team").status_code == 200


def test_drop_closes_without_answer_and_without_processing(api):
    add_fault(api, path=BULK, action="drop")
    with pytest.raises(requests.ConnectionError):
        bulk(api, key="dropped")
    assert_error(api.user_get(ALICE, "dropped"), 404, 5, "QUERY-Rgh32")
    entry = api.log()["requests"][0]
    assert entry["fault"] == "drop" and entry["status"] is None and entry["rpc"] == "BulkSetUserMetadata"


def test_drop_after_writes_but_loses_the_answer(api):
    add_fault(api, path=BULK, action="drop_after")
    with pytest.raises(requests.ConnectionError):
        bulk(api, key="written", value="yes")
    assert unb64(api.user_get(ALICE, "written").json()["metadata"]["value"]) == "yes"
    entry = api.log()["requests"][0]
    assert entry["fault"] == "drop_after" and entry["status"] == 200


def test_delay(api):
    add_fault(api, method="GET", action="delay", seconds=0.3)
    started = time.monotonic()
    assert api.user_get(ALICE, "team").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert api.log()["requests"][0]["fault"] == "delay"


@pytest.mark.parametrize("fault", [{"action": "explode"}, {"action": "status"}, {"action": "status", "status": 200}, {"action": "drop", "count": 0},
                                   {"action": "delay", "seconds": "1"}, {"action": "drop", "colour": "red"}, ["drop"]])
def test_invalid_faults_are_rejected(api, fault):
    response = api.control("POST", "faults", fault)
    assert response.status_code == 400 and response.json()["error"]


def test_lag_serves_the_old_state_for_the_next_reads(api):
    assert api.control("POST", "lag", {"reads": 2}).json() == {"reads": 2}
    old = api.user_get(ALICE, "team").json()["metadata"]
    written = api.user_set(ALICE, "team", "infra").json()["details"]
    assert api.user_set(ALICE, "fresh", "1").status_code == 200
    stale = api.user_get(ALICE, "team").json()["metadata"]
    assert stale == old and int(stale["details"]["sequence"]) < int(written["sequence"])
    listed = api.user_list(ALICE).json()["result"]
    assert [item["key"] for item in listed] == ["team"] and unb64(listed[0]["value"]) == "platform"
    assert unb64(api.user_get(ALICE, "team").json()["metadata"]["value"]) == "infra"
    assert api.user_get(ALICE, "fresh").status_code == 200


def test_lag_for_new_and_removed_keys_and_per_aggregate(api):
    api.control("POST", "lag", {"reads": 1})
    api.user_set(ALICE, "new", "1")
    api.user_remove(ALICE, "team")
    assert api.user_get(BOB, "missing").status_code == 404
    assert_error(api.user_get(ALICE, "new"), 404, 5, "QUERY-Rgh32")
    assert api.user_get(ALICE, "new").status_code == 200
    assert_error(api.user_get(ALICE, "team"), 404, 5, "QUERY-Rgh32")


def test_org_lag_and_turning_lag_off(api):
    api.control("POST", "lag", {"reads": 1})
    api.call("POST", "/metadata/region", {"value": b64("ap-south")})
    assert unb64(api.call("GET", "/metadata/region").json()["metadata"]["value"]) == "eu-west"
    api.control("POST", "lag", {"reads": 0})
    api.call("POST", "/metadata/region", {"value": b64("us-west")})
    assert unb64(api.call("GET", "/metadata/region").json()["metadata"]["value"]) == "us-west"


@pytest.mark.parametrize("body", [{}, {"reads": -1}, {"reads": "2"}, {"reads": True}])
def test_invalid_lag(api, body):
    assert api.control("POST", "lag", body).status_code == 400


def issue(srv) -> str:
    """An access token from the client credentials grant."""
    response = requests.post(srv.url + "/oauth/v2/token", data={"grant_type": "client_credentials", "scope": API_SCOPE},
                             auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_expire_tokens_rejects_the_issued_token_it_arrives_with(api, srv, client_for):
    token = issue(srv)
    holder = client_for(token)
    assert holder.user_get(ALICE, "team").status_code == 200
    add_fault(api, method="GET", path="/management/v1/users/*", action="expire_tokens")
    assert_error(holder.user_get(ALICE, "team"), 401, 16, "AUTH-7fs1e")
    assert api.user_get(ALICE, "team").status_code == 200
    assert client_for(issue(srv)).user_get(ALICE, "team").status_code == 200
    assert [(entry["rpc"], entry["fault"]) for entry in api.log()["requests"]][-4:] == [
        ("GetUserMetadata", "expire_tokens"), ("GetUserMetadata", None), ("Token", None), ("GetUserMetadata", None)]
    assert token in srv.app.tokens.issued()


def test_expire_tokens_on_a_pat_request_expires_every_issued_token(api, srv, client_for):
    holders = [client_for(issue(srv)) for _holder in range(2)]
    add_fault(api, path=BULK, action="expire_tokens")
    assert bulk(api).status_code == 200
    for holder in holders:
        assert_error(holder.user_get(ALICE, "k"), 401, 16, "AUTH-7fs1e")
    assert api.user_get(ALICE, "k").status_code == 200
