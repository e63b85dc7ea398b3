# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The request pipeline: routing, request log, faults, gateway decoding, auth, validation, handlers."""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from . import control, errors
from .api import Call, named_keys
from .auth import AUTHENTICATED, Tokens, authenticate, require
from .errors import ApiError
from .faults import Fault, FaultQueue
from .oauth import OAuthError, token_endpoint
from .reqlog import RequestLog
from .responses import Response, error_response, json_response, redirect_response, text_response
from .routes import Route, clean_path, decode_path, parse_query, resolve
from .state import build_store, read_document
from .wire import parse_body, proto_size

TOKEN_PATH = "/oauth/v2/token"


@dataclass
class Request:
    """What the HTTP layer read."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""

    def header(self, name: str) -> str | None:
        """A header value (names are case-insensitive)."""
        return self.headers.get(name.lower())


class App:
    """Server state plus request handling; one lock guards everything."""

    def __init__(self, state: dict | str | Path, log_requests: bool = False):
        self.initial = read_document(state)
        self.store = build_store(self.initial)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.tokens = Tokens()
        self.log = RequestLog()
        self.faults = FaultQueue()
        self.issuer = ""
        self.log_requests = log_requests
        self.started = time.monotonic()  # the request log's clock; ZitadelServer.start() sets it again

    def handle(self, request: Request) -> Response | None:
        """Answer one request; None means: close the connection without answering."""
        if request.path.startswith(control.PREFIX):
            with self.lock:
                return control.handle(self, request)
        arrived = time.monotonic() - self.started
        path, rpc, api, keys, run = self._prepare(request)
        with self.lock:
            entry = self.log.add(request.method, path, rpc, api, keys, arrived)
            fault = self.faults.take(request.method, path)
            action = fault.action if fault else None
            entry["fault"] = action
            if action == "expire_tokens":
                self.tokens.expire()
        response = None
        try:
            response = self._respond(fault, run)
        finally:
            with self.lock:
                entry["status"] = response.status if response else None
                self.log.finish()
        if self.log_requests:
            note = f" [fault: {action}]" if action else ""
            sys.stderr.write(f"{request.method} {path} {rpc} -> {entry['status'] or 'no answer'}{note}\n")
        return None if action == "drop_after" else response

    def _respond(self, fault: Fault | None, run: Callable[[], Response]) -> Response | None:
        """The answer as the fault shapes it; a delay waits outside the lock."""
        action = fault.action if fault else None
        if action == "delay":
            self.stopping.wait(fault.seconds)
        if action == "status":
            return fault.response()
        if action == "drop":
            return None
        with self.lock:
            return run()

    def _prepare(self, request: Request) -> tuple[str, str, str | None, list[str], Callable[[], Response]]:
        """Decoded path, RPC name, API version (None: no RPC), named keys and the deferred handler of an API request."""
        try:
            path = decode_path(request.path)
        except ValueError:
            return request.path, "BadRequest", None, [], partial(text_response, 400, "400 Bad Request")
        cleaned = clean_path(path)
        if cleaned != path:  # like the Go router in front of the gateway, before any handler
            return path, "Redirect", None, [], partial(redirect_response, cleaned)
        if path == TOKEN_PATH:
            return path, "Token", None, [], partial(self._token, request)
        try:
            route, params = resolve(request.method, path, self.store.settings)
        except ApiError as error:
            rpc = "MethodNotAllowed" if error.code == errors.UNIMPLEMENTED else "NotFound"
            return path, rpc, None, [], partial(error_response, error)
        try:
            keys = named_keys(params, _request_message(route, request))
        except ApiError:
            keys = named_keys(params, {})
        return path, route.rpc, route.api, keys, partial(self._call, route, params, request)

    def _call(self, route: Route, params: dict[str, str], request: Request) -> Response:
        settings = self.store.settings
        try:
            body = _request_message(route, request)
            from_query = [] if route.body else [value for values in body.values() for value in values]
            _check_utf8([*params.values(), *from_query])
            operation = route.operation(route.rpc, params, body, settings)
            if route.api == "v1":  # v2 requests reach a Connect handler, which sets no limit
                _check_size({**body, **params}, settings.max_message_bytes)
            caller, org = authenticate(self.store, self.tokens, request.header("authorization"), request.header("x-zitadel-orgid"))
            permission = route.interceptor_permission(settings)
            if permission != AUTHENTICATED:
                require(caller, org, permission)
            operation.validate()
            answer = operation.run(self.store, Call(caller, org))
            _check_size(answer, settings.max_message_bytes)
            return json_response(200, answer)
        except ApiError as error:
            return error_response(error)

    def _token(self, request: Request) -> Response:
        audiences = {self.issuer}
        host = request.header("host")
        if host:
            audiences.add(f"{self.issuer.split(':', 1)[0]}://{host}")
        try:
            doc = token_endpoint(self.store, self.tokens, request.body, request.header("authorization"), audiences)
        except OAuthError as error:
            headers = {"WWW-Authenticate": 'Basic realm="zitadel"'} if error.status == 401 else {}
            return json_response(error.status, error.body(), headers)
        return json_response(200, doc, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def reset(self, state: object = None) -> None:
        """Load the initial state (or the given one) and forget log, faults and lag."""
        self.store = build_store(self.initial if state is None else state)
        self.log.clear()
        self.faults.clear()


def _request_message(route: Route, request: Request) -> dict:
    """The request message as the gateway decodes it: the JSON body, or the route's repeated fields from the query string."""
    if route.body:
        return parse_body(request.body)
    query = parse_query(request.query)
    return {name: query[name] for name in route.query if name in query}


def _check_utf8(values: list[str]) -> None:
    """Strings the gateway passes on must be valid UTF-8 to be marshalled for gRPC."""
    try:
        for value in values:
            value.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(errors.INTERNAL, "grpc: error while marshaling: string field contains invalid UTF-8") from None


def _check_size(message: dict, limit: int) -> None:
    """grpc-go's message size limit between ZITADEL's REST gateway and its gRPC server (0: none)."""
    size = proto_size(message)
    if limit and size > limit:
        raise ApiError(errors.RESOURCE_EXHAUSTED, f"grpc: received message larger than max ({size} vs. {limit})")
