"""Campaigns (评选活动): create from a template, list, read, extend a deadline, commend,
and export the commendation list (表彰名单) as XLSX."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response

from api import problems
from api.deps import App, Command, CurrentActor, ServicesDep, VersionedCommand
from api.responses import created, replayed
from api.schemas import (
    CampaignCreate,
    CampaignListItem,
    CampaignPublic,
    CommendationCreate,
    CommendationResult,
    DeadlineExtension,
    ForwardingQuotas,
    ForwardSelectedCreate,
    ForwardSelectedResult,
    NextYearCampaignCreate,
)
from api.tabular import XLSX, workbook_bytes
from domain.commands import (
    Commend,
    CreateCampaign,
    CreateNextYearCampaign,
    ExtendDeadline,
    ForwardSelected,
    SetForwardingQuotas,
)
from domain.rules.jurisdiction import can_read_campaign, require_role
from domain.values import Phase

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


def campaign_public(summary: Mapping[str, Any], now: datetime) -> CampaignPublic:
    """A campaign as recorded (a command's result or a read) with the phase open at ``now``."""
    campaign = CampaignPublic.model_validate(summary)
    current = next((p.code for p in campaign.phases if Phase(**p.model_dump()).is_open_at(now)), None)
    return campaign.model_copy(update={"current_phase": current})


@router.post(
    "",
    status_code=201,
    response_model=CampaignPublic,
    responses={**problems.COMMAND, **replayed(CampaignPublic)},
    summary="Create a campaign from a template / 按模板创建评选活动",
    description=(
        "Starts the campaign's workflow (campaign-<id>) when Temporal is configured. 201 once the "
        "campaign is recorded, whatever Temporal's state: a workflow Temporal could not start "
        "within a few seconds is started by the worker's reconciler."
    ),
)
async def create_campaign(body: CampaignCreate, cmd: Command, services: ServicesDep) -> Any:
    command = CreateCampaign(
        template=body.template,
        organiser_unit_id=body.organiser_unit_id,
        year=body.year,
        starts_at=body.starts_at,
        durations=body.durations,
        deadlines=body.deadlines,
        quotas=body.quotas,
        parent_campaign_id=body.parent_campaign_id,
        create_parent=body.create_parent,
        delegates=body.delegates,
    )
    result = await cmd.execute(command)
    # Idempotent, bounded wait, never raises: what fails here the reconciler starts.
    if result.get("parent_campaign"):
        await services.scheduler.campaign_created(str(result["parent_campaign"]["id"]))
    await services.scheduler.campaign_created(str(result["id"]))
    return created(campaign_public(result, cmd.app.clock()), result["replayed"])


@router.post(
    "/{campaign_id}/next-year",
    status_code=201,
    response_model=CampaignPublic,
    responses={**problems.COMMAND, **replayed(CampaignPublic)},
    summary="Next year's campaign from this one / 按本年度评选创建下一年度评选",
    description=(
        "The same template, organiser and categories (quotas kept unless overridden), every phase "
        "a year later than this campaign ran it. This campaign's titles that are re-inspected "
        "every year (每年一评) fall due for re-inspection by the new campaign's inspection "
        "deadline. Starts the new campaign's workflow like creating one."
    ),
)
async def next_year(
    campaign_id: str, body: NextYearCampaignCreate, cmd: Command, services: ServicesDep
) -> Any:
    command = CreateNextYearCampaign(
        previous_campaign_id=campaign_id,
        quotas=body.quotas,
        parent_campaign_id=body.parent_campaign_id,
    )
    result = await cmd.execute(command)
    await services.scheduler.campaign_created(str(result["id"]))
    return created(campaign_public(result, cmd.app.clock()), result["replayed"])


@router.put(
    "/{campaign_id}/forwarding-quotas",
    response_model=CampaignPublic,
    responses=problems.VERSIONED_COMMAND,
    summary="Set the forwarding quotas of the levels below / 设定下级上报名额",
    description=(
        "How many nominations each child organiser may forward into this campaign, per "
        "category (择优上报); a category left out has no limit. Replaces the quotas set before."
    ),
)
async def forwarding_quotas(campaign_id: str, body: ForwardingQuotas, cmd: VersionedCommand) -> Any:
    command = SetForwardingQuotas(campaign_id=campaign_id, quotas=body.quotas, reason=body.reason)
    return campaign_public(await cmd.execute(command), cmd.app.clock())


@router.post(
    "/{campaign_id}/forwardings",
    response_model=ForwardSelectedResult,
    responses=problems.COMMAND,
    summary="Select and forward the best to the parent campaign / 择优上报",
    description=(
        "Forwards a category's nominations that passed inspection (commended or not): the "
        "chosen `nomination_ids`, or the best first up to what the parent's forwarding quota "
        "leaves. All or none, in one transaction. Each arrives in the parent campaign with its "
        "provenance and inspection record; where the parent's template accepts the lower "
        "level's inspection it arrives inspected, otherwise declared."
    ),
)
async def forward_selected(campaign_id: str, body: ForwardSelectedCreate, cmd: Command) -> Any:
    command = ForwardSelected(
        campaign_id=campaign_id, category=body.category, nomination_ids=body.nomination_ids
    )
    return await cmd.execute(command)


@router.get(
    "", response_model=list[CampaignListItem], summary="List the campaigns you may read / 评选活动列表"
)
def list_campaigns(app: App, actor: CurrentActor) -> Any:
    require_role(actor, "read")
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    return [
        {
            "id": str(e["campaign_id"]),
            "organiser_unit_id": e["organiser_unit_id"],
            "template": e["template"],
            "year": e["year"],
        }
        for e in app.list_campaigns()
        if can_read_campaign(actor, app.get_unit(e["organiser_unit_id"]), actor_unit)
    ]


@router.get("/{campaign_id}", response_model=CampaignPublic, summary="Read a campaign / 查看评选活动")
def read_campaign(campaign_id: str, app: App, actor: CurrentActor) -> Any:
    campaign = app.access.readable_campaign(campaign_id, actor)
    return campaign_public(campaign.summary(app.roster.counts(str(campaign.id))), app.clock())


@router.post(
    "/{campaign_id}/phases/{phase}/extension",
    response_model=CampaignPublic,
    responses=problems.VERSIONED_COMMAND,
    summary="Extend a phase deadline / 延长阶段截止时间",
    description=(
        "Decided and recorded by the domain: a refusal is a problem naming every failed rule; "
        "an Idempotency-Key repeat returns the first result and records nothing; If-Match may "
        "name the campaign version it expects. Then the campaign's workflow is told, so its "
        "timers follow the new deadline. Temporal being away does not refuse an extension: it "
        "is recorded all the same, and the workflow reads the recorded deadlines when its next "
        "timer fires (one never started starts with them)."
    ),
)
async def extend_deadline(
    campaign_id: str,
    phase: str,
    body: DeadlineExtension,
    cmd: VersionedCommand,
    services: ServicesDep,
) -> Any:
    command = ExtendDeadline(
        campaign_id=campaign_id, phase=phase, closes_at=body.closes_at, reason=body.reason
    )
    result = await cmd.execute(command)
    # Bounded wait, never raises: a workflow not told reads the deadlines when a timer fires.
    await services.scheduler.deadline_extended(str(result["id"]))
    return campaign_public(result, cmd.app.clock())


@router.post(
    "/{campaign_id}/commendations",
    response_model=CommendationResult,
    responses=problems.COMMAND,
    summary="Commend within quota, best score first / 按名额择优表彰",
)
async def commend(campaign_id: str, body: CommendationCreate, cmd: Command) -> Any:
    command = Commend(
        campaign_id=campaign_id, category=body.category, nomination_ids=body.nomination_ids
    )
    return await cmd.execute(command)


COMMENDATION_HEADERS = [
    "排名 / Rank",
    "类别 / Category",
    "类别（英文）/ Category (en)",
    "表彰对象 / Nominee",
    "所在单位 / Unit",
    "申报单位 / Declaring unit",
    "得分 / Score",
    "表彰时间 / Commended at",
    "状态 / State",
]


@router.get(
    "/{campaign_id}/commendations.xlsx",
    summary="The commendation list as XLSX / 表彰名单（Excel）",
    responses={200: {"content": {XLSX: {}}, "description": "the workbook"}},
    response_class=Response,
)
def commendations_xlsx(
    campaign_id: str, app: App, actor: CurrentActor, category: str | None = Query(None)
) -> Response:
    campaign = app.access.readable_campaign(campaign_id, actor)
    categories = {c.code: c for c in campaign.categories}
    rows = []
    for code, ids in campaign.commended.items():
        if category and code != category:
            continue
        for nid in ids:
            n = app.get_nomination(nid)
            title = n.title
            unit = app.get_unit(n.nominee.unit_id)
            declaring = app.get_unit(n.declaring_unit_id)
            rows.append(
                [
                    title.rank if title else None,
                    categories[code].name_zh,
                    categories[code].name_en,
                    n.nominee.name,
                    f"{unit.name_zh} / {unit.name}",
                    f"{declaring.name_zh} / {declaring.name}",
                    n.score,
                    title.granted_at.isoformat() if title else "",
                    f"{n.state.zh} / {n.state}",
                ]
            )
    body = workbook_bytes("表彰名单 Commendations", COMMENDATION_HEADERS, rows)
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="commendations-{campaign.id}.xlsx"'},
    )
