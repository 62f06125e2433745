"""CampaignWorkflow (``campaign-<id>``): walks the campaign's phases with durable timers.

Each phase opens at its opening and closes at its deadline; closing lapses what still waits
on it. Reminders (``campaign.deadline_approaching``) go out at configurable offsets before
each deadline. When declaration closes, the townships that declared nothing are recorded.
When commendation closes, commended nominations go up to the parent campaign, and a cohort
re-inspection workflow starts for each category whose titles are re-inspected yearly.
An Update ``extend_deadline`` moves a deadline (validated here, decided by the domain in an
activity), and every timer is recomputed from the new deadlines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.nominations import one_year_later
    from workflows.activities import CampaignActivities
    from workflows.contracts import (
        RETRY,
        CampaignRun,
        CampaignStatus,
        CampaignStep,
        ExtendDeadline,
        ExtensionRequest,
        PhaseStep,
        PhaseWindow,
        ReinspectionCycle,
        Reminder,
        reinspection_workflow_id,
    )
    from workflows.reinspection import ReinspectionWorkflow

ACTIVITY_TIMEOUT = timedelta(minutes=10)


@workflow.defn
class CampaignWorkflow:
    def __init__(self) -> None:
        self.campaign_id = ""
        self.phases: list[PhaseWindow] = []
        self.current: str | None = None
        self.finished = False
        self.changed = False

    # --- queries and updates -------------------------------------------------------------

    @workflow.query
    def current_phase(self) -> CampaignStatus:
        return CampaignStatus(
            campaign_id=self.campaign_id,
            current_phase=self.current,
            phases=self.phases,
            finished=self.finished,
        )

    @workflow.update
    async def extend_deadline(self, request: ExtendDeadline) -> CampaignStatus:
        status = await workflow.execute_activity_method(
            CampaignActivities.extend_deadline,
            ExtensionRequest(
                campaign_id=self.campaign_id,
                phase=request.phase,
                closes_at=request.closes_at,
                reason=request.reason,
                actor=request.actor,
                at=workflow.now(),
            ),
            schedule_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        known = {p.code: p.status for p in self.phases}
        self.phases = [
            p.model_copy(update={"status": known.get(p.code, p.status)}) for p in status.phases
        ]
        self.changed = True
        return self.current_phase()

    @extend_deadline.validator
    def validate_extension(self, request: ExtendDeadline) -> None:
        """Cheap checks before anything is recorded; the domain re-checks in the activity."""
        codes = [p.code for p in self.phases]
        if request.phase not in codes:
            raise ValueError(f"unknown phase {request.phase!r}")
        phase = self.phases[codes.index(request.phase)]
        if not request.reason.strip():
            raise ValueError("a deadline extension needs a reason")
        if request.actor.get("role") not in ("reviewer", "system"):
            raise ValueError("only a reviewer of the organiser unit extends deadlines")
        if phase.status == "closed" or phase.closes_at <= workflow.now():
            raise ValueError(f"phase {request.phase!r} has already closed")
        if request.closes_at <= workflow.now() or request.closes_at <= phase.closes_at:
            raise ValueError("the new deadline must be later than the current one and not in the past")
        index = codes.index(request.phase)
        if index + 1 < len(self.phases) and request.closes_at >= self.phases[index + 1].closes_at:
            raise ValueError("the new deadline must fall before the next phase closes")

    # --- the run ---------------------------------------------------------------------------

    def _phase(self, code: str) -> PhaseWindow:
        return next(p for p in self.phases if p.code == code)

    def _set_status(self, code: str, status: str) -> None:
        self.phases = [
            p.model_copy(update={"status": status}) if p.code == code else p for p in self.phases
        ]

    async def _sleep_until(self, instant: Callable[[], datetime]) -> bool:
        """Sleeps until ``instant()``; wakes early (returning False) when a deadline changed."""
        remaining = (instant() - workflow.now()).total_seconds()
        if remaining <= 0:
            return True
        self.changed = False
        try:
            await workflow.wait_condition(lambda: self.changed, timeout=timedelta(seconds=remaining))
        except TimeoutError:
            return True
        return False

    async def _call(self, method: Callable, arg: object) -> object:
        return await workflow.execute_activity_method(
            method, arg, schedule_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )

    async def _run_phase(self, run: CampaignRun, code: str) -> None:
        while not await self._sleep_until(lambda: self._phase(code).opens_at):
            pass
        await self._call(
            CampaignActivities.open_phase,
            PhaseStep(campaign_id=run.campaign_id, phase=code, at=workflow.now()),
        )
        self._set_status(code, "open")
        self.current = code
        while True:
            closes_at = self._phase(code).closes_at
            now = workflow.now()
            if now >= closes_at:
                break
            upcoming = sorted(
                closes_at - timedelta(seconds=o)
                for o in run.reminder_offsets_seconds
                if closes_at - timedelta(seconds=o) > now
            )
            target = upcoming[0] if upcoming else closes_at

            def until_target(t: datetime = target) -> datetime:
                return t

            if not await self._sleep_until(until_target):
                continue  # a deadline moved: recompute
            for offset in run.reminder_offsets_seconds:
                if (
                    self._phase(code).closes_at - timedelta(seconds=offset) == target
                    and workflow.now() < self._phase(code).closes_at
                ):
                    await self._call(
                        CampaignActivities.remind,
                        Reminder(
                            campaign_id=run.campaign_id,
                            phase=code,
                            offset_seconds=offset,
                            at=workflow.now(),
                        ),
                    )
        await self._call(
            CampaignActivities.close_phase,
            PhaseStep(campaign_id=run.campaign_id, phase=code, at=workflow.now()),
        )
        self._set_status(code, "closed")
        self.current = None
        if run.steps.get("declaration") == code:
            await self._call(
                CampaignActivities.record_silent_units,
                CampaignStep(campaign_id=run.campaign_id, at=workflow.now()),
            )
        if run.steps.get("commendation") == code:
            await self._after_commendation(run)

    async def _after_commendation(self, run: CampaignRun) -> None:
        if run.has_parent:
            await self._call(
                CampaignActivities.forward_commended,
                CampaignStep(campaign_id=run.campaign_id, at=workflow.now()),
            )
        anniversary = one_year_later(self._phase(run.steps["commendation"]).closes_at)
        for plan in run.reinspection:
            await workflow.start_child_workflow(
                ReinspectionWorkflow.run,
                ReinspectionCycle(
                    campaign_id=run.campaign_id,
                    category=plan.category,
                    anniversary=anniversary,
                    due_ahead_days=plan.due_ahead_days,
                ),
                id=reinspection_workflow_id(run.campaign_id, plan.category),
                task_queue=workflow.info().task_queue,  # this stack's queue: its worker holds this campaign's store
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )

    @workflow.run
    async def run(self, run: CampaignRun) -> CampaignStatus:
        self.campaign_id = run.campaign_id
        self.phases = list(run.phases)
        for code in [p.code for p in run.phases]:
            if self._phase(code).status == "closed":
                continue
            await self._run_phase(run, code)
        self.finished = True
        return self.current_phase()
