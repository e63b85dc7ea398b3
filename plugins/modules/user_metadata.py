#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_metadata
short_description: Set or remove one metadata key of a ZITADEL user
version_added: 0.1.0
description:
  - Reads the current value of one metadata key of a user, compares the decoded content with the desired value,
    and writes only when they differ.
  - In check mode nothing is written and RV(ignore:changed) tells whether a write would happen; with C(--diff) the
    decoded values before and after are shown.
  - To manage many keys of a user, or many users, in one task, use M(community.zitadel.user_metadata_bulk).
author:
  - community.zitadel maintainers (@ansible-collections)
options:
  key:
    description:
      - The metadata key, 1 to 200 characters.
    type: str
    required: true
  value:
    description:
      - The desired value, as O(encoding) says. Required when O(state=present).
    type: raw
  state:
    description:
      - V(present) sets the key to O(value); V(absent) removes the key (a missing key is not an error).
    type: str
    choices: [present, absent]
    default: present
seealso:
  - module: community.zitadel.user_metadata_bulk
    description: Many keys of one or many users, optionally purging the rest.
  - module: community.zitadel.user_metadata_info
    description: Read the metadata of one or many users.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata
  - community.zitadel.metadata.masking
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set the team of a user
  community.zitadel.user_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
    key: team
    value: platform

- name: Store a structure as JSON (compared by meaning)
  community.zitadel.user_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
    key: quotas
    encoding: json
    value:
      cpu: 4
      regions: [eu-west, eu-central]

- name: Store a secret without showing it in any output
  community.zitadel.user_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
    key: api_secret
    value: "{{ alice_api_secret }}"
    sensitive: true

- name: Remove a key of a user named by login name
  community.zitadel.user_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    login_name: alice@acme.example.com
    key: legacy_id
    state: absent
'''

RETURN = r'''
user_id:
  description: ID of the user (found by login name when O(login_name) was given).
  returned: always
  type: str
  sample: "281474976710656101"
login_name:
  description: The login name, when the task named the user by it.
  returned: when O(login_name) is given
  type: str
  sample: alice@acme.example.com
org_id:
  description: The organisation of the user; V(null) for the service account's own one.
  returned: always
  type: str
  sample: "281474976710656001"
added:
  description: The key, when it did not exist and was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [team]
updated:
  description: The key, when its value differed and was set.
  returned: always
  type: list
  elements: str
  sample: []
removed:
  description: The key, when it was removed.
  returned: always
  type: list
  elements: str
  sample: []
unchanged:
  description: The key, when it already had the desired value or was already absent.
  returned: always
  type: list
  elements: str
  sample: []
metadata:
  description:
    - The key after the task (as predicted in check mode), key to entry; empty when the key is absent.
  returned: always
  type: dict
  contains:
    value:
      description:
        - The value as O(encoding) presents it; V(null) when the stored bytes are not valid in that encoding
          (text that is not UTF-8, or not JSON with O(encoding=json)).
        - Masked with O(sensitive=true), or when the key matches O(sensitive_keys).
      type: raw
      sample: platform
    value_base64:
      description: The stored bytes, base64 encoded; masked like RV(metadata.value).
      type: str
      sample: cGxhdGZvcm0=
  sample: {team: {value: platform, value_base64: cGxhdGZvcm0=}}
diff:
  description: The decoded value before and after, as key to value maps headed by the user; only in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {team: platform}, after: {team: infra}, before_header: user 281474976710656101,
           after_header: user 281474976710656101}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import USER_ARGSPEC, VALUE_ARGSPEC, ZitadelModule


def run(module):
    params = module.params
    metadata = {params['key']: params['value']} if params['state'] == 'present' else [params['key']]
    return module.reconcile(module.targets(), metadata, params['state'])


def main():
    module = ZitadelModule(
        {
            **USER_ARGSPEC,
            'key': {'type': 'str', 'required': True, 'no_log': False},
            'value': {'type': 'raw'},
            'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
            **VALUE_ARGSPEC,
        },
        masked_options=('value',),
        required_if=[('state', 'present', ['value'])],
        mutually_exclusive=[('user_id', 'login_name')],
        required_one_of=[('user_id', 'login_name')],
    )
    module.run(run)


if __name__ == '__main__':
    main()
