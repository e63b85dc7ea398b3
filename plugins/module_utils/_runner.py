# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run one piece of work per target with bounded concurrency; a failing target does not stop the others."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.community.zitadel.plugins.module_utils._errors import ZitadelError

MIN_CONCURRENCY = 1
MAX_CONCURRENCY = 32


class Outcome:
    """What work(item) gave for one item: its result, or the ZitadelError it raised."""

    __slots__ = ('item', 'result', 'error')

    def __init__(self, item, result=None, error=None):
        self.item = item
        self.result = result
        self.error = error


def run_all(items, work, concurrency):
    """[Outcome] in the order of items; at most `concurrency` calls of work run at once.

    Each worker sends its requests one after the other, so requests in flight never exceed
    `concurrency`. Errors other than ZitadelError are bugs and propagate.
    """
    def one(item):
        try:
            return Outcome(item, result=work(item))
        except ZitadelError as error:
            return Outcome(item, error=error)

    items = list(items)
    workers = min(concurrency, len(items))
    if workers <= 1:
        return [one(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, items))
