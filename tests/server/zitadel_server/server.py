# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP(S) serving on 127.0.0.1 in a background thread."""
from __future__ import annotations

import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .app import App, Request
from .tls import generate as generate_certificates

LOOPBACK = "127.0.0.1"
_QUIET_ERRORS = (ConnectionError, TimeoutError, ssl.SSLError)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "zitadel-test-server"
    sys_version = ""
    timeout = 60
    disable_nagle_algorithm = True
    server: _HTTPServer

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if not size:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(length)

    def _serve(self) -> None:
        try:
            body = self._body()
        except ValueError:
            self.send_error(400, "malformed request body")
            return
        headers = {name.lower(): value for name, value in reversed(self.headers.items())}
        path, query = (self.path.split("?", 1) + [""])[:2]
        response = self.server.app.handle(Request(self.command, path, headers, body, query))
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def log_message(self, format, *args) -> None:  # pylint: disable=redefined-builtin
        """Requests are recorded by the app, not on stderr."""


class _HTTPServer(ThreadingHTTPServer):
    def __init__(self, address: tuple[str, int], app: App, context: ssl.SSLContext | None):
        self.app = app
        self.context = context
        self.connections: set[socket.socket] = set()
        self.workers: set[threading.Thread] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # skip HTTPServer's reverse DNS lookup (socket.getfqdn), which can be slow
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def process_request(self, request, client_address) -> None:
        # like ThreadingMixIn, but daemon workers are tracked too so that close() can join them
        worker = threading.Thread(target=self.process_request_thread, args=(request, client_address),
                                  name=f"zitadel-server-{self.server_port}-connection", daemon=True)
        with self.connections_lock:
            self.workers = {thread for thread in self.workers if thread.is_alive()}
            self.workers.add(worker)
        worker.start()

    def _track(self, connection: socket.socket, add: bool = True) -> None:
        with self.connections_lock:
            if add:
                self.connections.add(connection)
            else:
                self.connections.discard(connection)

    def finish_request(self, request, client_address) -> None:
        if self.app.stopping.is_set():
            return
        self._track(request)
        try:
            if self.context is not None:
                request.settimeout(_Handler.timeout)
                self._track(request, add=False)
                request = self.context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
                self._track(request)
                try:
                    request.do_handshake()
                except OSError:
                    return
            super().finish_request(request, client_address)
        finally:
            self._track(request, add=False)
            if self.context is not None:
                self.shutdown_request(request)

    def close(self) -> None:
        """Close the listening socket and every connection, then join the workers."""
        with self.connections_lock:
            for connection in self.connections:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            workers = list(self.workers)
        self.server_close()
        for worker in workers:
            worker.join()

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], _QUIET_ERRORS):
            super().handle_error(request, client_address)


class ZitadelServer:
    """A ZITADEL-compatible API server for tests: start(), url, cert_file, stop(); also a context manager."""

    def __init__(self, state: dict | str | Path | None = None, port: int = 0, tls: bool = False,
                 cert_dir: str | Path | None = None, host: str = LOOPBACK, log_requests: bool = False):
        if host not in (LOOPBACK, "localhost"):
            raise ValueError(f"refusing to bind {host!r}: the test server only listens on {LOOPBACK}")
        self.app = App({} if state is None else state, log_requests)
        self.port = port
        self.tls = tls
        self.cert_dir = cert_dir
        self.cert_file: str | None = None
        self.url = ""
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None

    def _context(self) -> ssl.SSLContext:
        if self.cert_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="zitadel-server-")  # pylint: disable=consider-using-with
        self.cert_file, chain, key = generate_certificates(self.cert_dir or self._tmp.name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key)
        return context

    def start(self) -> ZitadelServer:
        """Listen and serve in a background thread."""
        if self._httpd is not None:
            raise RuntimeError("server already started")
        self.app.stopping.clear()
        self.app.started = time.monotonic()
        self._httpd = _HTTPServer((LOOPBACK, self.port), self.app, self._context() if self.tls else None)
        self.port = self._httpd.server_address[1]
        self.url = f"{'https' if self.tls else 'http'}://{LOOPBACK}:{self.port}"
        self.app.issuer = self.url
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name=f"zitadel-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join all threads."""
        if self._httpd is None:
            return
        self.app.stopping.set()
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.close()
        self._httpd = self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> ZitadelServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
