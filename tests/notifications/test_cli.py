"""``laurel notify log`` and ``laurel notify retry`` as an operator runs them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infra.notifications.sender import build_notifier
from tests.builders.cli import laurel
from tests.builders.smtp import SmtpServer
from tests.notifications.harness import environment, queue_emails, services_for


def test_log_masks_addresses_and_retry_requeues_a_failed_email(
    database_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    smtp.refuse["zhang.san@example.cn"] = "550 5.1.1 no such user"
    with services_for(database_url, **smtp.settings) as services:
        queue_emails(services.notifications, 1)
        build_notifier(services).run_once()
    shown = laurel(database_url, tmp_path, "notify", "log", "--attempts", "--json")
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)
    assert row["status"] == "failed" and row["address"] == "z***@example.cn"
    assert "zhang.san" not in shown.stdout
    assert row["log"][0]["smtp_code"] == 550
    again = laurel(database_url, tmp_path, "notify", "retry", str(row["id"]))
    assert again.returncode == 0, again.stdout + again.stderr
    twice = laurel(database_url, tmp_path, "notify", "retry", str(row["id"]))
    assert twice.returncode == 1 and "no failed e-mail" in twice.stdout
    table = laurel(database_url, tmp_path, "notify", "log")
    assert table.returncode == 0 and "pending" in table.stdout


def test_retry_counts_attempts_afresh_and_failed_requeues_every_one(
    database_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    with services_for(database_url, **smtp.settings) as services:
        store = services.notifications
        queue_emails(store, 2, address="nobody@example.cn")
        smtp.refuse["nobody@example.cn"] = "550 5.1.1 no such user: nobody@example.cn"
        build_notifier(services).run_once()
        rows = store.deliveries(with_attempts=True)
        assert {(r["status"], r["attempts"]) for r in rows} == {("failed", 1)}
        assert all("nobody@" not in r["log"][0]["error"] for r in rows)
        assert all("n***@example.cn" in r["log"][0]["error"] for r in rows)
        again = laurel(database_url, tmp_path, "notify", "retry", "--failed")
        assert again.returncode == 0 and "2 failed" in again.stdout, again.stdout + again.stderr
        assert {(r["status"], r["attempts"]) for r in store.deliveries()} == {("pending", 0)}
        neither = laurel(database_url, tmp_path, "notify", "retry")
        assert neither.returncode == 2


@pytest.mark.slow
def test_sigterm_lets_the_message_in_flight_settle(
    database_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    smtp.delay = 1.5  # the server holds each message a while before its 250
    with services_for(database_url, **smtp.settings) as services:
        queue_emails(services.notifications, 3)
        env = environment(services.settings, tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port)
        sender = subprocess.Popen([sys.executable, "-m", "cli", "notify", "send"], env=env)
        try:
            deadline = time.monotonic() + 60
            while not any(r["status"] == "sending" for r in services.notifications.deliveries()):
                assert time.monotonic() < deadline and sender.poll() is None
                time.sleep(0.05)
            sender.send_signal(signal.SIGTERM)
            assert sender.wait(30) == 0
        finally:
            sender.kill()
        statuses = sorted(r["status"] for r in services.notifications.deliveries())
        assert statuses == ["delivered", "pending", "pending"]  # settled, the rest left queued
        assert len(smtp.messages()) == 1
