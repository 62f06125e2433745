"""Two ``laurel up`` on one host: each keeps its own Temporal (a free port when the configured
one is taken, a namespace and task queue of its own data directory), so each campaign's
deadlines fire on time in its own stack and neither stack sees the other's workflows. And
one data directory runs one stack: a second ``laurel up`` there is refused."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import httpx

from tests.builders.http import free_port
from tests.builders.http_world import quick_campaign, seed_city
from tests.e2e.observe import closings, deadlines, workflow_runs
from tests.e2e.processes import (
    children,
    recorded_stack,
    stack_env,
    stack_logs,
    stack_started,
    start_stack,
    stop_stack,
    up_command,
    wait_for,
)

TOKEN = "lrl_admin_isolation_test"
ON_TIME = timedelta(seconds=5)  # a deadline's phase_closed is recorded within this of the deadline


def _ready(client: httpx.Client, home: Path) -> bool:
    return client.get("/readyz").status_code == 200 and stack_started(home)


def test_two_stacks_with_the_same_dev_port_fire_their_own_deadlines(tmp_path: Path) -> None:
    dev_port = free_port()  # both are configured with it; the second finds it taken
    homes = [tmp_path / "a", tmp_path / "b"]
    ports = [free_port(), free_port()]
    stacks: list[subprocess.Popen[str]] = []
    clients = [
        httpx.Client(
            base_url=f"http://127.0.0.1:{p}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        for p in ports
    ]
    try:
        for home, port, client in zip(homes, ports, clients, strict=True):
            home.mkdir()
            stacks.append(start_stack(home, port, dev_port, TOKEN))
            assert wait_for(lambda c=client, h=home: _ready(c, h)), (
                "a stack did not come up\n" + stack_logs(home)
            )
        campaigns = []
        for client in clients:
            seed_city(client)
            created = quick_campaign(client)
            assert created.status_code == 201, created.text
            campaigns.append(created.json()["id"])

        for home, client, cid in zip(homes, clients, campaigns, strict=True):
            due = deadlines(client, cid)
            assert wait_for(
                lambda c=client, i=cid: {"declaration", "pre_review"} <= closings(c, i).keys(),
                timeout=60,
            ), f"{cid}: the deadlines did not fire\n" + stack_logs(home)
            closed = closings(client, cid)
            for phase in ("declaration", "pre_review"):
                assert len(closed[phase]) == 1 and abs(closed[phase][0] - due[phase]) < ON_TIME, (
                    phase,
                    closed,
                    due,
                )

        for home in homes:
            output = (home / "up.log").read_text()
            assert "exited" not in output, f"a part of {home.name} died\n{output}"
        records = [recorded_stack(home) for home in homes]
        temporal = [r["temporal"] for r in records]
        assert (
            temporal[0]["address"] == f"127.0.0.1:{dev_port}"
            and temporal[1]["address"] != temporal[0]["address"]
        )
        assert (
            temporal[0]["namespace"] != temporal[1]["namespace"]
            and temporal[0]["task_queue"] != temporal[1]["task_queue"]
        )
        for mine, cid in enumerate(campaigns):
            theirs = 1 - mine
            assert (
                workflow_runs(temporal[mine]["address"], temporal[mine]["namespace"], f"campaign-{cid}")
                == 1
            )
            assert (
                workflow_runs(
                    temporal[theirs]["address"], temporal[theirs]["namespace"], f"campaign-{cid}"
                )
                == 0
            )
            assert (
                workflow_runs(
                    temporal[theirs]["address"], temporal[mine]["namespace"], f"campaign-{cid}"
                )
                == 0
            )
            assert "campaign-not-found" not in (
                homes[mine] / ".laurel" / "logs" / "worker.log"
            ).read_text(errors="replace")
        banner = (homes[1] / "up.log").read_text()
        assert temporal[1]["address"] in banner and f"127.0.0.1:{dev_port}" not in banner, banner
    finally:
        outputs = [stop_stack(up, home) for up, home in zip(stacks, homes, strict=False)]
        for client in clients:
            client.close()
    for home, output in zip(homes, outputs, strict=False):
        assert "exited" not in output, f"a part of {home.name} died\n{output}"
        left = subprocess.run(
            ["pgrep", "-f", str(home)], capture_output=True, text=True, check=False
        ).stdout.split()
        assert not left, f"orphans of {home.name}: {left}"


def test_a_second_laurel_up_on_the_same_data_directory_is_refused_while_any_part_of_the_first_runs(
    tmp_path: Path,
) -> None:
    """A second laurel up on the same data directory exits non-zero saying so, and the first
    stack is undisturbed. SIGKILL to the supervisor leaves its parts running, and they still
    hold the lock; once they are gone too, the OS has dropped it: no stale lock file blocks
    the next start. (One stack serves both halves: starting one costs seconds.)"""
    port = free_port()
    up = start_stack(tmp_path, port, free_port(), TOKEN)
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    again: subprocess.Popen[str] | None = None
    parts: dict[str, int] = {}
    try:
        assert wait_for(lambda: _ready(client, tmp_path)), "the stack did not come up\n" + stack_logs(
            tmp_path
        )
        parts = children(up.pid)
        second = subprocess.Popen(
            up_command(free_port()),
            env=stack_env(tmp_path, free_port(), TOKEN),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = second.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            second.send_signal(signal.SIGTERM)  # the supervisor stops what it started
            output, _ = second.communicate(timeout=60)
            raise AssertionError(
                f"a second laurel up on the same data directory kept running\n{output}"
            ) from None
        assert second.returncode != 0, output
        assert "already running" in output and str(tmp_path / ".laurel") in output, output
        assert up.poll() is None and children(up.pid) == parts, (
            "the first stack was disturbed\n" + stack_logs(tmp_path)
        )
        assert client.get("/readyz").status_code == 200
        assert recorded_stack(tmp_path)["pid"] == up.pid
        up.kill()
        up.wait(10)
        refused = subprocess.run(
            up_command(free_port()),
            env=stack_env(tmp_path, free_port(), TOKEN),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert refused.returncode != 0 and "parts it started still run" in refused.stdout, (
            refused.stdout + refused.stderr
        )
        _kill_groups(parts)
        parts = {}
        assert wait_for(
            lambda: (
                not subprocess.run(
                    ["pgrep", "-f", str(tmp_path)], capture_output=True, check=False
                ).stdout
            ),
            timeout=30,
        )
        again = start_stack(tmp_path, port, free_port(), TOKEN)
        assert wait_for(lambda: _ready(client, tmp_path)), (
            "the stack did not start again\n" + stack_logs(tmp_path)
        )
    finally:
        if again is not None:
            stop_stack(again, tmp_path)
        if up.poll() is None:
            stop_stack(up, tmp_path)
        _kill_groups(parts)  # orphans, if the test failed in between
        client.close()


def _kill_groups(parts: dict[str, int]) -> None:
    for pid in parts.values():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
