# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Attributes shared by the write modules.
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
  idempotent:
    description: When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
    support: full
  action_group:
    description: Use C(group/community.zitadel.zitadel) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - community.zitadel.zitadel
'''

    # Attributes of the read-only modules.
    INFO_MODULE = r'''
attributes:
  check_mode:
    description: This module does not change anything and runs the same in check mode.
    support: full
  diff_mode:
    description: This module does not change anything and returns no diff.
    support: N/A
  idempotent:
    description: This module only reads.
    support: full
  action_group:
    description: Use C(group/community.zitadel.zitadel) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - community.zitadel.zitadel
'''
