# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The test control API under /_control/ (no auth, never logged)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import yaml

from .faults import Fault
from .responses import Response, json_response
from .state import dump_store

if TYPE_CHECKING:
    from .app import App, Request

PREFIX = "/_control/"
OK = {"status": "ok"}


def _document(body: bytes) -> object:
    text = body.decode("utf-8")
    try:
        return json.loads(text)
    except ValueError:
        return yaml.safe_load(text)


def _health(app: App, body: bytes) -> Response:
    del app, body
    return json_response(200, OK)


def _requests(app: App, body: bytes) -> Response:
    del body
    return json_response(200, app.log.snapshot())


def _clear_requests(app: App, body: bytes) -> Response:
    del body
    app.log.clear()
    return json_response(200, OK)


def _reset(app: App, body: bytes) -> Response:
    del body
    app.reset()
    app.tokens.clear()
    return json_response(200, OK)


def _seed(app: App, body: bytes) -> Response:
    try:
        app.reset(_document(body) or {})
    except (ValueError, yaml.YAMLError) as exc:
        return json_response(400, {"error": str(exc)})
    return json_response(200, OK)


def _state(app: App, body: bytes) -> Response:
    del body
    return json_response(200, dump_store(app.store))


def _faults(app: App, body: bytes) -> Response:
    del body
    return json_response(200, {"faults": [fault.as_dict() for fault in app.faults.faults]})


def _add_fault(app: App, body: bytes) -> Response:
    try:
        fault = Fault.from_doc(_document(body))
    except (ValueError, TypeError, yaml.YAMLError) as exc:
        return json_response(400, {"error": str(exc)})
    app.faults.add(fault)
    return json_response(201, fault.as_dict())


def _clear_faults(app: App, body: bytes) -> Response:
    del body
    app.faults.clear()
    return json_response(200, OK)


def _lag(app: App, body: bytes) -> Response:
    try:
        doc = _document(body)
    except (ValueError, yaml.YAMLError) as exc:
        return json_response(400, {"error": str(exc)})
    reads = doc.get("reads") if isinstance(doc, dict) else None
    if isinstance(reads, bool) or not isinstance(reads, int) or reads < 0:
        return json_response(400, {"error": 'expected {"reads": <integer >= 0>}'})
    app.store.set_lag(reads)
    return json_response(200, {"reads": reads})


_ENDPOINTS = {
    ("GET", "health"): _health,
    ("GET", "requests"): _requests,
    ("DELETE", "requests"): _clear_requests,
    ("POST", "reset"): _reset,
    ("POST", "seed"): _seed,
    ("GET", "state"): _state,
    ("GET", "faults"): _faults,
    ("POST", "faults"): _add_fault,
    ("DELETE", "faults"): _clear_faults,
    ("POST", "lag"): _lag,
}


def handle(app: App, request: Request) -> Response:
    """Dispatch a control request; the caller holds the app lock."""
    name = request.path[len(PREFIX):]
    endpoint = _ENDPOINTS.get((request.method, name))
    if endpoint is not None:
        return endpoint(app, request.body)
    if any(endpoint[1] == name for endpoint in _ENDPOINTS):
        return json_response(405, {"error": f"{request.method} is not supported on {request.path}"})
    endpoints = sorted(f"{method} {PREFIX}{known}" for method, known in _ENDPOINTS)
    return json_response(404, {"error": f"unknown control endpoint {request.path}", "endpoints": endpoints})
