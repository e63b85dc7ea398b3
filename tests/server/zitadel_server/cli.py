# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Command line: serve a state file in the foreground until Ctrl-C."""
from __future__ import annotations

import argparse
import signal
import threading

from .server import LOOPBACK, ZitadelServer
from .state import StateError


def main(argv: list[str] | None = None) -> int:
    """Run the server; returns the exit status."""
    parser = argparse.ArgumentParser(prog="serve.py", description="Local ZITADEL-compatible API server (v1 and v2 metadata APIs).")
    parser.add_argument("--state", help="state file (.yml, .yaml or .json); default: an empty instance")
    parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (0 picks a free one; default 8080)")
    parser.add_argument("--host", default=LOOPBACK, help="only 127.0.0.1 (or localhost) is accepted")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated CA and certificate")
    parser.add_argument("--cert-dir", help="where --tls writes ca.pem, server.pem and server-key.pem (default: a temporary directory)")
    parser.add_argument("--quiet", action="store_true", help="do not log requests to stderr")
    args = parser.parse_args(argv)
    try:
        server = ZitadelServer(state=args.state, port=args.port, tls=args.tls, cert_dir=args.cert_dir, host=args.host, log_requests=not args.quiet)
    except (StateError, ValueError) as exc:
        parser.error(str(exc))
    try:
        server.start()
    except OSError as exc:
        parser.exit(1, f"{parser.prog}: cannot listen on {LOOPBACK}:{args.port}: {exc}\n")
    stop = threading.Event()
    # Ctrl-C and SIGTERM stop it; SIGINT explicitly, as a job started in the background inherits it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    suffix = f" (CA certificate: {server.cert_file})" if args.tls else ""
    print(f"ZITADEL test server listening on {server.url}{suffix}", flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    return 0
