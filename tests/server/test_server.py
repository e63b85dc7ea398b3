# Copyright (c) community.zitadel contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Serving: TLS, loopback only, clean start/stop, concurrency, the command line."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from conftest import ALICE, PAT, Api
from zitadel_server import ZitadelServer

HERE = Path(__file__).resolve().parent
DEMO = HERE.parents[1] / "demo" / "state.yml"


def test_tls_with_the_generated_ca(initial_state, tmp_path):
    with ZitadelServer(state=initial_state, tls=True, cert_dir=tmp_path) as server:
        assert server.url.startswith("https://127.0.0.1:") and server.cert_file == str(tmp_path / "ca.pem")
        response = requests.get(f"{server.url}/management/v1/users/{ALICE}/metadata/team", headers={"Authorization": f"Bearer {PAT}"},
                                verify=server.cert_file, timeout=10)
        assert response.status_code == 200
        localhost = server.url.replace("127.0.0.1", "localhost") + "/_control/health"
        assert requests.get(localhost, verify=server.cert_file, timeout=10).json() == {"status": "ok"}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/_control/health", timeout=10)
        assert requests.get(server.url + "/_control/health", verify=server.cert_file, timeout=10).status_code == 200


def test_tls_temporary_cert_dir_is_removed(initial_state):
    server = ZitadelServer(state=initial_state, tls=True).start()
    cert_file = Path(server.cert_file)
    assert cert_file.is_file()
    server.stop()
    assert not cert_file.exists()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_refuses_non_loopback_hosts(host):
    with pytest.raises(ValueError, match="only listens on 127.0.0.1"):
        ZitadelServer(host=host)


def test_binds_loopback_only(srv):
    assert urlsplit(srv.url).hostname == "127.0.0.1"
    with socket.socket() as probe:
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.1", urlsplit(srv.url).port)) == 0


def test_start_is_fast_and_stop_is_clean(initial_state):
    started = time.monotonic()
    server = ZitadelServer(state=initial_state).start()
    assert time.monotonic() - started < 0.5
    port = urlsplit(server.url).port
    client = Api(server.url)
    assert client.user_get(ALICE, "team").status_code == 200
    assert [thread for thread in threading.enumerate() if thread.name.startswith(f"zitadel-server-{port}")]
    stopping = time.monotonic()
    server.stop()
    assert time.monotonic() - stopping < 1
    client.close()
    assert not [thread for thread in threading.enumerate() if thread.name.startswith(f"zitadel-server-{port}")]
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0
    server.stop()


def test_stop_interrupts_a_delay(initial_state):
    server = ZitadelServer(state=initial_state).start()
    requests.post(server.url + "/_control/faults", json={"action": "delay", "seconds": 30}, timeout=10)
    worker = threading.Thread(target=lambda: requests.get(server.url + "/slow", timeout=10))
    worker.start()
    time.sleep(0.2)
    stopping = time.monotonic()
    server.stop()
    worker.join(5)
    assert time.monotonic() - stopping < 2 and not worker.is_alive()


def test_concurrent_writers(api):
    def write(index: int) -> int:
        client = Api(api.url)
        try:
            return [client.user_set(ALICE, f"key-{index}-{n}", "v").status_code for n in range(10)].count(200)
        finally:
            client.close()
    first = int(api.user_set(ALICE, "start", "v").json()["details"]["sequence"])
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(write, range(8))) == 80
    assert api.user_list(ALICE).json()["details"]["totalResult"] == str(82)
    assert int(api.user_set(ALICE, "end", "v").json()["details"]["sequence"]) == first + 81


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_cli(*args: str, background: bool = False) -> tuple[subprocess.Popen, str]:
    """Start serve.py; background: with SIGINT ignored, as a job started with & in a script inherits it."""
    process = subprocess.Popen([sys.executable, str(HERE / "serve.py"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               cwd=HERE.parents[1], env=dict(os.environ, PYTHONPATH=""), preexec_fn=_ignore_sigint if background else None)
    return process, process.stdout.readline()


@pytest.mark.parametrize("sig, background", [(signal.SIGINT, False), (signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "sigint-in-background", "term"])
def test_cli_serves_until_interrupted(sig, background):
    process, line = _run_cli("--state", str(DEMO), "--port", "0", background=background)
    try:
        match = re.fullmatch(r"ZITADEL test server listening on (http://127\.0\.0\.1:\d+)\n", line)
        assert match, line
        response = requests.get(match.group(1) + "/management/v1/metadata/region", headers={"Authorization": "Bearer demo-pat-0000-not-a-secret"}, timeout=10)
        assert response.status_code == 200
        process.send_signal(sig)
        assert process.wait(10) == 0
        assert "GET /management/v1/metadata/region GetOrgMetadata -> 200" in process.stderr.read()
    finally:
        process.kill()
        process.communicate()


def test_cli_tls_prints_the_ca(tmp_path):
    process, line = _run_cli("--state", str(DEMO), "--port", "0", "--tls", "--cert-dir", str(tmp_path), "--quiet")
    try:
        match = re.fullmatch(r"ZITADEL test server listening on (https://127\.0\.0\.1:\d+) \(CA certificate: (.+)\)\n", line)
        assert match, line
        assert requests.get(match.group(1) + "/_control/health", verify=match.group(2), timeout=10).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize("args, message", [(["--host", "0.0.0.0"], "only listens on 127.0.0.1"), (["--state", "missing.yml"], "missing.yml")])
def test_cli_rejects_bad_arguments(args, message):
    result = subprocess.run([sys.executable, str(HERE / "serve.py"), "--port", "0", *args], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_stop_with_an_idle_connection(tls):
    server = ZitadelServer(tls=tls).start()
    idle = socket.create_connection(("127.0.0.1", urlsplit(server.url).port))
    try:
        time.sleep(0.1)
        stopping = time.monotonic()
        server.stop()
        assert time.monotonic() - stopping < 1
    finally:
        idle.close()
