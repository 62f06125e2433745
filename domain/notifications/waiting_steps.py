"""Who acts on which step, and which nominations wait for it: ONE table (issue 24), read by the
reminders (``domain/handlers/schedule.py``: the units not yet acted; ``rules.py``: the roles
told) and by the daily digest's work lines (``infra/notifications/waiting.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.vocabulary import NominationState, Role, Step


@dataclass(frozen=True)
class StepDesk:
    """``roles``: who acts on ``step`` for a unit (the first is the one whose queue it is);
    ``waiting``: the states of the nominations still waiting for it (none: the step is the
    units' own, as declaring is); ``label_zh``/``label_en``: the queue's name."""

    step: Step
    roles: tuple[Role, ...]
    waiting: tuple[NominationState, ...]
    label_zh: str
    label_en: str


STEP_DESKS: tuple[StepDesk, ...] = (
    StepDesk(Step.DECLARATION, (Role.DECLARER, Role.ADMIN), (), "待申报", "to declare"),
    StepDesk(
        Step.PRE_REVIEW, (Role.REVIEWER,), (NominationState.DECLARED,), "待初审", "awaiting pre-review"
    ),
    StepDesk(
        Step.INSPECTION,
        (Role.INSPECTOR,),
        (NominationState.ADMITTED,),
        "待考核",
        "awaiting inspection",
    ),
)

DESKS: dict[Step, StepDesk] = {d.step: d for d in STEP_DESKS}

QUEUE_DESKS: tuple[StepDesk, ...] = tuple(d for d in STEP_DESKS if d.waiting)
"""The steps nominations wait in (a reviewer's or inspector's queue), in order."""


def acting_roles(step: Step) -> tuple[Role, ...]:
    desk = DESKS.get(step)
    return desk.roles if desk is not None else ()


def waiting_states(step: Step) -> tuple[NominationState, ...]:
    desk = DESKS.get(step)
    return desk.waiting if desk is not None else ()
