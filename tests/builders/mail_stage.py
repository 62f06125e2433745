"""The notification e2e tests' stage: the Temporal time-skipping server as the workflow tests
use it (tests/workflows/harness.py), with the application on a clock the test moves to the
server's time, so commands over HTTP (the app's clock) and the workflow's timers (the
server's) agree after the server skipped days; the notifier run round by round; and the
e-mails a test SMTP server received, read back as a mail client reads them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from infra.bootstrap import bootstrap
from infra.notifications.sender import Notifier
from infra.settings import Settings
from infra.temporal import binary
from tests.builders.clock import Clock
from tests.builders.smtp import Received
from tests.workflows.harness import ADMIN_TOKEN, TASK_QUEUE, Stage

SENDER = "pingxuan@laurel.example.org"


@asynccontextmanager
async def clocked_stage(
    tmp: Path, clock: Clock, database_url: str | None = None, **overrides: Any
) -> AsyncIterator[Stage]:
    """``stage`` of tests/workflows/harness.py, its application on ``clock`` (set it with
    ``await sync(stage, clock)``) over ``database_url`` (default: a SQLite file in ``tmp``);
    ``overrides``: settings (the SMTP server's)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=binary("temporal-test-server")
    )
    settings = Settings(
        database_url=database_url or f"sqlite:///{tmp / 'laurel.sqlite3'}",
        admin_token=ADMIN_TOKEN,
        auth_failure_limit="100000/minute",
        temporal_address=env.client.service_client.config.target_host,
        temporal_task_queue=TASK_QUEUE,
        **overrides,
    )
    services = bootstrap(settings, configure_logs=False, clock=clock)
    try:
        yield Stage(env, services, tmp)
    finally:
        services.close()
        await env.shutdown()


async def sync(stage: Stage, clock: Clock) -> datetime:
    """The application's clock set to the Temporal server's time (it only moves forward)."""
    now = await stage.now()
    clock.now = max(clock.now, now)
    return clock.now


def drain(notifier: Notifier) -> int:
    """Notifier rounds until one does nothing: the outbox fanned out, due e-mails sent."""
    done = 0
    for _ in range(100):
        worked = notifier.run_once()
        if not worked:
            return done
        done += worked
    raise AssertionError("the notifier never became idle")


def mails_to(received: Iterable[Received], address: str) -> list[EmailMessage]:
    """The messages (``SmtpServer.messages()``) whose envelope went to ``address``, parsed,
    in the order they arrived."""
    return [r.parsed() for r in received if address in r.rcpt_tos]


def text_of(message: EmailMessage) -> str:
    """The text/plain part as a mail client shows it (transfer encoding and charset undone)."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def assert_well_formed(message: EmailMessage, to: str, sender: str = SENDER) -> str:
    """The headers a mail client relies on, decoded; returns the subject (as shown)."""
    assert parseaddr(str(message["From"]))[1] == sender, message["From"]
    assert parseaddr(str(message["To"]))[1] == to, message["To"]
    sent = parsedate_to_datetime(str(message["Date"]))
    assert sent.tzinfo is not None, message["Date"]
    message_id = str(message["Message-ID"])
    assert message_id.startswith("<") and message_id.endswith(">"), message_id
    assert message_id.count("@") == 1 and message_id.endswith(f"@{sender.rpartition('@')[2]}>")
    assert message.get_content_type() == "text/plain", message.get_content_type()
    assert message.get_content_charset() == "utf-8", message["Content-Type"]
    assert message.get("Auto-Submitted") == "auto-generated"
    subject = str(message["Subject"])
    assert "=?" not in subject, subject  # decoded by the parser: no encoded-word left over
    return subject
