"""Who manages and reads webhook subscriptions. A subscription sees every event, so managing
one needs an admin without a unit, and reading one a root reader (an auditor or admin
without a unit)."""

from __future__ import annotations

from domain.actors import Actor, Role
from domain.rules.jurisdiction import require_role, require_unscoped


def require_webhook_admin(actor: Actor) -> None:
    require_role(actor, "manage_webhooks")
    require_unscoped(actor, "manage_webhooks")


def require_webhook_reader(actor: Actor) -> None:
    if actor.role == Role.AUDITOR:
        require_unscoped(actor, "read_webhooks")
    else:
        require_webhook_admin(actor)
