"""CampaignWorkflow (``campaign-<id>``): walks the campaign's phases with durable timers.

Each phase opens at its opening and closes at its deadline; closing lapses what still waits
on it. Reminders (``campaign.deadline_approaching``) go out at configurable offsets before
each deadline. When declaration closes, the townships that declared nothing are recorded.
When commendation closes, commended nominations go up to the parent campaign, and a cohort
re-inspection workflow starts for each category whose titles are re-inspected yearly.

Since the patch ``ESCALATION`` (issue 24), the declaration's close starts the child workflow
``escalation-<campaign>`` (workflows/escalation.py, abandoned by this one): the townships still
silent are escalated along the campaign's ladder while the phases go on, and this workflow's
completion does not wait for the ladder's last step.

Deadlines are the domain's: an extension is recorded by the ``ExtendDeadline`` command, then
the signal ``refresh_deadlines`` tells the workflow, which reads the recorded phase windows
(an activity) and recomputes every timer. Since the patch ``READ_RECORDED_DEADLINES`` it also
reads them whenever a timer fires, before acting on it, so an extension whose signal never
arrived (Temporal was away) is followed all the same. Histories recorded before the patch
hold the retired Update ``extend_deadline`` and replay through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from domain.nominations import one_year_later
    from workflows.activities import (
        CampaignActivities,
        CorrectionsOutcome,  # issue 23, item 3
        DutyBatch,
        OverdueOutcome,
        PublicityOutcome,
    )
    from workflows.contracts import (
        RETRY,
        CampaignRef,
        CampaignRun,
        CampaignStatus,
        CampaignStep,
        ExtensionRequest,
        ExtensionUpdate,
        LapseBatch,
        LapseOutcome,
        PhaseStep,
        PhaseWindow,
        ReinspectionCycle,
        Reminder,
        reinspection_workflow_id,
    )
    from workflows.escalation import EscalationWorkflow, escalation_workflow_id
    from workflows.reinspection import ReinspectionWorkflow

ACTIVITY_TIMEOUT = timedelta(minutes=10)
READ_RECORDED_DEADLINES = "read-recorded-deadlines"  # patch id: read the windows when a timer fires
LAPSE_IN_BATCHES = "lapse-in-batches"  # patch id: close, then lapse the waiting a batch per activity
LAPSE_BATCH = 500
DUTIES_OVERDUE = "duties-overdue"  # patch id: record duties overdue at their deadlines (issue 21)
PUBLICITY = "publicity"  # patch id: close the 公示 periods, grant, remind of objections (issue 23)
CORRECTIONS = "corrections"  # patch id: reopened windows close on time; a cancellation ends the run
ESCALATION = "escalation"  # patch id: the silent townships escalated along the ladder (issue 24)


@workflow.defn
class CampaignWorkflow:
    def __init__(self) -> None:
        self.campaign_id = ""
        self.phases: list[PhaseWindow] = []
        self.current: str | None = None
        self.finished = False
        self.changed = False  # set by the retired Update (replay only)
        self.stale = False  # the recorded deadlines moved since they were last read
        self.escalates = False  # decided once, when the run starts (patch ``escalation``)

    # --- query, signal and the retired update ------------------------------------------------

    @workflow.query
    def current_phase(self) -> CampaignStatus:
        return CampaignStatus(
            campaign_id=self.campaign_id,
            current_phase=self.current,
            phases=self.phases,
            finished=self.finished,
        )

    @workflow.signal
    def campaign_cancelled(self) -> None:
        """The domain recorded the campaign's cancellation: the run ends (patch ``corrections``)."""
        self.cancelled = True

    @workflow.signal
    def refresh_deadlines(self) -> None:
        """The domain recorded a new deadline: read the phase windows before the next timer."""
        self.stale = True

    @workflow.update
    async def extend_deadline(self, request: ExtensionUpdate) -> CampaignStatus:
        """Retired: histories recorded before ``ExtendDeadline`` became a domain command
        replay through it (its validator, which refuses every new call, is not run on replay)."""
        status: CampaignStatus = await workflow.execute_activity(
            "extend_deadline",
            ExtensionRequest(
                campaign_id=self.campaign_id,
                phase=request.phase,
                closes_at=request.closes_at,
                reason=request.reason,
                actor=request.actor,
                at=workflow.now(),
            ),
            result_type=CampaignStatus,
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
    def refuse_extension(self, request: ExtensionUpdate) -> None:
        raise ValueError(
            "deadline extensions are domain commands now: "
            "POST /v1/campaigns/{id}/phases/{phase}/extension"
        )

    # --- the run ---------------------------------------------------------------------------

    def _phase(self, code: str) -> PhaseWindow:
        return next(p for p in self.phases if p.code == code)

    def _set_status(self, code: str, status: str) -> None:
        self.phases = [
            p.model_copy(update={"status": status}) if p.code == code else p for p in self.phases
        ]

    async def _sleep_until(self, instant: Callable[[], datetime]) -> bool:
        """Sleeps until ``instant()``; wakes early (returning False) when the signal asks for a
        read of the deadlines (or, replaying, when the retired Update moved one)."""
        remaining = (instant() - workflow.now()).total_seconds()
        if remaining <= 0:
            return True
        self.changed = False
        try:
            await workflow.wait_condition(
                lambda: self.changed or self.stale, timeout=timedelta(seconds=remaining)
            )
        except TimeoutError:
            return True
        return False

    async def _wait_until(self, instant: Callable[[], datetime]) -> bool:
        """True once ``instant()`` has come by the recorded deadlines; False when they moved
        or may have (the caller recomputes what it waits for). The windows are read when the
        signal said so and, since the patch, whenever a timer fired. ``patched`` is decided
        once per run: a run begun before the patch follows extensions by the signal only."""
        if not self.stale:
            timer = instant() > workflow.now()
            due = await self._sleep_until(instant)
            if not (self.stale or (timer and due and workflow.patched(READ_RECORDED_DEADLINES))):
                return due
        moved = await self._read_deadlines()
        return not moved and instant() <= workflow.now()

    async def _read_deadlines(self) -> bool:
        """Takes the phase windows as recorded (statuses stay the workflow's own); True when
        one moved."""
        self.stale = False  # a signal during the read asks for another
        recorded = {
            p.code: p
            for p in await workflow.execute_activity_method(
                CampaignActivities.read_phase_windows,
                CampaignRef(campaign_id=self.campaign_id),
                schedule_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=RETRY,
            )
        }
        before = [(p.opens_at, p.closes_at) for p in self.phases]
        self.phases = [
            p.model_copy(
                update={"opens_at": recorded[p.code].opens_at, "closes_at": recorded[p.code].closes_at}
            )
            if p.code in recorded
            else p
            for p in self.phases
        ]
        return [(p.opens_at, p.closes_at) for p in self.phases] != before

    async def _call(self, method: Callable[..., Any], arg: object) -> object:
        return await workflow.execute_activity_method(
            method, arg, schedule_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )

    async def _close(self, run: CampaignRun, code: str) -> None:
        """Closes the phase; since ``LAPSE_IN_BATCHES`` the nominations still waiting on it
        lapse in bounded batches, each its own activity and transaction (the old single
        activity could run past its timeout, and its result listed every lapsed id)."""
        step = PhaseStep(campaign_id=run.campaign_id, phase=code, at=workflow.now())
        if not workflow.patched(LAPSE_IN_BATCHES):
            await self._call(CampaignActivities.close_phase, step)
            return
        await self._call(CampaignActivities.close_phase_window, step)
        batch = LapseBatch(campaign_id=run.campaign_id, phase=code, limit=LAPSE_BATCH, at=step.at)
        while True:
            outcome = await self._call(CampaignActivities.lapse_waiting, batch)
            assert isinstance(outcome, LapseOutcome)
            if not outcome.more:
                return

    async def _duties_due(self, run: CampaignRun, before: datetime) -> list[datetime]:
        """Since ``DUTIES_OVERDUE``: records the duties overdue by now, and returns the
        deadlines of the others that fall before ``before`` (the timers to set for them).
        Deadlines set later (a 限期整改, a return's new deadline) come with the signal."""
        if not workflow.patched(DUTIES_OVERDUE):
            return []
        ref = CampaignRef(campaign_id=run.campaign_id)
        deadlines = await workflow.execute_activity_method(
            CampaignActivities.duty_deadlines,
            ref,
            schedule_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=RETRY,
        )
        now = workflow.now()
        if any(d <= now for d in deadlines):
            await self._record_overdue(run)
        return [d for d in deadlines if now < d < before]

    async def _publicity_due(self, run: CampaignRun, before: datetime) -> list[datetime]:
        """Since ``PUBLICITY``: closes the 公示 periods due and grants the titles nothing holds
        (an activity), and returns when it next has something to do before ``before`` (a
        period's close, the daily reminder of objections awaiting a decision)."""
        if not workflow.patched(PUBLICITY):
            return []
        outcome = await self._call(
            CampaignActivities.advance_publicity,
            CampaignStep(campaign_id=run.campaign_id, at=workflow.now()),
        )
        assert isinstance(outcome, PublicityOutcome)
        now = workflow.now()
        return [t for t in outcome.next if now < t < before]

    async def _record_overdue(self, run: CampaignRun) -> None:
        batch = DutyBatch(campaign_id=run.campaign_id, limit=LAPSE_BATCH, at=workflow.now())
        while True:
            outcome = await self._call(CampaignActivities.record_overdue_duties, batch)
            assert isinstance(outcome, OverdueOutcome)
            if not outcome.more:
                return

    async def _run_phase(self, run: CampaignRun, code: str) -> None:
        while not await self._wait_until(lambda: self._phase(code).opens_at):
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
            duties = await self._duties_due(run, closes_at)
            duties += await self._publicity_due(run, closes_at)
            duties += await self._corrections_due(run, closes_at)
            upcoming = sorted(
                [
                    *duties,
                    *(
                        closes_at - timedelta(seconds=o)
                        for o in run.reminder_offsets_seconds
                        if closes_at - timedelta(seconds=o) > now
                    ),
                ]
            )
            target = upcoming[0] if upcoming else closes_at

            def until_target(t: datetime = target) -> datetime:
                return t

            if not await self._wait_until(until_target):
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
        await self._close(run, code)
        if workflow.patched(DUTIES_OVERDUE):
            await self._record_overdue(run)
        self._set_status(code, "closed")
        self.current = None
        if run.steps.get("declaration") == code:
            await self._call(
                CampaignActivities.record_silent_units,
                CampaignStep(campaign_id=run.campaign_id, at=workflow.now()),
            )
            if self.escalates:
                # A reset run closing declaration again finds the ladder running: it goes on.
                with contextlib.suppress(WorkflowAlreadyStartedError):
                    await workflow.start_child_workflow(
                        EscalationWorkflow.run,
                        CampaignRef(campaign_id=run.campaign_id),
                        id=escalation_workflow_id(run.campaign_id),
                        task_queue=workflow.info().task_queue,  # this stack's worker
                        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
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
                # This stack's queue: its worker holds this campaign's store.
                task_queue=workflow.info().task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )

    async def _last_duties(self, run: CampaignRun) -> None:
        """Since ``DUTIES_OVERDUE``: the deadlines after the last phase (a 限期整改 set late)
        are waited for and recorded too."""
        end = datetime.max.replace(tzinfo=UTC)
        while True:
            self.stale = False  # a signal from now on wakes the sleep below: deadlines read again
            pending = await self._duties_due(run, end)
            pending = sorted([*pending, *await self._publicity_due(run, end)])
            pending = sorted([*pending, *await self._corrections_due(run, end)])
            if not pending:
                return

            def first(at: datetime = pending[0]) -> datetime:
                return at

            await self._sleep_until(first)

    # --- corrections (issue 23, item 3) ----------------------------------------------------

    cancelled = False  # the campaign was cancelled (the signal, or read at a wake-up)

    async def _corrections_due(self, run: CampaignRun, before: datetime) -> list[datetime]:
        """Since ``CORRECTIONS``: closes the reopened windows due (an activity) and returns the
        closes of the others before ``before``; notices a cancellation."""
        if not workflow.patched(CORRECTIONS):
            return []
        outcome = await self._call(
            CampaignActivities.advance_corrections,
            CampaignStep(campaign_id=run.campaign_id, at=workflow.now()),
        )
        assert isinstance(outcome, CorrectionsOutcome)
        self.cancelled = self.cancelled or outcome.cancelled
        now = workflow.now()
        return [t for t in outcome.next if now < t < before]

    async def _run_cancellable(self, run: CampaignRun) -> CampaignStatus:
        """The walk through the phases, ended early by a cancellation: then the campaign's
        open nominations close in batches (the cancelling command closed them already, unless
        it was interrupted) and the run ends."""
        walk = asyncio.ensure_future(self._walk(run))
        await workflow.wait_condition(lambda: walk.done() or self.cancelled)
        if walk.done():
            return walk.result()
        walk.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await walk
        batch = DutyBatch(campaign_id=run.campaign_id, limit=LAPSE_BATCH, at=workflow.now())
        while True:
            outcome = await self._call(CampaignActivities.close_cancelled, batch)
            assert isinstance(outcome, OverdueOutcome)
            if not outcome.more:
                break
        self.current = None
        self.finished = True
        return self.current_phase()

    @workflow.run
    async def run(self, run: CampaignRun) -> CampaignStatus:
        self.campaign_id = run.campaign_id
        self.phases = list(run.phases)
        corrections = workflow.patched(CORRECTIONS)
        # Decided at the start: a run begun before the patch replays without escalating.
        self.escalates = workflow.patched(ESCALATION)
        if corrections:
            return await self._run_cancellable(run)
        return await self._walk(run)

    async def _walk(self, run: CampaignRun) -> CampaignStatus:
        for code in [p.code for p in run.phases]:
            if self._phase(code).status == "closed":
                continue
            await self._run_phase(run, code)
        await self._last_duties(run)
        self.finished = True
        return self.current_phase()
