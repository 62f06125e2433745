"""The admin's home and the unit tree: browse it (a subtree's next level comes by htmx), add a
unit, rename or move one with a reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App
from api.pages.admin.common import (
    Context,
    admin_of,
    allowed,
    children_of,
    existing_unit,
    lang,
    level_options,
    node,
    page,
    top_units,
    unit_options,
    value,
    with_sections,
)
from api.pages.forms import ActionForm, Again, submit
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import MoveUnit, RegisterUnit, RenameUnit
from domain.rules.jurisdiction import require_within
from domain.rules.webhook_access import require_webhook_reader

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, app: App, actor: PageActor) -> Response:
    admin_of(actor)
    t = lang(request)
    tops = top_units(app, actor)
    tokens = app.access.list_tokens(actor)
    reader = allowed(lambda: require_webhook_reader(actor))
    context = {
        "tops": [node(u, t) for u in tops],
        "unit_count": sum(len(app.queries.units_in_subtree(u.code)) for u in tops),
        "tokens_active": sum(1 for token in tokens if not token["revoked"]),
        "tokens_total": len(tokens),
        "webhooks": app.webhooks.list_webhooks(actor) if reader else None,
    }
    return page(request, "admin_home.html", actor, context)


def tree_context(request: Request, app: Laurel, actor: Actor, within: str | None = None) -> Context:
    t = lang(request)
    return {
        "tops": [dict(node(u, t), kids=children_of(app, u, t)) for u in top_units(app, actor, within)],
        "within": within,
        "unit_options": unit_options(app, actor, t),
        "levels": level_options(t),
        "parent": request.query_params.get("parent") or actor.unit_id or "",
    }


@router.get("/admin/units", response_class=HTMLResponse)
def units_page(
    request: Request,
    app: App,
    actor: PageActor,
    within: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    admin_of(actor)
    return page(request, "admin_units.html", actor, tree_context(request, app, actor, within))


@router.get("/admin/units/{code}/children", response_class=HTMLResponse)
def unit_children(request: Request, code: str, app: App, actor: PageActor) -> Response:
    """A unit's children, for htmx to put under its node in the tree."""
    admin_of(actor)
    unit = app.get_unit(code)
    require_within(actor, [unit], "manage_units")
    return render(request, "admin_unit_children.html", {"kids": children_of(app, unit, lang(request))})


@router.post("/admin/units", response_class=HTMLResponse)
async def add_unit(request: Request, app: App, actor: PageActor, form: ActionForm) -> Response:
    admin_of(actor)

    def command() -> RegisterUnit:
        return RegisterUnit(
            code=value(form, "id"),
            name=value(form, "name"),
            name_zh=value(form, "name_zh"),
            level=value(form, "level"),
            parent_id=existing_unit(app, value(form, "parent_id"), "parent_id"),
        )

    t = lang(request)
    return await submit(
        request,
        form,
        command,
        done=lambda result: f"/ui/admin/units/{result['id']}",
        again=lambda: ("admin_units.html", with_sections(actor, tree_context(request, app, actor))),
        flash=lambda result: t("admin.unit_added", name=result["name_zh"] or result["name"]),
    )


def unit_context(request: Request, app: Laurel, actor: Actor, code: str, acting: str | None) -> Context:
    """A unit's page, with the form ``acting`` names (rename, move) open."""
    unit = app.get_unit(code)
    require_within(actor, [unit], "manage_units")
    t = lang(request)
    name = unit_names(app, t)
    return {
        "unit": unit,
        "node": node(unit, t),
        "path": [(c, name(c)) for c in unit.path],
        "kids": children_of(app, unit, t),
        "unit_options": unit_options(app, actor, t) if acting == "move" else [],
        "acting": acting,
    }


def unit_again(
    request: Request, app: Laurel, actor: Actor, code: str, acting: str
) -> Callable[[], Again]:
    def again() -> Again:
        return "admin_unit.html", with_sections(actor, unit_context(request, app, actor, code, acting))

    return again


@router.get("/admin/units/{code}", response_class=HTMLResponse)
def unit_page(
    request: Request,
    code: str,
    app: App,
    actor: PageActor,
    act: Annotated[Literal["rename", "move"] | None, Query()] = None,
) -> Response:
    admin_of(actor)
    return page(request, "admin_unit.html", actor, unit_context(request, app, actor, code, act))


@router.post("/admin/units/{code}/rename", response_class=HTMLResponse)
async def rename_unit(
    request: Request, code: str, app: App, actor: PageActor, form: ActionForm
) -> Response:
    admin_of(actor)
    rename = RenameUnit(
        code=code, name=value(form, "name"), name_zh=value(form, "name_zh"), reason=value(form, "reason")
    )
    return await submit(
        request,
        form,
        rename,
        done=f"/ui/admin/units/{code}",
        again=unit_again(request, app, actor, code, "rename"),
        flash=lang(request)("admin.unit_renamed"),
    )


@router.post("/admin/units/{code}/move", response_class=HTMLResponse)
async def move_unit(
    request: Request, code: str, app: App, actor: PageActor, form: ActionForm
) -> Response:
    admin_of(actor)

    def command() -> MoveUnit:
        parent = existing_unit(app, value(form, "parent_id"), "parent_id", optional=False)
        return MoveUnit(code=code, parent_id=parent or "", reason=value(form, "reason"))

    return await submit(
        request,
        form,
        command,
        done=f"/ui/admin/units/{code}",
        again=unit_again(request, app, actor, code, "move"),
        flash=lang(request)("admin.unit_moved"),
    )
