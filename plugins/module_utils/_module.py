# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared options of every module (connection and auth) and the thin layer between AnsibleModule and the client."""

from __future__ import annotations

import os

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.community.zitadel.plugins.module_utils._auth import AUTH_OPTION_NAMES, select_auth
from ansible_collections.community.zitadel.plugins.module_utils._client import DEFAULT_HTTP_AGENT, REQUESTS_IMPORT_ERROR, ZitadelClient
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelError

# Documented in doc_fragments/connection.py; keep both in step.
CONNECTION_ARGSPEC = {
    'api_url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['ZITADEL_API_URL'])},
    'org_id': {'type': 'str', 'fallback': (env_fallback, ['ZITADEL_ORG_ID'])},
    'validate_certs': {'type': 'bool', 'default': True, 'fallback': (env_fallback, ['ZITADEL_VALIDATE_CERTS'])},
    'ca_path': {'type': 'path', 'fallback': (env_fallback, ['ZITADEL_CA_PATH'])},
    'timeout': {'type': 'float', 'default': 30, 'fallback': (env_fallback, ['ZITADEL_TIMEOUT'])},
    'retries': {'type': 'int', 'default': 3, 'fallback': (env_fallback, ['ZITADEL_RETRIES'])},
    'http_agent': {'type': 'str', 'default': DEFAULT_HTTP_AGENT, 'fallback': (env_fallback, ['ZITADEL_HTTP_AGENT'])},
}

# Documented in doc_fragments/auth.py. The environment variables are read by _auth.select_auth,
# so that one method given in the task is never mixed with another one from the environment.
AUTH_ARGSPEC = {
    'token': {'type': 'str', 'no_log': True},
    'jwt_profile_file': {'type': 'path'},
    'jwt_profile_json': {'type': 'raw', 'no_log': True},
    'client_id': {'type': 'str'},
    'client_secret': {'type': 'str', 'no_log': True},
}

# Documented in doc_fragments/metadata.py (USER); the target of the user metadata modules.
USER_ARGSPEC = {'user_id': {'type': 'str', 'required': True}}

# Documented in doc_fragments/metadata.py; the options of every write module.
VALUE_ARGSPEC = {
    'encoding': {'type': 'str', 'choices': ['text', 'base64', 'json'], 'default': 'text'},
    'sensitive': {'type': 'bool', 'default': False},
}

# Documented in doc_fragments/metadata.py (BULK); the options of the bulk write modules.
BULK_ARGSPEC = {
    'metadata': {'type': 'raw', 'required': True},
    'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
    'purge': {'type': 'bool', 'default': False},
    'purge_exclude': {'type': 'list', 'elements': 'str', 'default': []},
}

# Documented in doc_fragments/metadata.py (INFO); the options of the info modules.
INFO_ARGSPEC = {
    'keys': {'type': 'list', 'elements': 'str', 'no_log': False},
    'prefix': {'type': 'str'},
    'parse_json': {'type': 'bool', 'default': False},
}
INFO_MUTUALLY_EXCLUSIVE = [('keys', 'prefix')]


class _AnsibleModule(AnsibleModule):
    """Makes masked_options no_log when the task sets sensitive=true, decided on the raw arguments
    before they are checked, so that even a failed check (a bad choice, an unknown option) cannot
    echo a sensitive value."""

    def __init__(self, masked_options, **kwargs):
        self.masked_options = masked_options
        super().__init__(**kwargs)

    def _load_params(self):
        super()._load_params()
        if boolean(self.params.get('sensitive', False), strict=False):
            for name in self.masked_options:
                self.argument_spec[name] = dict(self.argument_spec[name], no_log=True)


class ZitadelModule:
    """An AnsibleModule with the shared options, which turns ZitadelError into a clear failure.

    masked_options: options whose values the task's `sensitive` option hides everywhere.
    """

    def __init__(self, argument_spec, masked_options=(), **kwargs):
        spec = dict(CONNECTION_ARGSPEC, **AUTH_ARGSPEC)
        spec.update(argument_spec)
        self.ansible = _AnsibleModule(masked_options, argument_spec=spec, supports_check_mode=True, **kwargs)
        if REQUESTS_IMPORT_ERROR:
            self.ansible.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode

    def client(self):
        """A client built from the options, validated offline; the first request is sent later."""
        params = self.params
        auth = select_auth({name: params.get(name) for name in AUTH_OPTION_NAMES}, os.environ)
        self.ansible.no_log_values.update(auth.secrets())
        return ZitadelClient(params['api_url'], auth, validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                             timeout=params['timeout'], retries=params['retries'], http_agent=params['http_agent'])

    def run(self, task):
        """Run task(self) -> result dict and exit; a ZitadelError fails the task with its message."""
        try:
            result = task(self)
        except ZitadelError as exc:
            self.ansible.fail_json(msg=str(exc), **exc.facts())
        if not self.ansible._diff:  # pylint: disable=protected-access
            result.pop('diff', None)
        self.ansible.exit_json(**result)
