#!/usr/bin/python
# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: audit_report
short_description: Write a drift report of ZITADEL metadata for people and for CI
version_added: 0.1.0
description:
  - Turns the registered results of M(community.zitadel.org_metadata_bulk) and M(community.zitadel.user_metadata_bulk),
    run with C(check_mode) and C(diff), into three files in the directory O(dest) on the controller.
  - C(report.html), one self-contained page (no network access, no external script or font) with the totals, a chart
    of the drift per organisation and a table of the drifted and failed targets, most severe first, with their key-level
    changes.
  - C(report.json), the same facts for machines, every target included; its schema is described in the
    R(audit guide,ansible_collections.community.zitadel.docsite.audit) and in the JSON Schema C(docs/audit-report.schema.json).
  - C(report.junit.xml), one test case per target; a drifted or failed target is a failed test case.
  - Values come only from the modules' diffs, which mask C(sensitive) tasks and C(sensitive_keys) and never show
    the value of a key the task does not name; values are shortened to 120 characters. This plugin never contacts
    ZITADEL.
  - The role P(community.zitadel.audit#role) runs the two modules and this plugin from the variables of the role
    P(community.zitadel.metadata#role).
author:
  - community.zitadel maintainers (@ansible-collections)
options:
  orgs_result:
    description:
      - The registered result of M(community.zitadel.org_metadata_bulk) given O(community.zitadel.org_metadata_bulk#module:orgs),
        run in check mode and diff mode (the task keywords C(check_mode) and C(diff) set to V(true)). A skipped task
        counts as no organisation.
      - A failing organisation is reported as failed with its message; a task that failed as a whole (for example
        an unknown organisation name) is reported with its message, since none of its targets was read. Register
        it with the task keyword C(failed_when) set to V(false) so that the report is written anyway.
    type: dict
  users_result:
    description:
      - The registered result of M(community.zitadel.user_metadata_bulk) given O(community.zitadel.user_metadata_bulk#module:users),
        run like O(orgs_result).
    type: dict
  dest:
    description:
      - Directory on the controller for C(report.html), C(report.json) and C(report.junit.xml); created when missing.
        Each file is replaced as a whole.
    type: path
    required: true
  max_rows:
    description:
      - Rows of the table in C(report.html), most severe first; C(report.json) and C(report.junit.xml) always hold
        every target. V(0) shows only the summaries.
    type: int
    default: 500
  fail_on_drift:
    description:
      - Fail once the report is written when a target drifted or failed, or a task failed as a whole.
    type: bool
    default: false
notes:
  - Run in a play on one host, usually C(localhost), so that a single report is written.
attributes:
  action:
    description: Runs on the controller.
    support: full
  check_mode:
    description: In check mode the report is built but not written; set the task keyword C(check_mode) to V(false) to
      write it in a C(--check) run, as the role P(community.zitadel.audit#role) does.
    support: full
  diff_mode:
    description: Returns no diff; the report itself shows the drift.
    support: none
  idempotent:
    description: The report holds the time it was generated, so every run rewrites it.
    support: none
seealso:
  - module: community.zitadel.user_metadata_bulk
  - module: community.zitadel.org_metadata_bulk
  - ref: ansible_collections.community.zitadel.docsite.audit
    description: Run the audit nightly in CI, and the schema of C(report.json).
'''

EXAMPLES = r'''
- name: Compare every user with the declared state, writing nothing
  community.zitadel.user_metadata_bulk:
    api_url: https://my-instance.zitadel.cloud
    jwt_profile_file: /etc/zitadel/ansible-key.json
    org_id: "281474976710656001"
    users:
      - {login_name: alice@acme.example.com, metadata: {team: platform}}
      - {user_id: "281474976710656102", metadata: {team: payments}}
    purge: true
  check_mode: true
  diff: true
  changed_when: false  # the drift goes to the report, not to the screen
  failed_when: false  # a failed user goes to the report
  register: users_audit

- name: Write the report and fail the play on drift
  community.zitadel.audit_report:
    users_result: "{{ users_audit }}"
    dest: "{{ playbook_dir }}/audit"
    fail_on_drift: true
  check_mode: false
'''

RETURN = r'''
status:
  description: V(in_sync), V(drifted), or V(failed) when a target or a whole task failed.
  returned: when the report was built, also when O(fail_on_drift) fails the task
  type: str
  sample: drifted
totals:
  description: Targets and keys over both results.
  returned: when the report was built, also when O(fail_on_drift) fails the task
  type: dict
  contains:
    targets:
      description: Organisations and users audited.
      type: int
    in_sync:
      description: Targets as declared.
      type: int
    drifted:
      description: Targets that differ from the declared state.
      type: int
    failed:
      description: Targets that could not be audited.
      type: int
    keys_added:
      description: Declared keys that a target lacks.
      type: int
    keys_updated:
      description: Keys whose value differs from the declared one.
      type: int
    keys_removed:
      description: Keys that purge would remove.
      type: int
  sample: {targets: 9, in_sync: 2, drifted: 5, failed: 2, keys_added: 1, keys_updated: 3, keys_removed: 1}
errors:
  description: Tasks that failed as a whole, V(orgs) or V(users), with their message.
  returned: when the report was built, also when O(fail_on_drift) fails the task
  type: list
  elements: dict
  sample: [{task: users, msg: "No user has the login name 'alise' in organisation 281474976710656001. Nothing was written."}]
files:
  description: File name to the path it was written to (in check mode, would be written to).
  returned: when the report was built, also when O(fail_on_drift) fails the task
  type: dict
  sample: {report.json: /srv/audit/report.json, report.html: /srv/audit/report.html, report.junit.xml: /srv/audit/report.junit.xml}
'''
