"""Inputs and outputs crossing the Temporal boundary (pydantic models, one per payload, so
fields can be added compatibly) and ids. The task queue is not here: it is the stack's own
(settings), and a workflow starts its children on the queue it runs on."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field
from temporalio.common import RetryPolicy

DEFAULT_REMINDER_OFFSETS = (3 * 86400, 86400)  # 3 days and 1 day before each deadline
DEFAULT_DUE_AHEAD_DAYS = 60
BATCH_SIZE = 500
RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)


def campaign_workflow_id(campaign_id: str) -> str:
    return f"campaign-{campaign_id}"


def reinspection_workflow_id(campaign_id: str, category: str) -> str:
    return f"reinspection-{campaign_id}-{category}"


class PhaseWindow(BaseModel):
    code: str
    opens_at: datetime
    closes_at: datetime
    status: str = "scheduled"


class ReinspectionPlan(BaseModel):
    category: str
    due_ahead_days: int = DEFAULT_DUE_AHEAD_DAYS


class CampaignRun(BaseModel):
    campaign_id: str
    phases: list[PhaseWindow]
    steps: dict[str, str]
    reminder_offsets_seconds: list[int] = Field(default_factory=lambda: list(DEFAULT_REMINDER_OFFSETS))
    has_parent: bool = False
    reinspection: list[ReinspectionPlan] = Field(default_factory=list)


class CampaignStatus(BaseModel):
    campaign_id: str
    current_phase: str | None
    phases: list[PhaseWindow]
    finished: bool = False


class PhaseStep(BaseModel):
    campaign_id: str
    phase: str
    at: datetime


class Reminder(BaseModel):
    campaign_id: str
    phase: str
    offset_seconds: int
    at: datetime


class CampaignStep(BaseModel):
    campaign_id: str
    at: datetime


class CampaignRef(BaseModel):
    campaign_id: str


class ReinspectionCycle(BaseModel):
    campaign_id: str
    category: str
    anniversary: datetime
    due_ahead_days: int = DEFAULT_DUE_AHEAD_DAYS
    batch_size: int = BATCH_SIZE
    year: int = 1


class TitleBatch(BaseModel):
    campaign_id: str
    category: str
    offset: int
    limit: int
    due_by: datetime | None = None
    at: datetime
    key: str


class LapseBatch(BaseModel):
    campaign_id: str
    phase: str
    limit: int
    at: datetime


class LapseOutcome(BaseModel):
    lapsed: int
    more: bool


class BatchOutcome(BaseModel):
    changed: int
    next_offset: int | None
    ids: list[str] = Field(default_factory=list)


class EscalationPlan(BaseModel):
    """When each step of the campaign's escalation ladder runs: the declaration's recorded
    close plus the step's grace days, in the ladder's order (patch ``escalation``, issue 24)."""

    steps: list[datetime] = Field(default_factory=list)


class EscalationRun(BaseModel):
    campaign_id: str
    step: int  # 1-based
    at: datetime


class EscalationOutcome(BaseModel):
    recorded: bool
    units: list[str] = Field(default_factory=list)
    cancelled: bool = False


# --- replay only -------------------------------------------------------------------------------
# Histories recorded before the domain decided deadline extensions hold the workflow Update
# ``extend_deadline`` (its input) and the activity it ran (its input); nothing sends them now.


class ExtensionUpdate(BaseModel):
    phase: str
    closes_at: datetime
    reason: str
    actor: dict[str, Any]


class ExtensionRequest(BaseModel):
    campaign_id: str
    phase: str
    closes_at: datetime
    reason: str
    actor: dict[str, Any]
    at: datetime
