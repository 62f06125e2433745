"""``laurel up`` as a newcomer runs it: every part comes up, a part killed with SIGKILL is
restarted, and SIGTERM stops the whole stack with no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.conftest import free_port


def _wait(condition, timeout: float = 60.0) -> bool:  # noqa: ANN001 - a zero-argument predicate
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _children(parent: int) -> list[int]:
    found = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True, check=True).stdout.split("\n")[1:]
    return [int(p) for p, pp in (line.split() for line in found if line.strip()) if int(pp) == parent]


def _up(tmp_path: Path, port: int, dev_port: int) -> subprocess.Popen[str]:
    env = dict(os.environ, LAUREL_HOME_DIR=str(tmp_path / ".laurel"), LAUREL_TEMPORAL_DEV_PORT=str(dev_port), LAUREL_ADMIN_TOKEN="lrl_admin_up_test")
    env.pop("LAUREL_DATABASE_URL", None)
    env.pop("LAUREL_TEMPORAL_ADDRESS", None)
    return subprocess.Popen([sys.executable, "-m", "api.cli", "up", "--port", str(port)], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_laurel_up_supervises_restarts_and_stops_cleanly(tmp_path: Path) -> None:
    port, dev_port = free_port(), free_port()
    up = _up(tmp_path, port, dev_port)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer lrl_admin_up_test"}, timeout=5)
    try:
        assert _wait(lambda: _ok(client, "/readyz")), "the API did not come up"
        children = _children(up.pid)
        assert len(children) == 5, children  # temporal, worker, projections, webhooks, api
        api_pid = max(children)  # the API starts last
        os.kill(api_pid, signal.SIGKILL)
        assert _wait(lambda: api_pid not in _children(up.pid) and len(_children(up.pid)) == 5 and _ok(client, "/readyz")), "the API was not restarted"
        assert client.get("/metrics").status_code == 200
    finally:
        up.send_signal(signal.SIGTERM)
        output = up.communicate(timeout=60)[0]
        client.close()
    assert up.returncode == 0 or up.returncode == -signal.SIGTERM or "stopping" in output
    left = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    assert not left, f"orphans: {left}\n{output}"
    assert "restarting" in output and "admin token" in output


def _ok(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def test_laurel_api_serves_with_several_worker_processes(tmp_path: Path) -> None:
    port = free_port()
    env = dict(os.environ, LAUREL_HOME_DIR=str(tmp_path / ".laurel"), LAUREL_ADMIN_TOKEN="lrl_admin_up_test")
    env.pop("LAUREL_DATABASE_URL", None)
    env.pop("LAUREL_TEMPORAL_ADDRESS", None)
    api = subprocess.Popen([sys.executable, "-m", "api.cli", "api", "--port", str(port), "--workers", "2"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer lrl_admin_up_test"}, timeout=5)
    try:
        assert _wait(lambda: _ok(client, "/readyz")), "the API did not come up"
        assert len(_children(api.pid)) >= 2  # uvicorn's worker processes
        created = [client.post("/v1/units", json={"id": f"city-{i}", "name": f"City {i}", "name_zh": f"市{i}", "level": "city"}).status_code for i in range(20)]
        assert created == [201] * 20
        assert client.get("/v1/units/city-19").json()["id"] == "city-19"
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(30)
        client.close()
