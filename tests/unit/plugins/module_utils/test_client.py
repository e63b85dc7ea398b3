# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import math
import threading

import pytest
import requests
from requests.adapters import BaseAdapter

from ansible_collections.community.zitadel.plugins.module_utils import _client
from ansible_collections.community.zitadel.plugins.module_utils._auth import TokenAuth
from ansible_collections.community.zitadel.plugins.module_utils._client import RETRY_AFTER_CAP, ZitadelClient, normalize_api_url
from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    ErrorContext,
    ZitadelApiError,
    ZitadelAuthError,
    ZitadelConfigError,
    ZitadelRequestError,
)

SIZE_LIMIT_BODY = {'code': 8, 'message': 'grpc: received message larger than max (4194400 vs. 4194304)'}
QUOTA_BODY = {'code': 8, 'message': 'Quota.Access.Exhausted (QUOTA-vjAy8)', 'details': [{'id': 'QUOTA-vjAy8'}]}


def response(status, body=None, headers=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = json.dumps(body).encode() if body is not None else b''  # pylint: disable=protected-access
    resp.headers.update(headers or {})
    return resp


class FakeClock:
    """A monotonic clock that only the fake sleep advances; records every sleep.

    on_sleep, when set, runs once at the next sleep, before the clock moves: another worker acting meanwhile.
    """

    def __init__(self):
        self.now = 0.0
        self.sleeps = []
        self.on_sleep = None
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            return self.now

    def sleep(self, seconds):
        if math.isnan(seconds) or seconds < 0:  # as time.sleep does
            raise ValueError('sleep length must be a non-negative number, not %r' % seconds)
        with self.lock:
            self.sleeps.append(seconds)
        hook, self.on_sleep = self.on_sleep, None
        if hook:
            hook(seconds)
        with self.lock:
            self.now += seconds


class ScriptedSession(requests.Session):
    """Answers each request with the next scripted response or exception; records the calls and their clock times."""

    def __init__(self, script, clock=None):
        super().__init__()
        self.script = list(script)
        self.clock = clock
        self.calls = []
        self.times = []

    def request(self, method, url, **kwargs):  # pylint: disable=arguments-differ
        self.calls.append((method, url, kwargs))
        self.times.append(self.clock() if self.clock else None)
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        return step


def make_client(script, retries=3, auth=None):
    """A client whose session answers from script; its clock advances only by its sleeps, recorded in client.sleeps."""
    clock = FakeClock()
    client = ZitadelClient('https://z.example.com/', auth or TokenAuth('pat-secret'), retries=retries, timeout=5,
                           sleep=clock.sleep, clock=clock)
    client.sleeps = clock.sleeps
    client.fake_clock = clock
    client.session = ScriptedSession(script, clock)
    return client


@pytest.fixture
def no_jitter(monkeypatch):
    """Backoff without jitter: always its upper bound."""
    monkeypatch.setattr(_client.random, 'uniform', lambda low, high: high)


def test_request_sends_auth_org_body_and_params():
    client = make_client([response(200, {'ok': True})])
    assert client.request('POST', '/p', body={'a': 1}, org_id='42', params={'id': ['1', '2']}) == {'ok': True}
    method, url, kwargs = client.session.calls[0]
    assert (method, url) == ('POST', 'https://z.example.com/p')
    assert kwargs['headers'] == {'x-zitadel-orgid': '42', 'Authorization': 'Bearer pat-secret'}
    assert kwargs['json'] == {'a': 1} and kwargs['timeout'] == 5 and kwargs['params'] == {'id': ['1', '2']}
    assert kwargs['verify'] == client.verify, 'verify is passed with each request, as read once when the client was made'


def test_without_org_id_no_org_header_is_sent():
    client = make_client([response(200, {})])
    client.request('GET', '/p')
    assert 'x-zitadel-orgid' not in client.session.calls[0][2]['headers']


@pytest.mark.parametrize('status', [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried(status, no_jitter):  # pylint: disable=unused-argument,redefined-outer-name
    client = make_client([response(status), response(status), response(200, {})])
    assert client.request('GET', '/p') == {}
    assert len(client.session.calls) == 3 and client.sleeps == [0.5, 1.0]


def test_retry_after_is_honoured_and_capped():
    client = make_client([response(429, headers={'Retry-After': '7'}), response(429, headers={'Retry-After': '9999'}),
                          response(200, {})])
    client.request('GET', '/p')
    assert client.sleeps == [7.0, RETRY_AFTER_CAP] and client.fake_clock.now == 7.0 + RETRY_AFTER_CAP
    assert client.session.times == [0.0, 7.0, 67.0]


def test_retry_after_of_a_server_error_is_honoured_without_pausing_the_client():
    client = make_client([response(503, headers={'Retry-After': '3'}), response(200, {})])
    client.request('GET', '/p')
    assert client.sleeps == [3.0]
    assert client._pause_until == 0.0, 'a 5xx backs off this request only'  # pylint: disable=protected-access


@pytest.mark.parametrize('retry_after', ['Wed, 21 Oct 2015 07:28:00 GMT', 'soon', '-5', 'nan'])
def test_malformed_retry_after_falls_back_to_a_valid_wait(retry_after):
    """time.sleep raises ValueError for NaN: a wait must be a finite number of seconds within the cap."""
    client = make_client([response(503, headers={'Retry-After': retry_after}), response(200, {})])
    client.request('GET', '/p')
    assert len(client.sleeps) == 1 and 0 <= client.sleeps[0] <= RETRY_AFTER_CAP


class PathSession(requests.Session):
    """Answers by path from per-path scripts, thread-safe; records (path, clock time) of every request."""

    def __init__(self, scripts, clock):
        super().__init__()
        self.scripts = {path: list(script) for path, script in scripts.items()}
        self.clock = clock
        self.sent = []
        self.lock = threading.Lock()

    def request(self, method, url, **kwargs):  # pylint: disable=arguments-differ
        path = url.split('z.example.com', 1)[1]
        with self.lock:
            self.sent.append((path, self.clock()))
            return self.scripts[path].pop(0)


def test_429_of_one_thread_holds_back_another_thread():
    """Thread A gets a 429 with Retry-After 5; thread B, starting during that pause, waits for it before sending."""
    clock = FakeClock()
    a_paused, b_slept = threading.Event(), threading.Event()

    def sleep(seconds):
        if threading.current_thread().name == 'A':
            a_paused.set()
            b_slept.wait(5)  # B sends at once when it ignores the pause; the assertion below then fails
        else:
            b_slept.set()
        clock.sleep(seconds)

    client = ZitadelClient('https://z.example.com', TokenAuth('p'), sleep=sleep, clock=clock)
    client.session = PathSession({'/a': [response(429, headers={'Retry-After': '5'}), response(200, {'a': 1})],
                                  '/b': [response(200, {'b': 1})]}, clock)
    results, errors = {}, []

    def worker(path):
        try:
            results[path] = client.request('GET', path)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            errors.append(exc)

    thread_a = threading.Thread(target=worker, args=('/a',), name='A')
    thread_a.start()
    assert a_paused.wait(5)
    thread_b = threading.Thread(target=worker, args=('/b',), name='B')
    thread_b.start()
    thread_a.join(10)
    thread_b.join(10)
    assert errors == [] and results == {'/a': {'a': 1}, '/b': {'b': 1}}
    sent_b = [moment for path, moment in client.session.sent if path == '/b']
    assert sent_b and sent_b[0] >= 5.0, 'thread B sent at %s, during the pause' % sent_b


def test_backoff_grows_with_jitter():
    for attempt in range(8):
        assert 0 <= ZitadelClient._backoff(attempt) <= min(10.0, 0.5 * 2 ** attempt)  # pylint: disable=protected-access


def test_a_429_pauses_every_request_of_the_client():
    """While one request waits out a 429, another request of the same client is held back until the pause ends."""
    client = make_client([response(429, headers={'Retry-After': '5'}), response(200, {'other': 1}), response(200, {'first': 1})])
    other = {}

    def second_request(_seconds):  # runs while the first request waits, before the clock moves
        assert client._pause_until == 5.0  # pylint: disable=protected-access
        other['answer'] = client.request('GET', '/other')

    client.fake_clock.on_sleep = second_request
    assert client.request('GET', '/first') == {'first': 1}
    assert other['answer'] == {'other': 1}
    urls = [call[1] for call in client.session.calls]
    assert urls == ['https://z.example.com/first', 'https://z.example.com/other', 'https://z.example.com/first']
    assert client.session.times[1] >= 5.0, 'the other request was sent only after the pause'
    assert client.sleeps[:2] == [5.0, 5.0], 'both requests waited for the shared pause'


def test_a_5xx_backs_off_only_its_own_request(no_jitter):
    client = make_client([response(503), response(200, {'other': 1}), response(200, {'first': 1})])
    other = {}

    def second_request(_seconds):
        other['answer'] = client.request('GET', '/other')

    client.fake_clock.on_sleep = second_request
    assert client.request('GET', '/first') == {'first': 1}
    assert other['answer'] == {'other': 1}
    assert client.session.times == [0.0, 0.0, 0.5], 'the other request was sent at once'
    assert client._pause_until == 0.0  # pylint: disable=protected-access


def test_pauses_extend_but_never_shorten():
    client = make_client([])
    client._pause_until = 100.0  # pylint: disable=protected-access
    client.fake_clock.now = 40.0
    client._pause(10)  # pylint: disable=protected-access
    assert client._pause_until == 100.0 and client.fake_clock.now >= 100.0  # pylint: disable=protected-access
    assert sum(client.sleeps) == 60.0


def test_wait_for_pause_returns_at_once_without_a_pause():
    client = make_client([])
    client._wait_for_pause()  # pylint: disable=protected-access
    assert client.sleeps == []


@pytest.mark.parametrize('body', [SIZE_LIMIT_BODY, {'code': 'resource_exhausted', 'message': 'grpc: received message larger than max'}])
def test_the_message_size_limit_429_is_not_retried(body):
    client = make_client([response(429, body)])
    with pytest.raises(ZitadelApiError) as info:
        client.request('POST', '/p', body={'big': 'x'})
    assert info.value.is_message_too_large and info.value.status == 429
    assert 'message size limit' in str(info.value)
    assert len(client.session.calls) == 1 and client.sleeps == []
    assert client._pause_until == 0.0, 'the size limit does not pause the other requests'  # pylint: disable=protected-access


@pytest.mark.parametrize('resp', [
    response(429, QUOTA_BODY),  # ZITADEL's quota: an error id
    response(429, SIZE_LIMIT_BODY, headers={'Retry-After': '1'}),  # a rate limit in front of ZITADEL
    response(429, {'code': 13, 'message': 'x'}),  # another code
    response(429),  # no body
], ids=['quota', 'retry-after', 'other-code', 'empty'])
def test_other_429s_are_retried(resp):
    client = make_client([resp, response(200, {})])
    assert client.request('GET', '/p') == {}
    assert len(client.session.calls) == 2


def test_gives_up_after_retries_with_the_status():
    client = make_client([response(503)] * 3, retries=2)
    with pytest.raises(ZitadelApiError) as info:
        client.request('GET', '/p')
    assert info.value.status == 503 and len(client.session.calls) == 3 and len(client.sleeps) == 2


def test_no_retries_at_all():
    client = make_client([response(429, headers={'Retry-After': '5'})], retries=0)
    with pytest.raises(ZitadelApiError):
        client.request('GET', '/p')
    assert client.sleeps == [] and client._pause_until == 0.0  # pylint: disable=protected-access


def test_connection_errors_and_timeouts_are_retried_then_reported():
    client = make_client([requests.exceptions.ConnectionError('boom'), requests.exceptions.ReadTimeout('slow'),
                          requests.exceptions.ReadTimeout('slow')], retries=2)
    with pytest.raises(ZitadelRequestError, match='after 3 attempt.*timeout of 5 seconds'):
        client.request('GET', '/p')
    assert len(client.sleeps) == 2


def test_connection_error_message():
    client = make_client([requests.exceptions.ConnectionError('boom')], retries=0)
    with pytest.raises(ZitadelRequestError, match=r'could not connect or the connection was dropped \(ConnectionError\)'):
        client.request('GET', '/p')


def test_a_connection_dropped_while_reading_the_answer_is_retried_then_reported():
    """requests raises ChunkedEncodingError when the connection breaks in the middle of the body: a transport error."""
    dropped = requests.exceptions.ChunkedEncodingError('Connection broken: IncompleteRead(10 bytes read)')
    client = make_client([dropped, response(200, {'ok': 1})])
    assert client.request('GET', '/p') == {'ok': 1} and len(client.sleeps) == 1
    client = make_client([dropped, dropped], retries=1)
    with pytest.raises(ZitadelRequestError, match='after 2 attempt'):
        client.request('GET', '/p')


def test_tls_failure_is_not_retried_and_explains_the_fix():
    client = make_client([requests.exceptions.SSLError('bad cert')])
    with pytest.raises(ZitadelRequestError, match='ca_path'):
        client.request('GET', '/p')
    assert len(client.session.calls) == 1


def test_invalid_header_is_a_config_error():
    client = make_client([requests.exceptions.InvalidHeader('bad')])
    with pytest.raises(ZitadelConfigError, match='control character'):
        client.request('GET', '/p')


def test_client_errors_are_not_retried():
    body = {'code': 9, 'message': 'User could not be found (COMMAND-uXHNj)',
            'details': [{'@type': 'type.googleapis.com/zitadel.v1.ErrorDetail', 'id': 'COMMAND-uXHNj', 'message': 'x'}]}
    client = make_client([response(400, body)])
    with pytest.raises(ZitadelApiError) as info:
        client.request('POST', '/p')
    assert (info.value.status, info.value.code, info.value.error_id) == (400, 9, 'COMMAND-uXHNj')
    assert len(client.session.calls) == 1


class RefreshableAuth(TokenAuth):
    """Renews its token once per 401, as an issued token does; records the rejected headers."""

    def __init__(self):
        super().__init__('first')
        self.rejected = []

    def refresh(self, rejected):
        self.rejected.append(rejected)
        self._header = 'Bearer second'
        return True


def test_401_refreshes_an_issued_token_once():
    auth = RefreshableAuth()
    client = make_client([response(401), response(200, {'ok': 1})], auth=auth)
    assert client.request('GET', '/p') == {'ok': 1}
    assert auth.rejected == ['Bearer first']
    assert client.session.calls[1][2]['headers']['Authorization'] == 'Bearer second'
    client.session.script = [response(401), response(401)]
    with pytest.raises(ZitadelApiError) as info:
        client.request('GET', '/p')
    assert info.value.status == 401 and len(auth.rejected) == 2 and len(client.session.calls) == 4


def test_401_with_a_static_token_is_not_repeated():
    client = make_client([response(401, {'code': 16, 'details': [{'id': 'AUTH-7fs1e'}]})])
    with pytest.raises(ZitadelApiError, match='credentials were rejected'):
        client.request('GET', '/p')
    assert len(client.session.calls) == 1


def test_token_endpoint_error_names_the_oauth_error():
    client = make_client([response(400, {'error': 'invalid_grant', 'error_description': 'bad assertion'})])
    with pytest.raises(ZitadelAuthError, match='HTTP 400, invalid_grant: bad assertion') as info:
        client.request_token({'grant_type': 'x', 'assertion': 'SECRET-ASSERTION'})
    assert 'SECRET-ASSERTION' not in str(info.value)
    assert info.value.facts() == {'status': 400, 'oauth_error': 'invalid_grant'}


def test_token_endpoint_success_and_basic_auth():
    client = make_client([response(200, {'access_token': 'tok', 'expires_in': 43199})])
    assert client.request_token({'grant_type': 'client_credentials'}, ('id', 'secret')) == ('tok', 43199)
    method, url, kwargs = client.session.calls[0]
    assert (method, url) == ('POST', 'https://z.example.com/oauth/v2/token')
    assert kwargs['data'] == {'grant_type': 'client_credentials'} and kwargs['auth'] == ('id', 'secret')
    assert 'headers' not in kwargs, 'the token request carries no Authorization header of its own'


def test_token_endpoint_without_a_token_fails():
    client = make_client([response(200, {})])
    with pytest.raises(ZitadelAuthError, match='HTTP 200'):
        client.request_token({'grant_type': 'x'})


def test_non_json_answer_is_reported():
    resp = response(200)
    resp._content = b'<html>'  # pylint: disable=protected-access
    client = make_client([resp])
    with pytest.raises(ZitadelApiError, match='not a JSON object'):
        client.request('GET', '/p')


@pytest.mark.parametrize('url', ['', 'zitadel.example.com', 'ftp://z', 'https://', 'https://z?x=1', 'https://z:port', 'https://z#f'])
def test_malformed_api_url(url):
    with pytest.raises(ZitadelConfigError, match='api_url'):
        normalize_api_url(url)


def test_issuer_and_trailing_slash():
    client = make_client([])
    assert client.api_url == 'https://z.example.com' and client.issuer == 'https://z.example.com'
    assert ZitadelClient('http://z:8080/base/', TokenAuth('p')).issuer == 'http://z:8080'


@pytest.mark.parametrize('status, code, error_id, fragment', [
    (400, 9, 'COMMAND-uXHNj', 'user does not exist in organisation 1'),
    (403, 7, 'AUTH-Bs7Ds', 'organisation does not exist'),
    (403, 7, 'AUTH-5mWD2', 'lack permission user.write in organisation 1'),
    (401, 16, 'AUTH-7fs1e', 'credentials were rejected'),
    (404, 5, None, 'no such endpoint'),
    (400, 3, None, 'rejected the request as invalid'),
    (429, 8, None, 'message size limit'),
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


class RecordingAdapter(BaseAdapter):
    """A transport that answers 200 {} and records what requests hands to it."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # pylint: disable=arguments-differ
        self.sent.append({'url': request.url, 'headers': dict(request.headers), 'verify': verify, 'proxies': dict(proxies or {}),
                          'timeout': timeout})
        resp = response(200, {})
        resp.request = request
        return resp

    def close(self):
        pass


@pytest.fixture
def clean_environment(monkeypatch):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy',
                 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_proxy_and_ca_bundle_are_read_once_from_the_environment(clean_environment, tmp_path):
    monkeypatch = clean_environment
    bundle = tmp_path / 'bundle.pem'
    bundle.write_text('pem')
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example.com:3128')
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', str(bundle))
    client = ZitadelClient('https://z.example.com', TokenAuth('p'))
    assert client.session.trust_env is False, 'requests must not read the environment again for each request'
    assert client.verify == str(bundle)
    assert client.session.proxies.get('https') == 'http://proxy.example.com:3128'
    adapter = RecordingAdapter()
    client.session.mount('https://', adapter)
    monkeypatch.setenv('HTTPS_PROXY', 'http://other-proxy.example.com:8080')  # changes after the client was made do not count
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    client.request('GET', '/p', params={'key': ['a', 'b']})
    sent = adapter.sent[0]
    assert sent['url'] == 'https://z.example.com/p?key=a&key=b'
    assert sent['proxies'].get('https') == 'http://proxy.example.com:3128' and sent['verify'] == str(bundle)
    assert sent['headers']['User-Agent'] == 'community.zitadel' and sent['headers']['Accept'] == 'application/json'
    assert sent['headers']['Authorization'] == 'Bearer p' and sent['timeout'] == 30


def test_no_proxy_exempts_the_api_host(clean_environment):
    clean_environment.setenv('HTTPS_PROXY', 'http://proxy.example.com:3128')
    clean_environment.setenv('NO_PROXY', 'z.example.com')
    client = ZitadelClient('https://z.example.com', TokenAuth('p'))
    assert not client.session.proxies.get('https')


def test_ca_path_wins_over_the_environment_bundle(clean_environment, tmp_path):
    bundle, ca_file = tmp_path / 'bundle.pem', tmp_path / 'ca.pem'
    bundle.write_text('pem')
    ca_file.write_text('pem')
    clean_environment.setenv('REQUESTS_CA_BUNDLE', str(bundle))
    assert ZitadelClient('https://z', TokenAuth('p'), ca_path=str(ca_file)).verify == str(ca_file)
    assert ZitadelClient('https://z', TokenAuth('p'), validate_certs=False).verify is False


def test_one_connection_pool_sized_for_the_workers(clean_environment):
    client = ZitadelClient('https://z.example.com', TokenAuth('p'), pool_size=16)
    assert client.session.get_adapter('https://z.example.com')._pool_maxsize == 16  # pylint: disable=protected-access
    assert client.session.get_adapter('http://z.example.com')._pool_maxsize == 16  # pylint: disable=protected-access
    assert ZitadelClient('https://z', TokenAuth('p'), pool_size=0).session.get_adapter('https://z')._pool_maxsize == 1  # pylint: disable=protected-access
