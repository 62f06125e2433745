"""Activities: bound methods of a class holding the application service. Each executes one
command as the system actor at the instant decided in the workflow (``at``), and where the
command is not idempotent by its own facts, with a key derived from business facts
(``<campaign>:<category>:<anniversary>:due:<offset>``). Domain refusals become non-retryable
ApplicationErrors carrying the problem code."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.actors import SYSTEM
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import (
    AdvancePublicity,
    ClosePhase,
    EscalateSilentUnits,
    ForwardCommended,
    LapseWaiting,
    MarkReinspectionsDue,
    OpenPhase,
    RecordOverdueDuties,
    RecordSilentUnits,
    RemindDeadline,
    RevokeUnreinspected,
)
from domain.duties import PENDING, DutyBook
from domain.errors import DomainError
from domain.vocabulary import Step
from workflows.contracts import (
    BatchOutcome,
    CampaignRef,
    CampaignStep,
    EscalationOutcome,
    EscalationPlan,
    EscalationRun,
    LapseBatch,
    LapseOutcome,
    PhaseStep,
    PhaseWindow,
    Reminder,
    TitleBatch,
)

T = TypeVar("T")


class DutyBatch(BaseModel):
    """One batch of overdue duties to record (patch ``duties-overdue``)."""

    campaign_id: str
    limit: int
    at: datetime


class OverdueOutcome(BaseModel):
    recorded: int
    more: bool


class PublicityOutcome(BaseModel):
    """What ``advance_publicity`` did and when the workflow next has something to do
    (patch ``publicity``, issue 23)."""

    granted: int = 0
    awaiting: int = 0
    forwarded: int = 0  # the granted that went up to the parent campaign
    next: list[datetime] = []


class CorrectionsOutcome(BaseModel):
    """Patch ``corrections`` (issue 23): the campaign cancelled? when do reopened windows close?"""

    cancelled: bool = False
    next: list[datetime] = []


def refusals_are_final(fn: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except DomainError as exc:
            failures = [f.as_dict() for f in getattr(exc, "failures", ())]
            raise ApplicationError(
                exc.message_en,
                {"code": exc.code, "message_zh": exc.message_zh, "failures": failures},
                type=exc.code,
                non_retryable=not exc.retryable,
            ) from exc

    return wrapper


def phase_windows(campaign: Campaign) -> list[PhaseWindow]:
    """The campaign's phase windows as recorded."""
    return [
        PhaseWindow(code=p.code, opens_at=p.opens_at, closes_at=p.closes_at, status=p.status)
        for p in campaign.phases
    ]


class CampaignActivities:
    def __init__(self, app: Laurel) -> None:
        self.app = app

    @activity.defn
    @refusals_are_final
    def read_phase_windows(self, ref: CampaignRef) -> list[PhaseWindow]:
        return phase_windows(self.app.get_campaign(ref.campaign_id))

    @activity.defn
    @refusals_are_final
    def open_phase(self, step: PhaseStep) -> bool:
        command = OpenPhase(campaign_id=step.campaign_id, phase=step.phase)
        return bool(self.app.execute(command, SYSTEM, at=step.at)["opened"])

    @activity.defn
    @refusals_are_final
    def close_phase(self, step: PhaseStep) -> list[str]:
        """Closes and lapses every waiting nomination in one activity (histories recorded before
        the patch ``LAPSE_IN_BATCHES`` schedule it; new runs close, then lapse in batches)."""
        command = ClosePhase(campaign_id=step.campaign_id, phase=step.phase)
        return list(self.app.execute(command, SYSTEM, at=step.at)["lapsed"])

    @activity.defn
    @refusals_are_final
    def close_phase_window(self, step: PhaseStep) -> bool:
        command = ClosePhase(campaign_id=step.campaign_id, phase=step.phase, lapse_waiting=False)
        return bool(self.app.execute(command, SYSTEM, at=step.at)["closed"])

    @activity.defn
    @refusals_are_final
    def lapse_waiting(self, batch: LapseBatch) -> LapseOutcome:
        """One bounded batch in one transaction; a retried batch takes the next waiting ones
        (a lapsed nomination no longer waits), so nothing lapses twice."""
        command = LapseWaiting(campaign_id=batch.campaign_id, phase=batch.phase, limit=batch.limit)
        done = self.app.execute(command, SYSTEM, at=batch.at)
        return LapseOutcome(lapsed=len(done["lapsed"]), more=bool(done["more"] and done["lapsed"]))

    @activity.defn
    @refusals_are_final
    def remind(self, reminder: Reminder) -> bool:
        command = RemindDeadline(
            campaign_id=reminder.campaign_id,
            phase=reminder.phase,
            offset_seconds=reminder.offset_seconds,
        )
        return bool(self.app.execute(command, SYSTEM, at=reminder.at)["recorded"])

    @activity.defn
    @refusals_are_final
    def record_silent_units(self, step: CampaignStep) -> list[str]:
        command = RecordSilentUnits(campaign_id=step.campaign_id)
        return list(self.app.execute(command, SYSTEM, at=step.at)["units"] or [])

    @activity.defn
    @refusals_are_final
    def forward_commended(self, step: CampaignStep) -> list[str]:
        command = ForwardCommended(campaign_id=step.campaign_id)
        return list(self.app.execute(command, SYSTEM, at=step.at)["forwarded"])

    @activity.defn
    @refusals_are_final
    def mark_reinspections_due(self, batch: TitleBatch) -> BatchOutcome:
        assert batch.due_by is not None
        command = MarkReinspectionsDue(
            campaign_id=batch.campaign_id,
            category=batch.category,
            due_by=batch.due_by,
            offset=batch.offset,
            limit=batch.limit,
        )
        result = self.app.execute(command, SYSTEM, at=batch.at, idempotency_key=batch.key)
        return BatchOutcome(changed=result["marked"], next_offset=result["next_offset"])

    @activity.defn
    @refusals_are_final
    def revoke_unreinspected(self, batch: TitleBatch) -> BatchOutcome:
        command = RevokeUnreinspected(
            campaign_id=batch.campaign_id,
            category=batch.category,
            offset=batch.offset,
            limit=batch.limit,
        )
        result = self.app.execute(command, SYSTEM, at=batch.at, idempotency_key=batch.key)
        revoked = list(result["revoked"])
        return BatchOutcome(changed=len(revoked), next_offset=result["next_offset"], ids=revoked)

    @activity.defn
    @refusals_are_final
    def duty_deadlines(self, ref: CampaignRef) -> list[datetime]:
        """The deadlines of the campaign's duties still undone and not yet recorded overdue
        (patch ``duties-overdue``), earliest first."""
        book = DutyBook(self.app.load, self.app.queries, self.app.get_campaign(ref.campaign_id))
        return sorted({o.due_at for o in book.all(with_units=False) if o.state in PENDING})

    @activity.defn
    @refusals_are_final
    def record_overdue_duties(self, batch: DutyBatch) -> OverdueOutcome:
        """One bounded batch in one transaction; a retried batch takes the next (an overdue
        duty is no longer pending), so nothing is recorded twice."""
        command = RecordOverdueDuties(campaign_id=batch.campaign_id, limit=batch.limit)
        done = self.app.execute(command, SYSTEM, at=batch.at)
        return OverdueOutcome(
            recorded=len(done["recorded"]), more=bool(done["more"] and done["recorded"])
        )

    @activity.defn
    @refusals_are_final
    def advance_publicity(self, step: CampaignStep) -> PublicityOutcome:
        """Closes the 公示 periods due, grants the titles nothing holds, reminds of the
        objections awaiting a decision (patch ``publicity``)."""
        done = self.app.execute(AdvancePublicity(campaign_id=step.campaign_id), SYSTEM, at=step.at)
        return PublicityOutcome(
            granted=len(done["granted"]),
            awaiting=len(done["awaiting"]),
            forwarded=len(done.get("forwarded", ())),
            next=list(done["next"]),
        )

    @activity.defn
    @refusals_are_final
    def count_active_titles(self, step: TitleBatch) -> int:
        return int(self.app.queries.active_titles(step.campaign_id, step.category))

    # --- corrections (issue 23, item 3; patch ``corrections``) -------------------------------

    @activity.defn
    @refusals_are_final
    def advance_corrections(self, step: CampaignStep) -> CorrectionsOutcome:
        """Closes the reopened windows due (lapsing what nobody acted on), and says whether
        the campaign was cancelled and when the open windows close."""
        from domain.commands import CloseReopenings

        campaign = self.app.get_campaign(step.campaign_id)
        if campaign.due_reopenings(step.at):
            while True:  # a batch per transaction; a window closes once none is left in it
                done = self.app.execute(
                    CloseReopenings(campaign_id=step.campaign_id), SYSTEM, at=step.at
                )
                if not (done.get("more") and (done["closed"] or done["lapsed"])):
                    break
            campaign = self.app.get_campaign(step.campaign_id)
        return CorrectionsOutcome(
            cancelled=campaign.cancelled is not None,
            next=sorted({r["until"] for r in campaign.reopenings if not r["closed"]}),
        )

    @activity.defn
    @refusals_are_final
    def close_cancelled(self, batch: DutyBatch) -> OverdueOutcome:
        """One bounded batch of a cancelled campaign's open nominations closed, one transaction."""
        from domain.commands import CloseCancelled

        command = CloseCancelled(campaign_id=batch.campaign_id, limit=batch.limit)
        done = self.app.execute(command, SYSTEM, at=batch.at)
        return OverdueOutcome(recorded=len(done["closed"]), more=bool(done["more"] and done["closed"]))

    # --- escalation of silent townships (issue 24, item 4; patch ``escalation``) --------------

    @activity.defn
    @refusals_are_final
    def escalation_plan(self, ref: CampaignRef) -> EscalationPlan:
        """When each step of the ladder the campaign keeps runs, from the declaration's close
        as recorded (read once it has closed: a later reopening does not move it)."""
        campaign = self.app.get_campaign(ref.campaign_id)
        closed = campaign.phase_for(Step.DECLARATION).closes_at
        return EscalationPlan(steps=[closed + timedelta(days=s.grace_days) for s in campaign.ladder])

    @activity.defn
    @refusals_are_final
    def escalate_silent_units(self, run: EscalationRun) -> EscalationOutcome:
        command = EscalateSilentUnits(campaign_id=run.campaign_id, step=run.step)
        done = self.app.execute(command, SYSTEM, at=run.at)
        return EscalationOutcome(
            recorded=bool(done["recorded"]),
            units=list(done["units"]),
            cancelled=bool(done["cancelled"]),
        )

    def all(self) -> list[Callable[..., Any] | Callable[..., Awaitable[Any]]]:
        return [
            self.read_phase_windows,
            self.open_phase,
            self.close_phase,
            self.close_phase_window,
            self.lapse_waiting,
            self.remind,
            self.record_silent_units,
            self.forward_commended,
            self.mark_reinspections_due,
            self.revoke_unreinspected,
            self.count_active_titles,
            self.duty_deadlines,
            self.record_overdue_duties,
            self.advance_corrections,  # issue 23, item 3
            self.close_cancelled,
            self.advance_publicity,
            self.escalation_plan,  # issue 24, item 4
            self.escalate_silent_units,
        ]
