"""表彰名单, 复查结果 and 撤销荣誉: a campaign's commendation list (the XLSX is the API's), its
titles with their re-inspection state, and revocation with a reason (``Revoke``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.common import campaign_label, refusal
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.organiser.common import desk_revoke
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Revoke
from domain.rules.jurisdiction import require_role
from domain.vocabulary import TitleStatus

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)

TITLES_SHOWN = 100  # rows of the title register per page


@router.get("/campaigns/{campaign_id}/commendations", response_class=HTMLResponse)
def commendations_page(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """表彰名单: each category's commended nominations in rank order (the XLSX is the API's)."""
    require_role(actor, "commend")
    campaign = app.access.readable_campaign(campaign_id, actor)
    shown = [campaign.category(category)] if category else list(campaign.categories)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    lists = []
    for cat in shown:
        nominations = [app.get_nomination(nid) for nid in campaign.commended.get(cat.code, [])]
        nominations.sort(key=lambda n: n.title.rank if n.title else 0)
        lists.append((cat, nominations))
    return render(
        request,
        "organise_commendations.html",
        {
            "campaign": campaign,
            "category": category,
            "lists": lists,
            "may_revoke": refusal(lambda: desk_revoke(app, actor, campaign)) is None,
            "title_status": TitleStatus,
            "unit_name": names,
            "campaign_label": campaign_label(campaign, t, names),
        },
    )


def reinspection_state(title: Mapping[str, Any]) -> str:
    """Where a title stands with its re-inspection (a message key's last part)."""
    if title["status"] == TitleStatus.REVOKED:
        return "revoked"
    if title["reinspection_due_by"]:
        return "due"
    if title["last_reinspection_passed"]:
        return "passed"
    return "awaiting" if title["yearly_reinspection"] else "not_required"


@router.get("/campaigns/{campaign_id}/titles", response_class=HTMLResponse)
def titles_page(
    request: Request,
    campaign_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(pattern="^(active|revoked)?$")] = "",
    after: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """复查结果: the campaign's titles with their re-inspection state (the title register)."""
    require_role(actor, "commend")
    campaign = app.access.readable_campaign(campaign_id, actor)
    if category:
        campaign.category(category)
    titles = services.views.titles(
        campaign_id=str(campaign.id),
        category=category or None,
        status=status or None,
        after=after,
        limit=TITLES_SHOWN,
    )
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return render(
        request,
        "organise_titles.html",
        {
            "campaign": campaign,
            "categories": {c.code: c for c in campaign.categories},
            "filters": {"category": category, "status": status},
            "titles": [dict(title, reinspection=reinspection_state(title)) for title in titles],
            "next_after": titles[-1]["nomination_id"] if len(titles) == TITLES_SHOWN else None,
            "statuses": list(TitleStatus),
            "may_revoke": refusal(lambda: desk_revoke(app, actor, campaign)) is None,
            "title_status": TitleStatus,
            "unit_name": names,
            "campaign_label": campaign_label(campaign, t, names),
        },
    )


def revoke_context(request: Request, app: Laurel, actor: Actor, nomination_id: str) -> dict[str, Any]:
    require_role(actor, "revoke")
    nomination = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(nomination.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": campaign.category(nomination.category),
        "title": nomination.title,
        "why_not": refusal(lambda: desk_revoke(app, actor, campaign)),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }


@router.get("/nominations/{nomination_id}/revoke", response_class=HTMLResponse)
def revoke_form(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    """撤销荣誉: the title and the form that revokes it with a reason."""
    return render(request, "organise_revoke.html", revoke_context(request, app, actor, nomination_id))


@router.post("/nominations/{nomination_id}/revoke", response_class=HTMLResponse)
async def revoke(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    context = await run_in_threadpool(revoke_context, request, app, form.actor, nomination_id)
    nomination, campaign = context["nomination"], context["campaign"]
    reason = str(form.values.get("reason") or "")
    return await submit(
        request,
        form,
        Revoke(nomination_id=str(nomination.id), reason=reason),
        done=f"/ui/organise/campaigns/{campaign.id}/commendations?category={nomination.category}",
        again=lambda: (
            "organise_revoke.html",
            revoke_context(request, app, form.actor, nomination_id),
        ),
        flash=t("organise.revoked", name=nomination.nominee.name),
    )
