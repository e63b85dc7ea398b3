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
      - Mask the values in the results, the diff and the logs while still detecting changes.
    type: bool
    default: false
notes:
  - Keys that the single-key routes of the ZITADEL Management API v1 cannot address (V(_bulk), V(_search) and keys
    containing C(/)) are fully supported; they are read, written and removed through the list and bulk routes.
'''

    # Options of the bulk write modules; the argspec is BULK_ARGSPEC in module_utils/_module.py.
    BULK = r'''
options:
  metadata:
    description:
      - The keys to manage. With O(state=present) a dictionary of key to value (see O(encoding)).
      - With O(state=absent) the keys to remove, as a list, or as a dictionary whose values are ignored.
    type: raw
    required: true
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
  parse_json:
    description:
      - Also return each value parsed as JSON, in RV(metadata[].json), when it is valid JSON.
    type: bool
    default: false
'''

    # The user option of the user metadata modules; the argspec is USER_ARGSPEC in module_utils/_module.py.
    USER = r'''
options:
  user_id:
    description:
      - ID of the user. The user must belong to the organisation given by O(org_id) (or to the service account's
        own organisation when O(org_id) is not set).
    type: str
    required: true
'''
