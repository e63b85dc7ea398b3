# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Authentication methods. Each one validates its input offline, then yields an Authorization header.

Adding a method is one class plus one entry in AUTH_METHODS.
"""

from __future__ import annotations

import json
import threading
import time
import traceback

from ansible_collections.community.zitadel.plugins.module_utils._client import check_header_value
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError

try:
    import jwt
    from jwt.algorithms import RSAAlgorithm, has_crypto
except ImportError:
    jwt = None
    has_crypto = False
    JWT_IMPORT_ERROR = traceback.format_exc()
else:
    JWT_IMPORT_ERROR = None

API_SCOPE = 'openid urn:zitadel:iam:org:project:id:zitadel:aud'
JWT_LIFETIME = 300
REFRESH_MARGIN = 60


class TokenAuth:
    """A personal access token, or an access token obtained elsewhere."""

    def __init__(self, token):
        if not token or not token.strip():
            raise ZitadelConfigError('token is empty: give a personal access token of a ZITADEL service account.')
        check_header_value('token', token.strip())
        if ' ' in token.strip():
            raise ZitadelConfigError('token holds a space; give the token alone, without a "Bearer" prefix.')
        self._header = 'Bearer ' + token.strip()

    def secrets(self):
        return [self._header[len('Bearer '):]]

    def authorization(self, client):  # pylint: disable=unused-argument
        return self._header

    def refresh(self, rejected):  # pylint: disable=unused-argument
        """A static token cannot be renewed."""
        return False


class _IssuedTokenAuth:
    """Base for methods that trade credentials for an access token at /oauth/v2/token.

    Concurrent workers share one token: it is fetched, and renewed after a 401, once for all of them.
    """

    def __init__(self):
        self._token = None
        self._expires_at = 0.0
        self._lock = threading.Lock()

    def authorization(self, client):
        with self._lock:
            if self._token is None or time.time() >= self._expires_at - REFRESH_MARGIN:
                token, lifetime = client.request_token(*self._token_request(client))
                self._token = token
                self._expires_at = time.time() + (lifetime or 3600)
            return 'Bearer ' + self._token

    def refresh(self, rejected):
        """After a 401 with the header `rejected`: forget that token, unless another worker already replaced it."""
        with self._lock:
            if self._token is not None and 'Bearer ' + self._token == rejected:
                self._token = None
        return True

    def _token_request(self, client):
        raise NotImplementedError


class JwtProfileAuth(_IssuedTokenAuth):
    """A service account key (JSON key file of ZITADEL), exchanged with the JWT-profile grant."""

    def __init__(self, key_json, source):
        super().__init__()
        if jwt is None or not has_crypto:
            raise ZitadelConfigError('JWT-profile authentication needs the Python libraries PyJWT and cryptography '
                                     '(pip install PyJWT cryptography).')
        try:
            key = json.loads(key_json)
        except ValueError:
            raise ZitadelConfigError('%s is not valid JSON: give the key file that ZITADEL created for the service '
                                     'account.' % source) from None
        missing = [name for name in ('keyId', 'key', 'userId') if not isinstance(key, dict) or not key.get(name)]
        if missing:
            raise ZitadelConfigError('%s is not a ZITADEL service account key: field(s) %s missing. Download a new '
                                     'JSON key for the service account.' % (source, ', '.join(missing)))
        try:
            self._private_key = RSAAlgorithm(RSAAlgorithm.SHA256).prepare_key(key['key'])
        except Exception:  # pylint: disable=broad-exception-caught
            raise ZitadelConfigError('%s: the field "key" is not a valid RSA private key in PEM format.' % source) from None
        self._key_id = key['keyId']
        self._user_id = key['userId']
        self._key_pem = key['key']

    def secrets(self):
        return [self._key_pem]

    def _token_request(self, client):
        now = int(time.time())
        claims = {'iss': self._user_id, 'sub': self._user_id, 'aud': client.issuer, 'iat': now, 'exp': now + JWT_LIFETIME}
        assertion = jwt.encode(claims, self._private_key, algorithm='RS256', headers={'kid': self._key_id})
        return {'grant_type': 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'scope': API_SCOPE, 'assertion': assertion}, None


class ClientCredentialsAuth(_IssuedTokenAuth):
    """A service account's client id and secret, exchanged with the client-credentials grant."""

    def __init__(self, client_id, client_secret):
        super().__init__()
        if not client_id or not client_secret:
            raise ZitadelConfigError('client_id and client_secret must both be given and non-empty.')
        self._basic = (client_id, client_secret)

    def secrets(self):
        return [self._basic[1]]

    def _token_request(self, client):
        return {'grant_type': 'client_credentials', 'scope': API_SCOPE}, self._basic


def _read_key_file(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return handle.read()
    except OSError as exc:
        raise ZitadelConfigError('jwt_profile_file %s cannot be read (%s). Give the path of the JSON key file of '
                                 'the service account.' % (path, exc.strerror or type(exc).__name__)) from None


# method name -> (option names, environment variables, factory taking the option values in order)
AUTH_METHODS = {
    'token': (('token',), ('ZITADEL_TOKEN',), TokenAuth),
    'jwt_profile_file': (('jwt_profile_file',), ('ZITADEL_JWT_PROFILE_FILE',),
                         lambda path: JwtProfileAuth(_read_key_file(path), 'jwt_profile_file %s' % path)),
    'jwt_profile_json': (('jwt_profile_json',), ('ZITADEL_JWT_PROFILE_JSON',),
                         lambda value: JwtProfileAuth(value if isinstance(value, str) else json.dumps(value), 'jwt_profile_json')),
    'client_credentials': (('client_id', 'client_secret'), ('ZITADEL_CLIENT_ID', 'ZITADEL_CLIENT_SECRET'),
                           ClientCredentialsAuth),
}
AUTH_OPTION_NAMES = tuple(name for options, _env, _factory in AUTH_METHODS.values() for name in options)


def select_auth(options, environ):
    """Build the one auth method given by the task options or, when none is given, by the environment."""
    chosen = _given(options, 0)
    source = 'options'
    if not chosen:
        chosen = _given(environ, 1)
        source = 'environment variables'
    if not chosen:
        raise ZitadelConfigError(
            'No credentials: set exactly one of token, jwt_profile_file, jwt_profile_json, or client_id with '
            'client_secret (or the environment variable ZITADEL_TOKEN, ZITADEL_JWT_PROFILE_FILE, '
            'ZITADEL_JWT_PROFILE_JSON, or ZITADEL_CLIENT_ID with ZITADEL_CLIENT_SECRET).')
    if len(chosen) > 1:
        raise ZitadelConfigError('Give exactly one authentication method; the %s set %s.'
                                 % (source, ' and '.join('/'.join(names) for names, _values, _factory in chosen)))
    names, values, factory = chosen[0]
    if not all(values):
        raise ZitadelConfigError('%s must be given together.' % ' and '.join(names))
    return factory(*values)


def _given(source, index):
    """The auth methods with at least one value set in source (index 0: option names, 1: env names)."""
    given = []
    for spec in AUTH_METHODS.values():
        names = spec[index]
        values = [source.get(name) for name in names]
        if any(values):
            given.append((names, values, spec[2]))
    return given
