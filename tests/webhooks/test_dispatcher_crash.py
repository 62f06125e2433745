"""``laurel webhooks dispatch`` as a real process, killed with SIGKILL in the middle of a batch
and started again: every event still arrives (at least once, the same webhook-id on a
repeat, in order per nomination)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from domain.commands import CreateWebhook
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.webhooks.harness import (
    Receiver,
    environment,
    fast_settings,
    nomination_events,
    services_for,
    wait_for,
)
from tests.webhooks.test_delivery import assert_in_order_per_subject, expected_events

pytestmark = pytest.mark.slow  # laurel webhooks dispatch processes, killed and restarted

ROOT = Path(__file__).resolve().parents[2]


def start_dispatcher(database_url: str, home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = environment(fast_settings(database_url), home)
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "webhooks", "dispatch"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def alive(process: subprocess.Popen[bytes], log: Path) -> bool:
    """False while ``process`` runs; fails the test with its log when it died."""
    assert process.poll() is None, (
        f"the dispatcher exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}"
    )
    return False


@BACKENDS
def test_dispatcher_killed_mid_batch_and_restarted_loses_nothing(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    log = tmp_path / "dispatcher.log"
    with services_for(database_url) as services:
        created = services.app.execute(
            CreateWebhook(url=receiver.url, event_types=["nomination.*"], description="crash test"),
            ADMIN,
        )
        receiver.start(created["secret"])
        receiver.control(delay=0.1)  # a slow consumer: a batch takes a while
        first = start_dispatcher(database_url, tmp_path, log)
        try:
            nomination_events(services.app, 50)
            expected = expected_events(services, "nomination.")
            assert len(expected) == 200
            wait_for(
                lambda: len(receiver.accepted()) >= 40 or alive(first, log), 60, "the first deliveries"
            )
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            delivered_before = {r["ce_id"] for r in receiver.accepted()}
            assert len(delivered_before) < 200, "the kill came too late to be mid-batch"
            second = start_dispatcher(database_url, tmp_path, log)
            try:
                wait_for(
                    lambda: (
                        {r["ce_id"] for r in receiver.accepted()} >= set(expected) or alive(second, log)
                    ),
                    90,
                    "every event after the restart",
                )
            finally:
                second.terminate()
                second.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait(10)
    records = receiver.log()
    assert all(r["verified"] == [True] for r in records)
    accepted = [r for r in records if r["answered"] == 200]
    assert {r["ce_id"] for r in accepted} == set(expected)
    assert_in_order_per_subject(accepted)
    webhook_ids: dict[str, set[str]] = defaultdict(set)
    for record in records:
        webhook_ids[record["ce_id"]].add(record["webhook_id"])
    assert all(ids == {ce_id} for ce_id, ids in webhook_ids.items())
    assert first.returncode == -signal.SIGKILL
    assert b"delivery attempt" in log.read_bytes()
