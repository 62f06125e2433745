"""Access tokens: issue one (its secret on the answering page only), list them (never a
secret), revoke one with a reason (its page sessions end).

A token may carry a person, one of its unit's contacts (issue 24): the issue form offers the
contacts of the unit named in the query string (``?unit=…``, chosen by a small GET form first,
as there is no script to fill the choice), or after a refusal those of the unit posted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.admin.common import (
    NO_STORE,
    Context,
    admin_of,
    existing_unit,
    lang,
    made,
    page,
    unit_options,
    value,
    with_sections,
)
from api.pages.formatting import DEFAULT_TIMEZONE
from api.pages.forms import ActionForm, Again, PostedForm, errors_by_field, submit
from api.pages.i18n import Translator
from api.pages.rendering import PageActor, PageRoute, unit_names
from api.problems import status_for
from domain.access import ISSUABLE_ROLES
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import IssueToken, RevokeToken
from domain.errors import (
    AuthorizationError,
    NotFoundError,
    RuleFailure,
    RuleViolationError,
    TokenNotFoundError,
)
from domain.units import reason_failures
from domain.vocabulary import Role

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


def contact_options(app: Laurel, actor: Actor, unit_id: str, t: Translator) -> list[tuple[str, str]]:
    """The unit's contacts the issue form offers, as the admin may read them: (id, "name ·
    role"); a contact whose details were erased shows its id."""
    return [
        (str(c["contact_id"]), f"{c['name'] or c['contact_id']} · {t.term(Role, c['role'])}")
        for c in app.contacts.contacts(unit_id, actor)
    ]


def person_choice(app: Laurel, actor: Actor, unit_id: str, t: Translator) -> Context:
    """The issue form's choice of a person for the unit ``unit_id`` (blank: none offered).
    An unknown unit, or one whose contacts the admin may not read, offers none and says why
    next to the chooser's field (``chooser_errors``, with the refusal's status)."""
    choice: Context = {
        "person_query": unit_id,
        "person_unit": None,
        "person_unit_name": "",
        "contact_options": [],
    }
    if not unit_id:
        return choice
    try:
        unit = app.get_unit(unit_id)
        choice["contact_options"] = contact_options(app, actor, unit.code, t)
    except (NotFoundError, AuthorizationError) as exc:
        failure = RuleFailure("token_contact_unit", exc.message_en, exc.message_zh, "unit")
        return {**choice, "chooser_errors": errors_by_field([failure], t), "status": status_for(exc)}
    return {**choice, "person_unit": unit.code, "person_unit_name": t.name(unit)}


def tokens_context(
    request: Request, app: Laurel, services: Any, actor: Actor, person_unit: str = ""
) -> Context:
    t = lang(request)
    tokens = app.access.list_tokens(actor)
    used = services.access.last_used(token["id"] for token in tokens)
    return {
        "tokens": [
            dict(
                token,
                last_used_at=datetime.fromtimestamp(used[token["id"]], UTC)
                if token["id"] in used
                else None,
            )
            for token in tokens
        ],
        "roles": [(str(role), role.label(t.lang)) for role in ISSUABLE_ROLES],
        "unit_options": unit_options(app, actor, t),
        "unit_name": unit_names(app, t),
        "default_days": app.collaborators.token_policy.default.days,
        "zone": DEFAULT_TIMEZONE,
        **person_choice(app, actor, person_unit, t),
    }


def refused_context(
    request: Request, app: Laurel, services: Any, actor: Actor, form: PostedForm
) -> Context:
    """The issue form again after a refusal: the contacts of the unit posted, and the contact
    posted among them even when it is not one (so its refusal shows next to its field)."""
    posted = value(form, "unit_id")
    known = posted if posted and app.unit_exists(posted) else ""
    context = tokens_context(request, app, services, actor, known)
    context.pop("chooser_errors", None)  # the unit field's own refusal says what is wrong
    context.pop("status", None)
    contact = value(form, "contact_id")
    if contact and contact not in {code for code, _ in context["contact_options"]}:
        context["contact_options"] = [*context["contact_options"], (contact, contact)]
    return context


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(
    request: Request,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    unit: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """``?unit=``: the unit whose contacts the issue form offers (the token's person)."""
    admin_of(actor)
    context = tokens_context(request, app, services, actor, unit.strip())
    status = context.pop("status", 200)  # a unit refused: the page, saying why, with its status
    response = page(request, "admin_tokens.html", actor, context)
    response.status_code = status
    return response


def local_instant(typed: str, field: str) -> datetime | None:
    """A ``datetime-local`` value, read in the pages' zone (Beijing time); blank: none."""
    if not typed:
        return None
    try:
        return datetime.fromisoformat(typed).replace(tzinfo=ZoneInfo(DEFAULT_TIMEZONE))
    except ValueError:
        failure = RuleFailure(
            "instant_format", f"not a date and time: {typed}", f"不是有效的日期时间：{typed}", field
        )
        raise RuleViolationError([failure]) from None


@router.post("/admin/tokens", response_class=HTMLResponse)
async def issue_token(
    request: Request, app: App, services: ServicesDep, actor: PageActor, form: ActionForm
) -> Response:
    """The new token's secret is on the page this answers with, and on no other."""
    admin_of(actor)

    def command() -> IssueToken:
        return IssueToken(
            role=value(form, "role"),
            unit_id=existing_unit(app, value(form, "unit_id"), "unit_id"),
            label=value(form, "label"),
            expires_at=local_instant(value(form, "expires_at"), "expires_at"),
            contact_id=value(form, "contact_id") or None,
        )

    def again() -> Again:
        return "admin_tokens.html", with_sections(
            actor, refused_context(request, app, services, actor, form)
        )

    issued = await made(request, form, command, again)
    if isinstance(issued, Response):
        return issued
    context = {"token": issued, "unit_name": unit_names(app, lang(request)), "zone": DEFAULT_TIMEZONE}
    return await run_in_threadpool(
        page, request, "admin_token_created.html", actor, context, headers=NO_STORE
    )


def token_context(request: Request, app: Laurel, actor: Actor, token_id: str) -> Context:
    """A token the actor manages, as ``app.access.list_tokens`` lists it; any other is not found."""
    token = next((t for t in app.access.list_tokens(actor) if t["id"] == token_id), None)
    if token is None:
        raise TokenNotFoundError(f"no token '{token_id}'", f"没有令牌「{token_id}」", token=token_id)
    return {"token": token, "unit_name": unit_names(app, lang(request)), "zone": DEFAULT_TIMEZONE}


@router.get("/admin/tokens/{token_id}", response_class=HTMLResponse)
def token_page(request: Request, token_id: str, app: App, actor: PageActor) -> Response:
    admin_of(actor)
    return page(request, "admin_token.html", actor, token_context(request, app, actor, token_id))


@router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
async def revoke_token(
    request: Request, token_id: str, app: App, services: ServicesDep, actor: PageActor, form: ActionForm
) -> Response:
    """Revoked, then as ``DELETE /v1/tokens/{id}`` does: this process forgets the tokens it
    resolved (the revoked one is looked up again), and the token's page sessions end."""
    admin_of(actor)
    revoked: list[bool] = []

    def done(_: dict[str, Any]) -> str:
        revoked.append(True)
        return f"/ui/admin/tokens/{token_id}"

    def command() -> RevokeToken:
        reason = value(form, "reason")
        if failures := reason_failures(reason):  # the API's required ?reason=, as the domain words it
            raise RuleViolationError(failures)
        return RevokeToken(token_id=token_id, reason=reason)

    answer = await submit(
        request,
        form,
        command,
        done=done,
        again=lambda: (
            "admin_token.html",
            with_sections(actor, token_context(request, app, actor, token_id)),
        ),
        flash=lang(request)("admin.token_revoked", id=token_id),
    )
    if revoked:
        request.app.state.auth.tokens.clear()
        await run_in_threadpool(services.access.close_sessions_of, token_id)
    return answer
