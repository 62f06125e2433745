"""Use cases of webhook subscriptions (admin without a unit: a subscription sees every event,
so it needs a token that sees everything; auditors without a unit may read them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.actors import SYSTEM, Actor, Role
from domain.rules.jurisdiction import require_role, require_unscoped
from domain.webhooks import (
    WEBHOOK_DIRECTORY_ID,
    SecretVault,
    WebhookDirectory,
    WebhookDisabledError,
    WebhookInvalidError,
    WebhookNotFoundError,
    WebhookSubscription,
    event_type_failures,
    new_secret,
    url_failures,
)

UrlGuard = Callable[[str], None]  # raises WebhookInvalidError for a URL whose addresses are refused


def require_webhook_admin(actor: Actor) -> None:
    require_role(actor, "manage_webhooks")
    require_unscoped(actor, "manage_webhooks")


def require_webhook_reader(actor: Actor) -> None:
    """A subscription sees every event: only root readers (auditors and admins without a unit)."""
    if actor.role == Role.AUDITOR:
        require_unscoped(actor, "read_webhooks")
    else:
        require_webhook_admin(actor)


class WebhookCommands:
    """Mixed into the application (uses its clock and ``run``). The composition root sets
    ``webhook_url_guard`` (it resolves names, which the domain does not do) and
    ``webhook_secret_vault`` (where secrets are kept: not in the events)."""

    webhook_url_guard: UrlGuard | None = None
    webhook_secret_vault: SecretVault | None = None

    def _vault(self: Any) -> SecretVault:
        """The wired vault; none is a wiring error (a secret kept in memory would be lost with
        the process while its reference stays in the events), so it fails loudly. Unit tests
        wire ``domain.webhooks.MemoryVault`` explicitly."""
        if self.webhook_secret_vault is None:
            raise RuntimeError(
                "no webhook secret vault is wired: the composition root (infra.bootstrap) sets app.webhook_secret_vault; tests set it explicitly (domain.webhooks.MemoryVault)"
            )
        return self.webhook_secret_vault

    def webhook_signing_secrets(
        self: Any, subscription: WebhookSubscription, now: datetime
    ) -> list[str]:
        return [self._vault().reveal(ref) for ref in subscription.signing_secret_refs(now)]

    def get_webhook(self: Any, webhook_id: UUID | str) -> WebhookSubscription:
        try:
            subscription = self.repository.get(UUID(str(webhook_id)))
        except (AggregateNotFoundError, ValueError):
            subscription = None
        if not isinstance(subscription, WebhookSubscription) or subscription.status == "deleted":
            raise WebhookNotFoundError(
                f"no webhook '{webhook_id}'", f"没有回调订阅「{webhook_id}」", webhook=str(webhook_id)
            )
        return subscription

    def webhook_ids(self: Any) -> list[UUID]:
        try:
            return list(self.repository.get(WEBHOOK_DIRECTORY_ID).ids)
        except AggregateNotFoundError:
            return []

    def webhook(self: Any, webhook_id: UUID | str, actor: Actor) -> dict[str, Any]:
        require_webhook_reader(actor)
        return self.get_webhook(webhook_id).public(self._at(None))

    def list_webhooks(self: Any, actor: Actor) -> list[dict[str, Any]]:
        require_webhook_reader(actor)
        now = self._at(None)
        return [self.get_webhook(i).public(now) for i in self.webhook_ids()]

    def replayable_webhook(self: Any, webhook_id: UUID | str, actor: Actor) -> WebhookSubscription:
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

    def create_webhook(
        self: Any,
        url: str,
        event_types: Sequence[str],
        description: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A new subscription; its secret is in the first answer only (a repeated idempotency
        key answers without it)."""
        at = self._at(at)
        require_webhook_admin(actor)
        failures = url_failures(url) + event_type_failures(list(event_types))
        if failures:
            raise WebhookInvalidError(failures)
        if self.webhook_url_guard is not None:
            self.webhook_url_guard(url)
        secret = new_secret()
        ref = self._vault().keep(secret)  # before the events: a reference never names a missing secret

        def decide() -> tuple[list[Any], dict[str, Any]]:
            subscription = WebhookSubscription.subscribe(
                url, event_types, description or "", ref, actor.as_dict(), at
            )
            directory = self._webhook_directory(at)
            directory.add(subscription.id, at)
            return [subscription, directory], subscription.public(at)

        result = self.run(
            "create_webhook",
            {"url": url, "event_types": list(event_types), "description": description},
            decide,
            at=at,
            idempotency_key=idempotency_key,
        )
        if not result.get("replayed"):
            result["secret"] = secret
        return result

    def rotate_webhook_secret(
        self: Any,
        webhook_id: UUID | str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)
        require_webhook_admin(actor)
        secret = new_secret()
        ref = self._vault().keep(secret)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            subscription = self.get_webhook(webhook_id)
            subscription.rotate(ref, actor.as_dict(), at)
            return [subscription], subscription.public(at)

        result = self.run(
            "rotate_webhook_secret",
            {"webhook": webhook_id},
            decide,
            at=at,
            idempotency_key=idempotency_key,
        )
        if not result.get("replayed"):
            result["secret"] = secret
        return result

    def disable_webhook(
        self: Any,
        webhook_id: UUID | str,
        reason: str,
        actor: Actor = SYSTEM,
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Stops deliveries (the dispatcher does this on 410 Gone and after days of failures)."""
        at = self._at(at)
        require_webhook_admin(actor)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            subscription = self.get_webhook(webhook_id)
            disabled = subscription.disable(reason, actor.as_dict(), at)
            return [subscription], dict(subscription.public(at), changed=disabled)

        return self.run("disable_webhook", {"webhook": webhook_id, "reason": reason}, decide, at=at)

    def delete_webhook(
        self: Any, webhook_id: UUID | str, actor: Actor, *, at: datetime | None = None
    ) -> dict[str, Any]:
        at = self._at(at)
        require_webhook_admin(actor)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            subscription = self.get_webhook(webhook_id)
            subscription.delete(actor.as_dict(), at)
            directory = self._webhook_directory(at)
            directory.remove(subscription.id, at)
            return [subscription, directory], {"id": str(subscription.id), "status": subscription.status}

        return self.run("delete_webhook", {"webhook": webhook_id}, decide, at=at)

    def _webhook_directory(self: Any, at: datetime) -> WebhookDirectory:
        try:
            return self.repository.get(WEBHOOK_DIRECTORY_ID)
        except AggregateNotFoundError:
            return WebhookDirectory.open(at)
