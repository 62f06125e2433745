"""Fixtures of the notification tests: a real SMTP server (tests/builders/smtp.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.builders.smtp import SmtpServer, smtp_server


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as server:
        yield server
