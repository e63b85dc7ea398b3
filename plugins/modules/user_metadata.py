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
  - To manage many keys of a user in one request, use M(community.zitadel.user_metadata_bulk).
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
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set the team of a user
  community.zitadel.user_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    key: team
    value: platform

- name: Store a structure as JSON (compared by meaning)
  community.zitadel.user_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    key: quotas
    encoding: json
    value:
      cpu: 4
      regions: [eu-west, eu-central]

- name: Store a secret without showing it in any output
  community.zitadel.user_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    key: api_secret
    value: "{{ alice_api_secret }}"
    sensitive: true

- name: Remove a key
  community.zitadel.user_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    key: legacy_id
    state: absent
'''

RETURN = r'''
metadata:
  description:
    - The entry after the task (the desired entry in check mode); V(null) when the key is absent.
    - With O(sensitive=true) RV(metadata.value) and RV(metadata.value_base64) are masked.
  returned: always
  type: dict
  contains:
    key:
      description: The key.
      type: str
      sample: team
    value:
      description:
        - The value as O(encoding) presents it; text that is not valid UTF-8 is returned as base64.
      type: raw
      sample: platform
    value_base64:
      description: The stored bytes, base64 encoded.
      type: str
      sample: cGxhdGZvcm0=
  sample: {key: team, value: platform, value_base64: cGxhdGZvcm0=}
diff:
  description: The decoded value before and after, as key to value maps; only in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {team: platform}, after: {team: infra}}
'''

from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import UserMetadata
from ansible_collections.community.zitadel.plugins.module_utils._module import USER_ARGSPEC, VALUE_ARGSPEC, ZitadelModule
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, reconcile_key


def run(module):
    params = module.params
    target = UserMetadata(module.client(), params['user_id'], params['org_id'])
    return reconcile_key(target, Codec(params['encoding']), params['key'], params['value'], params['state'],
                         module.check_mode, params['sensitive'])


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
    )
    module.run(run)


if __name__ == '__main__':
    main()
