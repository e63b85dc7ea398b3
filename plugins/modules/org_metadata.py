#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: org_metadata
short_description: Set or remove one metadata key of a ZITADEL organisation
version_added: 0.1.0
description:
  - Reads the current value of one metadata key of the organisation given by O(org_id) (or of the service account's
    own organisation), compares the decoded content with the desired value, and writes only when they differ.
  - ZITADEL records a new event for every write of organisation metadata, even of an equal value, so the
    comparison before writing is what keeps the organisation's history clean.
  - In check mode nothing is written; with C(--diff) the decoded values before and after are shown.
  - To manage many keys, or many organisations, in one task, use M(community.zitadel.org_metadata_bulk).
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
  - module: community.zitadel.org_metadata_bulk
    description: Many keys of one or many organisations, optionally purging the rest.
  - module: community.zitadel.org_metadata_info
    description: Read the metadata of one or many organisations.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata
  - community.zitadel.metadata.masking
  - community.zitadel.metadata.org
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set the region of the organisation
  community.zitadel.org_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    key: region
    value: eu-west

- name: Remove a key of the service account's own organisation
  community.zitadel.org_metadata:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    key: legacy
    state: absent
'''

RETURN = r'''
org_id:
  description:
    - ID of the organisation. For the service account's own one, V(null) with O(api_version=v1); the v2 API looks it up.
  returned: always
  type: str
  sample: "281474976710656001"
org_name:
  description: The name the task gave for the organisation.
  returned: when O(org_name) is given
  type: str
  sample: ACME
added:
  description: The key, when it did not exist and was set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [region]
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
      sample: eu-west
    value_base64:
      description: The stored bytes, base64 encoded; masked like RV(metadata.value).
      type: str
      sample: ZXUtd2VzdA==
  sample: {region: {value: eu-west, value_base64: ZXUtd2VzdA==}}
diff:
  description: The decoded value before and after, as key to value maps headed by the organisation; only in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {}, after: {region: eu-west}, before_header: organisation 281474976710656001,
           after_header: organisation 281474976710656001}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import ORG_ARGSPEC, VALUE_ARGSPEC, ZitadelModule


def run(module):
    params = module.params
    metadata = {params['key']: params['value']} if params['state'] == 'present' else [params['key']]
    return module.reconcile(module.targets(), metadata, params['state'])


def main():
    module = ZitadelModule(
        {
            'key': {'type': 'str', 'required': True, 'no_log': False},
            'value': {'type': 'raw'},
            'state': {'type': 'str', 'choices': ['present', 'absent'], 'default': 'present'},
            **VALUE_ARGSPEC,
            **ORG_ARGSPEC,
        },
        masked_options=('value',),
        required_if=[('state', 'present', ['value'])],
    )
    module.run(run)


if __name__ == '__main__':
    main()
