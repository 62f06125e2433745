"""Webhook subscriptions (``app.webhooks``): read by root readers, replayed by root admins, and
the secrets their messages are signed with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.execution import Loader
from domain.rules.webhook_access import require_webhook_admin, require_webhook_reader
from domain.webhooks import SecretVault, WebhookDisabledError, WebhookSubscription


class WebhookReads:
    """Webhook subscriptions (root readers only) and the secrets their messages are signed with."""

    def __init__(
        self, load: Loader, clock: Callable[[], datetime], vault: Callable[[], SecretVault]
    ) -> None:
        self.load = load
        self.clock = clock
        self._vault = vault

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def webhook_signing_secrets(self, subscription: WebhookSubscription, now: datetime) -> list[str]:
        vault = self._vault()
        return [vault.reveal(ref) for ref in subscription.signing_secret_refs(now)]

    def get_webhook(self, webhook_id: UUID | str) -> WebhookSubscription:
        return self.load.get_webhook(webhook_id)

    def webhook_ids(self) -> list[UUID]:
        return self.load.webhook_ids()

    def webhook(self, webhook_id: UUID | str, actor: Actor) -> dict[str, Any]:
        require_webhook_reader(actor)
        return self.get_webhook(webhook_id).public(self._now())

    def list_webhooks(self, actor: Actor) -> list[dict[str, Any]]:
        require_webhook_reader(actor)
        now = self._now()
        return [self.get_webhook(i).public(now) for i in self.webhook_ids()]

    def replayable_webhook(self, webhook_id: UUID | str, actor: Actor) -> WebhookSubscription:
        """The subscription a replay may be queued for: an admin's, and active."""
        require_webhook_admin(actor)
        subscription = self.get_webhook(webhook_id)
        if not subscription.active:
            reason = subscription.disabled_reason
            raise WebhookDisabledError(
                f"webhook '{webhook_id}' is disabled: {reason}",
                f"回调订阅「{webhook_id}」已停用：{reason}",
                webhook=str(webhook_id),
            )
        return subscription
