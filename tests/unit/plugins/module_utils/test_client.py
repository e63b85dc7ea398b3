# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
import requests

from ansible_collections.community.zitadel.plugins.module_utils._auth import TokenAuth
from ansible_collections.community.zitadel.plugins.module_utils._client import ZitadelClient, normalize_api_url
from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    ErrorContext,
    ZitadelApiError,
    ZitadelAuthError,
    ZitadelConfigError,
    ZitadelRequestError,
)


def response(status, body=None, headers=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode() if body is not None else b''  # pylint: disable=protected-access
    resp.headers.update(headers or {})
    return resp


class ScriptedSession(requests.Session):
    """Answers each request with the next scripted response or exception, and records the calls."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.calls = []

    def request(self, method, url, **kwargs):  # pylint: disable=arguments-differ
        self.calls.append((method, url, kwargs))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def make_client(script, retries=3, auth=None):
    """A client whose session answers from script; its sleeps are recorded in client.sleeps."""
    sleeps = []
    client = ZitadelClient('https://z.example.com/', auth or TokenAuth('pat-secret'), retries=retries, timeout=5,
                           sleep=sleeps.append)
    client.sleeps = sleeps
    client.session = ScriptedSession(script)
    return client


def test_request_sends_auth_org_and_body():
    client = make_client([response(200, {'ok': True})])
    assert client.request('POST', '/p', body={'a': 1}, org_id='42') == {'ok': True}
    method, url, kwargs = client.session.calls[0]
    assert (method, url) == ('POST', 'https://z.example.com/p')
    assert kwargs['headers'] == {'x-zitadel-orgid': '42', 'Authorization': 'Bearer pat-secret'}
    assert kwargs['json'] == {'a': 1} and kwargs['timeout'] == 5
    assert kwargs['verify'] is True, 'verify is passed with each request, so REQUESTS_CA_BUNDLE cannot override it'


@pytest.mark.parametrize('status', [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(status):
    client = make_client([response(status), response(status), response(200, {})])
    assert client.request('GET', '/p') == {}
    assert len(client.session.calls) == 3 and len(client.sleeps) == 2


def test_retry_after_is_honoured_and_capped():
    client = make_client([response(429, headers={'Retry-After': '7'}), response(429, headers={'Retry-After': '9999'}),
                          response(200, {})])
    client.request('GET', '/p')
    assert client.sleeps == [7.0, 60.0]


def test_backoff_grows_with_jitter():
    for attempt in range(6):
        assert 0 <= ZitadelClient._backoff(attempt) <= min(10.0, 0.5 * 2 ** attempt)  # pylint: disable=protected-access


def test_gives_up_after_retries_with_the_status():
    client = make_client([response(503)] * 3, retries=2)
    with pytest.raises(ZitadelApiError) as info:
        client.request('GET', '/p')
    assert info.value.status == 503 and len(client.session.calls) == 3 and len(client.sleeps) == 2


def test_connection_errors_and_timeouts_are_retried_then_reported():
    client = make_client([requests.exceptions.ConnectionError('boom'), requests.exceptions.ReadTimeout('slow'),
                          requests.exceptions.ReadTimeout('slow')], retries=2)
    with pytest.raises(ZitadelRequestError, match='after 3 attempt.*timeout of 5 seconds'):
        client.request('GET', '/p')


def test_tls_failure_is_not_retried_and_explains_the_fix():
    client = make_client([requests.exceptions.SSLError('bad cert')])
    with pytest.raises(ZitadelRequestError, match='ca_path'):
        client.request('GET', '/p')
    assert len(client.session.calls) == 1


def test_client_errors_are_not_retried():
    body = {'code': 9, 'message': 'User could not be found (COMMAND-uXHNj)',
            'details': [{'@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', 'id': 'COMMAND-uXHNj', 'message': 'x'}]}
    client = make_client([response(400, body)])
    with pytest.raises(ZitadelApiError) as info:
        client.request('POST', '/p')
    assert (info.value.status, info.value.code, info.value.error_id) == (400, 9, 'COMMAND-uXHNj')
    assert len(client.session.calls) == 1


class RefreshableAuth(TokenAuth):
    def __init__(self):
        super().__init__('first')
        self.refreshed = 0

    def refresh(self):
        self.refreshed += 1
        self._header = 'Bearer second'
        return True


def test_401_refreshes_an_issued_token_once():
    auth = RefreshableAuth()
    client = make_client([response(401), response(200, {'ok': 1})], auth=auth)
    assert client.request('GET', '/p') == {'ok': 1}
    assert client.session.calls[1][2]['headers']['Authorization'] == 'Bearer second'
    client.session.script = [response(401), response(401)]
    with pytest.raises(ZitadelApiError) as info:
        client.request('GET', '/p')
    assert info.value.status == 401 and auth.refreshed == 2


def test_token_endpoint_error_names_the_oauth_error():
    client = make_client([response(400, {'error': 'invalid_grant', 'error_description': 'bad assertion'})])
    with pytest.raises(ZitadelAuthError, match='HTTP 400, invalid_grant: bad assertion'):
        client.request_token({'grant_type': 'x', 'assertion': 'SECRET-ASSERTION'})


def test_non_json_answer_is_reported():
    resp = response(200)
    resp._content = b'<html>'  # pylint: disable=protected-access
    client = make_client([resp])
    with pytest.raises(ZitadelApiError, match='not a JSON object'):
        client.request('GET', '/p')


@pytest.mark.parametrize('url', ['', 'zitadel.example.com', 'ftp://z', 'https://', 'https://z?x=1', 'https://z:port'])
def test_malformed_api_url(url):
    with pytest.raises(ZitadelConfigError, match='api_url'):
        normalize_api_url(url)


def test_issuer_and_trailing_slash():
    client = make_client([])
    assert client.api_url == 'https://z.example.com' and client.issuer == 'https://z.example.com'


@pytest.mark.parametrize('status, code, error_id, fragment', [
    (400, 9, 'COMMAND-uXHNj', 'user does not exist in organisation 1'),
    (403, 7, 'AUTH-Bs7Ds', 'organisation does not exist'),
    (403, 7, 'AUTH-5mWD2', 'lack permission user.write in organisation 1'),
    (401, 16, 'AUTH-7fs1e', 'credentials were rejected'),
    (404, 5, None, 'no such endpoint'),
    (400, 3, None, 'rejected the request as invalid'),
    (500, 13, None, 'answered HTTP 500'),
])
def test_error_messages_name_the_object_and_the_fix(status, code, error_id, fragment):
    err = ZitadelApiError(status, 'POST', '/p', code=code, error_id=error_id, server_message='text')
    err = err.with_context(ErrorContext("set metadata key 'team'", 'user 7 in organisation 1', 'user.write', 'organisation 1'))
    assert str(err).startswith("Could not set metadata key 'team' on user 7 in organisation 1: ")
    assert fragment in str(err)


@pytest.mark.parametrize('options, fragment', [
    ({'timeout': 0}, 'timeout must be greater than 0'),
    ({'retries': -1}, 'retries at least 0'),
    ({'ca_path': '/nonexistent/ca.pem'}, 'ca_path /nonexistent/ca.pem is not a file'),
])
def test_client_options_are_checked_offline(options, fragment):
    with pytest.raises(ZitadelConfigError, match=fragment):
        ZitadelClient('https://z.example.com', TokenAuth('pat'), **options)


def test_ca_path_is_the_trust_store(tmp_path):
    ca_file = tmp_path / 'ca.pem'
    ca_file.write_text('pem')
    assert ZitadelClient('https://z', TokenAuth('p'), ca_path=str(ca_file)).verify == str(ca_file)
    assert ZitadelClient('https://z', TokenAuth('p'), validate_certs=False, ca_path=str(ca_file)).verify is False


@pytest.mark.parametrize('agent', ['bad\nagent', ' padded', 'tab\there'])
def test_header_values_are_checked_offline(agent):
    with pytest.raises(ZitadelConfigError, match='http_agent holds') as info:
        ZitadelClient('https://z', TokenAuth('p'), http_agent=agent)
    assert agent.strip() not in str(info.value)


def test_tls_message_without_validation_does_not_suggest_disabling_it():
    client = ZitadelClient('https://z.example.com', TokenAuth('p'), validate_certs=False)
    client.session = ScriptedSession([requests.exceptions.SSLError('handshake')])
    with pytest.raises(ZitadelRequestError, match='^The TLS connection to https://z.example.com failed.$'):
        client.request('GET', '/p')
