# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control API: request log (timing, concurrency), reset, seed, state export; state file validation; the demo state."""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
import requests
import yaml

from conftest import ALICE, CLIENT_ID, CLIENT_SECRET, KEY_ID, ORG, PAT, Api, assert_error, b64, jwt_claims, make_jwt, unb64
from zitadel_server import StateError, ZitadelServer

DEMO = Path(__file__).resolve().parents[2] / "demo" / "state.yml"


def test_health(api):
    response = api.control("GET", "health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_request_log_names_rpcs_and_keys_but_never_secrets(api, srv, client_for, private_key):
    assertion = make_jwt(private_key, {"alg": "RS256", "kid": KEY_ID}, jwt_claims(srv.url))
    requests.post(srv.url + "/oauth/v2/token", data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion}, timeout=10)
    requests.post(srv.url + "/oauth/v2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    api.user_set(ALICE, "k1", "secret-value-1")
    api.call("POST", f"/users/{ALICE}/metadata/_bulk", {"metadata": [{"key": "a", "value": b64("secret-value-2")}, {"key": "b", "value": b64("x")}]})
    api.user_list(ALICE, {"queries": [{"keyQuery": {"key": "te"}}]})
    api.call("DELETE", f"/users/{ALICE}/metadata/_bulk", {"keys": ["a", "b"]})
    client_for("wrong-token").user_get(ALICE, "team")
    api.call("GET", "/nowhere")
    api.control("GET", "health")
    log = api.log()
    assert [entry["rpc"] for entry in log["requests"]] == [
        "Token", "Token", "SetUserMetadata", "BulkSetUserMetadata", "ListUserMetadata", "BulkRemoveUserMetadata", "GetUserMetadata", "NotFound"]
    assert [entry["keys"] for entry in log["requests"]] == [[], [], ["k1"], ["a", "b"], ["te"], ["a", "b"], ["team"], []]
    assert [entry["status"] for entry in log["requests"]] == [200, 200, 200, 200, 200, 200, 401, 404]
    assert log["total"] == 8 and log["counts"]["Token"] == 2 and log["counts"]["GetUserMetadata"] == 1
    assert [entry["seq"] for entry in log["requests"]] == sorted(entry["seq"] for entry in log["requests"])
    text = json.dumps(log)
    for secret in (PAT, "wrong-token", CLIENT_SECRET, assertion, b64("secret-value-1"), b64("secret-value-2"), "secret-value", "Bearer"):
        assert secret not in text


def test_clearing_the_log(api):
    api.user_get(ALICE, "team")
    assert api.control("DELETE", "requests").status_code == 200
    assert api.log() == {"requests": [], "counts": {}, "total": 0, "max_in_flight": 0}


def test_reset_restores_the_initial_state_and_clears_everything(api):
    api.user_set(ALICE, "team", "changed")
    api.control("POST", "faults", {"action": "status", "status": 503, "path": "/nowhere"})
    api.control("POST", "lag", {"reads": 5})
    assert api.control("POST", "reset").status_code == 200
    assert api.log()["total"] == 0 and api.control("GET", "faults").json()["faults"] == []
    api.user_set(ALICE, "team", "after")
    assert unb64(api.user_get(ALICE, "team").json()["metadata"]["value"]) == "after"
    api.control("POST", "reset")
    assert unb64(api.user_get(ALICE, "team").json()["metadata"]["value"]) == "platform"


def test_state_export_and_seed_round_trip(api):
    api.user_set(ALICE, "bin", b"\x00\xff")
    api.call("POST", "/metadata/color", {"value": b64("red")})
    exported = api.control("GET", "state").json()
    alice = next(user for user in exported["orgs"][0]["users"] if user["id"] == ALICE)
    assert alice["metadata"]["bin"]["base64"] == "AP8=" and alice["metadata"]["team"] == {"base64": b64("platform"), "sequence": 2}
    assert exported["orgs"][0]["metadata"]["region"]["base64"] == b64("eu-west")
    api.control("POST", "reset")
    assert api.control("POST", "seed", exported).status_code == 200
    assert api.control("GET", "state").json() == exported
    item = api.user_get(ALICE, "bin").json()["metadata"]
    assert item["value"] == "AP8=" and item["details"]["sequence"] == str(alice["metadata"]["bin"]["sequence"])
    assert api.user_set(ALICE, "next", "1").json()["details"]["sequence"] == str(alice["sequence"] + 1)


def test_seed_accepts_yaml_and_reports_errors(api):
    doc = {"orgs": [{"id": ORG, "name": "solo", "service_accounts": [{"id": "9", "username": "sa", "permissions": ["org.read"], "pats": [PAT]}]}]}
    response = requests.post(api.url + "/_control/seed", data=yaml.safe_dump(doc), headers={"Content-Type": "application/yaml"}, timeout=10)
    assert response.status_code == 200
    assert_error(api.user_get(ALICE, "team"), 403, 7, "AUTH-5mWD2")
    bad = api.control("POST", "seed", {"orgs": [{"id": ORG, "users": [{"id": "1"}]}]})
    assert bad.status_code == 400 and bad.json()["error"] == "orgs[0].users[0]: missing required field(s) username"


def test_unknown_control_endpoint(api):
    assert api.control("GET", "nothing").status_code == 404
    assert api.control("PUT", "health").status_code == 405


@pytest.mark.parametrize("doc, message", [
    ({"orgs": [{"id": "1", "colour": "red"}]}, "orgs[0]: unknown field(s) colour"),
    ({"orgs": [{"id": "1"}, {"id": "1"}]}, "orgs[1]: id '1' is already used by orgs[0]"),
    ({"orgs": [{"id": "1", "users": [{"id": "1", "username": "u"}]}]}, "orgs[0].users[0]: id '1' is already used by orgs[0]"),
    ({"orgs": [{"id": "1", "metadata": {"k": 5}}]}, "orgs[0].metadata['k']: must be a mapping"),
    ({"orgs": [{"id": "1", "metadata": {"k": {"base64": "!!"}}}]}, "orgs[0].metadata['k'].base64: invalid base64"),
    ({"orgs": [{"id": "1", "metadata": {"k" * 201: "v"}}]}, "keys must be strings of 1 to 200 characters"),
    ({"orgs": [{"id": "1", "metadata": {"k": ""}}]}, "orgs[0].metadata['k']: values must have 1 to 500000 bytes"),
    ({"orgs": [{"id": "1", "users": [{"id": "2", "username": "u", "pats": ["x"]}]}]}, "orgs[0].users[0]: unknown field(s) pats"),
    ({"orgs": [{"id": "1", "service_accounts": [{"id": "2", "username": "u", "permissions": {"7": ["org.read"]}}]}]},
     "orgs[0].service_accounts[0].permissions: unknown org id '7'"),
    ({"orgs": [{"id": "1", "service_accounts": [{"id": "2", "username": "u", "keys": [{"id": "k", "public_key": "nope"}]}]}]},
     "orgs[0].service_accounts[0].keys[0].public_key: not a PEM public key"),
    ({"orgs": [{"id": "1", "service_accounts": [{"id": "2", "username": "u", "pats": ["p"]}, {"id": "3", "username": "v", "pats": ["p"]}]}]},
     "orgs[0].service_accounts[1]: personal access token 'p' is already used"),
    ({"orgs": [{"id": "1", "service_accounts": [{"id": "2", "username": "u", "client_id": "c"}]}]},
     "orgs[0].service_accounts[0].client_secret: must be a non-empty string"),
    ({"settings": {"token_lifetime": 0}}, "settings.token_lifetime: must be an integer >= 1"),
    ([], "state: must be a mapping"),
])
def test_state_validation_names_the_entry(doc, message):
    with pytest.raises(StateError) as error:
        ZitadelServer(state=doc)
    assert message in str(error.value)


def test_state_files(tmp_path, initial_state):
    json_file = tmp_path / "state.json"
    json_file.write_text(json.dumps(initial_state))
    assert ZitadelServer(state=json_file).app.store.users[ALICE].username == "alice"
    yaml_file = tmp_path / "state.yaml"
    yaml_file.write_text(yaml.safe_dump(initial_state))
    assert ZitadelServer(state=str(yaml_file)).app.store.users[ALICE].metadata["team"].value == b"platform"
    with pytest.raises(StateError, match="must end in .yml"):
        ZitadelServer(state=tmp_path / "state.txt")
    with pytest.raises(StateError, match="state.yml"):
        ZitadelServer(state=tmp_path / "state.yml")


def test_demo_state():
    with ZitadelServer(state=DEMO) as server:
        demo = Api(server.url, "demo-pat-0000-not-a-secret")
        try:
            users = {user["username"]: user for org in demo.control("GET", "state").json()["orgs"] for user in org["users"]}
            assert set(users) == {"alice", "bob", "carol"}
            team = demo.user_get(users["alice"]["id"], "team")
            assert team.status_code == 200 and unb64(team.json()["metadata"]["value"]) == "platform"
            assert demo.call("POST", "/metadata/_search", {}).json()["details"]["totalResult"] == "2"
            assert_error(demo.user_get(users["carol"]["id"], "team"), 404, 5, "QUERY-Rgh32")
            assert_error(demo.user_set(users["carol"]["id"], "team", "x"), 400, 9, "COMMAND-uXHNj")
            # the demo account's permissions are instance-wide: carol's organisation is in reach with its header
            carol = demo.user_get(users["carol"]["id"], "team", org="300000000000000002")
            assert carol.status_code == 200 and carol.json()["metadata"]["details"]["resourceOwner"] == "300000000000000002"
        finally:
            demo.close()


def concurrently(calls: list) -> list:
    """Run the calls in threads, all released at once; their results in order."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_entries_record_when_requests_arrived(api):
    api.control("POST", "faults", {"method": "GET", "action": "delay", "seconds": 0.3})
    api.user_get(ALICE, "team")
    api.user_get(ALICE, "team")
    first, second = api.log()["requests"]
    assert isinstance(first["time"], float) and 0 < first["time"] <= second["time"]
    assert second["time"] - first["time"] >= 0.29


def test_max_in_flight_of_sequential_requests_is_1(api):
    api.control("POST", "faults", {"action": "delay", "seconds": 0.1, "count": 2})
    for _attempt in range(3):
        api.user_get(ALICE, "team")
    assert api.log()["max_in_flight"] == 1


@pytest.mark.parametrize("threads", [2, 3])
def test_max_in_flight_counts_concurrent_delayed_requests(api, client_for, threads):
    api.control("POST", "faults", {"method": "GET", "action": "delay", "seconds": 0.3, "count": threads})
    responses = concurrently([partial(client_for(PAT).user_get, ALICE, "team") for _thread in range(threads)])
    assert [response.status_code for response in responses] == [200] * threads and api.log()["max_in_flight"] == threads
    api.user_get(ALICE, "team")
    assert api.log()["max_in_flight"] == threads


def test_max_in_flight_counts_token_requests_but_not_control_requests(api, srv, client_for):
    api.control("POST", "faults", {"action": "delay", "seconds": 0.3, "count": 2})
    token = partial(requests.post, srv.url + "/oauth/v2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET), timeout=10)
    health = partial(api.control, "GET", "health")
    statuses = [response.status_code for response in concurrently([token, partial(client_for(PAT).user_get, ALICE, "team"), health, health])]
    assert statuses == [200] * 4 and api.log()["max_in_flight"] == 2


def test_clearing_and_reset_forget_max_in_flight(api, client_for):
    api.control("POST", "faults", {"action": "delay", "seconds": 0.2, "count": 2})
    concurrently([partial(client_for(PAT).user_get, ALICE, "team") for _thread in range(2)])
    assert api.log()["max_in_flight"] == 2
    api.control("DELETE", "requests")
    assert api.log()["max_in_flight"] == 0
    api.user_get(ALICE, "team")
    assert api.log()["max_in_flight"] == 1
    api.control("POST", "reset")
    assert api.log()["max_in_flight"] == 0
