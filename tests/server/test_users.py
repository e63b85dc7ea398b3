# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""v1 ListUsers and login names: query tree, context org, order, pagination, PGV, the org domain policy."""
from __future__ import annotations

import copy

import pytest

from conftest import (ADMIN_SA, ALICE, BOB, CAROL, GLOBAL_PAT, GLOBAL_SA, NOBODY_PAT, NOBODY_SA, ORG, OTHER_ORG, READER_PAT, READER_SA,
                      assert_error)
from zitadel_server import StateError, ZitadelServer

ORG_USERS = sorted([ALICE, BOB, ADMIN_SA, READER_SA, NOBODY_SA, GLOBAL_SA], key=int, reverse=True)


def with_domains(state: dict) -> dict:
    """The test state with acme's domain policy requiring the domain suffix; globex has a domain but no such policy."""
    state = copy.deepcopy(state)
    state["orgs"][0].update(domain="acme.example", user_login_must_be_domain=True)
    state["orgs"][1].update(domain="globex.example")
    return state


@pytest.fixture
def domains(api, initial_state):
    """The server seeded with org domains."""
    assert api.control("POST", "seed", with_domains(initial_state)).status_code == 200
    return api


def search(client, body: dict | None = None, **kwargs) -> dict:
    """ListUsers, expecting 200."""
    response = client.call("POST", "/users/_search", {} if body is None else body, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict) -> list[str]:
    """The user ids of a ListUsers answer, in order."""
    return [user["id"] for user in body.get("result", [])]


def text(member: str, value: str, method: str = "TEXT_QUERY_METHOD_EQUALS") -> dict:
    """A userNameQuery or loginNameQuery."""
    field = {"userNameQuery": "userName", "loginNameQuery": "loginName"}[member]
    return {member: {field: value, "method": method}}


def test_or_of_login_names_ignoring_case(domains):
    queries = [{"orQuery": {"queries": [text("loginNameQuery", "ALICE@ACME.EXAMPLE", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE"),
                                        text("loginNameQuery", "Bob@Acme.Example", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")]}}]
    body = search(domains, {"queries": queries})
    assert ids(body) == [BOB, ALICE] and body["details"]["totalResult"] == "2"
    alice = body["result"][1]
    assert alice["loginNames"] == ["alice@acme.example"] and alice["preferredLoginName"] == "alice@acme.example"
    assert alice["userName"] == "alice" and alice["details"]["resourceOwner"] == ORG


def test_login_name_equals_is_case_sensitive_and_needs_the_suffix(domains):
    assert ids(search(domains, {"queries": [text("loginNameQuery", "ALICE@ACME.EXAMPLE")]})) == []
    assert ids(search(domains, {"queries": [text("loginNameQuery", "alice")]})) == []
    assert ids(search(domains, {"queries": [text("loginNameQuery", "alice@acme.example")]})) == [ALICE]
    assert ids(search(domains, {"queries": [text("loginNameQuery", "@ACME.EXAMPLE", "TEXT_QUERY_METHOD_ENDS_WITH_IGNORE_CASE")]})) == ORG_USERS


def test_without_the_policy_the_login_name_is_the_username(domains, client_for):
    carol = search(client_for(GLOBAL_PAT), {"queries": [text("loginNameQuery", "carol")]}, org=OTHER_ORG)["result"]
    assert [user["loginNames"] for user in carol] == [["carol"]] and carol[0]["preferredLoginName"] == "carol"


def test_user_object_shape_is_the_one_of_get_user_by_id(domains):
    listed = search(domains, {"queries": [{"inUserIdsQuery": {"userIds": [ALICE, ADMIN_SA]}}]})["result"]
    assert listed[1] == domains.call("GET", f"/users/{ALICE}").json()["user"]
    assert set(listed[1]) == {"id", "details", "state", "userName", "loginNames", "preferredLoginName", "human"}
    assert set(listed[1]["details"]) == {"sequence", "creationDate", "changeDate", "resourceOwner"}
    assert listed[0]["machine"] == {"name": "ansible"} and listed[0]["loginNames"] == ["ansible@acme.example"]


def test_in_user_ids_and_context_org_only(api, client_for):
    assert ids(search(api, {"queries": [{"inUserIdsQuery": {"userIds": [ALICE, CAROL, "999"]}}]})) == [ALICE]
    admin = client_for(GLOBAL_PAT)
    assert ids(search(admin)) == ORG_USERS
    assert ids(search(admin, {"queries": [{"in_user_ids_query": {"user_ids": [ALICE, CAROL]}}]}, org=OTHER_ORG)) == [CAROL]
    assert search(admin, org=OTHER_ORG)["details"]["totalResult"] == "1"


def test_user_name_methods_and_and_not(api):
    assert ids(search(api, {"queries": [text("userNameQuery", "ALICE")]})) == []
    assert ids(search(api, {"queries": [text("userNameQuery", "ALICE", "TEXT_QUERY_METHOD_EQUALS_IGNORE_CASE")]})) == [ALICE]
    assert ids(search(api, {"queries": [text("userNameQuery", "o", "TEXT_QUERY_METHOD_CONTAINS")]})) == [NOBODY_SA, BOB]
    both = [text("userNameQuery", "o", "TEXT_QUERY_METHOD_CONTAINS"), {"notQuery": {"query": text("userNameQuery", "bob")}}]
    assert ids(search(api, {"queries": both})) == [NOBODY_SA]
    nested = {"andQuery": {"queries": [text("userNameQuery", "b", "TEXT_QUERY_METHOD_STARTS_WITH"),
                                       text("userNameQuery", "ob", "TEXT_QUERY_METHOD_ENDS_WITH")]}}
    assert ids(search(api, {"queries": [nested]})) == [BOB]
    assert ids(search(api, {"queries": [{"orQuery": {"queries": []}}]})) == []
    assert ids(search(api, {"queries": [text("userNameQuery", "")]})) == []


def test_order_and_pagination(api):
    assert ids(search(api)) == ORG_USERS
    assert ids(search(api, {"query": {"asc": True}})) == ORG_USERS[::-1]
    by_name = ["reader", "nobody", "iam-admin", "bob", "ansible", "alice"]
    for column in ("USER_FIELD_NAME_USER_NAME", 1):
        assert [user["userName"] for user in search(api, {"sortingColumn": column})["result"]] == by_name
    assert [user["userName"] for user in search(api, {"sorting_column": 1, "query": {"asc": True}})["result"]] == by_name[::-1]
    assert ids(search(api, {"sortingColumn": "USER_FIELD_NAME_EMAIL"})) == ORG_USERS
    pages = [search(api, {"query": {"offset": str(offset), "limit": 4}}) for offset in (0, 4, 8)]
    assert [ids(page) for page in pages] == [ORG_USERS[:4], ORG_USERS[4:], []]
    assert {page["details"]["totalResult"] for page in pages} == {"6"} and "result" not in pages[2]
    assert "sortingColumn" not in search(api, {"sortingColumn": 1}) and ids(search(api, {"query": {"limit": 5000}})) == ORG_USERS


def test_ids_compare_as_numbers(api):
    state = {"orgs": [{"id": "1", "users": [{"id": "9", "username": "nine"}, {"id": "10", "username": "ten"}, {"id": "x1", "username": "x"}],
                       "service_accounts": [{"id": "2", "username": "sa", "permissions": ["user.read"], "pats": ["p"]}]}]}
    assert api.control("POST", "seed", state).status_code == 200
    api.session.headers["Authorization"] = "Bearer p"
    assert ids(search(api)) == ["x1", "10", "9", "2"]
    assert ids(search(api, {"query": {"asc": True}})) == ["2", "9", "10", "x1"]


def test_empty_answer_omits_result_and_total(api):
    body = search(api, {"queries": [{"inUserIdsQuery": {}}]})
    assert set(body) == {"details"} and "totalResult" not in body["details"] and "viewTimestamp" in body["details"]


def nested_not(depth: int) -> dict:
    """A userNameQuery for alice inside depth notQuery wrappers."""
    query = text("userNameQuery", "alice")
    for _level in range(depth):
        query = {"notQuery": {"query": query}}
    return query


def test_nesting_limit(api):
    assert ids(search(api, {"queries": [nested_not(20)]})) == [ALICE]
    body = assert_error(api.call("POST", "/users/_search", {"queries": [nested_not(21)]}), 400, 3, "USER-zsQ97")
    assert body["message"] == "Too many query nesting levels (Max 20) (USER-zsQ97)"


def test_not_query_without_its_query(api):
    assert_error(api.call("POST", "/users/_search", {"queries": [{"notQuery": {}}]}), 400, 3, "GRPC-vR9nC")


PREFIX = "invalid ListUsersRequest.Queries[0]: embedded message failed validation | caused by: "


@pytest.mark.parametrize("query, cause", [
    ({}, "invalid SearchQuery.Query: value is required"),
    ({"userNameQuery": None}, "invalid SearchQuery.Query: value is required"),
    (text("userNameQuery", "u" * 201), "invalid SearchQuery.UserNameQuery: embedded message failed validation | caused by: "
                                       "invalid UserNameQuery.UserName: value length must be at most 200 runes"),
    ({"loginNameQuery": {"loginName": "x", "method": 8}},
     "invalid SearchQuery.LoginNameQuery: embedded message failed validation | caused by: "
     "invalid LoginNameQuery.Method: value must be one of the defined enum values"),
    ({"orQuery": {"queries": [text("userNameQuery", "ok"), {}]}}, "invalid SearchQuery.OrQuery: embedded message failed validation | caused by: "
                                                                  "invalid OrQuery.Queries[1]: embedded message failed validation | caused by: "
                                                                  "invalid SearchQuery.Query: value is required"),
    ({"notQuery": {"query": text("loginNameQuery", "\u00e9" * 201)}},
     "invalid SearchQuery.NotQuery: embedded message failed validation | caused by: invalid NotQuery.Query: embedded message failed validation"
     " | caused by: invalid SearchQuery.LoginNameQuery: embedded message failed validation | caused by: "
     "invalid LoginNameQuery.LoginName: value length must be at most 200 runes"),
], ids=["empty", "null-member", "user-name-too-long", "undefined-method", "in-or", "in-not"])
def test_pgv_errors(api, query, cause):
    body = assert_error(api.call("POST", "/users/_search", {"queries": [query]}), 400, 3)
    assert body["message"] == PREFIX + cause


def test_200_runes_are_allowed(api):
    assert search(api, {"queries": [text("loginNameQuery", "\u00e9" * 200)]})["details"].get("totalResult") is None


@pytest.mark.parametrize("query", [{"userNameQuery": {"userName": "a"}, "loginNameQuery": {"loginName": "a"}},
                                   {"userNameQuery": {"userName": "a", "method": "TEXT_QUERY_METHOD_REGEX"}},
                                   {"inUserIdsQuery": {"userIds": [1]}}, {"orQuery": {"queries": {}}}],
                         ids=["two-members", "unknown-method", "id-not-a-string", "queries-not-a-list"])
def test_decode_errors(api, query):
    assert_error(api.call("POST", "/users/_search", {"queries": [query]}), 400, 3)


def test_permission_and_request_log(api, client_for):
    assert_error(client_for(NOBODY_PAT).call("POST", "/users/_search", {}), 403, 7, "AUTH-5mWD2")
    assert ids(search(client_for(READER_PAT))) == ORG_USERS
    assert [entry["rpc"] for entry in api.log()["requests"]] == ["ListUsers", "ListUsers"]


def test_domain_and_policy_round_trip(domains):
    exported = domains.control("GET", "state").json()
    assert exported["orgs"][0]["domain"] == "acme.example" and exported["orgs"][0]["user_login_must_be_domain"] is True
    assert "domain" in exported["orgs"][1] and exported["orgs"][1]["user_login_must_be_domain"] is False
    assert domains.control("POST", "seed", exported).status_code == 200
    assert domains.control("GET", "state").json() == exported
    assert domains.call("GET", f"/users/{BOB}").json()["user"]["preferredLoginName"] == "bob@acme.example"


def test_same_username_in_orgs_whose_policy_adds_distinct_domains():
    orgs = [{"id": str(org), "domain": f"d{org}.example", "user_login_must_be_domain": True, "users": [{"id": str(10 + org), "username": "same"}]}
            for org in (1, 2)]
    assert len(ZitadelServer(state={"orgs": orgs}).app.store.users) == 2


@pytest.mark.parametrize("orgs, message", [
    ([{"id": "1", "users": [{"id": "11", "username": "alice"}]}, {"id": "2", "users": [{"id": "21", "username": "alice"}]}],
     "orgs[1].users[0]: login name (ignoring case) 'alice' is already used by orgs[0].users[0]"),
    ([{"id": "1", "users": [{"id": "11", "username": "Alice"}], "service_accounts": [{"id": "12", "username": "alice"}]}],
     "orgs[0].service_accounts[0]: login name (ignoring case) 'alice' is already used by orgs[0].users[0]"),
    ([{"id": "1", "domain": "acme.example", "user_login_must_be_domain": True, "users": [{"id": "11", "username": "alice"}]},
      {"id": "2", "users": [{"id": "21", "username": "ALICE@acme.example"}]}],
     "orgs[1].users[0]: login name (ignoring case) 'alice@acme.example' is already used by orgs[0].users[0]"),
    ([{"id": "1", "domain": "acme.example"}, {"id": "2", "domain": "ACME.example"}], "orgs[1]: domain 'acme.example' is already used by orgs[0]"),
    ([{"id": "1", "domain": ""}], "orgs[0].domain: must be a non-empty string"),
    ([{"id": "1", "user_login_must_be_domain": "yes"}], "orgs[0].user_login_must_be_domain: must be true or false"),
], ids=["two-orgs", "human-and-service-account", "suffix-against-username", "domain-twice", "empty-domain", "policy-not-bool"])
def test_login_names_are_unique_in_the_instance(orgs, message):
    with pytest.raises(StateError) as error:
        ZitadelServer(state={"orgs": orgs})
    assert str(error.value) == message


def test_get_my_org_is_the_context_organisation(domains, client_for):
    """GET /management/v1/orgs/me names the caller's own organisation, or the one of x-zitadel-orgid."""
    own = domains.call("GET", "/orgs/me")
    assert own.status_code == 200, own.text
    org = own.json()["org"]
    assert (org["id"], org["state"], org["primaryDomain"], org["details"]["resourceOwner"]) == (ORG, "ORG_STATE_ACTIVE", "acme.example", ORG)
    other = client_for(GLOBAL_PAT).call("GET", "/orgs/me", org=OTHER_ORG)
    assert other.status_code == 200 and other.json()["org"]["id"] == OTHER_ORG
    assert_error(client_for(NOBODY_PAT).call("GET", "/orgs/me"), 403, 7, "AUTH-5mWD2")
    assert domains.control("GET", "requests").json()["counts"]["GetMyOrg"] >= 1
