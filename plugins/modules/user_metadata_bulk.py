#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: user_metadata_bulk
short_description: Manage many metadata keys of a ZITADEL user at once
version_added: 0.1.0
description:
  - Reads all metadata of a user with the list endpoint (1000 keys per request), compares the decoded content with
    O(metadata), and writes only what differs, with one bulk set request holding only the added and updated keys and one
    bulk removal holding only keys that exist.
  - With O(purge=true) the user ends up with exactly the keys in O(metadata), apart from those in O(purge_exclude).
  - In check mode nothing is written; with C(--diff) the values before and after are shown.
author:
  - community.zitadel maintainers (@ansible-collections)
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.user
  - community.zitadel.metadata
  - community.zitadel.metadata.bulk
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set the profile keys of a user, leaving other keys alone
  community.zitadel.user_metadata_bulk:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    metadata:
      team: platform
      cost_center: "4711"

- name: Make the metadata exactly this, except keys that an identity provider manages
  community.zitadel.user_metadata_bulk:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    metadata:
      team: platform
    purge: true
    purge_exclude: ["idp_*"]

- name: Remove keys
  community.zitadel.user_metadata_bulk:
    api_url: http://127.0.0.1:8080
    token: "{{ zitadel_token }}"
    org_id: "300000000000000001"
    user_id: "300000000000000101"
    metadata: [legacy_id, old_team]
    state: absent
'''

RETURN = r'''
added:
  description: Keys that did not exist and were set (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [team]
updated:
  description: Keys whose value differed and was set.
  returned: always
  type: list
  elements: str
  sample: [region]
removed:
  description: Keys that were removed, listed with O(state=absent) or purged.
  returned: always
  type: list
  elements: str
  sample: [legacy_id]
unchanged:
  description: Listed keys that already had the desired value, or were already absent.
  returned: always
  type: list
  elements: str
  sample: [cost_center]
metadata:
  description:
    - Every entry after the task (as predicted in check mode), key to value as O(encoding) presents it.
    - With O(sensitive=true) the values are masked.
  returned: always
  type: dict
  sample: {team: platform, region: eu-west}
diff:
  description: The values of the listed and removed keys before and after; only in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {before: {region: eu-central, legacy_id: '42'}, after: {region: eu-west, team: platform}}
'''

from ansible_collections.community.zitadel.plugins.module_utils._metadata_api import UserMetadata
from ansible_collections.community.zitadel.plugins.module_utils._module import BULK_ARGSPEC, USER_ARGSPEC, VALUE_ARGSPEC, ZitadelModule
from ansible_collections.community.zitadel.plugins.module_utils._reconcile import Codec, reconcile_keys


def run(module):
    params = module.params
    target = UserMetadata(module.client(), params['user_id'], params['org_id'])
    return reconcile_keys(target, Codec(params['encoding']), params['metadata'], params['state'], module.check_mode,
                          params['purge'], params['purge_exclude'], params['sensitive'])


def main():
    module = ZitadelModule({**USER_ARGSPEC, **BULK_ARGSPEC, **VALUE_ARGSPEC},
                           masked_options=('metadata',))
    module.run(run)


if __name__ == '__main__':
    main()
