"""What the admin pages share: who may open them, their own navigation, the typed values of a
posted form, the units an admin works on (the roots, its subtree) and a command whose answer
is shown rather than redirected to (a secret, shown once)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.utils import get_topic
from fastapi import Request, Response

from api.pages.forms import Again, PostedForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import render
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Command
from domain.errors import DomainError, NotFoundError, RuleFailure, RuleViolationError
from domain.rules.jurisdiction import require_role, require_within, sees_all
from domain.rules.webhook_access import require_webhook_reader
from domain.units import Unit
from domain.vocabulary import Level

Context = dict[str, Any]
NO_STORE = {"Cache-Control": "no-store"}  # a page showing a secret is never kept by the browser


def admin_of(actor: Actor) -> None:
    """The admin pages are an admin's (each command checks again what it may do)."""
    require_role(actor, "manage_units")


def allowed(check: Callable[[], object]) -> bool:
    """Whether the domain's ``check`` lets the actor through (a link shown or not)."""
    try:
        check()
    except DomainError:
        return False
    return True


def sections(actor: Actor) -> list[tuple[str, str]]:
    """The admin area's own navigation: (path, message key)."""
    found = [("/ui/admin/units", "admin.units"), ("/ui/admin/tokens", "admin.tokens")]
    if allowed(lambda: require_webhook_reader(actor)):
        found.append(("/ui/admin/webhooks", "admin.webhooks"))
    return found


def with_sections(actor: Actor, context: Context) -> Context:
    return {"sections": sections(actor), **context}


def page(
    request: Request, name: str, actor: Actor, context: Context, headers: dict[str, str] | None = None
) -> Response:
    response = render(request, name, with_sections(actor, context))
    response.headers.update(headers or {})
    return response


def lang(request: Request) -> Translator:
    return Translator(language_of(request))


def value(form: PostedForm, name: str) -> str:
    """What was typed in the field ``name``, trimmed."""
    found = form.values.get(name, "")
    return str(found[0] if isinstance(found, list) else found).strip()


def values(form: PostedForm, name: str) -> list[str]:
    """The values of a field posted several times (checkboxes)."""
    found = form.values.get(name, [])
    return [found] if isinstance(found, str) else list(found)


def existing_unit(app: Laurel, code: str, field: str, *, optional: bool = True) -> str | None:
    """``code`` when it names a unit (None when blank and ``optional``); an unknown code is a
    refusal of ``field`` in the domain's own words, shown next to that field."""
    if not code and optional:
        return None
    try:
        return app.get_unit(code).code
    except NotFoundError as exc:
        raise RuleViolationError(
            [RuleFailure("unit_exists", exc.message_en, exc.message_zh, field, None, code)]
        ) from None


async def made(
    request: Request,
    form: PostedForm,
    command: Command | Callable[[], Command],
    again: Again | Callable[[], Again],
) -> dict[str, Any] | Response:
    """Runs ``command`` through the safe form and gives its result (a secret included) for
    the page to show, instead of a redirect; refused, the form again, as ``submit`` answers."""
    result: dict[str, Any] = {}

    def keep(answer: dict[str, Any]) -> str:
        result.update(answer)
        return request.url.path

    response = await submit(request, form, command, done=keep, again=again)
    return result or response


# --- the units an admin works on ---------------------------------------------------------------


def root_units(app: Laurel) -> list[Unit]:
    """Every unit without a parent, in the order registered: where an admin without a unit
    browses from. Read by event topic, as ``domain.execution.Loader`` rebuilds the token
    directory (the store keeps no list of roots)."""
    topic, roots, start = get_topic(Unit.Registered), list[str](), 1
    while batch := app.recorder.select_notifications(start, 1000, topics=[topic]):
        events = [app.mapper.to_domain_event(n) for n in batch]
        roots += [e.code for e in events if isinstance(e, Unit.Registered) and e.parent_code is None]
        start = batch[-1].id + 1
    return [unit for code in roots if (unit := app.get_unit(code)).parent_code is None]


def top_units(app: Laurel, actor: Actor, within: str | None = None) -> list[Unit]:
    """Where the actor's tree starts: ``within`` (a unit of its subtree), its own unit, or for
    an admin without a unit every root."""
    if within:
        unit = app.get_unit(within)
        require_within(actor, [unit], "manage_units")
        return [unit]
    if actor.unit_id is not None:
        return [app.get_unit(actor.unit_id)]
    return root_units(app) if sees_all(actor) else []


def node(unit: Unit, t: Translator) -> Context:
    """A unit as the tree shows it."""
    return {
        "code": unit.code,
        "name": t.name(unit),
        "level": unit.level.label(t.lang),
        "children": len(unit.children),
    }


def children_of(app: Laurel, unit: Unit, t: Translator) -> list[Context]:
    return [node(app.get_unit(code), t) for code in sorted(unit.children)]


def unit_options(app: Laurel, actor: Actor, t: Translator) -> list[tuple[str, str]]:
    """The units of the actor's subtree, suggested by the unit fields: (code, label)."""
    return [
        (unit.code, f"{t.name(unit)} · {unit.level.label(t.lang)}")
        for top in top_units(app, actor)
        for unit in app.queries.units_in_subtree(top.code)
    ]


def level_options(t: Translator) -> list[tuple[str, str]]:
    return [(str(level), level.label(t.lang)) for level in Level]
