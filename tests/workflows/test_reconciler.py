"""No campaign without its workflow, and no workflow twice (time-skipping server): the
reconciler starts the workflow of a campaign that never had one and nothing else — not one
Temporal has running, not one an operator terminated, not one that ran to its end; and a
repeated campaign POST (its Idempotency-Key replayed) after the workflow finished does not
start it again."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import WorkflowExecutionStatus

from domain.commands import CreateCampaign
from infra.scheduling import CampaignScheduler
from infra.temporal import start_campaign_workflow
from tests.builders.actors import ADMIN
from tests.builders.tree import CITY, COUNTY
from tests.workflows.harness import DAY, TASK_QUEUE, city, stage
from workflows.contracts import campaign_workflow_id

QUICK = dict.fromkeys(("declaration", "pre_review", "inspection", "commendation"), 86400)
AFTER_THE_END = 4 * DAY + timedelta(hours=1)


def test_the_reconciler_starts_only_the_workflows_that_never_ran(tmp_path):
    asyncio.run(reconciling(tmp_path))


async def reconciling(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        city(app, villages=1)
        start = await s.now()
        missing = app.execute(
            CreateCampaign(
                template="five-good-sites", organiser_unit_id=CITY, starts_at=start, durations=QUICK
            ),
            ADMIN,
            at=start,
        )["id"]  # its start never reached Temporal
        later = start + 30 * DAY
        stopped = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=COUNTY,
                starts_at=later,
                durations=QUICK,
            ),
            ADMIN,
            at=start,
        )["id"]

        def scheduler() -> CampaignScheduler:  # a fresh worker process: nothing confirmed yet
            return CampaignScheduler(app, None, client=s.env.client, task_queue=TASK_QUEUE)

        async with s.worker():
            running = await s.start(stopped)
            reconciler = scheduler()
            assert await reconciler.reconcile() == [missing]
            assert await reconciler.reconcile() == []
            assert await scheduler().reconcile() == []  # Temporal has both now
            handle = s.env.client.get_workflow_handle(campaign_workflow_id(missing))
            first_run = (await handle.describe()).run_id
            await s.env.sleep(AFTER_THE_END)
            assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
            # After the last sleep: the test server stops skipping time once a workflow is terminated.
            await running.terminate(reason="stopped by an operator")
            # Neither the finished one nor the terminated one (its phases still scheduled).
            assert await scheduler().reconcile() == []
            # A late duplicate start.
            await start_campaign_workflow(s.env.client, app.get_campaign(missing), task_queue=TASK_QUEUE)
            described = await handle.describe()
            assert (described.run_id, described.status) == (first_run, WorkflowExecutionStatus.COMPLETED)
            assert (await running.describe()).status == WorkflowExecutionStatus.TERMINATED
        kinds = [type(e).__name__ for e in app.events.get(app.get_campaign(missing).id)]
        assert kinds.count("PhaseClosed") == 4 and kinds.count("PhaseOpened") == 4


def test_a_replayed_campaign_post_after_the_workflow_finished_starts_nothing(tmp_path):
    asyncio.run(replaying(tmp_path))


async def replaying(tmp_path):
    async with stage(tmp_path) as s, s.worker(), s.api() as admin:
        city(s.app, villages=1)
        body = {
            "template": "five-good-sites",
            "organiser_unit_id": CITY,
            "starts_at": (await s.now()).isoformat(),
            "durations": QUICK,
        }
        key = {"Idempotency-Key": "campaign-2026"}
        created = await admin.post("/v1/campaigns", json=body, headers=key)
        assert created.status_code == 201
        handle = s.env.client.get_workflow_handle(campaign_workflow_id(created.json()["id"]))
        first_run = (await handle.describe()).run_id
        await s.env.sleep(AFTER_THE_END)
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        replayed = await admin.post("/v1/campaigns", json=body, headers=key)
        assert replayed.status_code == 200 and replayed.json()["id"] == created.json()["id"]
        described = await handle.describe()
        assert (described.run_id, described.status) == (
            first_run,
            WorkflowExecutionStatus.COMPLETED,
        ), "the finished workflow ran again"
