# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local ZITADEL-compatible HTTP API server (Management API v1 and v2 metadata, user and org lookups) for tests and demos."""
from __future__ import annotations

from .server import ZitadelServer
from .state import StateError

__all__ = ["StateError", "ZitadelServer"]
