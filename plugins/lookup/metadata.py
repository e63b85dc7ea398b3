# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: metadata
short_description: Read metadata values of a ZITADEL user or organisation
version_added: 0.1.0
description:
  - Returns the values of the keys given as terms, in their order, decoded as O(encoding) says.
  - Reads the metadata of the user named by O(user_id) or O(login_name); without either, of the organisation named by
    O(org_id) or O(org_name), or else of the service account's own organisation.
  - One list request reads every key (a filtered one when one key is named); a login name or an organisation name
    costs one search more. When none of the keys is set, one more search tells a user or organisation without them
    from one that does not exist.
  - A key that is not set fails the lookup, unless O(default) is given.
author:
  - community.zitadel maintainers (@ansible-collections)
options:
  _terms:
    description: The keys to read, 1 to 200 characters each.
    type: list
    elements: str
    required: true
  user_id:
    description:
      - ID of the user whose metadata to read. With the v1 API (O(api_version)) the user must belong to the
        organisation given by O(org_id) (or to the service account's own); the v2 API finds it in any.
      - Give at most one of O(user_id) and O(login_name); with neither, the organisation's metadata is read.
    type: str
  login_name:
    description:
      - Login name of the user, compared ignoring case, instead of O(user_id). The v2 API searches every organisation
        the credentials may read (only O(org_id) when it is given); the v1 API searches the organisation given by
        O(org_id), or the service account's own one.
    type: str
  org_name:
    description:
      - Name of the organisation whose metadata to read, compared ignoring case, instead of O(org_id). Looked up through
        the v2 organisation search, so it needs O(api_version) V(auto) or V(v2).
      - An O(org_id) from a variable, C(ansible.cfg) or the environment yields to it; O(org_id) given to the lookup
        conflicts with it.
    type: str
  encoding:
    description:
      - How values are returned. V(text), the value as a string (the lookup fails on a value that is not valid UTF-8);
        V(base64), the base64 form of the stored bytes; V(json), the value parsed as JSON (the lookup fails on a value
        that is not valid JSON).
    type: str
    choices: [text, base64, json]
    default: text
  default:
    description:
      - The value returned for a key that is not set. Without it, a key that is not set fails the lookup.
    type: raw
  sensitive_keys:
    description:
      - Shell-style patterns of keys whose values are returned as V(<sensitive>) instead of their value, as the
        modules and the info modules show them; for example to keep secrets out of an audit playbook's output.
    type: list
    elements: str
    default: []
    vars:
      - name: ansible_zitadel_sensitive_keys
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.connection.plugins
  - community.zitadel.auth
  - community.zitadel.auth.plugins
seealso:
  - module: community.zitadel.user_metadata_info
  - module: community.zitadel.org_metadata_info
'''

EXAMPLES = r'''
- name: Use a user's team in a task
  ansible.builtin.debug:
    msg: "alice works in {{ lookup('community.zitadel.metadata', 'team', login_name='alice@acme.example.com') }}"
  vars:  # usually set once for the play or in the inventory
    ansible_zitadel_api_url: https://my-instance.zitadel.cloud
    ansible_zitadel_jwt_profile_file: /etc/zitadel/ansible-key.json

- name: Two keys of a user by ID, one of them possibly unset
  ansible.builtin.set_fact:
    profile: "{{ query('community.zitadel.metadata', 'team', 'cost_center', user_id='281474976710656101', default='none') }}"

- name: A JSON value of an organisation found by name
  ansible.builtin.set_fact:
    limits: "{{ lookup('community.zitadel.metadata', 'limits', org_name='ACME', encoding='json') }}"
'''

RETURN = r'''
_raw:
  description:
    - One value per key, in the order of the terms, decoded as O(encoding) says; O(default) for a key that is not set.
  type: list
  elements: raw
'''

import base64

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.community.zitadel.plugins.module_utils._auth import AUTH_OPTION_NAMES
from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelError
from ansible_collections.community.zitadel.plugins.module_utils._options import metadata_api
from ansible_collections.community.zitadel.plugins.module_utils._owners import named, organisation, user
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import MASK, Codec, Masking, read


VARIABLES = 'ansible_zitadel_'  # the prefix of the variables the options are read from


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        # Variables reach a lookup untemplated; those it reads its options from are templated here.
        variables = {name: self._templar.template(value) for name, value in (variables or {}).items() if name.startswith(VARIABLES)}
        self.set_options(var_options=variables, direct=kwargs)
        try:
            if kwargs.get('org_id') and kwargs.get('org_name'):
                raise ZitadelError('the lookup: give one of org_id and org_name, not both.')
            return self._values(terms, 'default' in kwargs)
        except ZitadelError as exc:
            raise AnsibleLookupError(str(exc)) from None

    def _option_not_from_environment(self, name):
        """An auth option's environment variable is for when no method is given otherwise, as for the modules:
        select_auth() reads it itself, so that ZITADEL_TOKEN does not clash with a jwt_profile_file given here."""
        value, origin = self.get_option_and_origin(name)
        return None if name in AUTH_OPTION_NAMES and str(origin).startswith('env') else value

    def _values(self, terms, has_default):
        get = self.get_option
        if get('user_id') or get('login_name'):
            if get('org_name'):
                raise ZitadelError('org_name names an organisation, whose metadata is read only without user_id and login_name.')
            owner = named('the lookup', user, get('user_id'), get('login_name'), get('org_id'))
        else:
            owner = named('the lookup', organisation, get('org_id') if not get('org_name') else None, get('org_name'))
        if not terms:
            raise ZitadelError('Name at least one metadata key to read, for example lookup(\'community.zitadel.metadata\', \'team\', ...).')
        for key in terms:
            if not isinstance(key, str):
                raise ZitadelError('Metadata keys are strings, not %s (%r).' % (type(key).__name__, key))
        codec = Codec(get('encoding'))
        api = metadata_api(self._option_not_from_environment, concurrency=1)
        report = read(api=api, owners=[owner], codec=codec, masking=Masking(patterns=get('sensitive_keys')), keys=terms)[0]
        if report['failed']:
            raise ZitadelError(report['msg'])
        values = []
        for key in terms:
            entry = report['metadata'].get(key)
            if entry is None:
                if not has_default:
                    raise ZitadelError('Metadata key %r is not set on %s. Pass default=... to the lookup for keys that may be unset.'
                                       % (key, owner.description))
                values.append(get('default'))
            elif entry['value_base64'] != MASK and not codec.shows(base64.b64decode(entry['value_base64'])):
                raise ZitadelError('The value of metadata key %r on %s is not valid %s; read it with encoding=base64.'
                                   % (key, owner.description, 'JSON' if get('encoding') == 'json' else 'UTF-8 text'))
            else:
                values.append(entry['value'])
        return values
