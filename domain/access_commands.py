"""Use cases of access: issue, list and revoke tokens (admins, within their subtree),
authenticate a secret, and the read checks every query goes through."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic

from domain.access import (
    ISSUABLE_ROLES,
    TOKEN_DIRECTORY_ID,
    AccessToken,
    TokenDirectory,
    new_secret,
    secret_hash,
    token_uuid,
)
from domain.actors import Actor, Role
from domain.errors import InvalidUnitError, RuleFailure, RuleViolationError, TokenNotFoundError
from domain.rules.jurisdiction import (
    authorize,
    can_read_campaign,
    can_read_nomination,
    can_read_unit,
    require_read,
    require_role,
    require_unscoped,
    require_within,
    sees_all,
)


@dataclass(frozen=True)
class TokenPolicy:
    """How long tokens live: ``default`` when a request names no expiry, never beyond ``maximum``
    (the composition root sets them from LAUREL_TOKEN_LIFETIME / LAUREL_TOKEN_MAX_LIFETIME)."""

    default: timedelta = timedelta(days=90)
    maximum: timedelta = timedelta(days=366)


def expiry_failures(expires_at: datetime, at: datetime, maximum: timedelta) -> list[RuleFailure]:
    if expires_at.tzinfo is None:
        return [
            RuleFailure(
                "token_expiry_timezone",
                "expires_at needs a time zone (e.g. Z)",
                "expires_at 须带时区",
                "expires_at",
            )
        ]
    if expires_at <= at:
        return [
            RuleFailure(
                "token_expiry_future",
                "expires_at must lie in the future",
                "有效期须晚于当前时间",
                "expires_at",
                at.isoformat(),
                expires_at.isoformat(),
            )
        ]
    if expires_at - at > maximum:
        latest = (at + maximum).isoformat()
        return [
            RuleFailure(
                "token_lifetime_max",
                f"a token lives at most {maximum.days} days: expires_at must be before {latest}",
                f"令牌有效期最长 {maximum.days} 天",
                "expires_at",
                latest,
                expires_at.isoformat(),
            )
        ]
    return []


class AccessCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    token_policy: TokenPolicy = TokenPolicy()

    def issue_token(
        self: Any,
        role: str,
        unit_id: str | None,
        label: str,
        actor: Actor,
        *,
        expires_at: datetime | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """A new bearer token. The secret is in the first result only: a repeated
        idempotency key returns the token id without it (the store never keeps secrets)."""
        at = self._at(at)
        secret = new_secret()
        policy: TokenPolicy = self.token_policy

        def decide() -> tuple[list[Any], dict[str, Any]]:
            require_role(actor, "manage_units")
            if role not in ISSUABLE_ROLES:
                raise InvalidUnitError(
                    [
                        RuleFailure(
                            "role_known",
                            f"unknown role '{role}'",
                            f"未知角色「{role}」",
                            "role",
                            [str(r) for r in ISSUABLE_ROLES],
                            role,
                        )
                    ]
                )
            unit = self.get_unit(unit_id) if unit_id else None
            if unit is None and role in ("declarer", "reviewer", "inspector"):
                raise InvalidUnitError(
                    [
                        RuleFailure(
                            "unit_required",
                            f"a {role} token belongs to a unit",
                            f"{role} 令牌须属于某一单位",
                            "unit_id",
                        )
                    ]
                )
            if unit is None:
                require_unscoped(actor, "issue_token")  # a token for every unit needs an unscoped admin
            authorize(actor, "manage_units", [unit] if unit else [])
            expiry = expires_at if expires_at is not None else at + policy.default
            failures = expiry_failures(expiry, at, policy.maximum)
            if failures:
                raise RuleViolationError(failures)
            token = AccessToken.issue(
                secret, str(role), unit_id, label or "", actor.as_dict(), at, expiry
            )
            directory = self._token_directory(at)
            directory.list_token(token, at)
            return [token, directory], token.public()

        args = {"role": role, "unit_id": unit_id, "label": label, "expires_at": expires_at}
        result = self.run("issue_token", args, decide, at=at, idempotency_key=idempotency_key)
        if not result.get("replayed"):
            result["token"] = secret
        return result

    def _token_directory(self: Any, at: datetime) -> TokenDirectory:
        """The directory; opened on first use with every token issued before it existed."""
        try:
            return self.repository.get(TOKEN_DIRECTORY_ID)
        except AggregateNotFoundError:
            directory = TokenDirectory.open(at)
            for token in self._tokens_issued_before_the_directory():
                directory.list_token(token, at)
            return directory

    def _tokens_issued_before_the_directory(self: Any) -> list[AccessToken]:
        topic, found, start = get_topic(AccessToken.Issued), [], 1
        while batch := self.recorder.select_notifications(start, 1000, topics=[topic]):
            found += [self.repository.get(n.originator_id) for n in batch]
            start = batch[-1].id + 1
        return found

    def _token(self: Any, token_id: str) -> AccessToken:
        entry = self._token_directory(self._at(None)).entries.get(token_id)
        if entry is None:
            raise TokenNotFoundError(f"no token '{token_id}'", f"没有令牌「{token_id}」", token=token_id)
        return self.repository.get(entry["uuid"])

    def _require_token_admin(self: Any, actor: Actor, unit_id: str | None, action: str) -> None:
        """Admins manage the tokens of their subtree; a token without a unit only an unscoped admin."""
        require_role(actor, "manage_units")
        if unit_id is None:
            require_unscoped(actor, action)
        else:
            require_within(actor, [self.get_unit(unit_id)], action)

    def list_tokens(self: Any, actor: Actor) -> list[dict[str, Any]]:
        """The tokens an admin manages (its subtree's; all for an unscoped admin), and every
        token for a root auditor; newest first."""
        if not (actor.role == Role.AUDITOR and sees_all(actor)):
            require_role(actor, "manage_units")
        actor_unit = self._actor_unit(actor)
        entries = self._token_directory(self._at(None)).entries.values()
        visible = [
            e
            for e in entries
            if sees_all(actor)
            or (
                e["unit_id"] is not None
                and actor_unit is not None
                and self.get_unit(e["unit_id"]).is_within(actor_unit.code)
            )
        ]
        tokens = [self.repository.get(e["uuid"]) for e in visible]
        return [
            t.public() for t in sorted(tokens, key=lambda t: (t.created_on, t.token_id), reverse=True)
        ]

    def revoke_token(
        self: Any,
        token_id: str,
        reason: str,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Revoked for good (a repeat answers with the token as it is). An admin revokes the
        tokens of its subtree; every token may revoke itself (a leaked secret)."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            token = self._token(token_id)
            if actor.token_id != token.token_id:
                self._require_token_admin(actor, token.unit_id, "revoke_token")
            changed = token.revoke(reason, actor.as_dict(), at)
            return ([token] if changed else []), token.public()

        return self.run(
            "revoke_token",
            {"token": token_id, "reason": reason},
            decide,
            at=at,
            idempotency_key=idempotency_key,
        )

    def authenticate(self: Any, secret: str) -> AccessToken | None:
        """The token behind ``secret`` while it is valid (issued, not revoked, not expired)."""
        try:
            token = self.repository.get(token_uuid(secret_hash(secret)), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, AccessToken) and token.valid_at(self._at(None)) else None

    def valid_token(self: Any, token_uuid_: UUID) -> AccessToken | None:
        """The token with this aggregate id while it is valid (a page session names its token so)."""
        try:
            token = self.repository.get(token_uuid_, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
        return token if isinstance(token, AccessToken) and token.valid_at(self._at(None)) else None

    def _actor_unit(self: Any, actor: Actor) -> Any:
        return self.get_unit(actor.unit_id) if actor.unit_id else None

    def readable_unit(self: Any, unit_id: str, actor: Actor) -> Any:
        unit = self.get_unit(unit_id)
        require_read(actor, can_read_unit(actor, unit, self._actor_unit(actor)), f"unit {unit_id}")
        return unit

    def readable_campaign(self: Any, campaign_id: UUID | str, actor: Actor) -> Any:
        campaign = self.get_campaign(campaign_id)
        require_read(
            actor,
            can_read_campaign(actor, self._organiser(campaign), self._actor_unit(actor)),
            f"campaign {campaign.id}",
        )
        return campaign

    def readable_nomination(self: Any, nomination_id: UUID | str, actor: Actor) -> Any:
        nomination = self.get_nomination(nomination_id)
        campaign = self.get_campaign(nomination.campaign_id)
        allowed = can_read_nomination(
            actor,
            self._organiser(campaign),
            self.get_unit(nomination.declaring_unit_id),
            self._actor_unit(actor),
        )
        require_read(actor, allowed, f"nomination {nomination.id}")
        return nomination
