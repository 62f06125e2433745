"""Corrections and appeals (issue 23, items 3-4; ``domain/corrections.py``): void an
inspection, return a declaration for amendment and amend it, reopen a closed phase for a unit
or a nomination, cancel a campaign, lodge and decide an appeal (申诉); and read what was
corrected. Every correction is a new event with its actor and reason; a refusal is a
problem+json naming its rule (409: the state or the calendar forbids it; 422: something is
missing)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, Field
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, ServicesDep, VersionedCommand
from api.schemas import Code, Model, Text
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import (
    Amend,
    CancelCampaign,
    CorrectNomineeName,
    DecideAppeal,
    LodgeAppeal,
    ReopenPhase,
    ReturnForAmendment,
    VoidInspection,
)
from domain.templates import get_template

router = APIRouter(prefix="/v1", tags=["corrections"])
Reason = Annotated[Text, Field(min_length=1, max_length=2000)]
Short = Annotated[str, Field(min_length=1, max_length=64)]


class VoidingCreate(Model):
    reason: Reason = Field(examples=["录入了另一站点的分数 / scores of another site"])


class ReturnCreate(Model):
    reasons: list[Reason] = Field(min_length=1, max_length=20, examples=[["缺签到表"]])
    fields: list[Short] = Field(
        default_factory=list,
        max_length=50,
        description="the form fields (or `material`) concerned / 需修改的字段",
    )


class AmendmentCreate(Model):
    form: dict[str, Any] | None = Field(None, description="the whole form as amended")
    material: Annotated[Text, Field(max_length=100_000)] | None = None


class ReopeningCreate(Model):
    scope: Literal["unit", "nomination"]
    target: Short = Field(description="the unit's code or the nomination's id / 单位或申报")
    until: AwareDatetime = Field(description="when the reopened window closes (with a time zone)")
    reason: Reason


class CancellationCreate(Model):
    reason: Reason


class AppealCreate(Model):
    grounds: Reason


class AppealDecision(Model):
    outcome: Literal["upheld", "refused"]
    findings: Reason
    until: AwareDatetime | None = Field(
        None,
        description=(
            "upheld, when the step's phase has closed: until when the nomination may be dealt "
            "with (an implicit reopening for it) / 申诉成立且该阶段已截止时必填"
        ),
    )


def _answer(result: dict[str, Any], status: int = 200) -> JSONResponse:
    body = jsonable_encoder({k: v for k, v in result.items() if k != "replayed"})
    headers = {"ETag": f'"{result["version"]}"'} if "version" in result else None
    return JSONResponse(body, status_code=200 if result.get("replayed") else status, headers=headers)


# --- a nomination --------------------------------------------------------------------------


@router.post(
    "/nominations/{nomination_id}/inspections/{inspection}/voiding",
    responses=problems.VERSIONED_COMMAND,
    summary="Void an inspection / 作废考核记录",
    description=(
        "The organiser's reviewers (or the delegate's), before the nomination is commended "
        "(`correction_after_commendation`). The score, the lowest score and passed are "
        "recomputed without it; it stays in the history, marked voided; voiding the last valid "
        "one sends the nomination back to `admitted`. `inspection`: 1-based in recorded order."
    ),
)
async def void_inspection(
    nomination_id: str, inspection: int, body: VoidingCreate, cmd: VersionedCommand
) -> Any:
    command = VoidInspection(nomination_id=nomination_id, inspection=inspection, reason=body.reason)
    return _answer(await cmd.execute(command))


@router.post(
    "/nominations/{nomination_id}/return",
    responses=problems.VERSIONED_COMMAND,
    summary="Return a declaration for amendment / 退回修改",
    description=(
        "The organiser's reviewers, while it waits on pre-review and until pre-review closes "
        "(`return_phase_closed`); the nomination is `returned` until the declarer amends it."
    ),
)
async def return_for_amendment(nomination_id: str, body: ReturnCreate, cmd: VersionedCommand) -> Any:
    command = ReturnForAmendment(
        nomination_id=nomination_id, reasons=list(body.reasons), fields=list(body.fields)
    )
    return _answer(await cmd.execute(command))


@router.post(
    "/nominations/{nomination_id}/amendment",
    responses=problems.VERSIONED_COMMAND,
    summary="Amend a returned declaration / 修改后重新申报",
    description="The declaring unit's declarers: the form and/or the material; declared again.",
)
async def amend(nomination_id: str, body: AmendmentCreate, cmd: VersionedCommand) -> Any:
    command = Amend(nomination_id=nomination_id, form=body.form, material=body.material)
    return _answer(await cmd.execute(command))


@router.post(
    "/nominations/{nomination_id}/appeals",
    status_code=201,
    responses=problems.VERSIONED_COMMAND,
    summary="Appeal a rejection or a lapse / 提出申诉",
    description=(
        "The declaring unit's declarers, within the template's `appeal_days` of the rejection "
        "or lapse (`appeal_period_over`); one open appeal at a time (`appeal_already_open`)."
    ),
)
async def lodge_appeal(nomination_id: str, body: AppealCreate, cmd: VersionedCommand) -> Any:
    return _answer(
        await cmd.execute(LodgeAppeal(nomination_id=nomination_id, grounds=body.grounds)), 201
    )


@router.post(
    "/nominations/{nomination_id}/appeals/decision",
    responses=problems.VERSIONED_COMMAND,
    summary="Decide the open appeal / 申诉决定",
    description=(
        "The organiser's reviewers. Upheld restores the step it was refused at (rejected → "
        "declared; lapsed → the state it lapsed in), reopening that step's phase for the "
        "nomination until `until` if it has closed (`appeal_reopen_until_required`)."
    ),
)
async def decide_appeal(
    nomination_id: str, body: AppealDecision, cmd: VersionedCommand, services: ServicesDep
) -> Any:
    command = DecideAppeal(
        nomination_id=nomination_id, outcome=body.outcome, findings=body.findings, until=body.until
    )
    result = await cmd.execute(command)
    if body.outcome == "upheld":  # a reopened window: the workflow's timers follow
        nomination = await run_in_threadpool(cmd.app.get_nomination, nomination_id)
        await services.scheduler.deadline_extended(str(nomination.campaign_id))
    return _answer(result)


class NomineeNameCorrection(Model):
    name: Annotated[Text, Field(min_length=1, max_length=200, examples=["前双村远程教育站点"])]
    reason: Reason


@router.post(
    "/nominations/{nomination_id}/nominee-name",
    responses=problems.VERSIONED_COMMAND,
    summary="Correct the nominee's name on a granted title / 更正被表彰对象名称",
    description=(
        "The organiser's reviewers (or the delegate's), on a commended nomination holding its "
        "title (`name_correction_needs_title`). The certificate, the decision, the commendation "
        "list and the title register show the corrected name; the old one stays in the history "
        "(`name_corrections`). A name another nomination of the category holds in that unit: "
        "`name_correction_unique`. A unit's name is corrected with `POST /v1/units/{id}/rename`."
    ),
)
async def correct_nominee_name(
    nomination_id: str, body: NomineeNameCorrection, cmd: VersionedCommand
) -> Any:
    command = CorrectNomineeName(nomination_id=nomination_id, name=body.name, reason=body.reason)
    return _answer(await cmd.execute(command))


def nomination_corrections(app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    nomination = app.access.readable_nomination(nomination_id, actor)
    days = get_template(app.get_campaign(nomination.campaign_id).template_code).appeal_days
    return {
        "id": str(nomination.id),
        "state": nomination.state,
        "version": nomination.version,
        **nomination.corrections_dict(),
        "appeal_days": days,
    }


@router.get(
    "/nominations/{nomination_id}/corrections",
    summary="A nomination's corrections and appeals / 申报的更正与申诉",
)
async def read_nomination_corrections(nomination_id: str, app: App, actor: CurrentActor) -> Any:
    return jsonable_encoder(await run_in_threadpool(nomination_corrections, app, actor, nomination_id))


# --- a campaign ----------------------------------------------------------------------------


@router.post(
    "/campaigns/{campaign_id}/phases/{phase}/reopening",
    status_code=201,
    responses=problems.VERSIONED_COMMAND,
    summary="Reopen a closed phase for a unit or a nomination / 重新开放办理",
    description=(
        "The organiser's reviewers. Within the window the phase's actions are allowed for that "
        "unit or nomination only; the campaign's workflow closes it on time, lapsing what it let "
        "in and nobody acted on. Past the campaign's end: `reopen_after_campaign_end`."
    ),
)
async def reopen_phase(
    campaign_id: str,
    phase: Code,
    body: ReopeningCreate,
    cmd: VersionedCommand,
    services: ServicesDep,
) -> Any:
    command = ReopenPhase(
        campaign_id=campaign_id,
        phase=phase,
        scope=body.scope,
        target=body.target,
        until=body.until,
        reason=body.reason,
    )
    result = await cmd.execute(command)
    await services.scheduler.deadline_extended(str(result["id"]))  # bounded, never raises
    return _answer(result, 201)


@router.post(
    "/campaigns/{campaign_id}/cancellation",
    responses=problems.VERSIONED_COMMAND,
    summary="Cancel a campaign / 取消评选活动",
    description=(
        "An admin of the organiser. Refused once any title has been granted "
        "(`cancel_with_titles_granted`). Its open nominations close with the reason (in "
        "batches) and its workflow ends."
    ),
)
async def cancel_campaign(
    campaign_id: str, body: CancellationCreate, cmd: VersionedCommand, services: ServicesDep
) -> Any:
    result = await cmd.execute(CancelCampaign(campaign_id=campaign_id, reason=body.reason))
    await services.scheduler.campaign_cancelled(str(result["id"]))  # bounded, never raises
    return _answer(result)


def campaign_corrections(app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    campaign = app.access.readable_campaign(campaign_id, actor)
    return {"id": str(campaign.id), "version": campaign.version, **campaign.corrections_summary()}


@router.get(
    "/campaigns/{campaign_id}/corrections",
    summary="A campaign's cancellation and reopened windows / 评选的取消与重新开放",
)
async def read_campaign_corrections(campaign_id: str, app: App, actor: CurrentActor) -> Any:
    return jsonable_encoder(await run_in_threadpool(campaign_corrections, app, actor, campaign_id))
