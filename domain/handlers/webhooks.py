"""Webhook subscriptions: create, rotate the secret, disable, delete (an admin without a unit:
a subscription sees every event). A new secret is kept in the vault before the events name
it, so a reference never names a missing secret; it is in the first answer only."""

from __future__ import annotations

from domain.actors import Actor
from domain.commands import (
    Command,
    CreateWebhook,
    DeleteWebhook,
    DisableWebhook,
    RotateWebhookSecret,
)
from domain.handlers.context import Check, Context, Decision, Handler
from domain.rules.webhook_access import require_webhook_admin
from domain.webhooks import (
    WebhookInvalidError,
    WebhookSubscription,
    event_type_failures,
    new_secret,
    url_failures,
)


def check_subscription(command: CreateWebhook, actor: Actor) -> None:
    """An admin without a unit, a URL and event types the rules accept (a URL's own rule
    names its control characters, before the general text check would)."""
    require_webhook_admin(actor)
    failures = url_failures(command.url) + event_type_failures(list(command.event_types))
    if failures:
        raise WebhookInvalidError(failures)


def check_admin(_command: Command, actor: Actor) -> None:
    require_webhook_admin(actor)


def create_webhook(command: CreateWebhook, ctx: Context) -> Decision:
    ctx.collaborators.url_guard(command.url)
    secret = new_secret()
    ref = ctx.collaborators.vault().keep(secret)
    subscription = WebhookSubscription.subscribe(
        command.url, command.event_types, command.description or "", ref, ctx.actor, ctx.at
    )
    directory = ctx.load.webhook_directory(ctx.at)
    directory.add(subscription.id, ctx.at)
    return Decision(
        [subscription, directory], subscription.public(ctx.at), shown_once={"secret": secret}
    )


def rotate_webhook_secret(command: RotateWebhookSecret, ctx: Context) -> Decision:
    subscription = ctx.load.get_webhook(command.webhook_id)
    secret = new_secret()
    subscription.rotate(ctx.collaborators.vault().keep(secret), ctx.actor, ctx.at)
    return Decision([subscription], subscription.public(ctx.at), shown_once={"secret": secret})


def disable_webhook(command: DisableWebhook, ctx: Context) -> Decision:
    """Stops deliveries (the dispatcher does this on 410 Gone and after days of failures)."""
    subscription = ctx.load.get_webhook(command.webhook_id)
    disabled = subscription.disable(command.reason, ctx.actor, ctx.at)
    return Decision([subscription], dict(subscription.public(ctx.at), changed=disabled))


def delete_webhook(command: DeleteWebhook, ctx: Context) -> Decision:
    subscription = ctx.load.get_webhook(command.webhook_id)
    subscription.delete(ctx.actor, ctx.at)
    directory = ctx.load.webhook_directory(ctx.at)
    directory.remove(subscription.id, ctx.at)
    result = {"id": str(subscription.id), "status": subscription.status}
    return Decision([subscription, directory], result)


HANDLERS: dict[type[Command], Handler] = {
    CreateWebhook: create_webhook,
    RotateWebhookSecret: rotate_webhook_secret,
    DisableWebhook: disable_webhook,
    DeleteWebhook: delete_webhook,
}
CHECKS: dict[type[Command], Check] = {
    CreateWebhook: check_subscription,
    RotateWebhookSecret: check_admin,
    DisableWebhook: check_admin,
    DeleteWebhook: check_admin,
}
