"""Webhook test harness: a receiver process, settings with a schedule of seconds, a dispatcher
running in a thread (or as a ``laurel webhooks dispatch`` process), and a world to make events."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from domain.commands import Inspect, PreReview, Withdraw
from infra.bootstrap import Services, bootstrap
from infra.settings import Settings
from infra.webhooks import build_dispatcher
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.http import ADMIN_TOKEN, free_port
from tests.builders.world import World

RECEIVER = Path(__file__).with_name("receiver.py")
# Retries every second or less: the ~3-day production schedule, shrunk to ~20 s.
FAST = {
    "webhook_allow_private": True,
    "webhook_retry_schedule": "0.2,0.4,0.6,0.8,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
    "webhook_retry_jitter": 0.1,
    "webhook_timeout": 2.0,
    "webhook_poll_interval": 0.05,
}


def fast_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings(database_url=database_url, admin_token=ADMIN_TOKEN, **{**FAST, **overrides})


def environment(settings: Settings, home: Path) -> dict[str, str]:
    """The LAUREL_* environment of ``settings`` for a ``laurel`` process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAUREL_")}
    env.update(
        {f"LAUREL_{k.upper()}": str(int(v) if isinstance(v, bool) else v) for k, v in FAST.items()}
    )
    env.update(
        LAUREL_DATABASE_URL=settings.database_url,
        LAUREL_HOME_DIR=str(home),
        LAUREL_LOG_FORMAT="json",
        LAUREL_WEBHOOK_TIMEOUT=str(settings.webhook_timeout),
    )
    return env


@contextmanager
def services_for(database_url: str, **overrides: Any) -> Iterator[Services]:
    services = bootstrap(fast_settings(database_url, **overrides), configure_logs=False)
    try:
        yield services
    finally:
        services.close()


class Receiver:
    """The receiver process (tests/webhooks/receiver.py) on a free loopback port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.process: subprocess.Popen[str] | None = None

    def start(self, *secrets: str) -> Receiver:
        self.process = subprocess.Popen(
            [sys.executable, str(RECEIVER), str(self.port), *secrets],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def control(self, **script: Any) -> None:
        httpx.post(f"http://127.0.0.1:{self.port}/_control", json=script, timeout=5).raise_for_status()

    def log(self) -> list[dict[str, Any]]:
        return httpx.get(f"http://127.0.0.1:{self.port}/_log", timeout=5).json()

    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.log() if 200 <= r["answered"] < 300]


@contextmanager
def dispatching(services: Services, **kwargs: Any) -> Iterator[Any]:
    """A dispatcher over ``services`` in a thread of the test process (own store connection)."""
    dispatcher = build_dispatcher(services, **kwargs)
    stop = threading.Event()
    thread = threading.Thread(
        target=lambda: asyncio.run(dispatcher.run(stop, services.settings.webhook_poll_interval)),
        daemon=True,
    )
    thread.start()
    try:
        yield dispatcher
    finally:
        stop.set()
        thread.join(15)
        dispatcher.store.close()


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def nomination_events(app: Any, nominations: int) -> list[str]:
    """``nominations`` declarations, then each pre-reviewed, inspected and withdrawn: four
    nomination events apiece, interleaved across nominations. Returns the nomination ids."""
    world = World(app)
    city = world.city(townships=2, villages=(nominations + 1) // 2)
    campaign = world.campaign()
    villages = [(t, v) for t in city.townships for v in city.villages[t]][:nominations]
    ids = [world.declare(campaign, village, declaring_unit=town) for town, village in villages]
    for nid in ids:
        app.execute(
            PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
    for nid in ids:
        app.execute(
            Inspect(
                nomination_id=nid,
                methods=["document_review", "site_visit"],
                scores=site_scores(90),
                checklist=SITE_CHECKLIST,
                verdict="pass",
            ),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.inspection,
        )
    for (town, _), nid in zip(villages, ids, strict=True):
        app.execute(
            Withdraw(nomination_id=nid, reason="站点合并 / sites merged"),
            declarer_of(town),
            at=FIVE_GOOD_2022.inspection + timedelta(hours=1),
        )
    return ids
