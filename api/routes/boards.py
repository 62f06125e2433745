"""Read models over HTTP: the campaign dashboard (now or as of an instant), the ranking of a
category, the roll-up of a unit's subtree and the title register."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import App, CurrentActor, ServicesDep
from api.instants import checked_as_of
from api.schemas import HeldTitlePublic, TitlePage
from domain.errors import CampaignNotFoundError
from domain.rules.jurisdiction import can_read_unit_records, require_read, require_whole_log_reader
from projections.rollup import empty_rollup

router = APIRouter(tags=["read models"])


@router.get(
    "/v1/campaigns/{campaign_id}/dashboard",
    summary="Campaign dashboard / 评选看板",
    description=(
        "Counts per category and state, quota, commended, remaining, the current phase and every "
        "deadline with the seconds left. `as_of` recomputes it from the log up to that instant."
    ),
)
async def dashboard(
    campaign_id: str,
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    as_of: Annotated[datetime | None, Query(description="ISO-8601 instant with time zone")] = None,
) -> Any:
    campaign = await run_in_threadpool(app.access.readable_campaign, campaign_id, actor)
    board = await run_in_threadpool(
        services.views.dashboard, str(campaign.id), checked_as_of(as_of) if as_of else None
    )
    if board is None:
        raise CampaignNotFoundError(
            f"campaign '{campaign_id}' did not exist at {as_of}",
            f"评选活动「{campaign_id}」在 {as_of} 时尚不存在",
            campaign=campaign_id,
        )
    if as_of is None and campaign.cancelled is not None:  # issue 23, item 3
        board = {**board, "cancelled": campaign.cancelled}
    return board


@router.get(
    "/v1/campaigns/{campaign_id}/ranking",
    summary="Ranking of a category / 类别排名",
    description=(
        "Every inspected nomination in commendation order: score desc, lowest inspection score desc, "
        "declared_at asc, id asc. ``ranked_by`` says which score ranked: ``raw``, or ``team_z`` "
        "where the campaign normalises per inspection team (each entry then shows "
        "``raw_score`` and ``normalised_score``)."
    ),
)
async def ranking(
    campaign_id: str,
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    category: str = Query(..., description="category code, e.g. five_good_site"),
) -> Any:
    campaign = await run_in_threadpool(app.access.readable_campaign, campaign_id, actor)
    campaign.category(category)  # an unknown category is a 422 naming the known ones
    if campaign.score_normalisation != "none":  # per-team normalisation (issue 22): current
        return await run_in_threadpool(app.queries.ranking, campaign.id, category)
    return await run_in_threadpool(services.views.ranking, str(campaign.id), category)


@router.get(
    "/v1/units/{unit_id}/rollup",
    summary="Roll-up of a unit's subtree / 单位汇总",
    description=(
        "Nominations per state and titles (active, revoked) in the unit's subtree, in total and per "
        "child unit; optionally for one campaign."
    ),
)
async def rollup(
    unit_id: str,
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    campaign_id: str | None = Query(None),
) -> Any:
    unit = await run_in_threadpool(app.get_unit, unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    if campaign_id:
        campaign_id = str((await run_in_threadpool(app.access.readable_campaign, campaign_id, actor)).id)
    found = await run_in_threadpool(services.views.rollup, unit.code, campaign_id)
    return found or empty_rollup(unit.code, unit.name, unit.name_zh, unit.level, campaign_id)


@router.get(
    "/v1/units/{unit_id}/titles",
    response_model=list[HeldTitlePublic],
    summary="Titles held in a unit's subtree, across campaigns / 单位所持荣誉称号",
    description=(
        "The title register across campaigns and levels (read from the event store's roster, "
        "not a projection: what the cross-entity rules consult): every title held by the unit "
        "or a unit below it, with the granting campaign, its level, granted, revoked and the "
        "next re-inspection. `category` narrows to one title, `person_id` to one person, "
        "`in_force=false` adds revoked titles. At most 1,000 units are searched."
    ),
)
async def unit_titles(
    unit_id: str,
    app: App,
    actor: CurrentActor,
    category: str | None = Query(None, max_length=64),
    person_id: str | None = Query(None, max_length=64),
    in_force: bool = Query(True),
) -> Any:
    unit = await run_in_threadpool(app.get_unit, unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    subtree = await run_in_threadpool(app.queries.units_in_subtree, unit.code)
    codes = [u.code for u in subtree][:MAX_UNITS_SEARCHED]
    held = await run_in_threadpool(
        lambda: app.titles.held(codes, category, in_force=in_force, person_id=person_id)
    )
    return [t.as_dict() for t in held]


MAX_UNITS_SEARCHED = 1000


@router.get(
    "/v1/titles",
    response_model=TitlePage,
    summary="Title register / 荣誉称号名册",
    description=(
        "Titles granted, active or revoked, with anniversary and re-inspection dates. With "
        "`campaign_id`: that campaign's (readers of the campaign); without: every title (auditors and "
        "unscoped admins)."
    ),
)
async def titles(
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    campaign_id: str | None = Query(None),
    category: str | None = Query(None),
    status: str | None = Query(None, pattern="^(active|revoked)$"),
    after: str = Query("", description="the last nomination id of the previous page"),
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
    if campaign_id:
        campaign_id = str((await run_in_threadpool(app.access.readable_campaign, campaign_id, actor)).id)
    else:
        require_whole_log_reader(actor, "the whole title register / 全部荣誉称号")
    items = await run_in_threadpool(
        lambda: services.views.titles(
            campaign_id=campaign_id, category=category, status=status, after=after, limit=limit
        )
    )
    return {"items": items, "next_after": items[-1]["nomination_id"] if len(items) == limit else None}
