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
  - Keys that the single-key routes of the ZITADEL Management API v1 cannot address (V(_bulk), V(_search) and keys
    containing C(/)) are fully supported; the module reads, writes and removes them through the list and bulk routes.
  - To manage many keys of a user in one request, use M(community.zitadel.user_metadata_bulk).
author:
  - community.zitadel contributors
requirements:
  - requests
  - PyJWT and cryptography, for O(jwt_profile_file) and O(jwt_profile_json)
options:
  user_id:
    description:
      - ID of the user. The user must belong to the organisation given by O(org_id) (or to the service account's
        own organisation when O(org_id) is not set).
    type: str
    required: true
  key:
    description:
      - The metadata key, 1 to 200 characters.
    type: str
    required: true
  value:
    description:
      - The desired value, 1 to 500000 bytes once encoded. Required when O(state=present).
      - With O(encoding=text) a string, stored as UTF-8.
      - With O(encoding=base64) the base64 form of raw bytes; the bytes are stored and compared.
      - With O(encoding=json) any structure, or a string holding a JSON document; it is stored as compact JSON and
        compared by meaning, so white space or key order on the server is not a difference.
    type: raw
  encoding:
    description:
      - How O(value) is given and compared, and how values are returned.
    type: str
    choices: [text, base64, json]
    default: text
  state:
    description:
      - V(present) sets the key to O(value); V(absent) removes the key (a missing key is not an error).
    type: str
    choices: [present, absent]
    default: present
  sensitive:
    description:
      - Mask the value in the results, the diff and the logs while still detecting changes.
    type: bool
    default: false
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
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
from ansible_collections.community.zitadel.plugins.module_utils._module import ZitadelModule
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, Plan, entry, validate_key


def run(module):
    params = module.params
    key, state, sensitive = params['key'], params['state'], params['sensitive']
    codec = Codec(params['encoding'])
    validate_key(key)
    desired = {key: codec.encode(key, params['value'])} if state == 'present' else {}
    target = UserMetadata(module.client(), params['user_id'], params['org_id'])

    current = target.get(key)
    plan = Plan({} if current is None else {key: current}, codec, desired=desired, absent=[key] if state == 'absent' else ())
    if plan.changed and not module.check_mode:
        plan.apply(target)

    after = plan.after().get(key)
    result = plan.result(codec, sensitive)
    return {
        'changed': result['changed'],
        'metadata': None if after is None else entry(codec, key, after, sensitive),
        'diff': result['diff'],
    }


def main():
    module = ZitadelModule(
        {
            'user_id': {'type': 'str', 'required': True},
            'key': {'type': 'str', 'required': True, 'no_log': False},
            'value': {'type': 'raw'},
            'encoding': {'type': 'str', 'choices': ['text', 'base64', 'json'], 'default': 'text'},
            'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
            'sensitive': {'type': 'bool', 'default': False},
        },
        masked_options=('value',),
        required_if=[('state', 'present', ['value'])],
    )
    module.run(run)


if __name__ == '__main__':
    main()
