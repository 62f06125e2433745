"""Webhook delivery: the SSRF guard, CloudEvents + Standard Webhooks messages, the retry
policy, the delivery state beside the event store, and the dispatcher that runs it all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from infra.webhooks.db import open_db
from infra.webhooks.dispatcher import Dispatcher, utc_now
from infra.webhooks.policy import RetryPolicy
from infra.webhooks.sender import Sender
from infra.webhooks.ssrf import AddressGuard
from infra.webhooks.store import WebhookStore

__all__ = ["AddressGuard", "Dispatcher", "WebhookStore", "build_dispatcher", "open_store"]


def open_store(app: Any) -> WebhookStore:
    return WebhookStore(open_db(app))


def build_dispatcher(
    services: Any, *, clock: Callable[[], datetime] | None = None, store: WebhookStore | None = None
) -> Dispatcher:
    """A dispatcher over ``services`` (its own store connection unless one is given)."""
    settings = services.settings
    policy = RetryPolicy.from_settings(settings)
    sender = Sender(AddressGuard(settings.webhook_allow_private), timeout=policy.timeout)
    return Dispatcher(
        services.app,
        services.views,
        store or open_store(services.app),
        sender,
        policy,
        source=settings.webhook_source,
        clock=clock or services.app.clock or utc_now,
    )
