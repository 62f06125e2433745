"""Webhook subscriptions: list, create (URL, event types from the catalogue, description; the
signing secret on the answering page only), rotate the secret, disable, delete; each one's
delivery log and a replay of past events. Managed by an admin without a unit, read by root
readers (``domain.rules.webhook_access``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from eventsourcing.domain import Aggregate
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.admin.common import (
    NO_STORE,
    Context,
    allowed,
    lang,
    made,
    page,
    value,
    values,
    with_sections,
)
from api.pages.formatting import DEFAULT_TIMEZONE
from api.pages.forms import ActionForm, Again, refused, submit
from api.pages.i18n import Translator
from api.pages.rendering import PageActor, PageRoute, set_flash
from domain.activity import ActivityRegister, MemberRoll
from domain.actors import Actor
from domain.application import Laurel
from domain.audit_checkpoints import Audit
from domain.campaigns import Campaign
from domain.commands import CreateWebhook, DeleteWebhook, DisableWebhook, RotateWebhookSecret
from domain.errors import ConflictError, RuleFailure, RuleViolationError
from domain.history import event_class_type
from domain.nominations import Nomination
from domain.rules.jurisdiction import require_role
from domain.rules.webhook_access import require_webhook_admin, require_webhook_reader
from domain.units import Unit, reason_failures
from domain.vocabulary import WebhookStatus
from domain.webhooks import matches

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

DELIVERIES_SHOWN = 50
# The aggregates whose events a subscription may receive (the catalogue's business events).
DELIVERED: tuple[type[Aggregate], ...] = (
    Unit,
    Campaign,
    Nomination,
    MemberRoll,
    ActivityRegister,
    Audit,
)


def event_catalogue() -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The event types a subscription may name, by aggregate: (aggregate, [(type, zh, en)]),
    the domain's own events less what is never delivered (``domain.webhooks.matches``)."""
    groups = []
    for aggregate in DELIVERED:
        events = [
            v
            for v in vars(aggregate).values()
            if isinstance(v, type) and issubclass(v, Aggregate.Event) and v.__name__ != "Event"
        ]
        created = [e for e in events if issubclass(e, Aggregate.Created)]
        if len(created) > 1:  # eventsourcing's own "Created" beside the one the aggregate declares
            events = [e for e in events if e.__name__ != "Created"]
        types = [
            (event_class_type(e), getattr(e, "zh", ""), getattr(e, "en", ""))
            for e in events
            if matches(["*"], event_class_type(e))
        ]
        if types:
            groups.append((types[0][0].split(".")[0], types))
    return groups


def webhook_reader(actor: Actor) -> None:
    require_role(actor, "read")
    require_webhook_reader(actor)


def labels(t: Translator) -> Context:
    """What every subscription page shows its instants and statuses with."""
    return {"status_label": lambda code: t.term(WebhookStatus, code), "zone": DEFAULT_TIMEZONE}


def webhooks_context(app: Laurel, actor: Actor, t: Translator) -> Context:
    return {
        "webhooks": app.webhooks.list_webhooks(actor),
        "may_manage": allowed(lambda: require_webhook_admin(actor)),
        "catalogue": event_catalogue(),
        **labels(t),
    }


@router.get("/admin/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, app: App, actor: PageActor) -> Response:
    webhook_reader(actor)
    return page(request, "admin_webhooks.html", actor, webhooks_context(app, actor, lang(request)))


def secret_page(request: Request, actor: Actor, subscription: dict[str, Any], kind: str) -> Response:
    context = {"webhook": subscription, "kind": kind, **labels(lang(request))}
    return page(request, "admin_webhook_secret.html", actor, context, headers=NO_STORE)


@router.post("/admin/webhooks", response_class=HTMLResponse)
async def create_webhook(request: Request, app: App, actor: PageActor, form: ActionForm) -> Response:
    """The new subscription's signing secret is on the page this answers with, and on no other."""
    webhook_reader(actor)
    subscription = CreateWebhook(
        url=value(form, "url"),
        event_types=values(form, "event_types"),
        description=value(form, "description"),
    )

    def again() -> Again:
        return "admin_webhooks.html", with_sections(actor, webhooks_context(app, actor, lang(request)))

    created = await made(request, form, subscription, again)
    return created if isinstance(created, Response) else secret_page(request, actor, created, "created")


def instant(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def webhook_context(
    app: Laurel, services: Any, actor: Actor, t: Translator, webhook_id: str, before: int | None = None
) -> Context:
    subscription = app.webhooks.webhook(webhook_id, actor)
    rows = services.webhooks.attempts(subscription["id"], DELIVERIES_SHOWN, before)
    health = services.webhooks.health(subscription["id"])
    return {
        "webhook": subscription,
        "pending": health["pending"],
        "failing_since": instant(health["failing_since"]),
        "last_success_at": instant(health["last_success_at"]),
        "attempts": [
            dict(
                r, attempted_at=instant(r["attempted_at"]), next_attempt_at=instant(r["next_attempt_at"])
            )
            for r in rows
        ],
        "next_before": rows[-1]["id"] if len(rows) == DELIVERIES_SHOWN else None,
        "may_manage": allowed(lambda: require_webhook_admin(actor)),
        "last_position": services.views.max_position(),
        **labels(t),
    }


def webhook_again(
    app: Laurel, services: Any, actor: Actor, t: Translator, webhook_id: str, acting: str
) -> Callable[[], Again]:
    """The subscription's page again, the form ``acting`` names open."""

    def again() -> Again:
        context = {**webhook_context(app, services, actor, t, webhook_id), "acting": acting}
        return "admin_webhook.html", with_sections(actor, context)

    return again


@router.get("/admin/webhooks/{webhook_id}", response_class=HTMLResponse)
def webhook_page(
    request: Request,
    webhook_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    webhook_reader(actor)
    return page(
        request,
        "admin_webhook.html",
        actor,
        webhook_context(app, services, actor, lang(request), webhook_id, before),
    )


@router.post("/admin/webhooks/{webhook_id}/rotate", response_class=HTMLResponse)
async def rotate_secret(
    request: Request,
    webhook_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    form: ActionForm,
) -> Response:
    """The new signing secret is on the page this answers with; the previous one stays valid
    for the domain's grace period, which that page says."""
    webhook_reader(actor)
    again = webhook_again(app, services, actor, lang(request), webhook_id, "rotate")
    rotated = await made(request, form, RotateWebhookSecret(webhook_id=webhook_id), again)
    return rotated if isinstance(rotated, Response) else secret_page(request, actor, rotated, "rotated")


@router.post("/admin/webhooks/{webhook_id}/disable", response_class=HTMLResponse)
async def disable_webhook(
    request: Request,
    webhook_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    form: ActionForm,
) -> Response:
    webhook_reader(actor)

    def command() -> DisableWebhook:
        reason = value(form, "reason")
        if failures := reason_failures(reason):
            raise RuleViolationError(failures)
        return DisableWebhook(webhook_id=webhook_id, reason=reason)

    return await submit(
        request,
        form,
        command,
        done=f"/ui/admin/webhooks/{webhook_id}",
        again=webhook_again(app, services, actor, lang(request), webhook_id, "disable"),
        flash=lang(request)("admin.webhook_disabled"),
    )


@router.post("/admin/webhooks/{webhook_id}/delete", response_class=HTMLResponse)
async def delete_webhook(
    request: Request,
    webhook_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    form: ActionForm,
) -> Response:
    webhook_reader(actor)
    return await submit(
        request,
        form,
        DeleteWebhook(webhook_id=webhook_id),
        done="/ui/admin/webhooks",
        again=webhook_again(app, services, actor, lang(request), webhook_id, "delete"),
        flash=lang(request)("admin.webhook_deleted"),
    )


@router.post("/admin/webhooks/{webhook_id}/replay", response_class=HTMLResponse)
async def replay(
    request: Request,
    webhook_id: str,
    app: App,
    services: ServicesDep,
    actor: PageActor,
    form: ActionForm,
) -> Response:
    """Queues the events after a position again, as ``POST /v1/webhooks/{id}/replay`` does (a
    request to the delivery store, not an event; the form's key makes a repeat queue nothing)."""
    webhook_reader(actor)
    typed = value(form, "after_position")

    def queue() -> None:
        subscription = app.webhooks.replayable_webhook(webhook_id, actor)
        if not typed.isdigit() or int(typed) > 2**53:
            failure = RuleFailure(
                "replay_position",
                "a position: a whole number, 0 or more",
                "请填写事件位置（不小于 0 的整数）",
                "after_position",
                None,
                typed,
            )
            raise RuleViolationError([failure])
        until, now = services.views.max_position(), app.clock().timestamp()
        services.webhooks.request_replay(
            str(subscription.id), int(typed), until, actor.token_id, now, form.key
        )

    try:
        await run_in_threadpool(queue)
    except (RuleViolationError, ConflictError) as exc:
        again = webhook_again(app, services, actor, lang(request), webhook_id, "replay")
        return await refused(request, form, again, exc, stale=False)
    response = RedirectResponse(f"/ui/admin/webhooks/{webhook_id}", status_code=303)
    set_flash(request, response, lang(request)("admin.replay_queued"))
    return response
