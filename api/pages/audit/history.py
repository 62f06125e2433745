"""A campaign's nominations and its dashboard as of an instant (``/ui/audit/campaigns/{id}``,
``…/dashboard``), and a nomination with its timeline now or as of an instant
(``/ui/audit/nominations/{id}?at=``; ``app.queries.nomination_as_of``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import App
from api.pages.audit.common import errors_of, instant_of, local_input
from api.pages.common import campaign_label
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from api.pages.timeline import timeline
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import NominationNotFoundError, RuleViolationError
from domain.rules.jurisdiction import (
    require_audit_reader,
)
from domain.rules.material import count_characters
from domain.vocabulary import NominationState, TitleStatus

router = APIRouter(prefix="/ui/audit", route_class=PageRoute, include_in_schema=False)

NOMINATIONS_SHOWN = 200


def campaign_context(
    request: Request, app: Laurel, actor: Actor, campaign_id: str, category: str = "", state: str = ""
) -> dict[str, Any]:
    require_audit_reader(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    if category:
        campaign.category(category)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    nominations, more = app.queries.nomination_page(
        campaign.id,
        category=category or None,
        states=[state] if NominationState.parse(state) else None,
        limit=NOMINATIONS_SHOWN,
    )
    return {
        "campaign": campaign,
        "categories": {c.code: c for c in campaign.categories},
        "filters": {"category": category, "state": state},
        "states": list(NominationState),
        "nominations": nominations,
        "more": more is not None,
        "shown": NOMINATIONS_SHOWN,
        "at_value": local_input(app.clock(), campaign.timezone),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def audit_campaign(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """A campaign's nominations (each opens as of any instant) and its dashboard as of one."""
    context = campaign_context(request, app, actor, campaign_id, category, state)
    return render(request, "audit_campaign.html", context)


@router.get("/campaigns/{campaign_id}/dashboard", response_class=HTMLResponse)
def dashboard_as_of(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    at: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """To the dashboard page as of ``at`` (typed in the campaign's zone) with its offset."""
    require_audit_reader(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    try:
        instant = instant_of(at, campaign.timezone)
    except RuleViolationError as exc:
        context = campaign_context(request, app, actor, campaign_id)
        t = Translator(language_of(request))
        context.update(errors=errors_of(exc, t), values={"at": at}, at_value=at)
        return render(request, "audit_campaign.html", context, status=422)
    query = urlencode({"as_of": instant.isoformat()})
    return RedirectResponse(f"/ui/campaigns/{campaign.id}?{query}", status_code=303)


# --- a nomination, now or as of an instant -----------------------------------------------------


def nomination_context(
    request: Request, app: Laurel, actor: Actor, nomination_id: str, at: str
) -> tuple[dict[str, Any], int]:
    """The nomination and its timeline as they stood at ``at`` (now when empty); and the
    status (422 when ``at`` names no instant)."""
    require_audit_reader(actor)
    current = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(current.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    history = app.queries.history(current.id)
    shown, instant, missing, errors = current, None, False, {}
    if at.strip():
        try:
            instant = instant_of(at, campaign.timezone)
            shown = app.queries.nomination_as_of(current.id, instant)
        except RuleViolationError as exc:
            errors = errors_of(exc, t)
        except NominationNotFoundError:  # declared after that instant
            missing = True
    kept = [] if missing else [e for e in history if e["version"] <= shown.version]
    return {
        "nomination": shown,
        "current": current,
        "campaign": campaign,
        "category": campaign.category(current.category),
        "entries": timeline(kept, t, campaign, names),
        "later": len(history) - len(kept),
        "instant": instant,
        "missing": missing,
        "errors": errors,
        "values": {"at": at} if errors else {},
        "at_value": at if errors else local_input(instant or app.clock(), campaign.timezone),
        "material_chars": count_characters(shown.material),
        "title_status": TitleStatus,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }, 422 if errors else 200


@router.get("/nominations/{nomination_id}", response_class=HTMLResponse)
def audit_nomination(
    request: Request,
    nomination_id: str,
    app: App,
    actor: PageActor,
    at: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """A nomination with its timeline, as of ``at`` (a date and time in the campaign's zone)."""
    context, status = nomination_context(request, app, actor, nomination_id, at)
    return render(request, "audit_nomination.html", context, status=status)
