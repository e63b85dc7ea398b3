#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_metadata_info
short_description: Read the metadata of a ZITADEL user
version_added: 0.1.0
description:
  - Returns all metadata of a user, or selected keys, or the keys with a prefix; 1000 keys per request.
  - ZITADEL answers an empty list for a user that does not exist.
author:
  - community.zitadel maintainers (@ansible-collections)
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata.info
  - community.zitadel.attributes.info_module
'''

EXAMPLES = r'''
- name: Read all metadata of a user
  community.zitadel.user_metadata_info:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
  register: alice

- name: Use one value
  ansible.builtin.debug:
    msg: "{{ (alice.metadata | items2dict(key_name='key', value_name='value'))['team'] }}"

- name: Read the JSON values under a prefix
  community.zitadel.user_metadata_info:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    prefix: "app."
    parse_json: true
'''

RETURN = r'''
metadata:
  description: The entries, sorted by key.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The key.
      type: str
      sample: team
    value:
      description: The value as text, or V(null) when it is not valid UTF-8.
      type: str
      sample: platform
    value_base64:
      description: The stored bytes, base64 encoded.
      type: str
      sample: cGxhdGZvcm0=
    json:
      description: The value parsed as JSON.
      returned: when O(parse_json=true) and the value is valid JSON
      type: raw
      sample: {cpu: 4}
  sample: [{key: team, value: platform, value_base64: cGxhdGZvcm0=}]
'''
from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import UserMetadata
from ansible_collections.community.zitadel.plugins.module_utils._module import INFO_ARGSPEC, INFO_MUTUALLY_EXCLUSIVE, USER_ARGSPEC, ZitadelModule
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import read_entries


def run(module):
    params = module.params
    target = UserMetadata(module.client(), params['user_id'], params['org_id'])
    return {'changed': False, 'metadata': read_entries(target, params['keys'], params['prefix'], params['parse_json'])}


def main():
    module = ZitadelModule({**USER_ARGSPEC, **INFO_ARGSPEC},
                           mutually_exclusive=INFO_MUTUALLY_EXCLUSIVE)
    module.run(run)


if __name__ == '__main__':
    main()
