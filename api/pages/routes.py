"""The read pages: a campaign's dashboard (as of any instant), a nomination with its material
and timeline, and a unit's activity-day compliance. The same tokens and role rules as the API;
every link is a path, never built from the request's Host."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App, ServicesDep
from api.duty_board import duty_board
from api.instants import checked_as_of
from api.pages.charts import pipeline_chart
from api.pages.formatting import local_date, phase_countdowns
from api.pages.i18n import Translator, language_of
from api.pages.provenance import provenance
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from api.pages.timeline import timeline
from domain.actors import Role
from domain.campaigns import Campaign
from domain.errors import CampaignNotFoundError, NominationNotFoundError
from domain.nominations import Nomination
from domain.publicity import publicity_summary
from domain.rules.inspection import sees_other_inspections
from domain.rules.jurisdiction import can_read_unit_records, require_read
from domain.rules.material import count_characters
from domain.vocabulary import BaseKind, DutyState

NOMINATIONS_SHOWN = 100

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def dashboard(
    request: Request,
    campaign_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    as_of: Annotated[datetime | None, Query()] = None,
) -> Response:
    """The campaign's figures now or as of an instant (then the states of then, and no clock
    ticking). A declarer sees its own unit's declarations and figures, said to be its own."""
    campaign = app.access.readable_campaign(campaign_id, actor)
    instant = checked_as_of(as_of) if as_of else None
    board = services.views.dashboard(str(campaign.id), instant)
    if board is None:
        raise CampaignNotFoundError(
            f"campaign {campaign.id} did not exist at {as_of}",
            f"评选活动在 {as_of} 时尚不存在",
            campaign=str(campaign.id),
        )
    if instant is None:  # a cancelled campaign says so (issue 23, item 3)
        board = {**board, "cancelled": campaign.cancelled}
    t = Translator(language_of(request))
    own_unit = actor.unit_id if actor.role == Role.DECLARER else None
    if own_unit:
        # Every nomination of the unit's subtree: its figures are counted from them.
        mine = nominations_as_of(app, campaign, own_unit, instant, None)[0]
        own_figures(board, mine)
        nominations, more = mine[:NOMINATIONS_SHOWN], len(mine) > NOMINATIONS_SHOWN
    else:
        nominations, more = nominations_as_of(app, campaign, None, instant, NOMINATIONS_SHOWN)
    charts = {c["code"]: pipeline_chart(c["code"], c["states"], t) for c in board["categories"]}
    # The duties per unit, now (the duty board is not kept as of an instant).
    duties = duty_board(services, actor, str(campaign.id)) if campaign.duties and not instant else None
    names = unit_names(app, t)
    return render(
        request,
        "dashboard.html",
        {
            "board": board,
            "phases": phase_countdowns(board),
            "charts": charts,
            "nominations": nominations,
            "more": more,
            "shown": NOMINATIONS_SHOWN,
            "categories": {c.code: c for c in campaign.categories},
            "unit_name": names,
            "as_of": as_of,
            "own_unit": own_unit,
            "duty_board": duties,
            "duty_state": DutyState,
            "hidden_scores": {
                n.id for n in nominations if not sees_other_inspections(actor, n.inspections)
            },
            # 公示 (issue 23): proposed, in publicity, objections open — now, not as of
            "publicity": publicity_summary(campaign, app.load, app.roster)
            if campaign.publicity is not None and not instant
            else None,
        },
    )


def nominations_as_of(
    app: Any,
    campaign: Campaign,
    declared_within: str | None,
    instant: datetime | None,
    limit: int | None,
) -> tuple[list[Nomination], bool]:
    """Up to ``limit`` of the campaign's nominations (declared within a unit's subtree), as
    they are now or as they stood at ``instant`` (those not declared yet left out); and
    whether there are more."""
    if instant is None:
        found, after = app.queries.nomination_page(
            campaign.id, declared_within=declared_within, limit=limit
        )
        return found, after is not None
    shown: list[Nomination] = []
    start: int | None = 0
    while start is not None:
        page, start = app.queries.nomination_page(
            campaign.id, declared_within=declared_within, start=start, limit=limit or 500
        )
        for nomination in page:
            if limit is not None and len(shown) == limit:
                return shown, True
            try:
                shown.append(app.queries.nomination_as_of(nomination.id, instant))
            except NominationNotFoundError:  # declared after the instant
                continue
    return shown, False


def own_figures(board: dict[str, Any], nominations: list[Nomination]) -> None:
    """The board's per-category counts replaced by those of ``nominations`` (a declarer's
    own); the quota stays the campaign's, which the page says."""
    counts = Counter((n.category, str(n.state)) for n in nominations)
    for category in board["categories"]:
        states = {state: counts.get((category["code"], state), 0) for state in category["states"]}
        category["states"] = states
        category["nominations"] = sum(states.values())
    board["silent_units"] = None  # the other townships are not the declarer's to see


@router.get("/nominations/{nomination_id}", response_class=HTMLResponse)
def nomination_page(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    """A nomination: who, the declaration form and the typical material, then its timeline."""
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    history = app.queries.history(nomination.id)
    sees_scores = sees_other_inspections(actor, nomination.inspections)
    if not sees_scores:
        history = [
            event
            for event in history
            if event["type"] != "nomination.inspected"
            or (event.get("actor") or {}).get("token_id") == actor.token_id
        ]
    entries = timeline(history, t, campaign, names)
    return render(
        request,
        "nomination.html",
        {
            "sees_scores": sees_scores,
            "nomination": nomination,
            "campaign": campaign,
            "category": campaign.category(nomination.category),
            "entries": entries,
            "unit_name": names,
            "material_chars": count_characters(nomination.material),
            "provenance": provenance(app, nomination, t, names, sees_scores=sees_scores),
            "base_kind_label": lambda code: t.term(BaseKind, code),
        },
    )


@router.get("/units/{unit_id}/compliance", response_class=HTMLResponse)
def unit_compliance(
    request: Request,
    unit_id: str,
    app: App,
    actor: PageActor,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    through: date | None = None,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """A unit's activity-day compliance, judged on the months complete before ``through``
    (default: today in the campaign's time zone, Beijing time without a campaign)."""
    unit = app.get_unit(unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    timezone = app.access.readable_campaign(campaign, actor).timezone if campaign else None
    today = local_date(app.clock(), timezone)
    assert today is not None
    year = year or today.year
    result = app.queries.compliance_of(unit_id, year, through=through or today)
    return render(
        request,
        "compliance.html",
        {
            "unit": unit,
            "year": year,
            "result": result,
            "members": app.queries.member_roll(unit_id),
            "timezone": timezone,
        },
    )
