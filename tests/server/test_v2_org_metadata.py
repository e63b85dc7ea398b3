# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Org v2 and v2beta metadata over REST; releases (which routes exist), v1_metadata and the settings of the v2 emulation."""
from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
import requests

from conftest import ALICE, GLOBAL_PAT, NOBODY_PAT, ORG, OTHER_ORG, READER_PAT, assert_error, b64

NOT_FOUND = {"code": 5, "message": "Not Found"}
PREFIXES = ["/v2", "/v2beta"]


def call(client, method: str, path: str, body: object = None, org: str | None = None) -> requests.Response:
    """A request to a path from the server root (client: a conftest Api)."""
    headers = {} if org is None else {"x-zitadel-orgid": org}
    return client.session.request(method, client.url + path, json=body, headers=headers, timeout=10)


def set_metadata(client, prefix: str, org: str, items: dict[str, str | bytes]) -> requests.Response:
    """SetOrganizationMetadata."""
    return call(client, "POST", f"{prefix}/organizations/{org}/metadata", {"metadata": [{"key": key, "value": b64(value)} for key, value in items.items()]})


def list_metadata(client, prefix: str, org: str, body: object = None) -> requests.Response:
    """ListOrganizationMetadata."""
    return call(client, "POST", f"{prefix}/organizations/{org}/metadata/search", {} if body is None else body)


def delete_metadata(client, prefix: str, org: str, keys: list[str]) -> requests.Response:
    """DeleteOrganizationMetadata with the keys percent-encoded in the query string."""
    return call(client, "DELETE", f"{prefix}/organizations/{org}/metadata?" + "&".join(f"keys={quote(key, safe='')}" for key in keys))


def org_doc(api, org: str) -> dict:
    """The org as the state export shows it."""
    return next(doc for doc in api.control("GET", "state").json()["orgs"] if doc["id"] == org)


def stored(api, org: str) -> dict[str, bytes]:
    """An org's metadata as the server holds it."""
    return {key: base64.b64decode(entry["base64"]) for key, entry in org_doc(api, org)["metadata"].items()}


def seed(api, initial_state, **settings) -> None:
    """Restart from the test state with these settings."""
    assert api.control("POST", "seed", dict(initial_state, settings=settings)).status_code == 200


def keys_of(response: requests.Response) -> list[str]:
    """The keys of a list answer, in order."""
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json().get("metadata", [])]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_set_list_delete(api, prefix):
    keys = ["a/b", "..", "_bulk", "a+b", "a b", "ä€"]
    response = set_metadata(api, prefix, ORG, {key: key.upper() for key in keys})
    assert response.status_code == 200 and set(response.json()) == {"setDate"}
    listed = list_metadata(api, prefix, ORG).json()
    assert listed["pagination"] == {"totalResult": "8"}  # appliedLimit echoes the request: none here
    assert sorted(item["key"] for item in listed["metadata"]) == sorted(keys + ["region", "logo"])
    assert all(set(item) == {"creationDate", "changeDate", "key", "value"} for item in listed["metadata"])
    response = delete_metadata(api, prefix, ORG, keys)
    assert response.status_code == 200 and set(response.json()) == {"deletionDate"}
    assert set(stored(api, ORG)) == {"region", "logo"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_order_of_checks(api, client_for, prefix):
    nobody, admin, iam = client_for(NOBODY_PAT), api, client_for(GLOBAL_PAT)
    assert_error(call(nobody, "POST", f"{prefix}/organizations/404/metadata", {"metadata": []}), 400, 9, "META-9mm2d")
    assert_error(delete_metadata(nobody, prefix, "404", []), 400, 9, "META-9mw2d")
    for response in (set_metadata(admin, prefix, "404", {"k": "v"}), delete_metadata(admin, prefix, "404", ["k"]),
                     set_metadata(admin, prefix, OTHER_ORG, {"k": "v"}), delete_metadata(admin, prefix, OTHER_ORG, ["region"])):
        assert_error(response, 404, 5, "AUTHZ-cdgFk")
    for client in (nobody, client_for(READER_PAT)):
        assert_error(set_metadata(client, prefix, ORG, {"k": "v"}), 403, 7, "AUTH-AWfge")
        assert_error(delete_metadata(client, prefix, ORG, ["region"]), 403, 7, "AUTH-AWfge")
    body = assert_error(set_metadata(iam, prefix, "404", {"k": "v"}), 400, 9, "COMMAND-QXPGs")
    assert body["message"] == "Organisation not found (COMMAND-QXPGs)"
    assert_error(delete_metadata(iam, prefix, "404", ["k"]), 400, 9, "COMMAND-QXPGs")
    assert set_metadata(iam, prefix, OTHER_ORG, {"k": "v"}).status_code == 200
    assert stored(api, OTHER_ORG) == {"region": b"us-east", "k": b"v"} and "k" not in stored(api, ORG)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_delete_with_a_missing_key_removes_nothing(api, prefix):
    body = assert_error(delete_metadata(api, prefix, ORG, ["region", "missing"]), 404, 5, "META-2npds")
    assert body["message"] == "One or more keys do not exist (META-2npds)"
    assert set(stored(api, ORG)) == {"region", "logo"}
    body = assert_error(delete_metadata(api, prefix, ORG, ["region", ""]), 400, 3)
    assert body["message"] == "invalid DeleteOrganizationMetadataRequest.Keys[1]: value length must be between 1 and 200 runes, inclusive"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_validation(api, prefix):
    body = assert_error(set_metadata(api, prefix, "7" * 201, {"k": "v"}), 400, 3)
    assert body["message"] == "invalid SetOrganizationMetadataRequest.OrganizationId: value length must be between 1 and 200 runes, inclusive"
    body = assert_error(list_metadata(api, prefix, "7" * 201), 400, 3)
    assert body["message"] == "invalid ListOrganizationMetadataRequest.OrganizationId: value length must be between 1 and 200 runes, inclusive"
    body = assert_error(delete_metadata(api, prefix, "7" * 201, ["k"]), 400, 3)
    assert body["message"] == "invalid DeleteOrganizationMetadataRequest.OrganizationId: value length must be between 1 and 200 runes, inclusive"
    body = assert_error(set_metadata(api, prefix, ORG, {"k": b"x" * 500001}), 400, 3)
    assert body["message"].endswith("caused by: invalid Metadata.Value: value length must be at most 500000 bytes" if prefix == "/v2" else
                                    "caused by: invalid Metadata.Value: value length must be between 1 and 500000 bytes, inclusive")


def test_v2_empty_value_deletes_but_v2beta_rejects_it(api):
    body = assert_error(set_metadata(api, "/v2beta", ORG, {"region": ""}), 400, 3)
    assert body["message"] == ("invalid SetOrganizationMetadataRequest.Metadata[0]: embedded message failed validation | "
                               "caused by: invalid Metadata.Value: value length must be between 1 and 500000 bytes, inclusive")
    assert set_metadata(api, "/v2", ORG, {"region": "", "absent": ""}).status_code == 200
    assert set(stored(api, ORG)) == {"logo"}


@pytest.mark.parametrize("release, pushes", [("v4.13", False), ("v4.7", True)])
def test_unchanged_value(api, initial_state, release, pushes):
    seed(api, initial_state, release=release)
    first = set_metadata(api, "/v2", ORG, {"k": "v"}).json()["setDate"]
    before = org_doc(api, ORG)["sequence"]
    again = set_metadata(api, "/v2beta", ORG, {"k": "v"}).json()["setDate"]
    assert org_doc(api, ORG)["sequence"] == before + pushes and (again > first) == pushes


def test_empty_value_is_rejected_before_v4_13(api, initial_state):
    seed(api, initial_state, release="v4.7")
    assert_error(set_metadata(api, "/v2", ORG, {"region": ""}), 400, 3)
    assert stored(api, ORG)["region"] == b"eu-west"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_hides_unreadable_and_unknown_orgs(api, client_for, prefix):
    for client, org in ((api, OTHER_ORG), (api, "404"), (client_for(NOBODY_PAT), ORG), (client_for(GLOBAL_PAT), "404")):
        assert list_metadata(client, prefix, org).json() == {"pagination": {}}
        assert list_metadata(client, prefix, org, {"pagination": {"limit": 5}}).json() == {"pagination": {"appliedLimit": "5"}}
    assert keys_of(list_metadata(client_for(READER_PAT), prefix, ORG, {"pagination": {"limit": 1000}})) != []
    assert keys_of(list_metadata(client_for(GLOBAL_PAT), prefix, OTHER_ORG)) == ["region"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_limits_and_order(api, prefix):
    keys = [f"key-{index:02d}" for index in range(12)]
    set_metadata(api, prefix, ORG, dict.fromkeys(keys, "v"))
    everything = keys_of(list_metadata(api, prefix, ORG))
    assert sorted(everything) == sorted(keys + ["region", "logo"]) and everything != sorted(everything)  # unspecified: sort on the client
    page = list_metadata(api, prefix, ORG, {"pagination": {"offset": "3", "limit": 4, "asc": True}})
    assert keys_of(page) == everything[3:7] and page.json()["pagination"] == {"totalResult": "14", "appliedLimit": "4"}
    assert_error(list_metadata(api, prefix, ORG, {"pagination": {"limit": 1001}}), 400, 3, "QUERY-4M0fs")
    assert_error(list_metadata(api, prefix, "404", {"pagination": {"limit": 1001}}), 400, 3, "QUERY-4M0fs")


def test_list_filters_of_v2_and_v2beta(api):
    set_metadata(api, "/v2", ORG, {"billing-id": "42", "Billing": "x"})
    v2 = {"filters": [{"keyFilter": {"key": "billing", "method": "TEXT_FILTER_METHOD_STARTS_WITH"}}]}
    beta = {"filter": [{"keyQuery": {"key": "billing", "method": "TEXT_QUERY_METHOD_STARTS_WITH_IGNORE_CASE"}}]}
    assert keys_of(list_metadata(api, "/v2", ORG, v2)) == ["billing-id"]
    assert sorted(keys_of(list_metadata(api, "/v2beta", ORG, beta))) == ["Billing", "billing-id"]
    assert len(keys_of(list_metadata(api, "/v2beta", ORG, v2))) == 4  # the other version's field is unknown: ignored
    assert len(keys_of(list_metadata(api, "/v2", ORG, beta))) == 4
    body = assert_error(list_metadata(api, "/v2beta", ORG, {"filter": [{"keyQuery": {"method": "TEXT_FILTER_METHOD_EQUALS"}}]}), 400, 3)
    assert body["message"] == "proto: invalid value for enum field method"
    body = assert_error(list_metadata(api, "/v2beta", ORG, {"filter": [{}]}), 400, 3)
    assert body["message"] == ("invalid ListOrganizationMetadataRequest.Filter[0]: embedded message failed validation | "
                               "caused by: invalid MetadataQuery.Query: value is required")
    body = assert_error(list_metadata(api, "/v2", ORG, {"filters": [{"keyFilter": {"key": "k" * 201}}]}), 400, 3)
    assert body["message"] == ("invalid ListOrganizationMetadataRequest.Filters[0]: embedded message failed validation | caused by: "
                               "invalid MetadataSearchFilter.KeyFilter: embedded message failed validation | "
                               "caused by: invalid MetadataKeyFilter.Key: value length must be at most 200 runes")


def test_v2beta_on_v4_0_checks_the_context_org_only(api, client_for, initial_state):
    seed(api, initial_state, release="v4.0")
    assert set_metadata(api, "/v2beta", OTHER_ORG, {"k": "v"}).status_code == 200  # org.write in the caller's own org suffices
    assert delete_metadata(api, "/v2beta", OTHER_ORG, ["k"]).status_code == 200
    assert_error(set_metadata(client_for(NOBODY_PAT), "/v2beta", ORG, {"k": "v"}), 403, 7, "AUTH-5mWD2")
    assert_error(list_metadata(client_for(NOBODY_PAT), "/v2beta", ORG), 403, 7, "AUTH-5mWD2")
    assert list_metadata(api, "/v2beta", OTHER_ORG).json() == {"pagination": {}}  # the list still filters by org.read


@pytest.mark.parametrize("release, user_v2, org_v2beta, org_v2", [
    ("v4.13", True, True, True),
    ("v4.7", True, True, True),
    ("v4.0", True, True, False),
    ("v3", False, False, False),
])
def test_releases(api, initial_state, release, user_v2, org_v2beta, org_v2):
    seed(api, initial_state, release=release)
    for served, responses in (
        (user_v2, [call(api, "POST", f"/v2/users/{ALICE}/metadata", {"metadata": [{"key": "k", "value": b64("v")}]}),
                   call(api, "POST", f"/v2/users/{ALICE}/metadata/search", {"pagination": {"limit": 1}}),
                   call(api, "DELETE", f"/v2/users/{ALICE}/metadata?keys=k")]),
        (org_v2beta, [set_metadata(api, "/v2beta", ORG, {"k": "v"}), list_metadata(api, "/v2beta", ORG), delete_metadata(api, "/v2beta", ORG, ["k"])]),
        (org_v2, [set_metadata(api, "/v2", ORG, {"k": "v"}), list_metadata(api, "/v2", ORG), delete_metadata(api, "/v2", ORG, ["k"])]),
    ):
        for response in responses:
            assert (response.status_code == 200) if served else (response.status_code == 404 and response.json() == NOT_FOUND), response.text
    for response in (call(api, "POST", "/v2/users", {}), call(api, "GET", f"/v2/users/{ALICE}"), call(api, "POST", "/v2/organizations/_search", {})):
        assert response.status_code == 200
    assert api.call("GET", f"/users/{ALICE}/metadata/team").status_code == 200


def test_a_v2_only_server(api, initial_state):
    seed(api, initial_state, v1_metadata=False)
    for method, path in (("GET", f"/users/{ALICE}/metadata/team"), ("POST", f"/users/{ALICE}/metadata/_search"), ("POST", "/metadata/_bulk"),
                         ("DELETE", "/metadata/region")):
        response = api.call(method, path, {})
        assert response.status_code == 404 and response.json() == NOT_FOUND
    assert api.call("GET", "/orgs/me").status_code == 200 and api.call("GET", f"/users/{ALICE}").status_code == 200
    assert api.call("POST", "/users/_search", {}).status_code == 200
    assert keys_of(call(api, "POST", f"/v2/users/{ALICE}/metadata/search", {})) == ["team"]


def test_bogus_org_header_fails_every_v2_call(api):
    calls = [("POST", "/v2/users"), ("GET", f"/v2/users/{ALICE}"), ("POST", "/v2/organizations/_search"),
             ("POST", f"/v2/users/{ALICE}/metadata"), ("POST", f"/v2/users/{ALICE}/metadata/search"), ("DELETE", f"/v2/users/{ALICE}/metadata?keys=k")]
    calls += [(method, f"{prefix}/organizations/{ORG}/metadata{suffix}") for prefix in PREFIXES
              for method, suffix in (("POST", ""), ("POST", "/search"), ("DELETE", "?keys=k"))]
    for method, path in calls:
        assert_error(call(api, method, path, {}, org="404"), 403, 7, "AUTH-Bs7Ds")
    assert set_metadata(api, "/v2", ORG, {"k": "v"}).status_code == 200
    assert call(api, "POST", f"/v2/organizations/{ORG}/metadata/search", {}, org=OTHER_ORG).json()["pagination"]["totalResult"] == "3"


def test_request_log_and_counts(api):
    api.control("DELETE", "requests")
    set_metadata(api, "/v2", ORG, {"k": "v"})
    list_metadata(api, "/v2beta", ORG, {"filter": [{"keyQuery": {"key": "k"}}]})
    delete_metadata(api, "/v2beta", ORG, ["k"])
    api.call("POST", "/metadata/_search", {})
    log = api.log()
    assert [(entry["rpc"], entry["api"], entry["keys"]) for entry in log["requests"]] == [
        ("SetOrganizationMetadata", "v2", ["k"]), ("ListOrganizationMetadata", "v2beta", ["k"]), ("DeleteOrganizationMetadata", "v2beta", ["k"]),
        ("ListOrgMetadata", "v1", [])]
    assert log["counts"] == {"v2:SetOrganizationMetadata": 1, "v2beta:ListOrganizationMetadata": 1, "v2beta:DeleteOrganizationMetadata": 1,
                             "ListOrgMetadata": 1}


@pytest.mark.parametrize("settings, message", [
    ({"release": "v5"}, "settings.release: must be one of v3, v4.0, v4.7, v4.13"),
    ({"release": 4}, "settings.release: must be one of"),
    ({"v1_metadata": "no"}, "settings.v1_metadata: must be true or false"),
    ({"permission_check_v2": 1}, "settings.permission_check_v2: must be true or false"),
])
def test_settings_validation(api, initial_state, settings, message):
    response = api.control("POST", "seed", dict(initial_state, settings=settings))
    assert response.status_code == 400 and message in response.json()["error"]


def test_settings_are_exported_when_changed(api, initial_state):
    assert set(api.control("GET", "state").json()["settings"]) == {"token_lifetime", "legacy", "max_query_limit", "max_message_bytes"}
    seed(api, initial_state, release="v4.0", v1_metadata=False, permission_check_v2=True)
    exported = api.control("GET", "state").json()
    assert exported["settings"] == {"token_lifetime": 43199, "legacy": False, "max_query_limit": 1000, "max_message_bytes": 4194304,
                                    "release": "v4.0", "v1_metadata": False, "permission_check_v2": True}
    assert api.control("POST", "seed", exported).status_code == 200 and api.control("GET", "state").json() == exported
