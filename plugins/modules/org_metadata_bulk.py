#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: org_metadata_bulk
short_description: Manage many metadata keys of one or many ZITADEL organisations at once
version_added: 0.1.0
description:
  - Reads all metadata of the organisation given by O(org_id) (or of the service account's own organisation) with the
    list endpoint (1000 keys per request), compares the decoded content with O(metadata), and writes only what differs, with
    one bulk set request holding the added and updated keys and one bulk removal holding keys that exist (a write larger
    than ZITADEL's 4 MiB message limit is split).
  - With O(purge=true) the organisation ends up with exactly the keys in O(metadata), apart from those in O(purge_exclude).
  - With O(orgs), one task serves any number of organisations, O(concurrency) at a time. The result has one entry per
    organisation in RV(orgs) and totals in RV(summary).
  - In check mode nothing is written; with C(--diff) the values before and after are shown, one diff per changed
    organisation.
author:
  - community.zitadel maintainers (@ansible-collections)
seealso:
  - module: community.zitadel.org_metadata
    description: Set or remove one key of an organisation.
  - module: community.zitadel.org_metadata_info
    description: Read the metadata of one or many organisations.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.orgs
  - community.zitadel.metadata.concurrency
  - community.zitadel.metadata
  - community.zitadel.metadata.bulk
  - community.zitadel.metadata.masking
  - community.zitadel.metadata.org
  - community.zitadel.attributes
'''

EXAMPLES = r'''
- name: Set settings of the organisation, leaving other keys alone
  community.zitadel.org_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    metadata:
      region: eu-west
      support_tier: gold

- name: Make the organisation's metadata exactly this, keeping keys under "idp."
  community.zitadel.org_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    metadata:
      region: eu-west
    purge: true
    purge_exclude: ["idp.*"]

- name: Many organisations in one task
  community.zitadel.org_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    metadata: {managed_by: ansible}
    orgs:
      - org_id: "281474976710656001"
        metadata: {region: eu-west}
      - org_id: "281474976710656002"
        metadata: {region: us-east}

- name: Remove keys
  community.zitadel.org_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    metadata: [legacy_region]
    state: absent
'''

RETURN = r'''
org_id:
  description:
    - ID of the organisation. For the service account's own one, V(null) with O(api_version=v1); the v2 API looks it up.
  returned: without O(orgs)
  type: str
  sample: "281474976710656001"
org_name:
  description: The name the task gave for the organisation.
  returned: without O(orgs), when O(org_name) is given
  type: str
  sample: ACME
added:
  description: Keys that did not exist and were set (or would be, in check mode).
  returned: without O(orgs)
  type: list
  elements: str
  sample: [team]
updated:
  description: Keys whose value differed and was set.
  returned: without O(orgs)
  type: list
  elements: str
  sample: [region]
removed:
  description: Keys that were removed, listed with O(state=absent) or purged.
  returned: without O(orgs)
  type: list
  elements: str
  sample: [legacy_id]
unchanged:
  description: Named keys that already had the desired value, or were already absent.
  returned: without O(orgs)
  type: list
  elements: str
  sample: [cost_center]
metadata:
  description:
    - The keys of O(metadata) after the task (as predicted in check mode), key to entry. Keys the task does not
      name are never returned.
  returned: without O(orgs)
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
orgs:
  description:
    - One entry per item of O(orgs), in the same order. The values are those the task declares, so they are not
      repeated here.
  returned: with O(orgs)
  type: list
  elements: dict
  contains:
      org_id:
        description: ID of the organisation.
        type: str
      org_name:
        description: The item's C(org_name), when given.
        type: str
      changed:
        description: Whether this organisation was (or in check mode would be) changed.
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
        description: Whether this organisation failed; the others ran anyway.
        type: bool
      msg:
        description: Why it failed.
        type: str
        returned: when RV(orgs[].failed) is true
  sample:
    - {org_id: '281474976710656001', changed: true, added: [team], updated: [], removed: [], unchanged: [tenant],
       failed: false}
summary:
  description: Totals over the organisations of O(orgs).
  returned: with O(orgs)
  type: dict
  contains:
    targets:
      description: Number of organisations.
      type: int
    changed:
      description: Organisations changed.
      type: int
    unchanged:
      description: Organisations already as declared.
      type: int
    failed:
      description: Organisations that failed.
      type: int
    keys_added:
      description: Keys added over all organisations.
      type: int
    keys_updated:
      description: Keys updated over all organisations.
      type: int
    keys_removed:
      description: Keys removed over all organisations.
      type: int
  sample: {targets: 3, changed: 1, unchanged: 2, failed: 0, keys_added: 1, keys_updated: 0, keys_removed: 0}
diff:
  description:
    - The values of the named and removed keys before and after, headed by the organisation; only in diff mode.
    - With O(orgs), a list with one such diff per changed organisation.
  returned: when diff mode is on
  type: raw
  sample: {before: {region: eu-central, legacy_id: <not named by the task>}, after: {region: eu-west, team: platform},
           before_header: organisation 281474976710656001, after_header: organisation 281474976710656001}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import BULK_ARGSPEC, ORGS_ARGSPEC, VALUE_ARGSPEC, ZitadelModule


def run(module):
    params = module.params
    return module.reconcile(module.targets(), params['metadata'], params['state'])


def main():
    module = ZitadelModule({**ORGS_ARGSPEC, **BULK_ARGSPEC, **VALUE_ARGSPEC}, mutually_exclusive=[('org_name', 'orgs')],
                           masked_options=('metadata',))
    module.run(run)


if __name__ == '__main__':
    main()
