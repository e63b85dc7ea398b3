# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module tests' fake ZITADEL and module runner, for the audit report built from real module results."""

from __future__ import annotations

from ansible_collections.community.zitadel.tests.unit.plugins.modules.conftest import run_module, zitadel  # noqa: F401  pylint: disable=unused-import
