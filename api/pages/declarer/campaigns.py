"""The declarer's home (``/ui/declare``: the campaigns open to my unit, each phase's deadline
and time left, every nomination of my subtree with its state and reasons) and a campaign's page
(``/ui/declare/{campaign}``: its categories, the bulk declaration, my nominations in it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App
from api.pages.common import campaign_label
from api.pages.declarer.common import (
    MINE_SHOWN,
    desks,
    may_declare,
    mine,
    readable_desk,
    require_declarer_pages,
)
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel

router = APIRouter(prefix="/ui/declare", route_class=PageRoute, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def home(request: Request, app: App, actor: PageActor) -> Response:
    require_declarer_pages(actor)
    t = Translator(language_of(request))
    found = desks(app, actor)
    rows, more = mine(app, actor, [d.campaign for d in found])
    names = unit_names(app, t)
    return render(
        request,
        "declare_home.html",
        {
            "desks": found,
            "rows": rows,
            "more": more,
            "shown": MINE_SHOWN,
            "unit_name": names,
            "labels": {str(d.campaign.id): campaign_label(d.campaign, t, names) for d in found},
            "may_declare": may_declare(actor),
        },
    )


def campaign_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    t = Translator(language_of(request))
    found = readable_desk(app, actor, campaign_id)
    rows, more = mine(app, actor, [found.campaign])
    names = unit_names(app, t)
    return {
        "desk": found,
        "campaign": found.campaign,
        "label": campaign_label(found.campaign, t, names),
        "rows": rows,
        "more": more,
        "shown": MINE_SHOWN,
        "unit_name": names,
        "may_declare": may_declare(actor),
    }


@router.get("/{campaign_id}", response_class=HTMLResponse)
def campaign_page(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    return render(request, "declare_campaign.html", campaign_context(request, app, actor, campaign_id))
