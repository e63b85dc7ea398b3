# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/reliability.md holds exactly the rows this suite observed."""

from __future__ import annotations

import os

from conftest import RECORDED, TABLE, TABLE_HEADER, table_rows


def test_table_in_docs_matches_the_suite(request):
    """Runs last. UPDATE_RELIABILITY_TABLE=1 rewrites the table from this run's observations."""
    rows = [row for _nodeid, row in RECORDED]
    if os.environ.get('UPDATE_RELIABILITY_TABLE') == '1':
        head = TABLE.read_text().split(TABLE_HEADER[0])[0]
        TABLE.write_text(head + '\n'.join(TABLE_HEADER + rows) + '\n')
    documented = table_rows(TABLE.read_text())
    missing = [row for row in rows if row not in documented]
    assert not missing, 'rows observed but not in %s (run with UPDATE_RELIABILITY_TABLE=1):\n%s' % (TABLE, '\n'.join(missing))
    option = request.config.option
    whole_suite = not option.keyword and not option.markexpr and all(os.path.isdir(arg) for arg in request.config.args)
    if whole_suite:
        assert documented == rows, 'the table in %s has rows this suite no longer observes' % TABLE
