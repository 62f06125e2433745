"""Campaigns (评选活动): create from a template, list, read, extend a deadline, commend,
and export the commendation list (表彰名单) as XLSX."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, Command, CurrentActor, IdempotencyKey, ServicesDep
from api.problems import PROBLEM_DESCRIPTIONS
from api.responses import created
from api.schemas import (
    CampaignCreate,
    CampaignListItem,
    CampaignPublic,
    CommendationCreate,
    CommendationResult,
    DeadlineExtension,
)
from api.tabular import XLSX, workbook_bytes
from domain.rules.jurisdiction import authorize, can_read_campaign, require_role

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


def campaign_view(app: Any, campaign: Any) -> dict[str, Any]:
    current = campaign.current_phase(app.clock())
    return dict(campaign.summary(), current_phase=current.code if current else None)


@router.post(
    "",
    status_code=201,
    response_model=CampaignPublic,
    summary="Create a campaign from a template / 按模板创建评选活动",
    description="Starts the campaign's workflow (campaign-<id>) when Temporal is configured. 201 once the campaign is recorded, whatever Temporal's state: a workflow Temporal could not start within a few seconds is started by the worker's reconciler.",
)
async def create_campaign(
    body: CampaignCreate, app: App, actor: CurrentActor, key: IdempotencyKey, services: ServicesDep
) -> Any:
    result = await run_in_threadpool(
        app.create_campaign,
        body.template,
        body.organiser_unit_id,
        actor,
        year=body.year,
        starts_at=body.starts_at,
        durations=body.durations,
        deadlines=body.deadlines,
        quotas=body.quotas,
        parent_campaign_id=body.parent_campaign_id,
        idempotency_key=key,
    )
    await services.scheduler.campaign_created(
        str(result["id"])
    )  # idempotent, bounded wait, never raises: what fails here the reconciler starts
    view = campaign_view(app, app.get_campaign(result["id"]))
    return created(CampaignPublic(**view), result["replayed"])


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
    return campaign_view(app, app.readable_campaign(campaign_id, actor))


@router.post(
    "/{campaign_id}/phases/{phase}/extension",
    response_model=CampaignPublic,
    summary="Extend a phase deadline / 延长阶段截止时间",
    responses={503: {"description": PROBLEM_DESCRIPTIONS[503]}},
    description="Sent to the campaign's workflow as an Update (validated there, decided by the domain), so its timers move with the deadline.",
)
async def extend_deadline(
    campaign_id: str,
    phase: str,
    body: DeadlineExtension,
    app: App,
    actor: CurrentActor,
    key: IdempotencyKey,
    services: ServicesDep,
) -> Any:
    campaign = await run_in_threadpool(app.get_campaign, campaign_id)
    await run_in_threadpool(
        authorize, actor, "extend_deadline", [app.get_unit(campaign.organiser_unit_id)]
    )
    await services.scheduler.extend_deadline(campaign_id, phase, body.closes_at, body.reason, actor, key)
    return campaign_view(app, app.get_campaign(campaign_id))


@router.post(
    "/{campaign_id}/commendations",
    response_model=CommendationResult,
    summary="Commend within quota, best score first / 按名额择优表彰",
)
async def commend(campaign_id: str, body: CommendationCreate, cmd: Command) -> Any:
    result = await run_in_threadpool(
        cmd.app.commend,
        campaign_id,
        body.category,
        cmd.actor,
        nomination_ids=body.nomination_ids,
        idempotency_key=cmd.idempotency_key,
    )
    return JSONResponse(CommendationResult.model_validate(result).model_dump(mode="json"))


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
    campaign = app.readable_campaign(campaign_id, actor)
    categories = {c.code: c for c in campaign.categories}
    rows = []
    for code, ids in campaign.commended.items():
        if category and code != category:
            continue
        for nid in ids:
            n = app.get_nomination(nid)
            unit = app.get_unit(n.nominee.unit_id)
            declaring = app.get_unit(n.declaring_unit_id)
            rows.append(
                [
                    (n.title or {}).get("rank"),
                    categories[code].name_zh,
                    categories[code].name_en,
                    n.nominee.name,
                    f"{unit.name_zh} / {unit.name}",
                    f"{declaring.name_zh} / {declaring.name}",
                    n.score,
                    n.title["granted_at"].isoformat() if n.title else "",
                    f"{n.as_dict()['state_zh']} / {n.state}",
                ]
            )
    body = workbook_bytes("表彰名单 Commendations", COMMENDATION_HEADERS, rows)
    return Response(
        body,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="commendations-{campaign.id}.xlsx"'},
    )
