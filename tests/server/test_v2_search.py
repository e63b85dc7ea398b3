# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""v2 ListUsers and GetUserByID, v2 ListOrganizations and v1 GetMyOrg: across orgs, permission-filtered, query trees, PGV."""
from __future__ import annotations

import copy

import pytest
import requests

from conftest import (ADMIN_SA, ALICE, BOB, CAROL, GLOBAL_PAT, GLOBAL_SA, NOBODY_PAT, NOBODY_SA, ORG, OTHER_ORG, READER_PAT, READER_SA,
                      assert_error)

ACME_USERS = sorted([ALICE, BOB, ADMIN_SA, READER_SA, NOBODY_SA, GLOBAL_SA], key=int, reverse=True)
ALL_USERS = sorted(ACME_USERS + [CAROL], key=int, reverse=True)
PREFIX = "invalid ListUsersRequest.Queries[0]: embedded message failed validation | caused by: "


def call(client, method: str, path: str, body: object = None, org: str | None = None) -> requests.Response:
    """A request to a path from the server root (client: a conftest Api)."""
    headers = {} if org is None else {"x-zitadel-orgid": org}
    return client.session.request(method, client.url + path, json=body, headers=headers, timeout=10)


def users(client, body: dict | None = None, **kwargs) -> dict:
    """v2 ListUsers, expecting 200."""
    response = call(client, "POST", "/v2/users", {} if body is None else body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def orgs(client, body: dict | None = None) -> dict:
    """v2 ListOrganizations, expecting 200."""
    response = call(client, "POST", "/v2/organizations/_search", {} if body is None else body)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict, field: str = "userId") -> list[str]:
    """The ids of a list answer, in order."""
    return [item[field] for item in body.get("result", [])]


def text(member: str, value: str, method: str = "TEXT_QUERY_METHOD_EQUALS") -> dict:
    """A text query of the user or org search."""
    field = {"userNameQuery": "userName", "loginNameQuery": "loginName", "nameQuery": "name", "domainQuery": "domain"}[member]
    return {member: {field: value, "method": method}}


def seed(api, state: dict, **settings) -> None:
    """Restart from a state with these settings."""
    assert api.control("POST", "seed", dict(state, settings=settings)).status_code == 200


@pytest.fixture
def domains(api, initial_state):
    """acme requires its domain in login names; globex has a domain but no such policy."""
    state = copy.deepcopy(initial_state)
    state["orgs"][0].update(domain="acme.example", user_login_must_be_domain=True)
    state["orgs"][1].update(domain="globex.example")
    seed(api, state)
    return api


def test_users_of_every_readable_org(api, client_for):
    body = users(client_for(GLOBAL_PAT))
    assert ids(body) == ALL_USERS and body["details"]["totalResult"] == "7" and set(body["details"]) == {"totalResult", "timestamp"}
    admin = users(api)  # user.read in acme only: carol is left out and not counted
    assert ids(admin) == ACME_USERS and admin["details"]["totalResult"] == "6"
    assert ids(users(api, {"queries": [{"inUserIdsQuery": {"userIds": [CAROL]}}]})) == []
    nobody = users(client_for(NOBODY_PAT))  # a membership without user.read: only itself
    assert ids(nobody) == [NOBODY_SA] and nobody["details"]["totalResult"] == "1"


def test_user_shape(domains):
    body = users(domains, {"queries": [{"inUserIdsQuery": {"userIds": [ALICE, ADMIN_SA]}}]})
    machine, human = body["result"]
    assert list(human) == ["userId", "details", "state", "username", "loginNames", "preferredLoginName", "human"]
    assert list(human["details"]) == ["sequence", "changeDate", "resourceOwner", "creationDate"]
    assert (human["userId"], human["state"], human["username"], human["loginNames"], human["preferredLoginName"]) == (
        ALICE, "USER_STATE_ACTIVE", "alice", ["alice@acme.example"], "alice@acme.example")
    assert human["details"]["resourceOwner"] == ORG and human["human"]["profile"]["gender"] == "GENDER_UNSPECIFIED"
    assert machine["machine"] == {"name": "ansible"} and "human" not in machine


def test_login_name_and_organization_queries(domains, client_for):
    admin = client_for(GLOBAL_PAT)
    alice = text("loginNameQuery", "ALICE@ACME.EXAMPLE", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")
    assert ids(users(admin, {"query": {"limit": 2}, "queries": [alice]})) == [ALICE]
    assert ids(users(admin, {"queries": [text("loginNameQuery", "ALICE@ACME.EXAMPLE")]})) == []  # EQUALS is case-sensitive
    assert ids(users(admin, {"queries": [text("loginNameQuery", "alice")]})) == []  # acme's policy requires the suffix
    assert ids(users(admin, {"queries": [text("loginNameQuery", "carol")]})) == [CAROL]  # globex's does not
    assert ids(users(admin, {"queries": [alice, {"organizationIdQuery": {"organizationId": OTHER_ORG}}]})) == []
    assert ids(users(admin, {"queries": [{"organization_id_query": {"organization_id": OTHER_ORG}}]})) == [CAROL]


def test_query_tree(api):
    either = {"orQuery": {"queries": [text("userNameQuery", "alice"), text("userNameQuery", "b", "TEXT_QUERY_METHOD_STARTS_WITH")]}}
    assert ids(users(api, {"queries": [either]})) == [BOB, ALICE]
    assert ids(users(api, {"queries": [either, {"notQuery": {"query": {"inUserIdsQuery": {"userIds": [BOB]}}}}]})) == [ALICE]
    both = {"andQuery": {"queries": [text("userNameQuery", "o", "TEXT_QUERY_METHOD_CONTAINS"), text("userNameQuery", "B", "TEXT_QUERY_METHOD_ENDS_WITH")]}}
    assert ids(users(api, {"queries": [both]})) == []


def test_order_limits_and_pagination(api, client_for, initial_state):
    seed(api, initial_state, max_query_limit=1)  # v2 ListUsers has no maximum
    admin = client_for(GLOBAL_PAT)
    assert ids(users(admin, {"query": {"asc": True}})) == ALL_USERS[::-1]
    by_name = ["reader", "nobody", "iam-admin", "carol", "bob", "ansible", "alice"]
    assert [user["username"] for user in users(admin, {"sortingColumn": "USER_FIELD_NAME_USER_NAME"})["result"]] == by_name
    page = users(admin, {"query": {"offset": "2", "limit": 3}})
    assert ids(page) == ALL_USERS[2:5] and page["details"]["totalResult"] == "7"
    assert ids(users(admin, {"query": {"limit": 5000}})) == ALL_USERS


@pytest.mark.parametrize("settings, total", [({"release": "v4.0"}, "7"), ({"release": "v4.0", "permission_check_v2": True}, "6"),
                                             ({"release": "v4.7"}, "6"), ({"release": "v3"}, "6")])
def test_total_counts_hidden_users_only_on_v4_0(api, initial_state, settings, total):
    seed(api, initial_state, **settings)
    body = users(api)
    assert ids(body) == ACME_USERS and body["details"]["totalResult"] == total


@pytest.mark.parametrize("query, cause", [
    (text("loginNameQuery", ""), "invalid SearchQuery.LoginNameQuery: embedded message failed validation | caused by: "
                                 "invalid LoginNameQuery.LoginName: value length must be between 1 and 200 runes, inclusive"),
    (text("userNameQuery", "é" * 201), "invalid SearchQuery.UserNameQuery: embedded message failed validation | caused by: "
                                       "invalid UserNameQuery.UserName: value length must be between 1 and 200 runes, inclusive"),
    ({"organizationIdQuery": {}}, "invalid SearchQuery.OrganizationIdQuery: embedded message failed validation | caused by: "
                                  "invalid OrganizationIdQuery.OrganizationId: value length must be between 1 and 200 runes, inclusive"),
    ({"userNameQuery": {"userName": "a", "method": 8}}, "invalid SearchQuery.UserNameQuery: embedded message failed validation | caused by: "
                                                        "invalid UserNameQuery.Method: value must be one of the defined enum values"),
    ({"emailQuery": {"emailAddress": "a@b"}}, "invalid SearchQuery.Query: value is required"),
    ({"andQuery": {"queries": [{}]}}, "invalid SearchQuery.AndQuery: embedded message failed validation | caused by: "
                                      "invalid AndQuery.Queries[0]: embedded message failed validation | caused by: "
                                      "invalid SearchQuery.Query: value is required"),
], ids=["empty-login-name", "long-user-name", "empty-org-id", "undefined-method", "unmodelled-member", "nested"])
def test_pgv(api, query, cause):
    body = assert_error(call(api, "POST", "/v2/users", {"queries": [query]}), 400, 3)
    assert body["message"] == PREFIX + cause


def test_decode_and_conversion_errors(api):
    body = assert_error(call(api, "POST", "/v2/users", {"queries": [{"userNameQuery": {"userName": "a"}, "inUserIdsQuery": {}}]}), 400, 3)
    assert body["message"] == "proto: oneof zitadel.user.v2.SearchQuery.query is already set"
    deep = text("userNameQuery", "alice")
    for _level in range(21):
        deep = {"notQuery": {"query": deep}}
    assert_error(call(api, "POST", "/v2/users", {"queries": [deep]}), 400, 3, "USER-zsQ97")
    assert_error(call(api, "POST", "/v2/users", {"queries": [{"notQuery": {}}]}), 400, 3, "GRPC-vR9nC")


def test_get_user_by_id(api, client_for):
    response = call(api, "GET", f"/v2/users/{ALICE}")
    assert response.status_code == 200 and list(response.json()) == ["details", "user"]
    body = response.json()
    assert body["details"] == body["user"]["details"] and body["details"]["resourceOwner"] == ORG
    assert body["user"] == users(api, {"queries": [{"inUserIdsQuery": {"userIds": [ALICE]}}]})["result"][0]
    assert call(client_for(GLOBAL_PAT), "GET", f"/v2/users/{CAROL}").json()["user"]["username"] == "carol"
    assert call(client_for(NOBODY_PAT), "GET", f"/v2/users/{NOBODY_SA}").status_code == 200  # itself
    body = assert_error(call(api, "GET", "/v2/users/404"), 404, 5, "QUERY-Dfbg2")
    assert body["message"] == "User could not be found (QUERY-Dfbg2)"
    assert_error(call(client_for(NOBODY_PAT), "GET", "/v2/users/404"), 404, 5, "QUERY-Dfbg2")
    assert_error(call(api, "GET", f"/v2/users/{CAROL}"), 404, 5, "AUTHZ-cdgFk")
    assert_error(call(client_for(NOBODY_PAT), "GET", f"/v2/users/{ALICE}"), 403, 7, "AUTH-AWfge")
    assert call(client_for(READER_PAT), "GET", f"/v2/users/{ALICE}", org=OTHER_ORG).status_code == 200
    body = assert_error(call(api, "GET", "/v2/users/" + "9" * 201), 400, 3)
    assert body["message"] == "invalid GetUserByIDRequest.UserId: value length must be between 1 and 200 runes, inclusive"


def test_membership_in_another_org_only(api, initial_state):
    state = copy.deepcopy(initial_state)
    state["orgs"][0]["service_accounts"].append({"id": "300000000000000904", "username": "globex-admin", "pats": ["pat-globex"],
                                                 "permissions": {OTHER_ORG: ["user.read", "org.read"]}})
    seed(api, state)
    api.session.headers["Authorization"] = "Bearer pat-globex"
    assert ids(users(api)) == ["300000000000000904", CAROL]  # itself and the users of globex
    assert_error(call(api, "GET", f"/v2/users/{ALICE}"), 404, 5, "AUTHZ-cdgFk")
    assert ids(orgs(api), "id") == [OTHER_ORG]


def test_list_organizations(domains, client_for):
    everything = orgs(client_for(GLOBAL_PAT))
    assert ids(everything, "id") == [ORG, OTHER_ORG] and everything["details"]["totalResult"] == "2"
    acme = everything["result"][0]
    assert list(acme) == ["id", "details", "state", "name", "primaryDomain"]
    assert (acme["state"], acme["name"], acme["primaryDomain"], acme["details"]["resourceOwner"]) == (
        "ORGANIZATION_STATE_ACTIVE", "acme", "acme.example", ORG)
    admin = orgs(domains)  # org.read in acme only: globex is left out but counted
    assert ids(admin, "id") == [ORG] and admin["details"]["totalResult"] == "2"
    assert "result" not in orgs(client_for(NOBODY_PAT)) and orgs(client_for(NOBODY_PAT))["details"]["totalResult"] == "2"


def test_organization_queries(domains, client_for):
    admin = client_for(GLOBAL_PAT)
    assert ids(orgs(admin, {"query": {"limit": 2}, "queries": [text("nameQuery", "acme")]}), "id") == [ORG]
    assert ids(orgs(admin, {"queries": [text("nameQuery", "ACME")]}), "id") == []
    assert ids(orgs(admin, {"queries": [text("nameQuery", "ACME", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")]}), "id") == [ORG]
    assert ids(orgs(admin, {"queries": [text("domainQuery", "globex.example")]}), "id") == [OTHER_ORG]
    assert ids(orgs(admin, {"queries": [{"idQuery": {"id": OTHER_ORG}}]}), "id") == [OTHER_ORG]
    assert ids(orgs(admin, {"queries": [{"defaultQuery": {}}]}), "id") == [ORG]  # the first org of the state
    assert ids(orgs(admin, {"queries": [{"idQuery": {"id": OTHER_ORG}}, text("nameQuery", "acme")]}), "id") == []
    assert ids(orgs(admin, {"sortingColumn": "ORGANIZATION_FIELD_NAME_NAME"}), "id") == [OTHER_ORG, ORG]
    assert ids(orgs(admin, {"sortingColumn": "ORGANIZATION_FIELD_NAME_NAME", "query": {"asc": True, "limit": 1}}), "id") == [ORG]
    assert ids(orgs(admin, {"query": {"offset": "1"}}), "id") == [OTHER_ORG]


def test_hidden_organizations_with_permission_check_v2(api, initial_state):
    seed(api, initial_state, permission_check_v2=True)
    body = orgs(api, {"queries": [text("nameQuery", "e", "TEXT_QUERY_METHOD_CONTAINS")]})
    assert ids(body, "id") == [ORG] and body["details"]["totalResult"] == "1"


@pytest.mark.parametrize("query, cause", [
    (text("nameQuery", ""), "invalid SearchQuery.NameQuery: embedded message failed validation | caused by: "
                            "invalid OrganizationNameQuery.Name: value length must be between 1 and 200 runes, inclusive"),
    ({"domainQuery": {"domain": "d", "method": 9}}, "invalid SearchQuery.DomainQuery: embedded message failed validation | caused by: "
                                                    "invalid OrganizationDomainQuery.Method: value must be one of the defined enum values"),
    ({"idQuery": {"id": "1" * 201}}, "invalid SearchQuery.IdQuery: embedded message failed validation | caused by: "
                                     "invalid OrganizationIDQuery.Id: value length must be between 1 and 200 runes, inclusive"),
    ({}, "invalid SearchQuery.Query: value is required"),
], ids=["empty-name", "undefined-method", "long-id", "no-member"])
def test_list_organizations_pgv(api, query, cause):
    body = assert_error(call(api, "POST", "/v2/organizations/_search", {"queries": [query]}), 400, 3)
    assert body["message"] == f"invalid ListOrganizationsRequest.Queries[0]: embedded message failed validation | caused by: {cause}"


def test_get_my_org(domains, client_for):
    assert domains.call("GET", "/orgs/me").json() == {"org": {
        "id": ORG, "details": domains.call("GET", "/orgs/me").json()["org"]["details"], "state": "ORG_STATE_ACTIVE", "name": "acme",
        "primaryDomain": "acme.example"}}
    assert list(domains.call("GET", "/orgs/me").json()["org"]["details"]) == ["sequence", "creationDate", "changeDate", "resourceOwner"]
    assert_error(domains.call("GET", "/orgs/me", org="404"), 403, 7, "AUTH-Bs7Ds")
    assert_error(client_for(READER_PAT).call("GET", "/orgs/me", org=OTHER_ORG), 403, 7, "AUTH-5mWD2")


def test_routing_and_request_log(api):
    api.control("DELETE", "requests")
    assert_error(call(api, "GET", "/v2/users"), 501, 12)
    assert_error(call(api, "GET", "/v2/organizations/_search"), 501, 12)
    users(api)
    call(api, "GET", f"/v2/users/{ALICE}")
    orgs(api)
    api.call("GET", "/orgs/me")
    api.call("POST", "/users/_search", {})
    log = api.log()
    assert [(entry["rpc"], entry["api"]) for entry in log["requests"]] == [
        ("MethodNotAllowed", None), ("MethodNotAllowed", None), ("ListUsers", "v2"), ("GetUserByID", "v2"), ("ListOrganizations", "v2"),
        ("GetMyOrg", "v1"), ("ListUsers", "v1")]
    assert log["counts"] == {"MethodNotAllowed": 2, "v2:ListUsers": 1, "v2:GetUserByID": 1, "v2:ListOrganizations": 1, "GetMyOrg": 1, "ListUsers": 1}
