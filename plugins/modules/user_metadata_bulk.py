#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_metadata_bulk
short_description: Manage many metadata keys of one or many ZITADEL users at once
version_added: 0.1.0
description:
  - Reads all metadata of a user with the list endpoint (1000 keys per request), compares the decoded content with
    O(metadata), and writes only what differs, with one bulk set request holding only the added and updated keys and one
    bulk removal holding only keys that exist (a write larger than ZITADEL's 4 MiB message limit is split).
  - With O(purge=true) the user ends up with exactly the keys in O(metadata), apart from those in O(purge_exclude).
  - With O(users), one task serves any number of users, O(concurrency) at a time; login names are looked up in
    batches. The result has one entry per user in RV(users) and totals in RV(summary).
  - In check mode nothing is written; with C(--diff) the values before and after are shown, one diff per changed user.
author:
  - community.zitadel maintainers (@ansible-collections)
seealso:
  - module: community.zitadel.user_metadata
    description: Set or remove one key of a user.
  - module: community.zitadel.user_metadata_info
    description: Read the metadata of one or many users.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata.users
  - community.zitadel.metadata.concurrency
  - community.zitadel.metadata
  - community.zitadel.metadata.bulk
  - community.zitadel.metadata.masking
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Give the connection once, for every module of the collection
  module_defaults:
    group/community.zitadel.zitadel:
      api_url: https://my-instance.zitadel.cloud
      jwt_profile_file: /etc/zitadel/ansible-key.json
      org_id: "281474976710656001"
  block:
    - name: Keep the team of two users
      community.zitadel.user_metadata_bulk:
        users:
          - {login_name: alice@acme.example.com, metadata: {team: platform}}
          - {user_id: "281474976710656102", metadata: {team: payments}}

    - name: Keep the region of their organisation
      community.zitadel.org_metadata:
        key: region
        value: eu-west

- name: Set the profile keys of a user, leaving other keys alone
  community.zitadel.user_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
    metadata:
      team: platform
      cost_center: "4711"

- name: Make the metadata exactly this, except keys that an identity provider manages
  community.zitadel.user_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    login_name: alice@acme.example.com
    metadata:
      team: platform
    purge: true
    purge_exclude: ["idp_*"]

- name: Many users in one task, by login name or ID, with keys for all and keys of their own
  community.zitadel.user_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    metadata: {tenant: acme}
    users:
      - login_name: alice@acme.example.com
        metadata: {team: platform}
      - user_id: "281474976710656102"
    concurrency: 8
  register: result

- name: Remove keys
  community.zitadel.user_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    user_id: "281474976710656101"
    metadata: [legacy_id, old_team]
    state: absent
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
added:
  description: Keys that did not exist and were set (or would be, in check mode).
  returned: with O(user_id) or O(login_name)
  type: list
  elements: str
  sample: [team]
updated:
  description: Keys whose value differed and was set.
  returned: with O(user_id) or O(login_name)
  type: list
  elements: str
  sample: [region]
removed:
  description: Keys that were removed, listed with O(state=absent) or purged.
  returned: with O(user_id) or O(login_name)
  type: list
  elements: str
  sample: [legacy_id]
unchanged:
  description: Named keys that already had the desired value, or were already absent.
  returned: with O(user_id) or O(login_name)
  type: list
  elements: str
  sample: [cost_center]
metadata:
  description:
    - The keys of O(metadata) after the task (as predicted in check mode), key to entry. Keys the task does not
      name are never returned.
  returned: with O(user_id) or O(login_name)
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
users:
  description:
    - One entry per item of O(users), in the same order. The values are those the task declares, so they are not
      repeated here.
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
      changed:
        description: Whether this user was (or in check mode would be) changed.
        type: bool
      added:
        description: Keys that were added.
        type: list
        elements: str
      updated:
        description: Keys that were updated.
        type: list
        elements: str
      removed:
        description: Keys that were removed.
        type: list
        elements: str
      unchanged:
        description: Named keys already as declared.
        type: list
        elements: str
      failed:
        description: Whether this user failed; the others ran anyway.
        type: bool
      msg:
        description: Why it failed.
        type: str
        returned: when RV(users[].failed) is true
  sample:
    - {user_id: '281474976710656101', login_name: alice@acme.example.com, org_id: '281474976710656001', changed: true, added: [team],
       updated: [], removed: [], unchanged: [tenant], failed: false}
summary:
  description: Totals over the users of O(users).
  returned: with O(users)
  type: dict
  contains:
    targets:
      description: Number of users.
      type: int
    changed:
      description: Users changed.
      type: int
    unchanged:
      description: Users already as declared.
      type: int
    failed:
      description: Users that failed.
      type: int
    keys_added:
      description: Keys added over all users.
      type: int
    keys_updated:
      description: Keys updated over all users.
      type: int
    keys_removed:
      description: Keys removed over all users.
      type: int
  sample: {targets: 3, changed: 1, unchanged: 2, failed: 0, keys_added: 1, keys_updated: 0, keys_removed: 0}
diff:
  description:
    - The values of the named and removed keys before and after, headed by the user; only in diff mode.
    - With O(users), a list with one such diff per changed user.
  returned: when diff mode is on
  type: raw
  sample: {before: {region: eu-central, legacy_id: <not named by the task>}, after: {region: eu-west, team: platform},
           before_header: user alice (281474976710656101), after_header: user alice (281474976710656101)}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import (
    BULK_ARGSPEC, USER_ARGSPEC, USER_TARGETS, USERS_ARGSPEC, VALUE_ARGSPEC, ZitadelModule)


def run(module):
    params = module.params
    return module.reconcile(module.targets(), params['metadata'], params['state'])


def main():
    module = ZitadelModule({**USER_ARGSPEC, **USERS_ARGSPEC, **BULK_ARGSPEC, **VALUE_ARGSPEC},
                           masked_options=('metadata',),
                           mutually_exclusive=[USER_TARGETS],
                           required_one_of=[USER_TARGETS])
    module.run(run)


if __name__ == '__main__':
    main()
