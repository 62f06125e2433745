"""/ui/units/{unit}/feed: the notices concerning a unit, newest first, for the unit's own tokens
and the admins above it (``api.notices.require_feed_reader``, as GET /v1/units/{unit}/feed)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App, ServicesDep
from api.notices import instant, next_before, notification_store, require_feed_reader
from api.pages.i18n import Translator, language_of
from api.pages.inbox.languages import notice_fields
from api.pages.rendering import PageActor, PageRoute, render
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import DomainError

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

SHOWN = 50


def concerning(app: Laurel, actor: Actor, subject_id: str, t: Translator) -> dict[str, Any]:
    """What a notice is about as a reader knows it: a nomination by its nominee's name, linked
    to its page when the reader may open it; a campaign by its name; else the bare id. (The
    name is in the notice's subject already: naming it here tells nothing new.)"""
    try:
        nomination = app.get_nomination(subject_id)
    except (DomainError, ValueError):
        nomination = None
    if nomination is not None:
        try:
            app.access.readable_nomination(subject_id, actor)
            href: str | None = f"/ui/nominations/{subject_id}"
        except DomainError:
            href = None
        return {"label": nomination.nominee.name, "href": href}
    try:
        return {"label": t.name(app.get_campaign(subject_id)), "href": None}
    except (DomainError, ValueError):
        return {"label": subject_id, "href": None, "code": True}


def feed_row(row: dict[str, Any], t: Translator, about: dict[str, Any]) -> dict[str, Any]:
    return {
        **notice_fields(row, t),
        "concerning": about,
        "occurred_at": instant(row.get("occurred_at")),
    }


@router.get("/units/{unit_id}/feed", response_class=HTMLResponse)
def unit_feed(
    request: Request,
    unit_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    unit = require_feed_reader(app, actor, unit_id)
    t = Translator(language_of(request))
    rows = notification_store(services).feed(unit.code, limit=SHOWN, before=before)
    about: dict[str, dict[str, Any]] = {}  # one look-up per subject on the page
    for row in rows:
        subject_id = str(row.get("subject_id") or "")
        if subject_id not in about:
            about[subject_id] = concerning(app, actor, subject_id, t)
    return render(
        request,
        "inbox_feed.html",
        {
            "unit": unit,
            "unit_label": t.name(unit),
            "items": [feed_row(r, t, about[str(r.get("subject_id") or "")]) for r in rows],
            "before": before,
            "next_before": next_before(rows, SHOWN),
        },
    )
