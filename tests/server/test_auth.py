# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Authentication (bearer tokens, the token endpoint) and permissions."""
from __future__ import annotations

import time

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from conftest import (ADMIN_SA, ALICE, API_SCOPE, CLIENT_ID, CLIENT_SECRET, KEY_ID, NOBODY_PAT, ORG, OTHER_ORG, READER_PAT, Api,
                      assert_error, b64, jwt_claims, make_jwt)

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def token_request(srv, data: dict, **kwargs) -> requests.Response:
    """POST /oauth/v2/token with a form body."""
    return requests.post(srv.url + "/oauth/v2/token", data=data, timeout=10, **kwargs)


def jwt_token(srv, assertion: str, scope: str = API_SCOPE) -> requests.Response:
    """JWT-profile grant."""
    return token_request(srv, {"grant_type": JWT_BEARER, "scope": scope, "assertion": assertion})


def works(srv, token: str) -> bool:
    """Whether the token can read alice's metadata."""
    client = Api(srv.url, token)
    try:
        return client.user_get(ALICE, "team").status_code == 200
    finally:
        client.close()


def test_pat(api):
    assert api.user_get(ALICE, "team").status_code == 200


def test_missing_header(client_for):
    response = client_for(None).user_get(ALICE, "team")
    assert response.status_code == 401
    assert response.json() == {"code": 16, "message": "auth header missing"}
    assert response.headers["WWW-Authenticate"] == "auth header missing"


@pytest.mark.parametrize("header", ["Basic YTpi", "bearer pat-admin", "Bearer a Bearer b", "pat-admin"])
def test_malformed_header(client_for, header):
    response = client_for(None).call("GET", f"/users/{ALICE}/metadata/team", headers={"Authorization": header})
    body = assert_error(response, 401, 16, "AUTH-7fs1e")
    assert body["message"] == "invalid auth header (AUTH-7fs1e)"
    assert response.headers["WWW-Authenticate"] == "invalid auth header (AUTH-7fs1e)"


@pytest.mark.parametrize("token", ["unknown", ""])
def test_unknown_token(client_for, token):
    body = assert_error(client_for(token).user_get(ALICE, "team"), 401, 16, "AUTH-7fs1e")
    assert body["message"] == "Errors.Token.Invalid (AUTH-7fs1e)"


def test_unknown_org_header(api):
    body = assert_error(api.user_get(ALICE, "team", org="123"), 403, 7, "AUTH-Bs7Ds")
    assert body["message"] == "Organisation doesn't exist (AUTH-Bs7Ds)"


def test_permission_checks(client_for, api):
    reader, nobody = client_for(READER_PAT), client_for(NOBODY_PAT)
    assert reader.user_get(ALICE, "team").status_code == 200
    assert reader.call("POST", "/metadata/_search", {}).status_code == 200
    denied = [reader.user_set(ALICE, "k", "v"), reader.call("DELETE", "/metadata/region"),
              nobody.user_get(ALICE, "team"), nobody.call("GET", "/metadata/region")]
    for response in denied:
        body = assert_error(response, 403, 7, "AUTH-5mWD2")
        assert body["message"] == "No matching permissions found (AUTH-5mWD2)"
    assert_error(api.user_get(ALICE, "team", org=OTHER_ORG), 403, 7, "AUTH-5mWD2")
    assert api.user_get(ALICE, "team", org=ORG).status_code == 200


def test_decoding_precedes_auth_and_auth_precedes_validation(client_for):
    anonymous = client_for(None)
    assert_error(anonymous.call("POST", f"/users/{ALICE}/metadata/k", {"value": "!!"}), 400, 3)
    assert_error(anonymous.call("POST", f"/users/{ALICE}/metadata/k", {"value": ""}), 401, 16)
    assert_error(client_for(READER_PAT).call("POST", f"/users/{ALICE}/metadata/k", {"value": ""}), 403, 7, "AUTH-5mWD2")


def test_jwt_profile(srv, private_key):
    response = jwt_token(srv, make_jwt(private_key, {"alg": "RS256", "kid": KEY_ID}, jwt_claims(srv.url)))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert works(srv, body["access_token"])


def test_jwt_profile_accepts_an_audience_list_and_the_host_alias(srv, private_key):
    localhost = srv.url.replace("127.0.0.1", "localhost")
    listed = jwt_token(srv, make_jwt(private_key, {"alg": "RS256", "kid": KEY_ID}, jwt_claims(["other", srv.url + "/"])))
    assert listed.status_code == 200, listed.text
    aliased = requests.post(localhost + "/oauth/v2/token", timeout=10, data={
        "grant_type": JWT_BEARER, "scope": API_SCOPE, "assertion": make_jwt(private_key, {"alg": "RS256", "kid": KEY_ID}, jwt_claims(localhost))})
    assert aliased.status_code == 200, aliased.text


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    """A key that is not registered anywhere."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _bad_assertions(url: str, key, other_key) -> dict:
    now = int(time.time())
    header = {"alg": "RS256", "kid": KEY_ID}
    return {
        "wrong-kid": make_jwt(key, {"alg": "RS256", "kid": "nope"}, jwt_claims(url)),
        "wrong-signature": make_jwt(other_key, header, jwt_claims(url)),
        "expired": make_jwt(key, header, jwt_claims(url, iat=now - 120, exp=now - 60)),
        "iat-too-old": make_jwt(key, header, jwt_claims(url, iat=now - 3700, exp=now + 60)),
        "iat-in-future": make_jwt(key, header, jwt_claims(url, iat=now + 600, exp=now + 900)),
        "wrong-aud": make_jwt(key, header, jwt_claims("https://zitadel.example.com")),
        "iss-not-sub": make_jwt(key, header, jwt_claims(url, sub=ALICE)),
        "unknown-user": make_jwt(key, header, jwt_claims(url, iss="42", sub="42")),
        "hs256": make_jwt(key, {"alg": "HS256", "kid": KEY_ID}, jwt_claims(url)),
        "no-exp": make_jwt(key, header, {"iss": ADMIN_SA, "sub": ADMIN_SA, "aud": url, "iat": now}),
        "garbage": "not.a.jwt",
    }


@pytest.mark.parametrize("case", ["wrong-kid", "wrong-signature", "expired", "iat-too-old", "iat-in-future", "wrong-aud", "iss-not-sub",
                                  "unknown-user", "hs256", "no-exp", "garbage"])
def test_jwt_profile_rejections(srv, private_key, other_key, case):
    response = jwt_token(srv, _bad_assertions(srv.url, private_key, other_key)[case])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant" and response.json()["error_description"]


def test_token_without_the_api_scope_cannot_call_the_api(srv, client_for, private_key):
    response = jwt_token(srv, make_jwt(private_key, {"alg": "RS256", "kid": KEY_ID}, jwt_claims(srv.url)), scope="openid")
    assert response.status_code == 200
    assert_error(client_for(response.json()["access_token"]).user_get(ALICE, "team"), 401, 16, "AUTH-7fs1e")


@pytest.mark.parametrize("data, error", [
    ({}, "invalid_request"),
    ({"grant_type": JWT_BEARER}, "invalid_request"),
    ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
])
def test_token_request_errors(srv, data, error):
    response = token_request(srv, data)
    assert response.status_code == 400 and response.json()["error"] == error


def test_client_credentials(srv):
    basic = token_request(srv, {"grant_type": "client_credentials", "scope": API_SCOPE}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert basic.status_code == 200 and works(srv, basic.json()["access_token"])
    form = token_request(srv, {"grant_type": "client_credentials", "scope": API_SCOPE, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert form.status_code == 200 and works(srv, form.json()["access_token"])


@pytest.mark.parametrize("credentials", [(CLIENT_ID, "wrong"), ("unknown", CLIENT_SECRET)])
def test_client_credentials_rejected(srv, credentials):
    response = token_request(srv, {"grant_type": "client_credentials", "scope": API_SCOPE}, auth=credentials)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_issued_tokens_expire(srv, client_for, initial_state):
    state = dict(initial_state, settings={"token_lifetime": 1})
    assert requests.post(srv.url + "/_control/seed", json=state, timeout=10).status_code == 200
    response = token_request(srv, {"grant_type": "client_credentials", "scope": API_SCOPE}, auth=(CLIENT_ID, CLIENT_SECRET))
    token = response.json()["access_token"]
    assert response.json()["expires_in"] == 1 and works(srv, token)
    time.sleep(1.1)
    assert_error(client_for(token).user_get(ALICE, "team"), 401, 16, "AUTH-7fs1e")


def test_reset_forgets_issued_tokens(srv):
    token = token_request(srv, {"grant_type": "client_credentials", "scope": API_SCOPE}, auth=(CLIENT_ID, CLIENT_SECRET)).json()["access_token"]
    assert works(srv, token)
    requests.post(srv.url + "/_control/reset", timeout=10)
    assert not works(srv, token)


def test_value_is_not_checked_before_auth(client_for):
    assert_error(client_for("bad").call("POST", f"/users/{ALICE}/metadata/k", {"value": b64("v")}), 401, 16, "AUTH-7fs1e")
