"""荣誉称号登记 (``/ui/units/{unit}/titles``): the titles held in a unit's subtree across campaigns
and levels, from the title register (``domain/title_register.py``, the roster: what the rules
consult), each with the granting campaign and its level, its status and its next
re-inspection. Who may read the unit's records may read it (``can_read_unit_records``), as
``GET /v1/units/{unit}/titles``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.rules.jurisdiction import can_read_unit_records, require_read
from domain.templates import load_templates
from domain.vocabulary import Level

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

MAX_UNITS_SEARCHED = 1000  # as the API's register


def title_options(t: Translator) -> list[tuple[str, str]]:
    """Every title a template grants: (category code, its name), each code once."""
    found: dict[str, str] = {}
    for template in load_templates().values():
        for category in template.categories:
            found.setdefault(category.code, t.name(category))
    return sorted(found.items())


@router.get("/units/{unit_id}/titles", response_class=HTMLResponse)
def unit_titles(
    request: Request,
    unit_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
    revoked: Annotated[str, Query(max_length=1, pattern="^1?$")] = "",
) -> Response:
    """The titles held in the unit and below, in force (``revoked=1``: the revoked too)."""
    unit = app.get_unit(unit_id)
    require_read(actor, can_read_unit_records(actor, unit), f"unit {unit_id}")
    subtree = app.queries.units_in_subtree(unit.code)
    codes = [u.code for u in subtree][:MAX_UNITS_SEARCHED]
    held = app.titles.held(codes, category or None, in_force=not revoked)
    held.sort(key=lambda h: (not h.in_force, h.category, h.holder_unit_id, h.granted_at))
    t = Translator(language_of(request))
    return render(
        request,
        "unit_titles.html",
        {
            "unit": unit,
            "held": held,
            "filters": {"category": category, "revoked": revoked},
            "title_options": title_options(t),
            "level_name": lambda code: t.term(Level, code),
            "more_units": len(subtree) > MAX_UNITS_SEARCHED,
            "max_units": MAX_UNITS_SEARCHED,
            "unit_name": unit_names(app, t),
        },
    )
