#!/usr/bin/env python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a command while the local ZITADEL-compatible server runs, then stop the server.

    hack/with_server.py --state STATE [--config-template T --config OUT] [--jwt-key USER_ID=PATH] -- COMMAND...

The command sees ZITADEL_API_URL. With --config, OUT is written from the template T with $api_url
and $jwt_profile_file substituted. With --jwt-key, a fresh RSA key is registered for the service
account USER_ID and its ZITADEL key file is written to PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import string
import subprocess
import sys

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'server'))
from zitadel_server import ZitadelServer  # noqa: E402  pylint: disable=wrong-import-position


def register_jwt_key(state, user_id, path):
    """Add a new key to the service account and write the key file ZITADEL would hand out."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    accounts = [a for org in state['orgs'] for a in org.get('service_accounts', ()) if a['id'] == user_id]
    if not accounts:
        raise SystemExit('no service account %s in the state' % user_id)
    accounts[0].setdefault('keys', []).append({'id': 'integration-key', 'public_key': public_pem.decode()})
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
        json.dump({'type': 'serviceaccount', 'keyId': 'integration-key', 'key': private_pem.decode(), 'userId': user_id}, handle)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--state', required=True)
    parser.add_argument('--config-template')
    parser.add_argument('--config')
    parser.add_argument('--jwt-key', help='USER_ID=PATH')
    parser.add_argument('command', nargs='+')
    args = parser.parse_args()

    with open(args.state, encoding='utf-8') as handle:
        state = yaml.safe_load(handle)
    jwt_file = ''
    if args.jwt_key:
        user_id, jwt_file = args.jwt_key.split('=', 1)
        jwt_file = os.path.abspath(jwt_file)
        register_jwt_key(state, user_id, jwt_file)

    with ZitadelServer(state=state, port=0) as server:
        if args.config:
            with open(args.config_template, encoding='utf-8') as handle:
                template = string.Template(handle.read())
            with open(args.config, 'w', encoding='utf-8') as handle:
                handle.write(template.substitute(api_url=server.url, jwt_profile_file=jwt_file))
        env = dict(os.environ, ZITADEL_API_URL=server.url)
        return subprocess.call(args.command, env=env)


if __name__ == '__main__':
    sys.exit(main())
