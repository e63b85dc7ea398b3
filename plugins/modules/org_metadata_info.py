#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: org_metadata_info
short_description: Read the metadata of one or many ZITADEL organisations
version_added: 0.1.0
description:
  - Returns all metadata of the organisation given by O(org_id) (or of the service account's own organisation),
    or selected keys, or the keys with a prefix; 1000 keys per request.
  - With O(orgs), one task reads any number of organisations, O(concurrency) at a time.
author:
  - community.zitadel maintainers (@ansible-collections)
seealso:
  - module: community.zitadel.org_metadata
    description: Set or remove one key of an organisation.
  - module: community.zitadel.org_metadata_bulk
    description: Many keys of one or many organisations, optionally purging the rest.
extends_documentation_fragment:
  - community.zitadel.connection
  - community.zitadel.auth
  - community.zitadel.metadata.orgs_read
  - community.zitadel.metadata.concurrency
  - community.zitadel.metadata.info
  - community.zitadel.metadata.masking
  - community.zitadel.metadata.org
  - community.zitadel.attributes.info_module
'''

EXAMPLES = r'''
- name: Read all metadata of the organisation
  community.zitadel.org_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
  register: acme

- name: Use one value
  ansible.builtin.debug:
    msg: "{{ acme.metadata.region.value }}"

- name: Read the JSON values under a prefix
  community.zitadel.org_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    prefix: "app."
    encoding: json

- name: Read the region of many organisations
  community.zitadel.org_metadata_info:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    orgs:
      - org_id: "281474976710656001"
      - org_id: "281474976710656002"
    keys: [region]
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
metadata:
  description: The entries, key to entry, sorted by key.
  returned: without O(orgs)
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
orgs:
  description: One entry per item of O(orgs), in the same order.
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
      metadata:
        description: The entries, key to entry as RV(metadata).
        type: dict
      failed:
        description: Whether reading this organisation failed; the others were read anyway.
        type: bool
      msg:
        description: Why it failed.
        type: str
        returned: when RV(orgs[].failed) is true
  sample:
    - {org_id: '281474976710656001', metadata: {team: {value: platform, value_base64: cGxhdGZvcm0=}}, failed: false}
summary:
  description: Totals over the organisations of O(orgs).
  returned: with O(orgs)
  type: dict
  contains:
    targets:
      description: Number of organisations.
      type: int
    failed:
      description: Organisations that could not be read.
      type: int
  sample: {targets: 2, failed: 0}
'''

from ansible_collections.community.zitadel.plugins.module_utils._module import INFO_ARGSPEC, INFO_MUTUALLY_EXCLUSIVE, ORGS_ARGSPEC, ZitadelModule


def run(module):
    return module.read()


def main():
    module = ZitadelModule({**ORGS_ARGSPEC, **INFO_ARGSPEC},
                           mutually_exclusive=INFO_MUTUALLY_EXCLUSIVE + [('org_name', 'orgs')])
    module.run(run)


if __name__ == '__main__':
    main()
