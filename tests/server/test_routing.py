# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""grpc-gateway routing: shadowed key names, whole-path unescaping, unknown routes, GetUserByID, path cleaning redirects."""
from __future__ import annotations

import http.client
from urllib.parse import quote, unquote, urlsplit

import pytest
import requests

from conftest import ALICE, CAROL, GLOBAL_PAT, ORG, OTHER_ORG, assert_error, b64, unb64

NOT_FOUND = {"code": 5, "message": "Not Found"}


def rpcs(api) -> list[str]:
    """RPC names of the logged requests."""
    return [entry["rpc"] for entry in api.log()["requests"]]


def test_bulk_and_search_shadow_the_single_key_routes(api):
    api.control("DELETE", "requests")
    bulk = api.call("POST", f"/users/{ALICE}/metadata/_bulk", {"metadata": [{"key": "_bulk", "value": b64("b")}, {"key": "_search", "value": b64("s")}]})
    assert bulk.status_code == 200 and "creationDate" not in bulk.json()["details"]
    search = api.call("POST", f"/users/{ALICE}/metadata/_search", {"value": b64("ignored")})
    assert search.status_code == 200 and {item["key"] for item in search.json()["result"]} == {"team", "_bulk", "_search"}
    assert unb64(api.call("GET", f"/users/{ALICE}/metadata/_bulk").json()["metadata"]["value"]) == "b"
    assert unb64(api.call("GET", f"/users/{ALICE}/metadata/_search").json()["metadata"]["value"]) == "s"
    assert api.call("DELETE", f"/users/{ALICE}/metadata/_search").status_code == 200
    removed = api.call("DELETE", f"/users/{ALICE}/metadata/_bulk")
    assert_error(removed, 400, 9, "META-9mm2d")
    assert rpcs(api) == ["BulkSetUserMetadata", "ListUserMetadata", "GetUserMetadata", "GetUserMetadata", "RemoveUserMetadata", "BulkRemoveUserMetadata"]


def test_org_routes_shadow_the_same_way(api):
    api.control("DELETE", "requests")
    api.call("POST", "/metadata/_bulk", {"metadata": [{"key": "_bulk", "value": b64("b")}]})
    api.call("POST", "/metadata/_search", {})
    assert api.call("DELETE", "/metadata/_bulk", {"keys": ["_bulk"]}).status_code == 200
    assert_error(api.call("GET", "/metadata/_bulk"), 404, 5, "QUERY-Rph32")
    assert rpcs(api) == ["BulkSetOrgMetadata", "ListOrgMetadata", "BulkRemoveOrgMetadata", "GetOrgMetadata"]


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_escaped_slash_in_a_key_does_not_route(api, method):
    response = api.call(method, f"/users/{ALICE}/metadata/a%2Fb", {"value": b64("x")})
    assert response.status_code == 404 and response.json() == NOT_FOUND
    org_response = api.call(method, "/metadata/a%2Fb", {"value": b64("x")})
    assert org_response.status_code == 404 and org_response.json() == NOT_FOUND
    assert api.log()["requests"][-1]["rpc"] == "NotFound"


def test_keys_with_a_slash_work_through_bulk_and_list(api):
    assert api.call("POST", f"/users/{ALICE}/metadata/_bulk", {"metadata": [{"key": "a/b", "value": b64("x")}]}).status_code == 200
    assert "a/b" in {item["key"] for item in api.user_list(ALICE).json()["result"]}
    assert api.call("DELETE", f"/users/{ALICE}/metadata/_bulk", {"keys": ["a/b"]}).status_code == 200


@pytest.mark.parametrize("key", ["with space", "gr\u00fc\u00dfe-\u65e5\u672c", "100%", "what?", "a:b", "plus+sign", "semi;colon", "#hash"])
def test_percent_encoded_keys_round_trip(api, key):
    response = api.call("POST", f"/users/{ALICE}/metadata/{quote(key, safe='')}", {"value": b64("v")})
    assert response.status_code == 200, response.text
    assert api.user_get(ALICE, key).json()["metadata"]["key"] == key
    assert key in {item["key"] for item in api.user_list(ALICE).json()["result"]}
    assert api.user_remove(ALICE, key).status_code == 200


def test_path_parameters_win_over_body_fields(api):
    api.call("POST", f"/users/{ALICE}/metadata/real", {"key": "fake", "id": "123", "value": b64("v")})
    assert api.user_get(ALICE, "real").status_code == 200
    assert_error(api.user_get(ALICE, "fake"), 404, 5, "QUERY-Rgh32")


def test_empty_key_segment_reaches_validation(api):
    body = assert_error(api.call("POST", f"/users/{ALICE}/metadata/", {"value": b64("v")}), 400, 3)
    assert body["message"] == "invalid SetUserMetadataRequest.Key: value length must be between 1 and 200 runes, inclusive"


@pytest.mark.parametrize("path", ["/management/v1/nothing", "/management/v1/users/1/metadata", "/management/v1/users/1/metadata/a/b/c", "/", "/v2/nothing"])
def test_unknown_routes_give_the_gateway_404(srv, path):
    response = requests.get(srv.url + path, timeout=10)
    assert response.status_code == 404 and response.json() == NOT_FOUND
    assert response.headers["Content-Type"] == "application/json"


def test_wrong_method_on_a_known_path_is_501(api):
    response = api.call("PUT", f"/users/{ALICE}/metadata/team", {"value": b64("x")})
    assert response.status_code == 501 and response.json() == {"code": 12, "message": "Method Not Allowed"}


def test_malformed_escape_is_a_bad_request(srv):
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(srv.url).port, timeout=10)
    try:
        connection.request("GET", f"/management/v1/users/{ALICE}/metadata/a%zz")
        response = connection.getresponse()
        assert response.status == 400 and response.read() == b"400 Bad Request"
    finally:
        connection.close()


def test_invalid_utf8_in_the_path_fails_like_grpc_marshalling(api):
    assert_error(api.call("GET", f"/users/{ALICE}/metadata/%FF"), 500, 13)


def test_query_string_is_ignored(api):
    assert api.call("GET", f"/users/{ALICE}/metadata/team?key=other").json()["metadata"]["key"] == "team"


def test_get_user_by_id(api):
    response = api.call("GET", f"/users/{ALICE}")
    assert response.status_code == 200
    user = response.json()["user"]
    assert user["id"] == ALICE and user["userName"] == "alice" and user["preferredLoginName"] == "alice"
    assert user["state"] == "USER_STATE_ACTIVE" and "human" in user
    assert set(user["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    assert user["details"]["resourceOwner"] == ORG


@pytest.mark.parametrize("user", ["999", CAROL], ids=["missing", "other-org"])
def test_get_user_by_id_not_found(api, user):
    body = assert_error(api.call("GET", f"/users/{user}"), 404, 5, "QUERY-Dfbg2")
    assert body["message"] == "User could not be found (QUERY-Dfbg2)"


def test_get_user_by_id_in_another_org_with_the_header(client_for):
    user = client_for(GLOBAL_PAT).call("GET", f"/users/{CAROL}", org=OTHER_ORG).json()["user"]
    assert user["details"]["resourceOwner"] == OTHER_ORG


def raw_request(srv, method: str, path: str) -> http.client.HTTPResponse:
    """A request whose path no client library normalises; the answer is read."""
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(srv.url).port, timeout=10)
    try:
        connection.request(method, path, headers={"Authorization": f"Bearer {GLOBAL_PAT}"})
        response = connection.getresponse()
        response.body = response.read()
        return response
    finally:
        connection.close()


@pytest.mark.parametrize("path, location", [
    (f"/management/v1/users/%2E%2E/users/{ALICE}", f"/management/v1/users/{ALICE}"),
    (f"/management/v1/%2e/users/{ALICE}", f"/management/v1/users/{ALICE}"),
    (f"/management/v1/users/{ALICE}/metadata/a%20b/%2E%2E/team", f"/management/v1/users/{ALICE}/metadata/team"),
    (f"/management/v1/users/{ALICE}/metadata/a%20b/%2E", f"/management/v1/users/{ALICE}/metadata/a%20b"),
    (f"/management/v1/users/{ALICE}/metadata/%2E/", f"/management/v1/users/{ALICE}/metadata/"),
    ("/management/v1//metadata/region", "/management/v1/metadata/region"),
    ("/%2E%2E/%2E%2E/oauth/v2/token", "/oauth/v2/token"),
], ids=["dot-dot", "dot", "dot-dot-key", "escaped-location", "trailing-slash", "double-slash", "token-path"])
def test_dot_segments_are_redirected_to_the_clean_path(api, srv, path, location):
    response = raw_request(srv, "GET", path)
    assert response.status == 301 and response.getheader("Location") == location and response.body == b""
    assert response.getheader("Content-Length") == "0"
    entry = api.log()["requests"][-1]
    assert entry["rpc"] == "Redirect" and entry["status"] == 301 and entry["path"] == unquote(path)


def test_redirect_before_routing_and_auth(api, srv):
    response = requests.post(f"{srv.url}/management/v1/metadata/%2E%2E/metadata/_bulk", json={"metadata": []}, timeout=10, allow_redirects=False)
    assert response.status_code == 301 and response.headers["Location"] == "/management/v1/metadata/_bulk"
    assert rpcs(api) == ["Redirect"]
    followed = raw_request(srv, "GET", response.headers["Location"].replace("_bulk", "region"))
    assert followed.status == 200
