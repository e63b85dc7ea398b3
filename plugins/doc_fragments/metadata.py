# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Value options of the write modules; the argspec is VALUE_ARGSPEC in module_utils/_module.py.
    DOCUMENTATION = r'''
options:
  encoding:
    description:
      - How values are given and compared, and how they are returned.
      - V(text), a string stored as UTF-8.
      - V(base64), the base64 form of raw bytes; the bytes are stored and compared.
      - V(json), any structure, or a string holding a JSON document; it is stored as compact JSON and compared by
        meaning, so white space or key order on the server is not a difference (but V(1) and V(1.0) differ).
      - Values must be 1 to 500000 bytes once encoded; keys 1 to 200 characters.
    type: str
    choices: [text, base64, json]
    default: text
  sensitive:
    description:
      - Mask every value of the task in the results, the diff and the logs while still detecting changes.
      - To mask only some keys, in every task, use O(sensitive_keys).
    type: bool
    default: false
notes:
  - Keys that the single-key routes of the ZITADEL Management API v1 cannot address (V(_bulk), V(_search), V(.), V(..)
    and keys containing C(/)) are fully supported; they are written and removed through the bulk routes.
  - Results and diffs never show the value of a key the task does not name; a purged key appears in the diff with the
    value V(<not named by the task>).
'''

    # Options of the bulk write modules; the argspec is BULK_ARGSPEC in module_utils/_module.py.
    BULK = r'''
options:
  metadata:
    description:
      - The keys to manage. With O(state=present) a dictionary of key to value (see O(encoding)).
      - With O(state=absent) the keys to remove, as a list, or as a dictionary whose values are ignored.
      - Required for a single target. With many targets it applies to every one of them, and each target's own
        C(metadata) is added to it (a key of the target's own wins).
    type: raw
  state:
    description:
      - V(present) sets every key of O(metadata) to its value; V(absent) removes the keys of O(metadata)
        (keys that do not exist are not an error).
    type: str
    choices: [present, absent]
    default: present
  purge:
    description:
      - With O(state=present), also remove every key that is not in O(metadata), except those matching O(purge_exclude).
    type: bool
    default: false
  purge_exclude:
    description:
      - Shell-style patterns (V(*), V(?), V([seq])) of keys that O(purge) never removes, for example V(idp_*).
      - Matching is case-sensitive.
    type: list
    elements: str
    default: []
'''

    # Options and notes of the info modules.
    INFO = r'''
options:
  keys:
    description:
      - Return only these keys. Keys that do not exist are left out of the result.
      - Mutually exclusive with O(prefix).
    type: list
    elements: str
  prefix:
    description:
      - Return only keys that start with this text (case-sensitive).
      - Mutually exclusive with O(keys).
    type: str
  encoding:
    description:
      - How values are returned in C(value); C(value_base64) always holds the stored bytes.
      - V(text), the value as a string, or V(null) when it is not valid UTF-8.
      - V(base64), the base64 form of the bytes.
      - V(json), the value parsed as JSON, or V(null) when it is not valid JSON.
    type: str
    choices: [text, base64, json]
    default: text
'''

    # The option every module takes; the argspec is MASKING_ARGSPEC in module_utils/_module.py.
    MASKING = r'''
options:
  sensitive_keys:
    description:
      - Shell-style patterns (V(*), V(?), V([seq])) of keys whose values are masked in the results, the diff and the
        logs, for example V(*_secret) or V(api_token). Matching is case-sensitive.
      - Set it once for every module with C(module_defaults) for C(group/community.zitadel.zitadel).
    type: list
    elements: str
    default: []
'''

    # Many targets per task; the argspec is CONCURRENCY_ARGSPEC in module_utils/_module.py.
    CONCURRENCY = r'''
options:
  concurrency:
    description:
      - With many targets, how many targets are worked on at once, 1 to 32; each sends its requests one after the
        other, so at most this many requests are in flight, over one HTTP connection pool.
      - A C(429) answer with C(Retry-After) pauses every request of the task, and an access token is fetched once
        for all of them.
    type: int
    default: 8
'''

    # The user options of the user metadata modules (the argspec is USER_ARGSPEC in module_utils/_module.py), and where
    # to read further.
    USER = r'''
options:
  user_id:
    description:
      - ID of the user. With the v1 API (O(api_version)) the user must belong to the organisation given by O(org_id)
        (or to the service account's own organisation when O(org_id) is not set); the v2 API finds it in any.
      - A single user is given by exactly one of O(user_id) and O(login_name).
    type: str
  login_name:
    description:
      - Login name of the user, for example V(alice@acme.example.com), compared ignoring case. The v2 API searches
        every organisation the credentials may read (only O(org_id) when it is given); the v1 API searches the
        organisation given by O(org_id), or the service account's own one. The user's organisation is taken from
        ZITADEL's answer.
      - Whether login names end in the organisation's domain depends on the organisation's domain policy.
      - Many login names of one task are looked up together, one request per organisation and 1000 names.
    type: str
seealso:
  - plugin: community.zitadel.metadata
    plugin_type: lookup
    description: Read values inline in a template.
  - name: ZITADEL user metadata, v2 API
    description: The user service routes used with O(api_version=v2), and by default where the server has them.
    link: https://zitadel.com/docs/reference/api/user/zitadel.user.v2.UserService.SetUserMetadata
  - name: ZITADEL user metadata, Management API v1
    description: The routes used with O(api_version=v1), and by default on servers without v2.
    link: https://zitadel.com/docs/reference/api/management/zitadel.management.v1.ManagementService.SetUserMetadata
'''

    # The organisation of the organisation modules (the argspec is ORG_ARGSPEC in module_utils/_module.py), and where
    # to read further.
    ORG = r'''
options:
  org_name:
    description:
      - Name of the organisation, compared ignoring case, instead of O(org_id). It is looked up through the v2
        organisation search, among the organisations the credentials may read (C(org.read)), so it needs
        O(api_version) V(auto) or V(v2).
      - An O(org_id) from the E(ZITADEL_ORG_ID) environment variable yields to it; O(org_id) in the task conflicts
        with it.
      - Many names of one task are looked up together, in one request for one name, else one per 1000 organisations.
    type: str
seealso:
  - plugin: community.zitadel.metadata
    plugin_type: lookup
    description: Read values inline in a template.
  - name: ZITADEL organisation metadata, v2 API
    description: The organisation service routes used with O(api_version=v2), and by default where the server has them.
    link: https://zitadel.com/docs/reference/api/org/zitadel.org.v2.OrganizationService.SetOrganizationMetadata
  - name: ZITADEL organisation metadata, Management API v1
    description: The routes used with O(api_version=v1), and by default on servers without v2.
    link: https://zitadel.com/docs/reference/api/management/zitadel.management.v1.ManagementService.SetOrgMetadata
'''

    # Many users in one task (write modules); the argspec is USERS_ARGSPEC in module_utils/_module.py.
    USERS = r'''
options:
  users:
    description:
      - Many users in one task. Each item names a user by exactly one of C(user_id) and C(login_name), and may give
        its own C(org_id) and C(metadata). O(encoding), O(state), O(purge), O(purge_exclude) and O(sensitive) apply
        to every item.
      - A failing user does not stop the others; the task then fails after all of them ran, names the failed ones,
        and still returns RV(users) and RV(summary).
      - Mutually exclusive with O(user_id) and O(login_name).
    type: list
    elements: dict
    suboptions:
      user_id:
        description: ID of the user.
        type: str
      login_name:
        description: Login name of the user (see O(login_name)).
        type: str
      org_id:
        description: The user's organisation; defaults to O(org_id).
        type: str
      metadata:
        description: This user's keys, added to O(metadata) (a key here wins); a dictionary, or a list with O(state=absent).
        type: raw
'''

    # Many users in one task (info module).
    USERS_READ = r'''
options:
  users:
    description:
      - Many users in one task. Each item names a user by exactly one of C(user_id) and C(login_name), and may give
        its own C(org_id). O(keys), O(prefix) and O(encoding) apply to every item.
      - A failing user does not stop the others; the task then fails after all of them ran, names the failed ones,
        and still returns RV(users).
      - Mutually exclusive with O(user_id) and O(login_name).
    type: list
    elements: dict
    suboptions:
      user_id:
        description: ID of the user.
        type: str
      login_name:
        description: Login name of the user (see O(login_name)).
        type: str
      org_id:
        description: The user's organisation; defaults to O(org_id).
        type: str
'''

    # Many organisations in one task (write module); the argspec is ORGS_ARGSPEC in module_utils/_module.py.
    ORGS = r'''
options:
  orgs:
    description:
      - Many organisations in one task, each given by exactly one of C(org_id) and C(org_name), optionally with its
        own C(metadata). O(encoding), O(state), O(purge), O(purge_exclude) and O(sensitive) apply to every item.
      - A failing organisation does not stop the others; the task then fails after all of them ran, names the
        failed ones, and still returns RV(orgs) and RV(summary).
      - Mutually exclusive with O(org_name).
    type: list
    elements: dict
    suboptions:
      org_id:
        description: ID of the organisation.
        type: str
      org_name:
        description: Name of the organisation (see O(org_name)).
        type: str
      metadata:
        description: This organisation's keys, added to O(metadata) (a key here wins).
        type: raw
'''

    # Many organisations in one task (info module).
    ORGS_READ = r'''
options:
  orgs:
    description:
      - Many organisations in one task, each given by exactly one of C(org_id) and C(org_name). O(keys), O(prefix) and
        O(encoding) apply to every item.
      - A failing organisation does not stop the others; the task then fails after all of them ran, names the
        failed ones, and still returns RV(orgs).
      - Mutually exclusive with O(org_name).
    type: list
    elements: dict
    suboptions:
      org_id:
        description: ID of the organisation.
        type: str
      org_name:
        description: Name of the organisation (see O(org_name)).
        type: str
'''
