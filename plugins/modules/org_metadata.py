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
  - To manage many keys in one request, use M(community.zitadel.org_metadata_bulk).
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
  - community.zitadel.metadata
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set the region of the organisation
  community.zitadel.org_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    key: region
    value: eu-west

- name: Remove a key of the service account's own organisation
  community.zitadel.org_metadata:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    key: legacy
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
      sample: region
    value:
      description: The value as O(encoding) presents it; text that is not valid UTF-8 is returned as base64.
      type: raw
      sample: eu-west
    value_base64:
      description: The stored bytes, base64 encoded.
      type: str
      sample: ZXUtd2VzdA==
  sample: {key: region, value: eu-west, value_base64: ZXUtd2VzdA==}
'''

from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import OrgMetadata
from ansible_collections.community.zitadel.plugins.module_utils._module import VALUE_ARGSPEC, ZitadelModule
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, reconcile_key


def run(module):
    params = module.params
    target = OrgMetadata(module.client(), params['org_id'])
    return reconcile_key(target, Codec(params['encoding']), params['key'], params['value'], params['state'],
                         module.check_mode, params['sensitive'])


def main():
    module = ZitadelModule(
        {
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
