"""A unit's contacts under /ui/units/{unit}/contacts: the list, a form to add
one, each one's page to change or remove it. Managed by the unit's admins (and those above)
and its own declarers; read by the admins of its subtree and the person itself — the
domain's rules (``app.contacts.contacts``, the contact commands): a declarer of the unit, who
may add a contact but read none but its own, sees the form without the list.

/ui/contacts leads to the reader's own unit's page (an admin without a unit names one)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.deps import App
from api.pages.admin.common import unit_options
from api.pages.forms import ActionForm, PostedForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render
from domain import commands
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import AuthorizationError, NotFoundError
from domain.rules.jurisdiction import require_contact_manager
from domain.units import Unit
from domain.vocabulary import Role

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

ROLES = (Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR)
Context = dict[str, Any]


def role_options(t: Translator, actor: Actor) -> list[tuple[str, str]]:
    """The roles the actor may give a contact (a declarer: the declarer role only)."""
    roles = (Role.DECLARER,) if actor.role == Role.DECLARER else ROLES
    return [(str(role), role.label(t.lang)) for role in roles]


def manages(actor: Actor, unit: Unit) -> bool:
    """Whether the actor may add, change or remove the unit's contacts (the forms are shown
    only then; a person reading its own entry sees it without them)."""
    try:
        require_contact_manager(actor, unit)
    except AuthorizationError:
        return False
    return True


def readable_contacts(app: Laurel, unit: Unit, actor: Actor) -> list[dict[str, Any]] | None:
    """The unit's contacts as the actor may read them; None for the unit's own declarer, who
    adds contacts without reading them; anyone else refused is refused the page too."""
    try:
        found: list[dict[str, Any]] = app.contacts.contacts(unit.code, actor)
    except AuthorizationError:
        if actor.role == Role.DECLARER and actor.unit_id == unit.code:
            return None
        raise
    return [{**c, "id": str(c.get("contact_id") or c.get("id"))} for c in found]


def child_units(app: Laurel, unit: Unit, actor: Actor, t: Translator) -> list[dict[str, str]]:
    """The units right below ``unit`` whose contacts an admin also manages (none for anyone
    else): links down the tree, one level at a time."""
    if actor.role != Role.ADMIN:
        return []
    return [
        {"code": child.code, "name": t.name(child)}
        for child in (app.get_unit(code) for code in sorted(unit.children))
    ]


def contacts_context(app: Laurel, unit_id: str, actor: Actor, t: Translator) -> Context:
    unit = app.get_unit(unit_id)
    return {
        "unit": unit,
        "unit_label": t.name(unit),
        "contacts": readable_contacts(app, unit, actor),
        "children": child_units(app, unit, actor, t),
        "roles": role_options(t, actor),
        "manages": manages(actor, unit),
        "role_label": lambda code: t.term(Role, code),
    }


def contact_context(app: Laurel, unit_id: str, contact_id: str, actor: Actor, t: Translator) -> Context:
    context = contacts_context(app, unit_id, actor, t)
    found = [c for c in context["contacts"] or [] if c["id"] == contact_id]
    if not found:
        raise NotFoundError(
            f"no contact '{contact_id}' you may read in unit '{unit_id}'",
            f"单位「{unit_id}」中没有您可查看的联系人「{contact_id}」",
            contact_id=contact_id,
        )
    return {**context, "contact": found[0]}


@router.get("/contacts", response_class=HTMLResponse)
def my_contacts(
    request: Request,
    app: App,
    actor: PageActor,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    code = (unit or "").strip() or actor.unit_id
    if code:
        return RedirectResponse(f"/ui/units/{quote(code, safe='')}/contacts", status_code=303)
    t = Translator(language_of(request))
    # An admin without a unit: the units of its reach, by name (none for anyone else).
    units = unit_options(app, actor, t) if actor.role == Role.ADMIN else []
    return render(request, "contacts_choose.html", {"units": units})


@router.get("/units/{unit_id}/contacts", response_class=HTMLResponse)
def contacts_page(request: Request, unit_id: str, app: App, actor: PageActor) -> Response:
    t = Translator(language_of(request))
    return render(request, "contacts.html", contacts_context(app, unit_id, actor, t))


def typed(form: PostedForm, name: str) -> str:
    found = form.values.get(name, "")
    return str(found[0] if isinstance(found, list) else found).strip()


@router.post("/units/{unit_id}/contacts", response_class=HTMLResponse)
async def add_contact(
    request: Request, unit_id: str, app: App, actor: PageActor, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    command = commands.AddContact(
        unit_id=unit_id,
        name=typed(form, "name"),
        role=typed(form, "role"),
        email=typed(form, "email"),
        phone=typed(form, "phone"),
    )
    return await submit(
        request,
        form,
        command,
        done=f"/ui/units/{unit_id}/contacts",
        again=lambda: ("contacts.html", contacts_context(app, unit_id, actor, t)),
        flash=t("contacts.added"),
    )


@router.get("/units/{unit_id}/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(
    request: Request, unit_id: str, contact_id: str, app: App, actor: PageActor
) -> Response:
    t = Translator(language_of(request))
    return render(request, "contact.html", contact_context(app, unit_id, contact_id, actor, t))


@router.post("/units/{unit_id}/contacts/{contact_id}", response_class=HTMLResponse)
async def change_contact(
    request: Request, unit_id: str, contact_id: str, app: App, actor: PageActor, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    command = commands.ChangeContact(
        unit_id=unit_id,
        contact_id=contact_id,
        name=typed(form, "name"),
        role=typed(form, "role"),
        email=typed(form, "email"),
        phone=typed(form, "phone"),
    )
    return await submit(
        request,
        form,
        command,
        done=f"/ui/units/{unit_id}/contacts",
        again=lambda: ("contact.html", contact_context(app, unit_id, contact_id, actor, t)),
        flash=t("contacts.changed"),
    )


@router.post("/units/{unit_id}/contacts/{contact_id}/remove", response_class=HTMLResponse)
async def remove_contact(
    request: Request, unit_id: str, contact_id: str, app: App, actor: PageActor, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    return await submit(
        request,
        form,
        commands.RemoveContact(unit_id=unit_id, contact_id=contact_id),
        done=f"/ui/units/{unit_id}/contacts",
        again=lambda: ("contact.html", contact_context(app, unit_id, contact_id, actor, t)),
        flash=t("contacts.removed"),
    )
