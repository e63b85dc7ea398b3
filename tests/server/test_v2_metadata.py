# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""User v2 metadata over REST: set, list, delete; order of checks, permissions on the user's org, releases, keys in query strings."""
from __future__ import annotations

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest
import requests

from conftest import ADMIN_SA, ALICE, BOB, CAROL, GLOBAL_PAT, NOBODY_PAT, NOBODY_SA, OTHER_ORG, PAT, READER_PAT, READER_SA, assert_error, b64, unb64

SPECIAL_KEYS = ["a/b", ".", "..", "_bulk", "_search", "a+b", "a b", "a,b", "ä€😀", "%41", "k?x=1&y#z"]
NO_HISTORY = "0001-01-01T00:00:00Z"


def call(client, method: str, path: str, body: object = None, org: str | None = None) -> requests.Response:
    """A request to a path from the server root (client: a conftest Api)."""
    headers = {} if org is None else {"x-zitadel-orgid": org}
    return client.session.request(method, client.url + path, json=body, headers=headers, timeout=10)


def set_metadata(client, user: str, items: dict[str, str | bytes], **kwargs) -> requests.Response:
    """SetUserMetadata with these keys and values."""
    return call(client, "POST", f"/v2/users/{user}/metadata", {"metadata": [{"key": key, "value": b64(value)} for key, value in items.items()]}, **kwargs)


def list_metadata(client, user: str, body: object = None, **kwargs) -> requests.Response:
    """ListUserMetadata."""
    return call(client, "POST", f"/v2/users/{user}/metadata/search", {} if body is None else body, **kwargs)


def delete_metadata(client, user: str, keys: list[str], **kwargs) -> requests.Response:
    """DeleteUserMetadata with the keys percent-encoded in the query string."""
    return call(client, "DELETE", f"/v2/users/{user}/metadata?" + "&".join(f"keys={quote(key, safe='')}" for key in keys), **kwargs)


def stored(api, user: str) -> dict[str, str]:
    """A user's metadata as the server holds it (key -> text)."""
    users = [doc for org in api.control("GET", "state").json()["orgs"] for doc in org["users"] + org["service_accounts"]]
    return {key: unb64(entry["base64"]) for key, entry in next(doc for doc in users if doc["id"] == user)["metadata"].items()}


def sequence(api, user: str) -> int:
    """The user's aggregate sequence."""
    return next(doc["sequence"] for org in api.control("GET", "state").json()["orgs"] for doc in org["users"] + org["service_accounts"]
                if doc["id"] == user)


def seed(api, initial_state, **settings) -> None:
    """Restart from the test state with these settings."""
    assert api.control("POST", "seed", dict(initial_state, settings=settings)).status_code == 200


def keys_of(response: requests.Response) -> list[str]:
    """The keys of a list answer, in order."""
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json().get("metadata", [])]


def test_set_answers_the_set_date_and_keys_of_any_form_round_trip(api):
    response = set_metadata(api, ALICE, {key: f"value of {key}" for key in SPECIAL_KEYS})
    assert response.status_code == 200 and set(response.json()) == {"setDate"}
    assert stored(api, ALICE) == {"team": "platform", **{key: f"value of {key}" for key in SPECIAL_KEYS}}
    listed = list_metadata(api, ALICE).json()
    assert listed["pagination"] == {"totalResult": str(len(SPECIAL_KEYS) + 1), "appliedLimit": "100"}
    assert all(set(item) == {"creationDate", "changeDate", "key", "value"} for item in listed["metadata"])
    assert delete_metadata(api, ALICE, SPECIAL_KEYS).json().keys() == {"deletionDate"}
    assert stored(api, ALICE) == {"team": "platform"}


def test_query_string_decoding(api):
    assert set_metadata(api, ALICE, {"a b": "1", "a+b": "2", "a,b": "3", "a": "4", "b": "5"}).status_code == 200
    assert call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=a+b").status_code == 200  # + is a space, as in Go's url.ParseQuery
    assert call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=a%2Bb&user_id=ignored&other=1").status_code == 200
    assert call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=a,b").status_code == 200  # one key named "a,b"
    assert call(api, "DELETE", f"/v2/users/{ALICE}/metadata?k%65ys=a&&keys=b").status_code == 200
    assert stored(api, ALICE) == {"team": "platform"}


def test_query_string_errors(api, srv):
    assert_error(call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=team;keys=x"), 400, 3)
    assert call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=team;x").json()["message"] == "invalid semicolon separator in query"
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(srv.url).port, timeout=10)
    try:  # requests would escape the bad escape
        connection.request("DELETE", f"/v2/users/{ALICE}/metadata?keys=team&keys=a%zz", headers={"Authorization": f"Bearer {PAT}"})
        response = connection.getresponse()
        assert response.status == 400 and json.loads(response.read()) == {"code": 3, "message": 'invalid URL escape "%zz"'}
    finally:
        connection.close()
    assert_error(call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=%FF"), 500, 13)
    assert stored(api, ALICE) == {"team": "platform"}


def test_set_order_of_checks(api, client_for):
    assert_error(call(client_for(NOBODY_PAT), "POST", "/v2/users/404/metadata", {"metadata": []}), 400, 9, "META-9mm2d")
    body = assert_error(set_metadata(client_for(NOBODY_PAT), "404", {"k": "v"}), 400, 9, "COMMAND-uXHNj")
    assert body["message"] == "User could not be found (COMMAND-uXHNj)"
    body = assert_error(set_metadata(api, CAROL, {"k": "v"}), 404, 5, "AUTHZ-cdgFk")  # no membership in globex
    assert body["message"] == "membership not found (AUTHZ-cdgFk)"
    body = assert_error(set_metadata(client_for(READER_PAT), ALICE, {"k": "v"}), 403, 7, "AUTH-AWfge")
    assert body["message"] == "No matching permissions found (AUTH-AWfge)"
    assert_error(set_metadata(client_for(NOBODY_PAT), ALICE, {"k": "v"}), 403, 7, "AUTH-AWfge")  # a membership without permissions
    assert set_metadata(client_for(GLOBAL_PAT), CAROL, {"k": "v"}).status_code == 200
    assert stored(api, ALICE) == {"team": "platform"} and stored(api, CAROL) == {"team": "research", "k": "v"}


def test_validation_precedes_the_handler(client_for):
    nobody = client_for(NOBODY_PAT)
    body = assert_error(set_metadata(nobody, "9" * 201, {"k": "v"}), 400, 3)
    assert body["message"] == "invalid SetUserMetadataRequest.UserId: value length must be between 1 and 200 runes, inclusive"
    body = assert_error(set_metadata(nobody, "404", {"ok": "v", "": "v"}), 400, 3)
    assert body["message"] == ("invalid SetUserMetadataRequest.Metadata[1]: embedded message failed validation | "
                               "caused by: invalid Metadata.Key: value length must be between 1 and 200 runes, inclusive")


@pytest.mark.parametrize("key, value, message", [
    ("é" * 201, "v", "invalid Metadata.Key: value length must be between 1 and 200 runes, inclusive"),
    ("k", b"x" * 500001, "invalid Metadata.Value: value length must be at most 500000 bytes"),
], ids=["key", "value"])
def test_bounds(api, key, value, message):
    assert set_metadata(api, BOB, {"é" * 200: "v", "big": b"x" * 500000}).status_code == 200
    body = assert_error(set_metadata(api, BOB, {"fine": "v", key: value}), 400, 3)
    assert body["message"] == f"invalid SetUserMetadataRequest.Metadata[1]: embedded message failed validation | caused by: {message}"
    assert "fine" not in stored(api, BOB)


def test_self_writes_need_the_permission_like_any_other(api, client_for, initial_state):
    assert_error(set_metadata(client_for(READER_PAT), READER_SA, {"k": "v"}), 403, 7, "AUTH-AWfge")
    assert_error(delete_metadata(client_for(READER_PAT), READER_SA, ["k"]), 403, 7, "AUTH-AWfge")
    assert set_metadata(api, ADMIN_SA, {"k": "v"}).status_code == 200  # the admin holds user.write in its org
    seed(api, initial_state, release="v4.0")  # v4.0 to v4.2 let a user write its own metadata
    assert set_metadata(client_for(READER_PAT), READER_SA, {"k": "v"}).status_code == 200
    assert delete_metadata(client_for(READER_PAT), READER_SA, ["k"]).status_code == 200
    assert_error(set_metadata(client_for(READER_PAT), ALICE, {"k": "v"}), 403, 7, "AUTH-AWfge")


def test_unchanged_values_push_no_event_and_answer_the_previous_date(api):
    first = set_metadata(api, ALICE, {"a": "1", "b": "2"}).json()["setDate"]
    before = sequence(api, ALICE)
    again = set_metadata(api, ALICE, {"a": "1", "b": "2", "team": "platform"}).json()["setDate"]
    assert again == first and sequence(api, ALICE) == before
    changed = set_metadata(api, ALICE, {"a": "1", "b": "3"}).json()["setDate"]
    assert changed > first and sequence(api, ALICE) == before + 1


def test_user_without_metadata_history(api):
    assert set_metadata(api, BOB, {"k": ""}).json() == {"setDate": NO_HISTORY}
    assert stored(api, BOB) == {}


def test_empty_value_deletes_the_key(api):
    before = sequence(api, ALICE)
    items = [{"key": "team", "value": ""}, {"key": "new", "value": b64("n")}, {"key": "absent"}]  # "absent": no value at all
    response = call(api, "POST", f"/v2/users/{ALICE}/metadata", {"metadata": items})
    assert response.status_code == 200
    assert stored(api, ALICE) == {"new": "n"} and sequence(api, ALICE) == before + 2


@pytest.mark.parametrize("release", ["v4.7", "v4.0"])
def test_empty_value_is_rejected_before_v4_13(api, initial_state, release):
    seed(api, initial_state, release=release)
    body = assert_error(set_metadata(api, ALICE, {"new": "n", "team": ""}), 400, 3)
    assert body["message"] == ("invalid SetUserMetadataRequest.Metadata[1]: embedded message failed validation | "
                               "caused by: invalid Metadata.Value: value length must be between 1 and 500000 bytes, inclusive")
    assert stored(api, ALICE) == {"team": "platform"}


@pytest.mark.parametrize("items, result", [
    ([("team", "new"), ("team", "platform")], {"team": "new"}),
    ([("team", ""), ("team", "platform")], {}),
    ([("x", "1"), ("x", "2")], {"team": "platform", "x": "2"}),
], ids=["changed-then-unchanged", "deleted-then-unchanged", "last-wins"])
def test_duplicate_keys_compare_with_the_value_before_the_request(api, items, result):
    response = call(api, "POST", f"/v2/users/{ALICE}/metadata", {"metadata": [{"key": key, "value": b64(value)} for key, value in items]})
    assert response.status_code == 200 and stored(api, ALICE) == result


def test_v2_requests_have_no_size_limit_but_responses_do(api):
    big = {f"k{index}": b"x" * 500000 for index in range(9)}
    assert set_metadata(api, BOB, big).status_code == 200  # v1 BulkSet of these is a 429
    body = assert_error(list_metadata(api, BOB), 429, 8)
    assert body["message"].startswith("grpc: received message larger than max (") and body["message"].endswith(" vs. 4194304)")
    assert len(list_metadata(api, BOB, {"pagination": {"limit": 8}}).json()["metadata"]) == 8


def test_list_order_is_creation_date_descending_and_asc_flips_it(api):
    for key in ("k1", "k2", "k3"):
        set_metadata(api, ALICE, {key: "v"})
    set_metadata(api, ALICE, {"k1": "changed"})  # changes keep the creation date
    assert keys_of(list_metadata(api, ALICE)) == ["k3", "k2", "k1", "team"]
    assert keys_of(list_metadata(api, ALICE, {"pagination": {"asc": True}})) == ["team", "k1", "k2", "k3"]
    page = list_metadata(api, ALICE, {"pagination": {"offset": "1", "limit": 2}})
    assert keys_of(page) == ["k2", "k1"] and page.json()["pagination"] == {"totalResult": "4", "appliedLimit": "2"}


def test_list_limits(api, initial_state):
    set_metadata(api, BOB, {f"k{index:03d}": "v" for index in range(150)})
    assert len(keys_of(list_metadata(api, BOB))) == 100
    assert list_metadata(api, BOB, {"pagination": {"limit": 1000}}).json()["pagination"] == {"totalResult": "150", "appliedLimit": "1000"}
    body = assert_error(list_metadata(api, BOB, {"pagination": {"limit": 1001}}), 400, 3, "QUERY-4M0fs")
    assert body["message"] == "Limit exceeded (QUERY-4M0fs)"
    assert_error(list_metadata(api, "404", {"pagination": {"limit": 1001}}), 400, 3, "QUERY-4M0fs")
    seed(api, initial_state, max_query_limit=5)
    assert_error(list_metadata(api, ALICE, {"pagination": {"limit": 6}}), 400, 3, "QUERY-4M0fs")
    assert list_metadata(api, ALICE, {"pagination": {"limit": 5}}).status_code == 200


def test_list_of_an_unknown_user_is_empty(api):
    assert list_metadata(api, "404").json() == {"pagination": {"appliedLimit": "100"}}
    assert list_metadata(api, "404", {"pagination": {"limit": 7}}).json() == {"pagination": {"appliedLimit": "7"}}


def test_unreadable_metadata_is_hidden_but_counted(api, client_for, initial_state):
    assert list_metadata(client_for(READER_PAT), CAROL).json() == {"pagination": {"totalResult": "1", "appliedLimit": "100"}}
    assert list_metadata(client_for(NOBODY_PAT), ALICE).json() == {"pagination": {"totalResult": "1", "appliedLimit": "100"}}
    set_metadata(api, NOBODY_SA, {"mine": "v"})
    assert keys_of(list_metadata(client_for(NOBODY_PAT), NOBODY_SA)) == ["mine"]  # a user may always read its own
    seed(api, initial_state, permission_check_v2=True)
    assert list_metadata(client_for(READER_PAT), CAROL).json() == {"pagination": {"appliedLimit": "100"}}
    assert keys_of(list_metadata(client_for(GLOBAL_PAT), CAROL)) == ["team"]


def test_v4_0_list_needs_user_read_in_the_context_org(api, client_for, initial_state):
    seed(api, initial_state, release="v4.0")
    body = assert_error(list_metadata(client_for(NOBODY_PAT), NOBODY_SA), 403, 7, "AUTH-5mWD2")
    assert body["message"] == "No matching permissions found (AUTH-5mWD2)"
    assert list_metadata(client_for(READER_PAT), CAROL).json() == {"pagination": {"totalResult": "1", "appliedLimit": "100"}}
    assert_error(list_metadata(client_for(READER_PAT), CAROL, org=OTHER_ORG), 403, 7, "AUTH-5mWD2")


@pytest.mark.parametrize("method, wanted, expected", [
    ("TEXT_FILTER_METHOD_EQUALS", "Team", ["Team"]),
    ("TEXT_FILTER_METHOD_EQUALS_IGNORE_CASE", "TEAM", ["Team", "team"]),
    ("TEXT_FILTER_METHOD_STARTS_WITH", "team", ["team-lead", "team"]),
    ("TEXT_FILTER_METHOD_STARTS_WITH_IGNORE_CASE", "TEAM", ["team-lead", "Team", "team"]),
    ("TEXT_FILTER_METHOD_CONTAINS", "_team%", ["my_team%"]),
    ("TEXT_FILTER_METHOD_CONTAINS_IGNORE_CASE", "EAM", ["my_team%", "team-lead", "Team", "team"]),
    (6, "eam", ["Team", "team"]),
    ("TEXT_FILTER_METHOD_ENDS_WITH_IGNORE_CASE", "AM%", ["my_team%"]),
])
def test_key_filter_methods(api, method, wanted, expected):
    for key in ("Team", "team-lead", "my_team%"):
        set_metadata(api, ALICE, {key: "v"})
    assert keys_of(list_metadata(api, ALICE, {"filters": [{"keyFilter": {"key": wanted, "method": method}}]})) == expected


def test_filters_are_anded(api):
    set_metadata(api, ALICE, {"app.a": "1", "app.b": "2", "web.a": "3"})
    filters = [{"keyFilter": {"key": "app.", "method": "TEXT_FILTER_METHOD_STARTS_WITH"}},
               {"key_filter": {"key": ".a", "method": "TEXT_FILTER_METHOD_ENDS_WITH"}}]
    response = list_metadata(api, ALICE, {"filters": filters})
    assert keys_of(response) == ["app.a"] and response.json()["pagination"]["totalResult"] == "1"


@pytest.mark.parametrize("filters, cause", [
    ([{}], "invalid MetadataSearchFilter.Filter: value is required"),
    ([{"keyFilter": {"key": "k" * 201}}], "invalid MetadataSearchFilter.KeyFilter: embedded message failed validation | "
                                          "caused by: invalid MetadataKeyFilter.Key: value length must be at most 200 runes"),
    ([{"keyFilter": {"method": 8}}], "invalid MetadataSearchFilter.KeyFilter: embedded message failed validation | "
                                     "caused by: invalid MetadataKeyFilter.Method: value must be one of the defined enum values"),
], ids=["oneof", "key", "method"])
def test_filter_validation(api, filters, cause):
    body = assert_error(list_metadata(api, ALICE, {"filters": [{"keyFilter": {"key": "", "method": 7}}] + filters}), 400, 3)
    assert body["message"] == f"invalid ListUserMetadataRequest.Filters[1]: embedded message failed validation | caused by: {cause}"


def test_v1_list_shape_is_not_accepted_as_v2(api):
    """query/queries are unknown fields of the v2 request: ignored."""
    response = list_metadata(api, ALICE, {"query": {"limit": 1}, "queries": [{"keyQuery": {"key": "nothing"}}]})
    assert keys_of(response) == ["team"] and response.json()["pagination"]["appliedLimit"] == "100"


def test_delete_is_all_or_nothing(api, client_for):
    set_metadata(api, ALICE, {"a": "1", "b": "2"})
    body = assert_error(delete_metadata(api, ALICE, ["a", "missing", "b"]), 404, 5, "META-2nnds")
    assert body["message"] == "One or more keys do not exist (META-2nnds)"
    assert stored(api, ALICE) == {"team": "platform", "a": "1", "b": "2"}
    assert_error(call(api, "DELETE", f"/v2/users/{ALICE}/metadata", {"keys": ["a"]}), 400, 9, "META-9mm2d")  # no body is read
    assert_error(delete_metadata(client_for(NOBODY_PAT), "404", []), 400, 9, "META-9mm2d")
    assert_error(delete_metadata(client_for(NOBODY_PAT), "404", ["a"]), 400, 9, "COMMAND-uXHNj")
    assert_error(delete_metadata(api, CAROL, ["team"]), 404, 5, "AUTHZ-cdgFk")
    assert_error(delete_metadata(client_for(READER_PAT), ALICE, ["a"]), 403, 7, "AUTH-AWfge")
    body = assert_error(call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=a&keys="), 400, 3)
    assert body["message"] == "invalid DeleteUserMetadataRequest.Keys[1]: value length must be between 1 and 200 runes, inclusive"
    assert delete_metadata(api, ALICE, ["a", "b"]).status_code == 200
    assert stored(api, ALICE) == {"team": "platform"}


def test_delete_user_id_has_no_length_rule(api):
    assert_error(delete_metadata(api, "9" * 201, ["a"]), 400, 9, "COMMAND-uXHNj")
    assert_error(list_metadata(api, "9" * 201), 400, 3)


def test_org_header_is_ignored_unless_unknown(api, client_for):
    assert set_metadata(api, ALICE, {"k": "v"}, org=OTHER_ORG).status_code == 200
    assert keys_of(list_metadata(client_for(GLOBAL_PAT), ALICE, org=OTHER_ORG)) == ["k", "team"]
    for response in (set_metadata(api, ALICE, {"k": "v"}, org="404"), list_metadata(api, ALICE, org="404"),
                     delete_metadata(api, ALICE, ["k"], org="404")):
        body = assert_error(response, 403, 7, "AUTH-Bs7Ds")
        assert body["message"] == "Organisation doesn't exist (AUTH-Bs7Ds)"
    assert stored(api, ALICE)["k"] == "v"


def test_authentication(client_for):
    assert_error(list_metadata(client_for(None), ALICE), 401, 16)
    assert_error(set_metadata(client_for("wrong"), ALICE, {"k": "v"}), 401, 16, "AUTH-7fs1e")


def test_lag_applies_to_v2_lists(api):
    api.control("POST", "lag", {"reads": 1})
    set_metadata(api, ALICE, {"k": "v"})
    assert keys_of(list_metadata(api, ALICE)) == ["team"]
    assert keys_of(list_metadata(api, ALICE)) == ["k", "team"]


def test_routing(api, srv):
    assert_error(call(api, "PUT", f"/v2/users/{ALICE}/metadata", {}), 501, 12)
    for path in (f"/v2/users/{ALICE}/metadata/a%2Fb", "/v2/users/a%2Fb/metadata", f"/v2/users/{ALICE}/metadata/_search"):
        response = call(api, "POST", path, {})
        assert response.status_code == 404 and response.json() == {"code": 5, "message": "Not Found"}
    redirect = requests.post(f"{srv.url}/v2/users/{ALICE}/metadata/%2E%2E/metadata/search", json={}, timeout=10, allow_redirects=False)
    assert redirect.status_code == 301 and redirect.headers["Location"] == f"/v2/users/{ALICE}/metadata/search"


def test_request_log(api):
    api.control("DELETE", "requests")
    set_metadata(api, ALICE, {"a/b": "secret-value", "c": "x"})
    list_metadata(api, ALICE, {"filters": [{"keyFilter": {"key": "a/"}}]})
    delete_metadata(api, ALICE, ["a/b", "c"])
    api.user_list(ALICE)
    call(api, "POST", "/v2/nothing", {})
    log = api.log()
    assert [(entry["rpc"], entry["api"], entry["keys"]) for entry in log["requests"]] == [
        ("SetUserMetadata", "v2", ["a/b", "c"]), ("ListUserMetadata", "v2", ["a/"]), ("DeleteUserMetadata", "v2", ["a/b", "c"]),
        ("ListUserMetadata", "v1", []), ("NotFound", None, [])]
    assert log["requests"][2]["path"] == f"/v2/users/{ALICE}/metadata"
    assert log["counts"] == {"v2:SetUserMetadata": 1, "v2:ListUserMetadata": 1, "v2:DeleteUserMetadata": 1, "ListUserMetadata": 1, "NotFound": 1}
    assert "secret-value" not in str(log) and b64("secret-value") not in str(log)
