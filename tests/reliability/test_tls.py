# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS: certificates are verified by default, ca_path and validate_certs=false work, the unsafe option says so.

The tasks run against a second server that serves HTTPS with its own throwaway CA. requests lets
REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE replace a session's CA setting, so the tasks run with both
emptied, except in the cases that set REQUESTS_CA_BUNDLE on purpose.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import USER, ZitadelServer
from zitadel_server.tls import generate

NO_CA_BUNDLE = {'REQUESTS_CA_BUNDLE': '', 'CURL_CA_BUNDLE': ''}
REFUSED = 'failed naming TLS verification and ca_path; nothing stored'
WRITTEN = 'ok, changed; value read back over verified HTTPS'


@pytest.fixture(scope='module')
def tls_server(server_state):
    with ZitadelServer(state=server_state, port=0, tls=True) as srv:
        yield srv


@pytest.fixture(scope='module')
def unrelated_ca(tmp_path_factory):
    """The CA certificate of another, unrelated throwaway CA."""
    return generate(tmp_path_factory.mktemp('unrelated-ca'))[0]


@pytest.fixture
def tls(tls_server):
    """The HTTPS server, back in its start state."""
    requests.post(tls_server.url + '/_control/reset', verify=tls_server.cert_file, timeout=10).raise_for_status()
    return tls_server


def stored(srv, key):
    """The value of a key of USER as the HTTPS server holds it, read with its CA verified."""
    response = requests.get(srv.url + '/_control/state', verify=srv.cert_file, timeout=10)
    response.raise_for_status()
    org = next(o for o in response.json()['orgs'] if any(u['id'] == USER for u in o['users']))
    entry = next(u for u in org['users'] if u['id'] == USER).get('metadata', {}).get(key)
    return None if entry is None else base64.b64decode(entry['base64'])


def observe(outcome, value):
    if outcome.failed:
        named = all(fragment in outcome.msg for fragment in ('TLS verification', 'ca_path'))
        said = 'naming TLS verification and ca_path' if named else 'saying "%s"' % ' '.join(outcome.msg[:200].replace('|', '/').split())
        return 'failed %s; %s' % (said, 'nothing stored' if value is None else 'stored')
    return '%s; %s' % ('ok, changed' if outcome.changed else 'ok, unchanged',
                       'value read back over verified HTTPS' if value == b'v' else 'value not on the server')


# name -> scenario, options and extra environment (CA, UNRELATED: the CA files), expected
CASES = {
    'default': ('HTTPS with no TLS option (validate_certs defaults to true)', {}, {}, REFUSED),
    'ca-path': ('HTTPS with ca_path the server CA', {'ca_path': 'CA'}, {}, WRITTEN),
    'no-validation': ('HTTPS with validate_certs false', {'validate_certs': False}, {}, WRITTEN),
    'unrelated-ca': ('HTTPS with ca_path an unrelated CA', {'ca_path': 'UNRELATED'}, {}, REFUSED),
    'ca-path-over-bundle': ('HTTPS with ca_path the server CA while REQUESTS_CA_BUNDLE names an unrelated CA',
                            {'ca_path': 'CA'}, {'REQUESTS_CA_BUNDLE': 'UNRELATED'}, WRITTEN),
    'no-validation-over-bundle': ('HTTPS with validate_certs false while REQUESTS_CA_BUNDLE names an unrelated CA',
                                  {'validate_certs': False}, {'REQUESTS_CA_BUNDLE': 'UNRELATED'}, WRITTEN),
}


@pytest.mark.parametrize('name', list(CASES))
def test_tls(tls, unrelated_ca, ansible, record, name):
    scenario, options, env, expected = CASES[name]
    files = {'CA': tls.cert_file, 'UNRELATED': unrelated_ca}
    args = dict({option: files.get(value, value) for option, value in options.items()},
                api_url=tls.url, user_id=USER, key='tls-' + name, value='v')
    outcome = ansible.run('user_metadata', args, env=dict(NO_CA_BUNDLE, **{var: files[value] for var, value in env.items()}))
    record(scenario, expected, observe(outcome, stored(tls, 'tls-' + name)))


def test_validate_certs_documented_as_unsafe(collections, record):
    """ansible-doc shows the unsafety of validate_certs=false where the option is described."""
    env = {name: value for name, value in os.environ.items() if not name.startswith('ANSIBLE_')}
    env['ANSIBLE_COLLECTIONS_PATH'] = str(collections)
    command = [str(Path(sys.executable).parent / 'ansible-doc'), '--json', 'community.zitadel.user_metadata']
    doc = json.loads(subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout)
    description = ' '.join(doc['community.zitadel.user_metadata']['doc']['options']['validate_certs']['description'])
    record('ansible-doc of validate_certs', 'mentions unsafe',
           'mentions unsafe' if 'unsafe' in description else 'does not mention unsafe')
