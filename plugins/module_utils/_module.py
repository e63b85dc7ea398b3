# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared options of every module and the thin layer between AnsibleModule and the reconcile engine."""

from __future__ import annotations

import fnmatch

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.community.zitadel.plugins.module_utils._client import DEFAULT_HTTP_AGENT, REQUESTS_IMPORT_ERROR
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelConfigError, ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._options import metadata_api
from ansible_collections.community.zitadel.plugins.module_utils._owners import named, org_items, organisation, user, user_items
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import (
    Codec,
    Masking,
    declare,
    many_result,
    read,
    reconcile,
    single_result,
)
from ansible_collections.community.zitadel.plugins.module_utils._runner import MAX_CONCURRENCY, MIN_CONCURRENCY

# Documented in doc_fragments/connection.py; keep both in step.
CONNECTION_ARGSPEC = {
    'api_url': {'type': 'str', 'required': True, 'fallback': (env_fallback, ['ZITADEL_API_URL'])},
    'org_id': {'type': 'str', 'fallback': (env_fallback, ['ZITADEL_ORG_ID'])},
    'validate_certs': {'type': 'bool', 'default': True, 'fallback': (env_fallback, ['ZITADEL_VALIDATE_CERTS'])},
    'ca_path': {'type': 'path', 'fallback': (env_fallback, ['ZITADEL_CA_PATH'])},
    'timeout': {'type': 'float', 'default': 30, 'fallback': (env_fallback, ['ZITADEL_TIMEOUT'])},
    'retries': {'type': 'int', 'default': 3, 'fallback': (env_fallback, ['ZITADEL_RETRIES'])},
    'http_agent': {'type': 'str', 'default': DEFAULT_HTTP_AGENT, 'fallback': (env_fallback, ['ZITADEL_HTTP_AGENT'])},
    'api_version': {'type': 'str', 'choices': ['auto', 'v1', 'v2'], 'default': 'auto', 'fallback': (env_fallback, ['ZITADEL_API_VERSION'])},
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

# Documented in doc_fragments/metadata.py (MASKING); every module takes it.
MASKING_ARGSPEC = {'sensitive_keys': {'type': 'list', 'elements': 'str', 'default': [], 'no_log': False}}

# Documented in doc_fragments/metadata.py (USER); the user of the single-user forms.
USER_ARGSPEC = {'user_id': {'type': 'str'}, 'login_name': {'type': 'str'}}

# Documented in doc_fragments/metadata.py (ORG); the organisation of the single-organisation forms.
ORG_ARGSPEC = {'org_name': {'type': 'str'}}

# Documented in doc_fragments/metadata.py (USERS, ORGS); many targets in one task.
CONCURRENCY_ARGSPEC = {'concurrency': {'type': 'int', 'default': 8}}
USERS_ARGSPEC = dict(CONCURRENCY_ARGSPEC, users={'type': 'list', 'elements': 'dict'})
ORGS_ARGSPEC = dict(CONCURRENCY_ARGSPEC, **ORG_ARGSPEC, orgs={'type': 'list', 'elements': 'dict'})

# Documented in doc_fragments/metadata.py; the options of every write module.
VALUE_ARGSPEC = {
    'encoding': {'type': 'str', 'choices': ['text', 'base64', 'json'], 'default': 'text'},
    'sensitive': {'type': 'bool', 'default': False},
}

# Documented in doc_fragments/metadata.py (BULK); the options of the bulk write modules.
BULK_ARGSPEC = {
    'metadata': {'type': 'raw'},
    'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
    'purge': {'type': 'bool', 'default': False},
    'purge_exclude': {'type': 'list', 'elements': 'str', 'default': []},
}

# Documented in doc_fragments/metadata.py (INFO); the options of the info modules.
INFO_ARGSPEC = {
    'keys': {'type': 'list', 'elements': 'str', 'no_log': False},
    'prefix': {'type': 'str'},
    'encoding': {'type': 'str', 'choices': ['text', 'base64', 'json'], 'default': 'text'},
}

INFO_MUTUALLY_EXCLUSIVE = [('keys', 'prefix')]

# The target options of the user modules that take many users, for mutually_exclusive and required_one_of.
USER_TARGETS = ('user_id', 'login_name', 'users')


def _leaves(value):
    """The scalar values inside a value, as text: what Ansible's no_log hides."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def declared_secrets(params, sensitive):
    """Values the task declares that must never be shown: all of them with sensitive=true, else those of keys matching
    sensitive_keys. Read from the raw arguments, so that even a failed argument check cannot echo them."""
    patterns = params.get('sensitive_keys') or []
    # Ansible's list type splits a string at commas: read it the same way here.
    patterns = patterns.split(',') if isinstance(patterns, str) else [str(p) for p in patterns if p is not None]

    def secret(key):
        return sensitive or any(fnmatch.fnmatchcase(str(key), pattern) for pattern in patterns)

    declared = [params.get('metadata')]
    for option in ('users', 'orgs'):
        items = params.get(option)
        if isinstance(items, list):
            declared.extend(item.get('metadata') for item in items if isinstance(item, dict))
    secrets = set()
    for metadata in declared:
        if isinstance(metadata, dict):
            for key, value in metadata.items():
                if secret(key):
                    secrets.update(_leaves(value))
    if 'value' in params and secret(params.get('key')):
        secrets.update(_leaves(params['value']))
    return secrets


class _AnsibleModule(AnsibleModule):
    """Hides declared secrets (see declared_secrets) decided on the raw arguments before they are checked, so that even
    a failed check (a bad choice, an unknown option) cannot echo one; with sensitive=true the masked_options are no_log."""

    def __init__(self, masked_options, **kwargs):
        self.masked_options = masked_options
        super().__init__(**kwargs)

    def _load_params(self):
        super()._load_params()
        self.given = {name for name, value in self.params.items() if value is not None}  # before defaults and environment
        sensitive = boolean(self.params.get('sensitive', False), strict=False)
        if sensitive:
            for name in self.masked_options:
                self.argument_spec[name] = dict(self.argument_spec[name], no_log=True)
        self.no_log_values.update(declared_secrets(self.params, sensitive))


class ZitadelModule:
    """An AnsibleModule with the shared options, which turns ZitadelError into a clear failure.

    masked_options: options whose values the task's `sensitive` option hides everywhere.
    """

    def __init__(self, argument_spec, masked_options=(), **kwargs):
        spec = dict(CONNECTION_ARGSPEC, **AUTH_ARGSPEC)
        spec.update(MASKING_ARGSPEC)
        spec.update(argument_spec)
        self.ansible = _AnsibleModule(masked_options, argument_spec=spec, supports_check_mode=True, **kwargs)
        if REQUESTS_IMPORT_ERROR:
            self.ansible.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        self.params = self.ansible.params
        self.check_mode = self.ansible.check_mode

    def api(self):
        """The metadata protocol for the options, validated offline; the first request is sent later."""
        concurrency = self.params.get('concurrency')
        concurrency = MIN_CONCURRENCY if concurrency is None else concurrency
        if not MIN_CONCURRENCY <= concurrency <= MAX_CONCURRENCY:
            raise ZitadelConfigError('concurrency must be between %d and %d, not %d.' % (MIN_CONCURRENCY, MAX_CONCURRENCY, concurrency))
        api = metadata_api(self.params.get, concurrency=concurrency)
        self.ansible.no_log_values.update(api.client.auth.secrets())
        return api

    def masking(self):
        return Masking(self.params.get('sensitive', False), self.params['sensitive_keys'])

    def targets(self, with_metadata=True):
        """(kind, [(owner, own metadata, item name)]): kind is None for the task's one user or organisation, else
        'users' or 'orgs', whose items are the targets."""
        params = self.params
        if 'user_id' in params:
            if params.get('users') is None:
                return None, [(named('the task', user, params['user_id'], params['login_name'], params['org_id']), None, None)]
            return 'users', user_items(params['users'], params['org_id'], with_metadata)
        if params.get('orgs') is not None:
            return 'orgs', org_items(params['orgs'], with_metadata)
        # org_name names the organisation; an org_id from ZITADEL_ORG_ID then yields to it.
        org_id = params['org_id'] if 'org_id' in self.ansible.given or not params.get('org_name') else None
        return None, [(named('the task', organisation, org_id, params.get('org_name')), None, None)]

    def reconcile(self, targets, shared, state):
        """Bring the targets to `shared` metadata merged with each one's own; the result of a write module."""
        params = self.params
        kind, targets = targets
        if kind is None and shared is None:
            raise ZitadelConfigError('metadata is required for a single %s; it may be left out only with %s.'
                                     % (('user', 'users') if 'user_id' in params else ('organisation', 'orgs')))
        codec = Codec(params['encoding'])
        purge = params.get('purge', False)
        jobs = [declare(owner=owner, codec=codec, state=state, metadata=own, shared=shared, purge=purge, where=where)
                for owner, own, where in targets]
        reports = reconcile(api=self.api(), jobs=jobs, codec=codec, check_mode=self.check_mode, masking=self.masking(),
                            purge=purge, purge_exclude=params.get('purge_exclude') or (), concurrency=params.get('concurrency', 1))
        return many_result(kind, reports) if kind else single_result(reports[0])

    def read(self):
        """The metadata of the task's targets; the result of an info module."""
        params = self.params
        kind, targets = self.targets(with_metadata=False)
        owners = [owner for owner, _metadata, _where in targets]
        reports = read(api=self.api(), owners=owners, codec=Codec(params['encoding']), masking=self.masking(),
                       keys=params['keys'], prefix=params['prefix'], concurrency=params.get('concurrency', 1))
        return many_result(kind, reports, changes=False) if kind else dict(single_result(reports[0]), changed=False)

    def run(self, task):
        """Run task(self) -> result dict and exit; a ZitadelError, or failed targets, fail the task with the message."""
        try:
            result = task(self)
        except ZitadelError as exc:
            self.ansible.fail_json(msg=str(exc), **exc.facts())
        if not self.ansible._diff:  # pylint: disable=protected-access
            result.pop('diff', None)
        if result.pop('failed', False):
            self.ansible.fail_json(**result)
        self.ansible.exit_json(**result)
