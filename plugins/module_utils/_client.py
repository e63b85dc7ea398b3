# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the ZITADEL APIs: one requests session shared by concurrent workers, retries with backoff, typed errors."""

from __future__ import annotations

import math
import os
import random
import threading
import time
import traceback
from urllib.parse import urlsplit

from ansible_collections.community.zitadel.plugins.module_utils._errors import (
    ZitadelApiError,
    ZitadelAuthError,
    ZitadelConfigError,
    ZitadelRequestError,
)

try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:
    requests = HTTPAdapter = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0
RETRY_AFTER_CAP = 60.0
DEFAULT_HTTP_AGENT = 'community.zitadel'
DEFAULT_POOL_SIZE = 10  # connections kept open per host, as requests does by default


def normalize_api_url(api_url):
    """Validate api_url offline and return it without a trailing slash."""
    parts = urlsplit(api_url or '')
    if parts.scheme not in ('http', 'https') or not parts.hostname or parts.query or parts.fragment:
        raise ZitadelConfigError(
            'api_url %r is not a valid ZITADEL URL: give the instance root such as https://zitadel.example.com '
            '(http or https, a host name, no query or fragment).' % (api_url,))
    try:
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        raise ZitadelConfigError('api_url %r has an invalid port.' % (api_url,)) from None
    return api_url.rstrip('/')


def check_header_value(option, value):
    """Reject values that cannot travel in an HTTP header, without echoing them (they may be secret)."""
    if value is not None and (value != value.strip() or any(ord(char) < 32 or ord(char) == 127 for char in value)):
        raise ZitadelConfigError('%s holds white space at its ends, a line break or another control character; '
                                 'give it on one line without them.' % option)


class ZitadelClient:
    """Sends requests to one ZITADEL instance; auth is a strategy object from _auth."""

    def __init__(self, api_url, auth, validate_certs=True, ca_path=None, timeout=30, retries=3,
                 http_agent=DEFAULT_HTTP_AGENT, pool_size=DEFAULT_POOL_SIZE, sleep=time.sleep, clock=time.monotonic):
        self.api_url = normalize_api_url(api_url)
        check_header_value('http_agent', http_agent)
        if timeout <= 0 or retries < 0:
            raise ZitadelConfigError('timeout must be greater than 0 and retries at least 0.')
        if validate_certs and ca_path and not os.path.isfile(ca_path):
            raise ZitadelConfigError('ca_path %s is not a file: give the PEM file of the CA that signed the certificate '
                                     'of the ZITADEL server.' % ca_path)
        self.auth = auth
        self.timeout = timeout
        self.retries = retries
        self._sleep = sleep
        self._clock = clock
        # A 429 pauses every worker of this client until this moment (clock time), not only the one that got it.
        self._pause_until = 0.0
        self._pause_lock = threading.Lock()
        self.session = requests.Session()
        # The environment (proxies and NO_PROXY, REQUESTS_CA_BUNDLE when no ca_path is given) is read once here, as
        # requests would read it for every request. verify is passed with each request: a session-wide setting
        # would yield to REQUESTS_CA_BUNDLE.
        environment = self.session.merge_environment_settings(self.api_url, {}, None,
                                                              ca_path if (validate_certs and ca_path) else validate_certs, None)
        self.verify = environment['verify']
        self.session.proxies = environment['proxies']
        self.session.trust_env = False
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self.session.mount('https://', adapter)
        self.session.mount('http://', adapter)
        self.session.headers['User-Agent'] = http_agent
        self.session.headers['Accept'] = 'application/json'

    @property
    def issuer(self):
        """The URL ZITADEL expects as JWT audience: scheme and host of api_url."""
        parts = urlsplit(self.api_url)
        return '%s://%s' % (parts.scheme, parts.netloc)

    def request(self, method, path, body=None, org_id=None, params=None):
        """Call an API route with the auth header; return the decoded JSON body ({} when empty).

        params: query parameters, a dict whose values may be lists (a repeated parameter).
        """
        headers = {}
        if org_id:
            headers['x-zitadel-orgid'] = org_id
        refreshed = False
        while True:
            headers['Authorization'] = self.auth.authorization(self)
            response = self._send(method, path, headers=headers, json=body, params=params)
            if response.status_code == 401 and not refreshed and self.auth.refresh(headers['Authorization']):
                refreshed = True
                continue
            if response.status_code >= 400:
                raise ZitadelApiError.from_response(response, method, path)
            return _json_body(response, method, path)

    def request_token(self, form, basic_auth=None):
        """POST /oauth/v2/token; return the access token and its lifetime in seconds."""
        path = '/oauth/v2/token'
        response = self._send('POST', path, data=form, auth=basic_auth)
        body = _json_body(response, 'POST', path, strict=False)
        if response.status_code >= 400 or not body.get('access_token'):
            oauth_error = body.get('error')
            raise ZitadelAuthError(
                'ZITADEL refused to issue an access token (HTTP %s%s%s). Check the service account credentials, and '
                'that the key or client secret belongs to this ZITADEL instance.'
                % (response.status_code, ', ' + oauth_error if oauth_error else '',
                   ': ' + body['error_description'] if body.get('error_description') else ''),
                status=response.status_code, oauth_error=oauth_error)
        return body['access_token'], int(body.get('expires_in') or 0)

    def _send(self, method, path, **kwargs):
        """One logical request: retried on connection errors, timeouts and retryable statuses."""
        url = self.api_url + path
        attempt = 0
        while True:
            self._wait_for_pause()
            try:
                response = self.session.request(method, url, timeout=self.timeout, verify=self.verify, **kwargs)
            except requests.exceptions.SSLError:
                raise ZitadelRequestError(
                    'TLS verification of %s failed. Point ca_path at the CA certificate that signed the server '
                    'certificate, or (unsafe, for tests only) set validate_certs to false.' % self.issuer
                    if self.verify else 'The TLS connection to %s failed.' % self.issuer) from None
            except requests.exceptions.InvalidHeader:
                raise ZitadelConfigError('A request header would hold a line break or other control character: '
                                         'check token, org_id and http_agent.') from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if attempt >= self.retries:
                    raise ZitadelRequestError('%s %s failed after %d attempt(s): %s.'
                                              % (method, path, attempt + 1, _describe_transport_error(exc, self.timeout))) from None
                self._sleep(self._backoff(attempt))
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.retries or _is_size_limit(response):
                    return response
                wait = self._backoff(attempt, response.headers.get('Retry-After'))
                if response.status_code == 429:
                    self._pause(wait)
                else:
                    self._sleep(wait)
            attempt += 1

    def _pause(self, seconds):
        """Hold back every request of this client for `seconds` (a 429 concerns the whole client, not one worker)."""
        with self._pause_lock:
            self._pause_until = max(self._pause_until, self._clock() + seconds)
        self._wait_for_pause()

    def _wait_for_pause(self):
        while True:
            with self._pause_lock:
                remaining = self._pause_until - self._clock()
            if remaining <= 0:
                return
            self._sleep(remaining)

    @staticmethod
    def _backoff(attempt, retry_after=None):
        """Seconds to wait: the server's Retry-After when given, else exponential backoff with full jitter."""
        if retry_after is not None:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = None  # an HTTP date: fall back to backoff
            if seconds is not None and math.isfinite(seconds):
                return min(max(seconds, 0.0), RETRY_AFTER_CAP)
        return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** attempt))


def _describe_transport_error(exc, timeout):
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no answer within the timeout of %s seconds' % timeout
    return 'could not connect or the connection was dropped (%s)' % type(exc).__name__


def _is_size_limit(response):
    """A 429 from the gRPC message size limit behind ZITADEL's REST gateway: no retry can cure it.

    Rate limits and quotas answer with a ZITADEL error id or Retry-After; the size limit has neither.
    """
    if response.status_code != 429 or 'Retry-After' in response.headers:
        return False
    error = ZitadelApiError.from_response(response, None, None)
    return error.is_message_too_large


def _json_body(response, method, path, strict=True):
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    if not strict:
        return {}
    raise ZitadelApiError(response.status_code, method, path,
                          server_message='the answer is not a JSON object, so api_url may not point at the ZITADEL API')
