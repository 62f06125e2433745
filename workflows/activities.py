"""Activities: bound methods of a class holding the application service. Each calls an
idempotent use case with the instant decided in the workflow (``at``) and, where the use
case is not idempotent by its own facts, a key derived from business facts
(``<campaign>:<phase>:extended-to:<instant>``, ``<campaign>:<category>:<year>:due:<offset>``).
Domain refusals become non-retryable ApplicationErrors carrying the problem code."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.actors import SYSTEM, Actor
from domain.application import Laurel
from domain.errors import DomainError
from workflows.contracts import (
    BatchOutcome,
    CampaignStatus,
    CampaignStep,
    ExtensionRequest,
    PhaseStep,
    PhaseWindow,
    Reminder,
    TitleBatch,
)

T = TypeVar("T")


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


def status_of(app: Laurel, campaign_id: str) -> CampaignStatus:
    campaign = app.get_campaign(campaign_id)
    phases = [
        PhaseWindow(code=p.code, opens_at=p.opens_at, closes_at=p.closes_at, status=p.status)
        for p in campaign.phases
    ]
    return CampaignStatus(campaign_id=campaign_id, current_phase=None, phases=phases)


class CampaignActivities:
    def __init__(self, app: Laurel) -> None:
        self.app = app

    @activity.defn
    @refusals_are_final
    def open_phase(self, step: PhaseStep) -> bool:
        return bool(self.app.open_phase(step.campaign_id, step.phase, SYSTEM, at=step.at)["opened"])

    @activity.defn
    @refusals_are_final
    def close_phase(self, step: PhaseStep) -> list[str]:
        return list(self.app.close_phase(step.campaign_id, step.phase, SYSTEM, at=step.at)["lapsed"])

    @activity.defn
    @refusals_are_final
    def remind(self, reminder: Reminder) -> bool:
        return bool(
            self.app.remind_deadline(
                reminder.campaign_id, reminder.phase, reminder.offset_seconds, SYSTEM, at=reminder.at
            )["recorded"]
        )

    @activity.defn
    @refusals_are_final
    def record_silent_units(self, step: CampaignStep) -> list[str]:
        return list(self.app.record_silent_units(step.campaign_id, SYSTEM, at=step.at)["units"] or [])

    @activity.defn
    @refusals_are_final
    def extend_deadline(self, request: ExtensionRequest) -> CampaignStatus:
        key = f"{request.campaign_id}:{request.phase}:extended-to:{request.closes_at.isoformat()}"
        self.app.extend_deadline(
            request.campaign_id,
            request.phase,
            request.closes_at,
            request.reason,
            Actor.from_dict(request.actor),
            at=request.at,
            idempotency_key=key,
        )
        return status_of(self.app, request.campaign_id)

    @activity.defn
    @refusals_are_final
    def forward_commended(self, step: CampaignStep) -> list[str]:
        return list(self.app.forward_commended(step.campaign_id, SYSTEM, at=step.at)["forwarded"])

    @activity.defn
    @refusals_are_final
    def mark_reinspections_due(self, batch: TitleBatch) -> BatchOutcome:
        assert batch.due_by is not None
        result = self.app.mark_reinspections_due(
            batch.campaign_id,
            batch.category,
            batch.due_by,
            batch.offset,
            batch.limit,
            SYSTEM,
            at=batch.at,
            idempotency_key=batch.key,
        )
        return BatchOutcome(changed=result["marked"], next_offset=result["next_offset"])

    @activity.defn
    @refusals_are_final
    def revoke_unreinspected(self, batch: TitleBatch) -> BatchOutcome:
        result = self.app.revoke_unreinspected(
            batch.campaign_id,
            batch.category,
            batch.offset,
            batch.limit,
            SYSTEM,
            at=batch.at,
            idempotency_key=batch.key,
        )
        return BatchOutcome(
            changed=len(result["revoked"]), next_offset=result["next_offset"], ids=result["revoked"]
        )

    @activity.defn
    @refusals_are_final
    def count_active_titles(self, step: TitleBatch) -> int:
        return int(self.app.active_titles(step.campaign_id, step.category))

    def all(self) -> list[Callable[..., Any] | Callable[..., Awaitable[Any]]]:
        return [
            self.open_phase,
            self.close_phase,
            self.remind,
            self.record_silent_units,
            self.extend_deadline,
            self.forward_commended,
            self.mark_reinspections_due,
            self.revoke_unreinspected,
            self.count_active_titles,
        ]
