"""One real server: `churnlens serve` on a free loopback port, called over HTTP, then stopped (and reloaded)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

httpx = pytest.importorskip("httpx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tiny_models_dir):
    port = _free_port()
    env = {**os.environ, "CHURNLENS_MODEL_DIR": str(tiny_models_dir / "t1"), "CHURNLENS_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "churnlens.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(base + "/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("server did not become ready:\n" + (proc.stdout.read() if proc.stdout else ""))
    yield base, proc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_real_server_round_trip(server):
    base, proc = server
    r = httpx.post(base + "/v1/classify", json={"text": "otrevlig personal svarar aldrig"}, timeout=10)
    assert r.status_code == 200 and r.json()["model"] == "churnlens-t1"
    r = httpx.post(base + "/v1/classify/batch", json={"messages": [{"text": "tack"}, {"text": "dyrt"}]}, timeout=10)
    assert [p["model"] for p in r.json()["predictions"]] == ["churnlens-t1"] * 2
    assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok"}
    proc.send_signal(signal.SIGHUP)  # reload the same manifest: must keep serving
    time.sleep(1.0)
    assert httpx.post(base + "/v1/classify", json={"text": "tack"}, timeout=10).status_code == 200
