"""The use cases, one small immutable command each (in the manner of Cosmic Python's
``commands.py``). A command says what its sender wants; ``Laurel.execute(command, actor, ...)``
hands it to its handler (``domain/handlers/``), which decides through the aggregates.

``command`` is a command's stable name: idempotency receipts and logs record it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from domain.vocabulary import InspectionVerdict, Level, PreReviewDecision, RevocationCause, Role

Id = UUID | str  # an aggregate id as the sender has it (parsed by the handler: a bad one is not found)


@dataclass(frozen=True, kw_only=True)
class Command:
    command: ClassVar[str]  # the stable name receipts and logs record


# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterUnit(Command):
    command: ClassVar[str] = "register_unit"
    code: str
    name: str
    name_zh: str
    level: Level | str
    parent_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RenameUnit(Command):
    command: ClassVar[str] = "rename_unit"
    code: str
    name: str
    name_zh: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class MoveUnit(Command):
    command: ClassVar[str] = "move_unit"
    code: str
    parent_id: str
    reason: str


# --- campaigns and their phases ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateCampaign(Command):
    command: ClassVar[str] = "create_campaign"
    template: str
    organiser_unit_id: str
    year: int | None = None
    starts_at: datetime | None = None
    durations: Mapping[str, Any] | None = None
    deadlines: Mapping[str, datetime] | None = None
    quotas: Mapping[str, Any] | None = None
    parent_campaign_id: Id | None = None


@dataclass(frozen=True, kw_only=True)
class ExtendDeadline(Command):
    command: ClassVar[str] = "extend_deadline"
    campaign_id: Id
    phase: str
    closes_at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class OpenPhase(Command):
    command: ClassVar[str] = "open_phase"
    campaign_id: Id
    phase: str


@dataclass(frozen=True, kw_only=True)
class ClosePhase(Command):
    """Close a phase and (``lapse_waiting``) lapse every nomination still waiting on one of its
    steps, in batches of ``LapseWaiting`` (the campaign workflow runs those batches itself)."""

    command: ClassVar[str] = "close_phase"
    campaign_id: Id
    phase: str
    reason: str = "deadline reached / 截止时间已到"
    lapse_waiting: bool = True


@dataclass(frozen=True, kw_only=True)
class LapseWaiting(Command):
    """One batch (up to ``limit``) of the nominations still waiting on a step of ``phase``,
    which has closed, lapsed in one transaction. Repeating it takes the next batch: a lapsed
    nomination no longer waits."""

    command: ClassVar[str] = "lapse_waiting"
    campaign_id: Id
    phase: str
    limit: int = 500


# --- nominations -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Declare(Command):
    command: ClassVar[str] = "declare"
    campaign_id: Id
    category: str
    declaring_unit_id: str
    nominee: Mapping[str, Any]  # kind, unit_id, name, person_id: as sent, checked by the handler
    form: Mapping[str, Any] = field(default_factory=dict)
    material: str = ""


@dataclass(frozen=True, kw_only=True)
class PreReview(Command):
    command: ClassVar[str] = "pre_review"
    nomination_id: Id
    decision: PreReviewDecision | str
    reasons: Sequence[str] = ()
    checks: Mapping[str, Any] | None = None


@dataclass(frozen=True, kw_only=True)
class Inspect(Command):
    command: ClassVar[str] = "inspect"
    nomination_id: Id
    methods: Sequence[str]
    scores: Mapping[str, Any]
    verdict: InspectionVerdict | str
    notes: str = ""


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    command: ClassVar[str] = "withdraw"
    nomination_id: Id
    reason: str


@dataclass(frozen=True, kw_only=True)
class Revoke(Command):
    command: ClassVar[str] = "revoke"
    nomination_id: Id
    reason: str
    cause: RevocationCause | str = RevocationCause.DECISION


@dataclass(frozen=True, kw_only=True)
class MarkReinspectionDue(Command):
    command: ClassVar[str] = "reinspection_due"
    nomination_id: Id
    due_by: datetime


@dataclass(frozen=True, kw_only=True)
class Reinspect(Command):
    command: ClassVar[str] = "reinspect"
    nomination_id: Id
    methods: Sequence[str]
    scores: Mapping[str, Any]
    verdict: InspectionVerdict | str
    notes: str = ""


# --- commendation and forwarding ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Commend(Command):
    """Commend best-first within quota: ``nomination_ids`` a chosen subset, ``None`` all."""

    command: ClassVar[str] = "commend"
    campaign_id: Id
    category: str
    nomination_ids: Sequence[str] | None = None


@dataclass(frozen=True, kw_only=True)
class Forward(Command):
    command: ClassVar[str] = "forward"
    nomination_id: Id
    target_category: str | None = None


# --- what the campaign workflow does on schedule -----------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RemindDeadline(Command):
    command: ClassVar[str] = "remind_deadline"
    campaign_id: Id
    phase: str
    offset_seconds: int


@dataclass(frozen=True, kw_only=True)
class RecordSilentUnits(Command):
    command: ClassVar[str] = "record_silent_units"
    campaign_id: Id


@dataclass(frozen=True, kw_only=True)
class ForwardCommended(Command):
    command: ClassVar[str] = "forward_commended"
    campaign_id: Id


@dataclass(frozen=True, kw_only=True)
class MarkReinspectionsDue(Command):
    """One batch (``offset``, ``limit``) of a category's titles due for re-inspection."""

    command: ClassVar[str] = "mark_reinspections_due"
    campaign_id: Id
    category: str
    due_by: datetime
    offset: int
    limit: int


@dataclass(frozen=True, kw_only=True)
class RevokeUnreinspected(Command):
    """One batch (``offset``, ``limit``) of a category's titles not re-inspected in time."""

    command: ClassVar[str] = "revoke_unreinspected"
    campaign_id: Id
    category: str
    offset: int
    limit: int


# --- access tokens -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IssueToken(Command):
    command: ClassVar[str] = "issue_token"
    role: Role | str
    unit_id: str | None
    label: str
    expires_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RevokeToken(Command):
    command: ClassVar[str] = "revoke_token"
    token_id: str
    reason: str


# --- activity days (seed 004) ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterMember(Command):
    command: ClassVar[str] = "register_member"
    unit_id: str
    member_id: str
    name: str
    status: str
    leader: bool = False


@dataclass(frozen=True, kw_only=True)
class RecordActivity(Command):
    command: ClassVar[str] = "record_activity"
    unit_id: str
    session: Mapping[str, Any]
    reason: str = ""


# --- webhook subscriptions ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateWebhook(Command):
    command: ClassVar[str] = "create_webhook"
    url: str
    event_types: Sequence[str]
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class RotateWebhookSecret(Command):
    command: ClassVar[str] = "rotate_webhook_secret"
    webhook_id: Id


@dataclass(frozen=True, kw_only=True)
class DisableWebhook(Command):
    command: ClassVar[str] = "disable_webhook"
    webhook_id: Id
    reason: str


@dataclass(frozen=True, kw_only=True)
class DeleteWebhook(Command):
    command: ClassVar[str] = "delete_webhook"
    webhook_id: Id
