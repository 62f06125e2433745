"""Access tokens: issue one (its secret on the answering page only), list them (never a
secret), revoke one with a reason (its page sessions end)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
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
from api.pages.forms import ActionForm, Again, submit
from api.pages.rendering import PageActor, PageRoute, unit_names
from domain.access import ISSUABLE_ROLES
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import IssueToken, RevokeToken
from domain.errors import RuleFailure, RuleViolationError, TokenNotFoundError
from domain.units import reason_failures

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)


def tokens_context(request: Request, app: Laurel, services: Any, actor: Actor) -> Context:
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
    }


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, app: App, services: ServicesDep, actor: PageActor) -> Response:
    admin_of(actor)
    return page(request, "admin_tokens.html", actor, tokens_context(request, app, services, actor))


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
        )

    def again() -> Again:
        return "admin_tokens.html", with_sections(actor, tokens_context(request, app, services, actor))

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
