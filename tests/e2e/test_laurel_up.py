"""``laurel up`` as a newcomer runs it: every part comes up, a part killed with SIGKILL is
restarted, and SIGTERM stops the whole stack with no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.builders.http import free_port
from tests.e2e.processes import children as _children
from tests.e2e.processes import stack_logs, stack_started, start_stack, stop_stack
from tests.e2e.processes import wait_for as _wait


def test_laurel_up_supervises_restarts_and_stops_cleanly(tmp_path: Path) -> None:
    port, dev_port = free_port(), free_port()
    up = start_stack(tmp_path, port, dev_port, "lrl_admin_up_test")
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": "Bearer lrl_admin_up_test"},
        timeout=5,
    )
    try:
        assert _wait(lambda: _ok(client, "/readyz") and stack_started(tmp_path)), (
            "the stack did not come up\n" + stack_logs(tmp_path)
        )
        parts = _children(up.pid)
        assert sorted(parts) == ["api", "notify", "projections", "temporal", "webhooks", "worker"], parts
        os.kill(parts["api"], signal.SIGKILL)
        assert _wait(
            lambda: _children(up.pid).get("api") not in (None, parts["api"]) and _ok(client, "/readyz")
        ), "the API was not restarted\n" + stack_logs(tmp_path)
        assert client.get("/metrics").status_code == 200
    finally:
        output = stop_stack(up, tmp_path)
        client.close()
    assert up.returncode == 0 or up.returncode == -signal.SIGTERM or "stopping" in output
    left = subprocess.run(
        ["pgrep", "-f", str(tmp_path)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert not left, f"orphans: {left}\n{output}"
    assert "restarting" in output and "admin token" in output


def _ok(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def test_laurel_api_serves_with_several_worker_processes(tmp_path: Path) -> None:
    port = free_port()
    env = dict(
        os.environ, LAUREL_HOME_DIR=str(tmp_path / ".laurel"), LAUREL_ADMIN_TOKEN="lrl_admin_up_test"
    )
    env.pop("LAUREL_DATABASE_URL", None)
    env.pop("LAUREL_TEMPORAL_ADDRESS", None)
    api = subprocess.Popen(
        [sys.executable, "-m", "cli", "api", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": "Bearer lrl_admin_up_test"},
        timeout=5,
    )
    try:
        assert _wait(lambda: _ok(client, "/readyz")), "the API did not come up"
        assert len(_children(api.pid)) >= 2  # uvicorn's worker processes (and its helper)
        created = [
            client.post(
                "/v1/units",
                json={"id": f"city-{i}", "name": f"City {i}", "name_zh": f"市{i}", "level": "city"},
            ).status_code
            for i in range(20)
        ]
        assert created == [201] * 20
        assert client.get("/v1/units/city-19").json()["id"] == "city-19"
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(30)
        client.close()
