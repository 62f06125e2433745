"""ReinspectionWorkflow (``reinspection-<campaign>-<category>``): the yearly re-inspection of
one campaign's titles (they share their anniversary, so one cohort workflow serves them all).

``due_ahead_days`` before the anniversary every active title falls due
(``nomination.reinspection_due``), in batches of activities; at the anniversary every title
still waiting is revoked as not re-inspected. A passing re-inspection keeps a title another
year and a failing one revokes it at once (the domain does both). The workflow then
continues as new for the next anniversary while titles remain, so its history stays
bounded (a few events per batch, one cycle per run)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.nominations import one_year_later
    from workflows.activities import CampaignActivities
    from workflows.contracts import RETRY, BatchOutcome, ReinspectionCycle, TitleBatch

ACTIVITY_TIMEOUT = timedelta(minutes=30)


@workflow.defn
class ReinspectionWorkflow:
    def __init__(self) -> None:
        self.stage = "waiting"
        self.revoked: list[str] = []

    @workflow.query
    def progress(self) -> dict[str, object]:
        return {"stage": self.stage, "revoked": len(self.revoked)}

    async def _sleep_until(self, instant: datetime) -> None:
        remaining = (instant - workflow.now()).total_seconds()
        if remaining > 0:
            await asyncio.sleep(remaining)

    async def _batches(
        self,
        method: Callable[[CampaignActivities, TitleBatch], BatchOutcome],
        cycle: ReinspectionCycle,
        stage: str,
        due_by: datetime | None,
    ) -> list[str]:
        offset: int | None = 0
        touched: list[str] = []
        while offset is not None:
            anniversary = cycle.anniversary.date().isoformat()
            key = f"{cycle.campaign_id}:{cycle.category}:{anniversary}:{stage}:{offset}"
            batch = TitleBatch(
                campaign_id=cycle.campaign_id,
                category=cycle.category,
                offset=offset,
                limit=cycle.batch_size,
                due_by=due_by,
                at=workflow.now(),
                key=key,
            )
            outcome: BatchOutcome = await workflow.execute_activity_method(
                method, batch, schedule_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
            )
            touched.extend(outcome.ids)
            offset = outcome.next_offset
        return touched

    @workflow.run
    async def run(self, cycle: ReinspectionCycle) -> dict[str, object]:
        await self._sleep_until(cycle.anniversary - timedelta(days=cycle.due_ahead_days))
        self.stage = "due"
        await self._batches(CampaignActivities.mark_reinspections_due, cycle, "due", cycle.anniversary)
        self.stage = "awaiting_anniversary"
        await self._sleep_until(cycle.anniversary)
        self.stage = "revoking"
        self.revoked = await self._batches(
            CampaignActivities.revoke_unreinspected, cycle, "revoke", None
        )
        probe = TitleBatch(
            campaign_id=cycle.campaign_id,
            category=cycle.category,
            offset=0,
            limit=0,
            at=workflow.now(),
            key="count",
        )
        remaining = await workflow.execute_activity_method(
            CampaignActivities.count_active_titles,
            probe,
            schedule_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        self.stage = "done"
        if remaining:
            workflow.continue_as_new(
                cycle.model_copy(
                    update={"anniversary": one_year_later(cycle.anniversary), "year": cycle.year + 1}
                )
            )
        # Counts: 100,000 ids would pass Temporal's 2 MB payload limit.
        return {"year": cycle.year, "revoked": len(self.revoked), "active": remaining}
