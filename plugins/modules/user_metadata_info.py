#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_metadata_info
short_description: Read the metadata of one or many ZITADEL users
version_added: 0.1.0
description:
  - Returns all metadata of a user, or selected keys, or the keys with a prefix; 1000 keys per request.
  - With O(users), one task reads any number of users, O(concurrency) at a time; login names are looked up in batches.
  - ZITADEL answers a read of a user that does not exist like a read of a user without metadata, so when a user reads
    empty the module checks, in one request for all such users, that they exist.
author:
  - community.zitadel maintainers (@ansible-collections)
seealso:
  - module: community.zitadel.user_metadata
    description: Set or remove one key of a user.
  - module: community.zitadel.user_metadata_bulk
    description: Many keys of one or many users, optionally purging the rest.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata.users_read
  - community.zitadel.metadata.concurrency
  - community.zitadel.metadata.info
  - community.zitadel.metadata.masking
  - community.zitadel.attributes.info_module
'''

EXAMPLES = r'''
- name: Read all metadata of a user
  community.zitadel.user_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
  register: alice

- name: Use one value
  ansible.builtin.debug:
    msg: "{{ alice.metadata.team.value }}"

- name: Read the JSON values under a prefix, of a user named by login name
  community.zitadel.user_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    login_name: alice@acme.example.com
    prefix: "app."
    encoding: json

- name: Read one key of many users in one task
  community.zitadel.user_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    users:
      - login_name: alice@acme.example.com
      - user_id: "281474976710656102"
    keys: [team]
  register: teams
'''

RETURN = r'''
user_id:
  description: ID of the user (found by login name when O(login_name) was given).
  returned: with O(user_id) or O(login_name)
  type: str
  sample: "281474976710656101"
login_name:
  description: The login name, when the task named the user by it.
  returned: with O(login_name)
  type: str
  sample: alice@acme.example.com
org_id:
  description: The organisation of the user; V(null) for the service account's own one.
  returned: with O(user_id) or O(login_name)
  type: str
  sample: "281474976710656001"
metadata:
  description: The entries, key to entry, sorted by key.
  returned: with O(user_id) or O(login_name)
  type: dict
  contains:
    value:
      description:
        - The value as O(encoding) presents it; V(null) when the stored bytes are not valid in that encoding
          (text that is not UTF-8, or not JSON with O(encoding=json)).
        - Masked when the key matches O(sensitive_keys).
      type: raw
      sample: platform
    value_base64:
      description: The stored bytes, base64 encoded; masked like RV(metadata.value).
      type: str
      sample: cGxhdGZvcm0=
  sample: {team: {value: platform, value_base64: cGxhdGZvcm0=}}
users:
  description: One entry per item of O(users), in the same order.
  returned: with O(users)
  type: list
  elements: dict
  contains:
      user_id:
        description: ID of the user.
        type: str
      login_name:
        description: The login name, when the item named the user by it.
        type: str
        returned: when the item has C(login_name)
      org_id:
        description: The organisation of the user; V(null) for the service account's own one.
        type: str
      metadata:
        description: The entries, key to entry as RV(metadata).
        type: dict
      failed:
        description: Whether reading this user failed; the others were read anyway.
        type: bool
      msg:
        description: Why it failed.
        type: str
        returned: when RV(users[].failed) is true
  sample:
    - {user_id: '281474976710656101', login_name: alice@acme.example.com, org_id: '281474976710656001', failed: false,
       metadata: {team: {value: platform, value_base64: cGxhdGZvcm0=}}}
summary:
  description: Totals over the users of O(users).
  returned: with O(users)
  type: dict
  contains:
    targets:
      description: Number of users.
      type: int
    failed:
      description: Users that could not be read.
      type: int
  sample: {targets: 2, failed: 0}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import (
    INFO_ARGSPEC, INFO_MUTUALLY_EXCLUSIVE, USER_ARGSPEC, USER_TARGETS, USERS_ARGSPEC, ZitadelModule)


def run(module):
    return module.read()


def main():
    module = ZitadelModule({**USER_ARGSPEC, **USERS_ARGSPEC, **INFO_ARGSPEC},
                           mutually_exclusive=INFO_MUTUALLY_EXCLUSIVE + [USER_TARGETS],
                           required_one_of=[USER_TARGETS])
    module.run(run)


if __name__ == '__main__':
    main()
