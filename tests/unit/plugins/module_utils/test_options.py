# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.community.zitadel.plugins.module_utils._auth import ClientCredentialsAuth, TokenAuth
from ansible_collections.community.zitadel.plugins.module_utils._auto import AutoMetadata
from ansible_collections.community.zitadel.plugins.module_utils._client import DEFAULT_POOL_SIZE, ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError
from ansible_collections.community.zitadel.plugins.module_utils._options import client_from_options, metadata_api
from ansible_collections.community.zitadel.plugins.module_utils._v1 import V1Metadata
from ansible_collections.community.zitadel.plugins.module_utils._v2 import V2Metadata

OPTIONS = {'api_url': 'https://z.example.com/', 'validate_certs': True, 'ca_path': None, 'timeout': 7, 'retries': 2,
           'http_agent': 'agent/1', 'org_id': '1'}


def getter(**changes):
    """get_option over OPTIONS: a module's params.get, or a plugin's get_option."""
    options = dict(OPTIONS, **changes)
    asked = []

    def get_option(name):
        asked.append(name)
        return options.get(name)
    get_option.asked = asked
    return get_option


def test_client_from_options():
    client = client_from_options(getter(token='pat'), environ={})
    assert isinstance(client, ZitadelClient) and isinstance(client.auth, TokenAuth)
    assert (client.api_url, client.timeout, client.retries) == ('https://z.example.com', 7, 2)
    assert client.session.headers['User-Agent'] == 'agent/1'
    assert client.session.get_adapter('https://z.example.com')._pool_maxsize == DEFAULT_POOL_SIZE  # pylint: disable=protected-access


def test_auth_environment_is_read_only_without_auth_options():
    client = client_from_options(getter(), environ={'ZITADEL_CLIENT_ID': 'id', 'ZITADEL_CLIENT_SECRET': 'secret'})
    assert isinstance(client.auth, ClientCredentialsAuth)
    client = client_from_options(getter(token='pat'), environ={'ZITADEL_CLIENT_ID': 'id', 'ZITADEL_CLIENT_SECRET': 'secret'})
    assert isinstance(client.auth, TokenAuth)


def test_the_process_environment_is_the_default(monkeypatch):
    for name in ('ZITADEL_JWT_PROFILE_FILE', 'ZITADEL_JWT_PROFILE_JSON', 'ZITADEL_CLIENT_ID', 'ZITADEL_CLIENT_SECRET'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('ZITADEL_TOKEN', 'from-env')
    assert client_from_options(getter()).auth.secrets() == ['from-env']


def test_options_are_checked_offline():
    with pytest.raises(ZitadelConfigError, match='No credentials'):
        client_from_options(getter(), environ={})
    with pytest.raises(ZitadelConfigError, match='api_url'):
        client_from_options(getter(token='pat', api_url='z.example.com'), environ={})


@pytest.mark.parametrize('version, protocol', [(None, AutoMetadata), ('auto', AutoMetadata), ('v1', V1Metadata), ('v2', V2Metadata)])
def test_api_version_picks_the_protocol(version, protocol):
    api = metadata_api(getter(token='pat', api_version=version), environ={})
    assert type(api) is protocol  # pylint: disable=unidiomatic-typecheck


def test_an_unknown_api_version_fails_offline():
    with pytest.raises(ZitadelConfigError, match="api_version must be one of auto, v1, v2, not 'v3'"):
        metadata_api(getter(token='pat', api_version='v3'), environ={})


def test_metadata_api_has_a_pool_for_the_workers():
    get_option = getter(token='pat')
    api = metadata_api(get_option, environ={}, concurrency=16)
    assert api.client.api_url == 'https://z.example.com'
    assert api.client.session.get_adapter('https://z.example.com')._pool_maxsize == 16  # pylint: disable=protected-access
    assert {'api_url', 'token', 'timeout', 'retries', 'validate_certs', 'ca_path', 'http_agent'} <= set(get_option.asked)
    assert 'org_id' not in get_option.asked, 'the owner names its organisation, not the connection'
