"""Fixtures of the webhook tests (the harness is tests/webhooks/harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.webhooks.harness import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.stop()
