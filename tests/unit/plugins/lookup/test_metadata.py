# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The metadata lookup over the in-memory v1 server of the module tests: values, defaults, options and errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError, AnsibleOptionsError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.community.zitadel.plugins.module_utils import _options
from ansible_collections.community.zitadel.plugins.module_utils._auth import select_auth
from ansible_collections.community.zitadel.plugins.module_utils._client import ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelApiError
from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import OTHER_ORG, OWN_ORG, USER, FakeZitadel

CONNECTION = {'api_url': 'https://zitadel.example.com', 'token': 'pat-secret-123', 'api_version': 'v1'}


@pytest.fixture
def zitadel(monkeypatch):
    fake = FakeZitadel()
    monkeypatch.setattr(ZitadelClient, 'request', lambda client, *args, **kwargs: fake.request(*args, **kwargs))
    fake.entries[USER].update({'team': b'platform', 'limits': b'{"cpu":2}', 'raw': b'\xff\x00', 'api_secret': b's3cr3t'})
    fake.entries[OWN_ORG].update({'region': b'eu-west'})
    return fake


def lookup(*terms, variables=None, **options):
    loader = DataLoader()
    plugin = lookup_loader.get('community.zitadel.metadata', loader=loader, templar=Templar(loader=loader))
    return plugin.run(list(terms), variables=variables or {}, **dict(CONNECTION, **options))


def test_values_in_the_order_of_the_terms_from_one_list(zitadel):
    assert lookup('team', 'limits', user_id=USER) == ['platform', '{"cpu":2}']
    assert zitadel.calls == [('POST', '/management/v1/users/%s/metadata/_search' % USER)]


def test_a_user_by_login_name_costs_one_search_more(zitadel):
    assert lookup('team', login_name='ALICE@acme.example') == ['platform']
    assert [path for _method, path in zitadel.calls] == ['/management/v1/users/_search', '/management/v1/users/%s/metadata/_search' % USER]


@pytest.mark.parametrize('org', [{}, {'org_id': OWN_ORG}])
def test_without_a_user_the_organisation_is_read(zitadel, org):
    assert lookup('region', **org) == ['eu-west']
    assert zitadel.calls == [('POST', '/management/v1/metadata/_search')]


@pytest.mark.parametrize('encoding, value', [('json', {'cpu': 2}), ('base64', 'eyJjcHUiOjJ9')])
def test_encodings(zitadel, encoding, value):
    assert lookup('limits', user_id=USER, encoding=encoding) == [value]


@pytest.mark.parametrize('default', ['none', None, {'a': 1}])
def test_a_key_that_is_not_set_gives_the_default(zitadel, default):
    assert lookup('team', 'nope', user_id=USER, default=default) == ['platform', default]


def test_a_key_that_is_not_set_fails_without_a_default(zitadel):
    with pytest.raises(AnsibleLookupError) as info:
        lookup('team', 'nope', user_id=USER)
    assert str(info.value) == ("Metadata key 'nope' is not set on user %s in the service account's own organisation. Pass default=... to "
                               "the lookup for keys that may be unset." % USER)


def test_a_user_that_does_not_exist_is_not_read_as_unset_keys(zitadel):
    with pytest.raises(AnsibleLookupError, match=r"^Could not read metadata on user 300000000000000999 in the service account's own "
                                                 r"organisation: ZITADEL does not show this user"):
        lookup('team', user_id='300000000000000999', default='none')


@pytest.mark.parametrize('encoding, name', [('text', 'UTF-8 text'), ('json', 'JSON')])
def test_a_value_the_encoding_cannot_show_fails(zitadel, encoding, name):
    with pytest.raises(AnsibleLookupError, match=r"^The value of metadata key 'raw' on user \d+ in .* is not valid %s; read it with "
                                                 r"encoding=base64\.$" % name):
        lookup('raw', user_id=USER, encoding=encoding)


def test_json_null_is_a_value(zitadel):
    zitadel.entries[USER]['nothing'] = b'null'
    assert lookup('nothing', user_id=USER, encoding='json') == [None]


def test_sensitive_keys_are_masked(zitadel):
    assert lookup('team', 'api_secret', user_id=USER, sensitive_keys=['*_secret']) == ['platform', '<sensitive>']


def test_an_org_id_from_a_variable_yields_to_org_name(zitadel):
    """Over v1 a name cannot be looked up: the error proves that org_name, not the variable's org_id, named the owner."""
    with pytest.raises(AnsibleLookupError, match="^org_name 'globex': organisations are found by name through ZITADEL's v2"):
        lookup('region', org_name='globex', variables={'ansible_zitadel_org_id': OWN_ORG})
    assert zitadel.calls == []


def test_options_come_from_variables(zitadel):
    variables = {'ansible_zitadel_api_url': 'https://zitadel.example.com', 'ansible_zitadel_token': 'pat-from-vars',
                 'ansible_zitadel_api_version': 'v1', 'ansible_zitadel_org_id': OTHER_ORG, 'zitadel_client_id': 'not-an-option',
                 'unrelated': '{{ undefined_variable }}'}
    loader = DataLoader()
    plugin = lookup_loader.get('community.zitadel.metadata', loader=loader, templar=Templar(loader=loader))
    zitadel.entries[OTHER_ORG].update({'region': b'us-east'})
    assert plugin.run(['region'], variables=variables) == ['us-east']
    assert zitadel.requests[0][3] == OTHER_ORG


@pytest.mark.parametrize('terms, options, message', [
    (['team'], {'user_id': USER, 'login_name': 'alice'}, 'the lookup: give exactly one of user_id and login_name, not both.'),
    (['team'], {'user_id': USER, 'org_name': 'acme'}, 'org_name names an organisation, whose metadata is read only without user_id '
                                                      'and login_name.'),
    (['region'], {'org_id': OWN_ORG, 'org_name': 'acme'}, 'the lookup: give one of org_id and org_name, not both.'),
    ([], {'user_id': USER}, "Name at least one metadata key to read, for example lookup('community.zitadel.metadata', 'team', ...)."),
    ([7], {'user_id': USER}, 'Metadata keys are strings, not int (7).'),
])
def test_bad_input_fails_before_any_request(zitadel, terms, options, message):
    with pytest.raises(AnsibleLookupError) as info:
        lookup(*terms, **options)
    assert str(info.value) == message
    assert zitadel.calls == []


def test_ansible_checks_choices_before_any_request(zitadel):
    with pytest.raises(AnsibleOptionsError, match=r"^Invalid value 'yaml' for config 'encoding'"):
        lookup('team', user_id=USER, encoding='yaml')
    assert zitadel.calls == []


def test_a_server_error_names_the_user_and_never_the_token(zitadel):
    zitadel.faults.append(('*', '*', ZitadelApiError(401, 'POST', '/x', code=16, error_id='AUTH-7fs1e', server_message='Errors.Token.Invalid')))
    with pytest.raises(AnsibleLookupError) as info:
        lookup('team', user_id=USER)
    assert str(info.value).startswith('Could not list metadata on user %s' % USER) and 'credentials were rejected' in str(info.value)
    assert 'pat-secret-123' not in str(info.value)


@pytest.fixture
def chosen_auth(monkeypatch):
    """The auth method each lookup built, with its secrets."""
    chosen = []

    def spy(options, environ):
        auth = select_auth(options, environ)
        chosen.append((type(auth).__name__, auth.secrets()))
        return auth
    monkeypatch.setattr(_options, 'select_auth', spy)
    return chosen


def test_the_environment_gives_the_credentials_when_no_option_does(zitadel, chosen_auth, monkeypatch):
    monkeypatch.setenv('ZITADEL_TOKEN', 'pat-from-env')
    connection = {name: value for name, value in CONNECTION.items() if name != 'token'}
    loader = DataLoader()
    plugin = lookup_loader.get('community.zitadel.metadata', loader=loader, templar=Templar(loader=loader))
    assert plugin.run(['team'], variables={}, user_id=USER, **connection) == ['platform']
    assert chosen_auth == [('TokenAuth', ['pat-from-env'])]


def test_an_auth_option_wins_over_another_method_in_the_environment(zitadel, chosen_auth, monkeypatch):
    """As in the modules, ZITADEL_CLIENT_ID/SECRET do not clash with a token given to the lookup."""
    monkeypatch.setenv('ZITADEL_CLIENT_ID', 'client-from-env')
    monkeypatch.setenv('ZITADEL_CLIENT_SECRET', 'secret-from-env')
    assert lookup('team', user_id=USER) == ['platform']
    assert chosen_auth == [('TokenAuth', ['pat-secret-123'])]


def test_two_methods_in_the_environment_fail_before_any_request(zitadel, monkeypatch):
    monkeypatch.setenv('ZITADEL_TOKEN', 'pat-from-env')
    monkeypatch.setenv('ZITADEL_JWT_PROFILE_FILE', '/nowhere/key.json')
    connection = {name: value for name, value in CONNECTION.items() if name != 'token'}
    loader = DataLoader()
    plugin = lookup_loader.get('community.zitadel.metadata', loader=loader, templar=Templar(loader=loader))
    with pytest.raises(AnsibleLookupError, match='^Give exactly one authentication method; the environment variables set ZITADEL_TOKEN and '
                                                 'ZITADEL_JWT_PROFILE_FILE.$'):
        plugin.run(['team'], variables={}, user_id=USER, **connection)
    assert zitadel.calls == []
