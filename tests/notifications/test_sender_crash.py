"""``laurel notify send`` as a real process, killed with SIGKILL while a slow SMTP server
receives a batch, and started again: every message arrives exactly once (counted by
Message-ID at the server). A message whose DATA the server had not yet acknowledged when
the sender died is not kept by the server (no 250 was said) and is sent again once its
lease ends. (Between the server's 250 and the sender's commit of "delivered" a kill would
cause a repeat — with the same Message-ID — as with any SMTP client; the kill here lands
while the server still holds a message unanswered.)"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from infra.notifications.mailer import message_id
from infra.settings import Settings
from tests.builders.backends import BACKENDS
from tests.builders.smtp import SmtpServer
from tests.notifications.harness import email, environment, queue_emails, services_for

pytestmark = pytest.mark.slow  # laurel notify send processes, killed and restarted

ROOT = Path(__file__).resolve().parents[2]
COUNT = 40
SENDER = "laurel@localhost"


def start_sender(database_url: str, smtp: SmtpServer, home: Path, log: Path) -> subprocess.Popen[bytes]:
    env = environment(
        Settings(database_url=database_url), home, smtp_host="127.0.0.1", smtp_port=smtp.port
    )
    env["LAUREL_SMTP_TIMEOUT"] = "1"  # the lease of a claimed e-mail: 10 s
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "cli", "notify", "send"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@BACKENDS
def test_sender_killed_mid_batch_and_restarted_delivers_each_once(
    database_url: str, smtp: SmtpServer, tmp_path: Path
) -> None:
    log = tmp_path / "sender.log"
    smtp.delay = 0.2  # a slow server: the batch takes seconds
    with services_for(database_url, **smtp.settings) as services:
        queue_emails(services.notifications, COUNT)
        expected = {message_id(vars(email(n)) | {"channel": "email"}, SENDER) for n in range(COUNT)}
        first = start_sender(database_url, smtp, tmp_path, log)
        try:
            wait_for(lambda: len(smtp.messages()) >= 10, 60, "the first messages")
            # Killed while the server holds the next message unanswered (half its delay on):
            # right after a message is kept, the sender may not have marked it yet, and no
            # sender can close that gap between the server's 250 and its own commit.
            time.sleep(smtp.delay / 2)
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            first.kill()
        assert len(smtp.messages()) < COUNT, "the kill came too late to be mid-batch"
        second = start_sender(database_url, smtp, tmp_path, log)
        try:
            wait_for(
                lambda: (
                    {r["status"] for r in services.notifications.deliveries(limit=200)} == {"delivered"}
                ),
                90,
                f"every delivery ({log.read_text(errors='replace')[-2000:]})",
            )
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(20)
        ids = Counter(smtp.message_ids())
        assert set(ids) == expected
        assert max(ids.values()) == 1, [i for i, n in ids.items() if n > 1]
