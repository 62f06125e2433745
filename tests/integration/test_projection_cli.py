"""The projection and audit commands as an operator runs them: real processes on a real store.

The runner is killed with SIGKILL while it works through the log; a new one resumes from its
tracked position, and the views then equal a rebuild (nothing skipped, nothing counted twice).
``audit verify`` exits 1 naming the position of a stored event altered in the database."""

from __future__ import annotations

import hashlib
import itertools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from domain.commands import RegisterUnit
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.cli import laurel, laurel_env
from tests.builders.scripted import LATER, scripted_campaign
from tests.builders.services import running_services
from tests.builders.tree import TOWNSHIP

pytestmark = [BACKENDS, pytest.mark.slow]  # laurel processes


def test_a_killed_runner_resumes_without_skipping_or_double_counting(
    database_url: str, tmp_path: Path
) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        for i in range(300):  # a longer log, so that the kill lands mid-way
            services.app.execute(
                RegisterUnit(
                    code=f"{TOWNSHIP}-xincun-{i}",
                    name=f"Village x{i}",
                    name_zh=f"新村{i}",
                    level="village",
                    parent_id=TOWNSHIP,
                ),
                ADMIN,
            )
        services.views.runner.reset()
        total = services.views.store.max_notification_id()
        env = laurel_env(database_url, tmp_path)
        runner = subprocess.Popen(
            [sys.executable, "-m", "cli", "projections", "run", "--batch-size", "3", "--poll", "0.05"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while min(services.views.lag().values()) >= total - 20 and time.monotonic() < deadline:
                time.sleep(0.01)
            runner.send_signal(signal.SIGKILL)
            runner.wait(10)
        finally:
            runner.kill()
        lag = services.views.lag()
        assert 0 < min(lag.values()) < total, f"the runner should die mid-log (lag {lag} of {total})"
        resumed = subprocess.Popen(
            [sys.executable, "-m", "cli", "projections", "run", "--batch-size", "7"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while max(services.views.lag().values()) > 0 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            resumed.send_signal(signal.SIGTERM)
            resumed.wait(20)
        assert max(services.views.lag().values()) == 0
    result = laurel(database_url, tmp_path, "projections", "rebuild", "--verify")
    assert result.returncode == 0, result.stderr
    assert "equal a rebuild" in result.stderr


def test_audit_commands_verify_export_and_name_a_tampered_position(
    database_url: str, tmp_path: Path
) -> None:
    with running_services(database_url, clock=lambda: LATER) as services:
        scripted_campaign(services)
        entries = services.views.audit_entries(limit=1000)
        store = services.views.store
    verified = laurel(database_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "intact" in verified.stderr, verified.stderr
    exported = laurel(database_url, tmp_path, "audit", "export", "-o", str(tmp_path / "log.jsonl"))
    assert exported.returncode == 0, exported.stderr
    lines = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["hash"] for r in lines] == [e.hash for e in entries]
    assert all(r["prev_hash"] == p["hash"] for p, r in itertools.pairwise(lines))
    previous = "0" * 64  # the auditor's independent check, as the README shows it
    for r in lines:
        canonical = json.dumps(
            {
                "position": r["position"],
                "originator_id": r["subject"],
                "originator_version": r["version"],
                "topic": r["topic"],
                "state_sha256": hashlib.sha256(r["state"].encode()).hexdigest(),
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        assert hashlib.sha256((previous + canonical).encode()).hexdigest() == r["hash"], r["position"]
        previous = r["hash"]
    target = entries[len(entries) // 2]
    with running_services(database_url) as services, services.views.store.transaction() as sql:
        sql.execute(
            f"UPDATE {store.events_table} SET topic = topic || ' ' "
            f"WHERE {store.notification_column} = ?",
            (target.notification_id,),
        )
    broken = laurel(database_url, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert f"position {target.position}" in broken.stderr
