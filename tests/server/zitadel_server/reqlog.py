# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request log read by tests: RPC names, statuses and metadata keys, never values or credentials."""
from __future__ import annotations

from collections import Counter


class RequestLog:
    """Append-only list of API requests (control requests are not recorded), and how many overlapped."""

    def __init__(self) -> None:
        self.entries: list[dict] = []
        self._sequence = 0
        self.in_flight = 0
        self.max_in_flight = 0

    def add(self, method: str, path: str, rpc: str, api: str | None, keys: list[str], arrived: float) -> dict:
        """Record a request now being handled; the caller fills in status and fault, then calls finish()."""
        self._sequence += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        entry = {"seq": self._sequence, "time": round(arrived, 3), "method": method, "path": path, "rpc": rpc, "api": api,
                 "status": None, "keys": keys, "fault": None}
        self.entries.append(entry)
        return entry

    def finish(self) -> None:
        """A request's answer was produced (or withheld)."""
        self.in_flight -= 1

    def clear(self) -> None:
        """Forget all entries (sequence numbers keep counting); requests still running count for the new maximum."""
        self.entries.clear()
        self.max_in_flight = self.in_flight

    def snapshot(self) -> dict:
        """The GET /_control/requests body."""
        return {
            "requests": [dict(entry, keys=list(entry["keys"])) for entry in self.entries],
            "counts": dict(Counter(_count_key(entry) for entry in self.entries)),
            "total": len(self.entries),
            "max_in_flight": self.max_in_flight,
        }


def _count_key(entry: dict) -> str:
    """v1 RPCs and the other requests (Token, NotFound, ...) count under their name, v2 RPCs as "<api>:<rpc>"."""
    api = entry["api"]
    return entry["rpc"] if api in (None, "v1") else f"{api}:{entry['rpc']}"
