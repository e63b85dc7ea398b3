# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import threading
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ansible_collections.community.zitadel.plugins.module_utils import _auth
from ansible_collections.community.zitadel.plugins.module_utils._auth import (
    API_SCOPE,
    REFRESH_MARGIN,
    ClientCredentialsAuth,
    JwtProfileAuth,
    TokenAuth,
    select_auth,
)
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError


@pytest.fixture(scope='module')
def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope='module')
def key_json(rsa_key):
    pem = rsa_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return json.dumps({'type': 'serviceaccount', 'keyId': 'kid-1', 'key': pem, 'userId': '900'})


class FakeTokenClient:
    """Issues access-1, access-2, ...; counts the token requests, optionally slowly (to let other threads arrive)."""

    issuer = 'https://zitadel.example.com'

    def __init__(self, lifetime=3600, delay=0):
        self.requests = []
        self.lifetime = lifetime
        self.delay = delay

    def request_token(self, form, basic_auth=None):
        if self.delay:
            time.sleep(self.delay)
        self.requests.append((form, basic_auth))
        return 'access-%d' % len(self.requests), self.lifetime


def test_select_token_from_options():
    auth = select_auth({'token': 'pat'}, {})
    assert isinstance(auth, TokenAuth) and auth.authorization(None) == 'Bearer pat'


def test_options_win_over_environment(key_json):
    auth = select_auth({'jwt_profile_json': key_json}, {'ZITADEL_TOKEN': 'env-token'})
    assert isinstance(auth, JwtProfileAuth)


def test_environment_used_when_options_empty():
    auth = select_auth({}, {'ZITADEL_CLIENT_ID': 'id', 'ZITADEL_CLIENT_SECRET': 'secret'})
    assert isinstance(auth, ClientCredentialsAuth)


@pytest.mark.parametrize('options, environ, fragment', [
    ({}, {}, 'No credentials'),
    ({'token': 'a', 'client_id': 'b', 'client_secret': 'c'}, {}, 'exactly one.*token and client_id/client_secret'),
    ({}, {'ZITADEL_TOKEN': 'a', 'ZITADEL_JWT_PROFILE_FILE': '/k'}, 'environment variables set'),
    ({'client_id': 'b'}, {}, 'client_id and client_secret must be given together'),
    ({'token': '  '}, {}, 'token is empty'),
    ({'token': 'line1\nline2'}, {}, 'token holds white space at its ends, a line break'),
    ({'token': 'Bearer abc'}, {}, 'without a "Bearer" prefix'),
])
def test_select_auth_errors(options, environ, fragment):
    with pytest.raises(ZitadelConfigError, match=fragment):
        select_auth(options, environ)


def test_jwt_profile_signs_a_valid_assertion(rsa_key, key_json):
    auth = JwtProfileAuth(key_json, 'test key')
    client = FakeTokenClient()
    assert auth.authorization(client) == 'Bearer access-1'
    assert auth.authorization(client) == 'Bearer access-1', 'a valid token is reused'
    form, basic = client.requests[0]
    assert basic is None
    assert form['grant_type'] == 'urn:ietf:params:oauth:grant-type:jwt-bearer' and form['scope'] == API_SCOPE
    assert jwt.get_unverified_header(form['assertion'])['kid'] == 'kid-1'
    claims = jwt.decode(form['assertion'], rsa_key.public_key(), algorithms=['RS256'], audience=client.issuer)
    assert claims['iss'] == claims['sub'] == '900' and claims['exp'] > claims['iat']


def test_refresh_forgets_the_rejected_token(key_json):
    auth = JwtProfileAuth(key_json, 'test key')
    client = FakeTokenClient()
    assert auth.authorization(client) == 'Bearer access-1'
    assert auth.refresh('Bearer access-1') is True
    assert auth.authorization(client) == 'Bearer access-2' and len(client.requests) == 2


def test_refresh_keeps_a_token_another_worker_already_renewed():
    """Two workers got a 401 with the same token: the first renews it, the second's refresh keeps the new one."""
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient()
    rejected = auth.authorization(client)
    assert auth.refresh(rejected) is True
    assert auth.authorization(client) == 'Bearer access-2'
    assert auth.refresh(rejected) is True, 'the caller repeats its request with the current token'
    assert auth.authorization(client) == 'Bearer access-2' and len(client.requests) == 2


def test_refresh_before_any_token_fetches_one_later():
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient()
    assert auth.refresh('Bearer unknown') is True
    assert auth.authorization(client) == 'Bearer access-1' and len(client.requests) == 1


def test_a_static_token_cannot_be_refreshed():
    auth = TokenAuth('pat')
    assert auth.refresh('Bearer pat') is False and auth.authorization(None) == 'Bearer pat'


def race(workers, action):
    """action() in `workers` threads released at once; their results."""
    barrier = threading.Barrier(workers)
    results = []

    def worker():
        barrier.wait(5)
        results.append(action())

    threads = [threading.Thread(target=worker) for _index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_concurrent_workers_share_one_token_fetch():
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient(delay=0.05)
    headers = race(8, lambda: auth.authorization(client))
    assert len(client.requests) == 1 and headers == ['Bearer access-1'] * 8


def test_concurrent_refreshes_of_one_rejected_token_fetch_once():
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient(delay=0.02)
    rejected = auth.authorization(client)

    def refresh_and_use():
        auth.refresh(rejected)
        return auth.authorization(client)

    headers = race(6, refresh_and_use)
    # a worker may refresh after another already renewed: then it keeps access-2
    assert len(client.requests) == 2 and headers == ['Bearer access-2'] * 6


class FakeTime:
    """Stands in for the time module of _auth."""

    def __init__(self, now):
        self.now = now

    def time(self):
        return self.now


def test_a_token_is_renewed_shortly_before_it_expires(monkeypatch):
    clock = FakeTime(1000.0)
    monkeypatch.setattr(_auth, 'time', clock)
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient(lifetime=600)
    assert auth.authorization(client) == 'Bearer access-1'
    clock.now += 600 - REFRESH_MARGIN - 1
    assert auth.authorization(client) == 'Bearer access-1'
    clock.now += 1
    assert auth.authorization(client) == 'Bearer access-2'


def test_a_token_without_a_lifetime_lasts_an_hour(monkeypatch):
    clock = FakeTime(0.0)
    monkeypatch.setattr(_auth, 'time', clock)
    auth = ClientCredentialsAuth('cid', 'secret')
    client = FakeTokenClient(lifetime=0)
    auth.authorization(client)
    clock.now = 3600 - REFRESH_MARGIN - 1
    auth.authorization(client)
    assert len(client.requests) == 1


def test_client_credentials_use_basic_auth():
    client = FakeTokenClient()
    ClientCredentialsAuth('cid', 's3cret').authorization(client)
    form, basic = client.requests[0]
    assert basic == ('cid', 's3cret') and form == {'grant_type': 'client_credentials', 'scope': API_SCOPE}


@pytest.mark.parametrize('text, fragment', [
    ('{not json', 'not valid JSON'),
    ('{"keyId": "k", "userId": "u"}', 'field.s. key missing'),
    ('[]', 'keyId, key, userId missing'),
    ('{"keyId": "k", "userId": "u", "key": "-----BEGIN RSA PRIVATE KEY-----\\nAAAA\\n-----END RSA PRIVATE KEY-----"}',
     'not a valid RSA private key'),
])
def test_bad_key_json(text, fragment):
    with pytest.raises(ZitadelConfigError, match=fragment) as info:
        JwtProfileAuth(text, 'jwt_profile_json')
    assert 'AAAA' not in str(info.value)


def test_unreadable_key_file(tmp_path):
    with pytest.raises(ZitadelConfigError, match='cannot be read'):
        select_auth({'jwt_profile_file': str(tmp_path / 'missing.json')}, {})


def test_secrets_are_reported_for_masking(key_json):
    assert TokenAuth('pat').secrets() == ['pat']
    assert ClientCredentialsAuth('id', 'sec').secrets() == ['sec']
    assert 'PRIVATE KEY' in JwtProfileAuth(key_json, 'k').secrets()[0]


def test_jwt_profile_json_accepts_a_dictionary(key_json):
    assert isinstance(select_auth({'jwt_profile_json': json.loads(key_json)}, {}), JwtProfileAuth)
