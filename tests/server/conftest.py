# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the contract tests of the local ZITADEL-compatible server."""
from __future__ import annotations

import base64
import json
import os
import sys
import time
from urllib.parse import quote

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from zitadel_server import ZitadelServer  # noqa: E402  pylint: disable=wrong-import-position

ORG, OTHER_ORG = "300000000000000001", "300000000000000002"
ALICE, BOB, CAROL = "300000000000000101", "300000000000000102", "300000000000000201"
ADMIN_SA, READER_SA, NOBODY_SA, GLOBAL_SA = "300000000000000900", "300000000000000901", "300000000000000902", "300000000000000903"
PAT, READER_PAT, NOBODY_PAT, GLOBAL_PAT = "pat-admin", "pat-reader", "pat-nobody", "pat-global"
KEY_ID = "key-1"
CLIENT_ID, CLIENT_SECRET = "ansible-client", "s3cret"
API_SCOPE = "openid urn:zitadel:iam:org:project:id:zitadel:aud"
DETAIL_TYPE = "type.googleapis.com/zitadel.v1.ErrorDetail"


def b64(text: str | bytes) -> str:
    """Standard base64 of text (UTF-8) or bytes."""
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def unb64(text: str) -> str:
    """Decode a base64 value to text."""
    return base64.b64decode(text).decode()


def state_doc(key_pem: str) -> dict:
    """The state every test starts from."""
    return {
        "settings": {"token_lifetime": 3600},
        "orgs": [
            {
                "id": ORG,
                "name": "acme",
                "metadata": {"region": "eu-west", "logo": {"base64": "iVBORw0KGgo="}},
                "users": [
                    {"id": ALICE, "username": "alice", "metadata": {"team": "platform"}},
                    {"id": BOB, "username": "bob"},
                ],
                "service_accounts": [
                    {"id": ADMIN_SA, "username": "ansible", "permissions": ["user.read", "user.write", "org.read", "org.write"], "pats": [PAT],
                     "keys": [{"id": KEY_ID, "public_key": key_pem}], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
                    {"id": READER_SA, "username": "reader", "permissions": ["user.read", "org.read"], "pats": [READER_PAT]},
                    {"id": NOBODY_SA, "username": "nobody", "permissions": [], "pats": [NOBODY_PAT]},
                    {"id": GLOBAL_SA, "username": "iam-admin", "permissions": {"*": ["*"]}, "pats": [GLOBAL_PAT]},
                ],
            },
            {"id": OTHER_ORG, "name": "globex", "metadata": {"region": "us-east"},
             "users": [{"id": CAROL, "username": "carol", "metadata": {"team": "research"}}]},
        ],
    }


class Api:
    """A requests session against the Management API v1 with a bearer token."""

    def __init__(self, url: str, token: str | None = PAT):
        self.url = url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: object = None, org: str | None = None, **kwargs) -> requests.Response:
        """One request; path is relative to /management/v1 unless it starts with /_ or /oauth."""
        headers = kwargs.pop("headers", {})
        if org is not None:
            headers["x-zitadel-orgid"] = org
        prefix = "" if path.startswith(("/_", "/oauth")) else "/management/v1"
        return self.session.request(method, self.url + prefix + path, json=body, headers=headers, timeout=10, **kwargs)

    def user_set(self, user: str, key: str, value: str | bytes, **kwargs) -> requests.Response:
        """SetUserMetadata with a path-escaped key."""
        return self.call("POST", f"/users/{user}/metadata/{quote(key, safe='')}", {"value": b64(value)}, **kwargs)

    def user_get(self, user: str, key: str, **kwargs) -> requests.Response:
        """GetUserMetadata with a path-escaped key."""
        return self.call("GET", f"/users/{user}/metadata/{quote(key, safe='')}", **kwargs)

    def user_remove(self, user: str, key: str, **kwargs) -> requests.Response:
        """RemoveUserMetadata with a path-escaped key."""
        return self.call("DELETE", f"/users/{user}/metadata/{quote(key, safe='')}", **kwargs)

    def user_list(self, user: str, body: object = None, **kwargs) -> requests.Response:
        """ListUserMetadata."""
        return self.call("POST", f"/users/{user}/metadata/_search", body if body is not None else {}, **kwargs)

    def control(self, method: str, name: str, body: object = None) -> requests.Response:
        """A control API call."""
        return requests.request(method, f"{self.url}/_control/{name}", json=body, timeout=10)

    def log(self) -> dict:
        """The request log."""
        return self.control("GET", "requests").json()

    def close(self) -> None:
        """Close the session."""
        self.session.close()


def assert_error(response: requests.Response, status: int, code: int, error_id: str | None = None) -> dict:
    """Check a ZITADEL error answer; without error_id it must carry no details."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    if error_id is None:
        assert "details" not in body, body
    else:
        assert body["details"] == [{"@type": DETAIL_TYPE, "id": error_id, "message": body["details"][0]["message"]}], body
        assert body["message"] == f"{body['details'][0]['message']} ({error_id})"
    return body


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    """The service account's JWT-profile key, generated per test run."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """PEM of the public half."""
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def make_jwt(key: rsa.RSAPrivateKey, header: dict, claims: dict) -> str:
    """An RS256-signed compact JWT."""
    def part(doc: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()
    signing_input = f"{part(header)}.{part(claims)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


def jwt_claims(audience: str, **overrides) -> dict:
    """Valid JWT-profile claims for the admin service account."""
    now = int(time.time())
    claims = {"iss": ADMIN_SA, "sub": ADMIN_SA, "aud": audience, "iat": now, "exp": now + 300}
    claims.update(overrides)
    return claims


@pytest.fixture(scope="session")
def initial_state(private_key) -> dict:
    """The state document the shared server was started with."""
    return state_doc(public_pem(private_key))


@pytest.fixture(scope="session")
def server(initial_state):
    """One server for the whole session."""
    with ZitadelServer(state=initial_state) as srv:
        yield srv


@pytest.fixture
def srv(server):
    """The shared server, reset to its initial state."""
    requests.post(server.url + "/_control/reset", timeout=10).raise_for_status()
    return server


@pytest.fixture
def api(srv):
    """A client with the admin PAT."""
    client = Api(srv.url)
    yield client
    client.close()


@pytest.fixture
def client_for(srv):
    """Factory of clients with other tokens."""
    clients = []

    def factory(token: str | None) -> Api:
        clients.append(Api(srv.url, token))
        return clients[-1]
    yield factory
    for client in clients:
        client.close()
