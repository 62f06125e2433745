"""Duties (工作任务, issue 21 item 5): what each unit of a campaign owes besides nominations —
documents to submit (实施细则, 自查报告, 总结), the organiser's spot checks (实地察看, 电话抽查)
and circulars (通报, 通报批评 with 限期整改) — with their deadlines, states and histories.

A rectification's code is ``<circular duty>.<n>`` (e.g. ``supervision_circular.1``)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, Command, CurrentActor, ServicesDep
from api.duty_board import duty_board
from api.responses import created, replayed
from api.schemas import (
    CircularCreate,
    DutyAcceptance,
    DutyBoard,
    DutyBoardPublic,
    DutyPublic,
    DutyReturn,
    DutySubmission,
    SpotCheckCreate,
)
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import AcceptDuty, IssueCircular, RecordSpotCheck, ReturnDuty, SubmitDuty
from domain.duties import DutyBook, Owed
from domain.rules.jurisdiction import can_read_campaign, require_read
from domain.vocabulary import DutyState, Role

router = APIRouter(prefix="/v1/campaigns", tags=["duties"])
DutyCode = Annotated[str, Path(max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
UnitCode = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


def _readable(app: Laurel, actor: Actor, campaign_id: str) -> DutyBook:
    campaign = app.get_campaign(campaign_id)
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    organiser = app.get_unit(campaign.organiser_unit_id)
    require_read(actor, can_read_campaign(actor, organiser, actor_unit), f"campaign {campaign_id}")
    return DutyBook(app.load, app.queries, campaign)


def _visible(actor: Actor, owed: Owed) -> bool:
    """Declarers see the duties of their own subtree; the others all of a campaign they read."""
    if actor.role != Role.DECLARER:
        return True
    return owed.unit is not None and actor.unit_id is not None and owed.unit.is_within(actor.unit_id)


def board(
    app: Laurel, actor: Actor, campaign_id: str, unit_id: str | None, state: str | None
) -> dict[str, Any]:
    book = _readable(app, actor, campaign_id)
    owed = [o for o in book.all(unit_id=unit_id) if _visible(actor, o)]
    if state is not None:
        owed = [o for o in owed if o.state == state]
    units: dict[str, dict[str, Any]] = {}
    for o in owed:
        row = units.setdefault(
            o.item.unit_id,
            {
                "unit_id": o.item.unit_id,
                "unit_name_zh": None if o.unit is None else o.unit.name_zh,
                "states": Counter(),
                "late": 0,
                "owed": 0,
            },
        )
        row["states"][str(o.state)] += 1
        row["owed"] += 1
        row["late"] += int(bool(o.duty and o.duty.late))
    return {
        "campaign_id": book.campaign_id,
        "duties": [o.as_dict() for o in owed],
        "units": [
            dict(u, states={s: u["states"].get(s, 0) for s in DutyState.codes()}) for u in units.values()
        ],
    }


@router.get(
    "/{campaign_id}/duties",
    response_model=DutyBoard,
    summary="The duties of a campaign, per unit / 工作任务（按单位）",
    description=(
        "Every duty the campaign declares (its template's duties as they stood when it was "
        "created), for each unit that owes it (touched or not), "
        "with its deadline and state (due, overdue, submitted, late, returned, accepted), and per "
        "unit the count in each state. Declarers see their own unit's (and subtree's)."
    ),
)
async def list_duties(
    campaign_id: str,
    app: App,
    actor: CurrentActor,
    unit_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[DutyState | None, Query()] = None,
) -> Any:
    return await run_in_threadpool(board, app, actor, campaign_id, unit_id, state)


@router.get(
    "/{campaign_id}/duties/board",
    response_model=DutyBoardPublic,
    summary="The duty board (a read model): per unit, its duties' states / 工作任务看板",
    description=(
        "From the duties read model (projection ``duties``): each unit's duties with their state, "
        "late flag and deadline, and the count per state. Declarers see their own subtree."
    ),
)
async def get_duty_board(campaign_id: str, actor: CurrentActor, services: ServicesDep) -> Any:
    return await run_in_threadpool(duty_board, services, actor, campaign_id)


def one(app: Laurel, actor: Actor, campaign_id: str, duty: str, unit_id: str) -> dict[str, Any]:
    book = _readable(app, actor, campaign_id)
    item, found = book.owed(duty, unit_id)
    owed = Owed(item, found, app.get_unit(unit_id))
    require_read(actor, _visible(actor, owed), f"duty {duty} of {unit_id}")
    return owed.as_dict(with_body=True)


@router.get(
    "/{campaign_id}/duties/{duty}/{unit_id}",
    response_model=DutyPublic,
    summary="One unit's duty: its text, records and history / 单位的一项任务",
)
async def get_duty(
    campaign_id: str, duty: DutyCode, unit_id: UnitCode, app: App, actor: CurrentActor
) -> Any:
    return await run_in_threadpool(one, app, actor, campaign_id, duty, unit_id)


@router.post(
    "/{campaign_id}/duties/{duty}/{unit_id}/submission",
    status_code=201,
    response_model=DutyPublic,
    responses={**problems.COMMAND, **replayed(DutyPublic)},
    summary="Submit a document the unit owes / 提交材料",
    description=(
        "The owing unit's declarer (or an admin above it). After the deadline the submission is "
        "marked late. The same text again records nothing; a returned duty is submitted again."
    ),
)
async def submit_duty(
    campaign_id: str, duty: DutyCode, unit_id: UnitCode, body: DutySubmission, cmd: Command
) -> Any:
    command = SubmitDuty(
        campaign_id=campaign_id, duty=duty, unit_id=unit_id, title=body.title, body=body.body
    )
    result = await cmd.execute(command)
    return created(DutyPublic(**result), result["replayed"])


@router.post(
    "/{campaign_id}/duties/{duty}/{unit_id}/acceptance",
    response_model=DutyPublic,
    responses=problems.COMMAND,
    summary="Accept a submission / 审核通过",
)
async def accept_duty(
    campaign_id: str, duty: DutyCode, unit_id: UnitCode, body: DutyAcceptance, cmd: Command
) -> Any:
    command = AcceptDuty(campaign_id=campaign_id, duty=duty, unit_id=unit_id, note=body.note)
    return DutyPublic(**await cmd.execute(command))


@router.post(
    "/{campaign_id}/duties/{duty}/{unit_id}/return",
    response_model=DutyPublic,
    responses=problems.COMMAND,
    summary="Return a submission, perhaps with a new deadline / 退回",
)
async def return_duty(
    campaign_id: str,
    duty: DutyCode,
    unit_id: UnitCode,
    body: DutyReturn,
    cmd: Command,
    services: ServicesDep,
) -> Any:
    command = ReturnDuty(
        campaign_id=campaign_id,
        duty=duty,
        unit_id=unit_id,
        reason=body.reason,
        resubmit_by=body.resubmit_by,
    )
    result = await cmd.execute(command)
    if body.resubmit_by is not None:  # a new deadline: the workflow sets a timer for it
        await services.scheduler.deadline_extended(campaign_id)
    return DutyPublic(**result)


@router.post(
    "/{campaign_id}/duties/{duty}/spot-checks",
    status_code=201,
    response_model=DutyPublic,
    responses={**problems.COMMAND, **replayed(DutyPublic)},
    summary="Record a spot check (实地察看, 电话抽查) / 登记督查抽查",
)
async def record_spot_check(
    campaign_id: str, duty: DutyCode, body: SpotCheckCreate, cmd: Command
) -> Any:
    command = RecordSpotCheck(
        campaign_id=campaign_id,
        duty=duty,
        unit_id=body.unit_id,
        method=body.method,
        checked_on=body.checked_on,
        checker=body.checker,
        findings=body.findings,
    )
    result = await cmd.execute(command)
    return created(DutyPublic(**result), result["replayed"])


@router.post(
    "/{campaign_id}/duties/{duty}/circulars",
    status_code=201,
    response_model=DutyPublic,
    responses={**problems.COMMAND, **replayed(DutyPublic)},
    summary="Issue a circular (通报; 通报批评 with 限期整改) / 发布通报",
    description=(
        "A circular of criticism (kind criticism) names a unit below the organiser and a "
        "rectification deadline (rectify_by): that unit then owes a rectification report, "
        "duty <circular duty>.<n>, recorded overdue if not submitted in time."
    ),
)
async def issue_circular(
    campaign_id: str, duty: DutyCode, body: CircularCreate, cmd: Command, services: ServicesDep
) -> Any:
    command = IssueCircular(
        campaign_id=campaign_id,
        duty=duty,
        kind=body.kind,
        title=body.title,
        body=body.body,
        unit_id=body.unit_id,
        rectify_by=body.rectify_by,
    )
    result = await cmd.execute(command)
    if body.rectify_by is not None:  # a 限期整改 deadline: the workflow sets a timer for it
        await services.scheduler.deadline_extended(campaign_id)
    return created(DutyPublic(**result), result["replayed"])
