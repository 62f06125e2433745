"""Use cases of access: issue a token (admin, within its subtree), authenticate a secret,
and the read checks every query goes through."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from domain.access import ISSUABLE_ROLES, AccessToken, new_secret, secret_hash, token_uuid
from domain.actors import Actor
from domain.errors import InvalidUnitError, RuleFailure
from domain.rules.jurisdiction import authorize, can_read_campaign, can_read_nomination, require_read, require_role, require_unscoped


class AccessCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    def issue_token(self: Any, role: str, unit_id: str | None, label: str, actor: Actor, *, at: datetime | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """A new bearer token. The secret is in the first result only: a repeated
        idempotency key returns the token id without it (the store never keeps secrets)."""
        at = self._at(at)
        secret = new_secret()

        def decide() -> tuple[list[Any], dict[str, Any]]:
            require_role(actor, "manage_units")
            if role not in ISSUABLE_ROLES:
                raise InvalidUnitError([RuleFailure("role_known", f"unknown role '{role}'", f"未知角色「{role}」", "role", [str(r) for r in ISSUABLE_ROLES], role)])
            unit = self.get_unit(unit_id) if unit_id else None
            if unit is None and role in ("declarer", "reviewer", "inspector"):
                raise InvalidUnitError([RuleFailure("unit_required", f"a {role} token belongs to a unit", f"{role} 令牌须属于某一单位", "unit_id")])
            if unit is None:
                require_unscoped(actor, "issue_token")  # a token for every unit needs an unscoped admin
            authorize(actor, "manage_units", [unit] if unit else [])
            token = AccessToken.issue(secret, str(role), unit_id, label or "", actor.as_dict(), at)
            return [token], {"id": token.token_id, "role": token.role, "unit_id": token.unit_id, "label": token.label}

        result = self.run("issue_token", {"role": role, "unit_id": unit_id, "label": label}, decide, at=at, idempotency_key=idempotency_key)
        if not result.get("replayed"):
            result["token"] = secret
        return result

    def authenticate(self: Any, secret: str) -> Actor | None:
        try:
            token = self.repository.get(token_uuid(secret_hash(secret)), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return token.as_actor() if isinstance(token, AccessToken) and token.active else None

    def _actor_unit(self: Any, actor: Actor) -> Any:
        return self.get_unit(actor.unit_id) if actor.unit_id else None

    def readable_campaign(self: Any, campaign_id: UUID | str, actor: Actor) -> Any:
        campaign = self.get_campaign(campaign_id)
        require_read(actor, can_read_campaign(actor, self._organiser(campaign), self._actor_unit(actor)), f"campaign {campaign.id}")
        return campaign

    def readable_nomination(self: Any, nomination_id: UUID | str, actor: Actor) -> Any:
        nomination = self.get_nomination(nomination_id)
        campaign = self.get_campaign(nomination.campaign_id)
        allowed = can_read_nomination(actor, self._organiser(campaign), self.get_unit(nomination.declaring_unit_id), self._actor_unit(actor))
        require_read(actor, allowed, f"nomination {nomination.id}")
        return nomination
