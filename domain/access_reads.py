"""Tokens and the read checks (``app.access``): the token behind a secret, the tokens an admin
manages, and the check every read of one aggregate goes through."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.access import AccessToken, secret_hash, token_uuid
from domain.actors import Actor, Role
from domain.campaigns import Campaign
from domain.execution import Loader
from domain.nominations import Nomination
from domain.rules.jurisdiction import (
    acting_units,
    assesses_locally,
    can_read_campaign,
    can_read_nomination,
    can_read_unit,
    require_read,
    require_role,
    sees_all,
)
from domain.rules.tokens import TokenPolicy
from domain.units import Unit


class AccessReads:
    """Tokens and the read checks: a query of one aggregate answers only what the actor may read."""

    def __init__(self, load: Loader, clock: Callable[[], datetime], policy: TokenPolicy) -> None:
        self.load = load
        self.clock = clock
        self.policy = policy

    def _now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def authenticate(self, secret: str) -> AccessToken | None:
        """The token behind ``secret`` while it is valid (issued, not revoked, not expired)."""
        return self.valid_token(token_uuid(secret_hash(secret)))

    def valid_token(self, token_uuid_: UUID) -> AccessToken | None:
        """The token with this aggregate id while it is valid (a page session names its token so)."""
        token = self.load.find(token_uuid_, AccessToken, for_update=False)
        return token if token is not None and token.valid_at(self._now()) else None

    def list_tokens(self, actor: Actor) -> list[dict[str, Any]]:
        """The tokens an admin manages (its subtree's; all for an unscoped admin), and every
        token for a root auditor; newest first."""
        if not (actor.role == Role.AUDITOR and sees_all(actor)):
            require_role(actor, "manage_units")
        actor_unit = self._actor_unit(actor)
        entries = self.load.token_directory(self._now()).entries.values()
        visible = [
            e
            for e in entries
            if sees_all(actor)
            or (
                e["unit_id"] is not None
                and actor_unit is not None
                and self.load.get_unit(e["unit_id"]).is_within(actor_unit.code)
            )
        ]
        tokens = [t for e in visible if (t := self.load.find(e["uuid"], AccessToken, for_update=False))]
        newest_first = sorted(tokens, key=lambda t: (t.created_on, t.token_id), reverse=True)
        return [t.public() for t in newest_first]

    def _actor_unit(self, actor: Actor) -> Unit | None:
        return self.load.get_unit(actor.unit_id) if actor.unit_id else None

    def readable_unit(self, unit_id: str, actor: Actor) -> Unit:
        unit = self.load.get_unit(unit_id)
        require_read(actor, can_read_unit(actor, unit, self._actor_unit(actor)), f"unit {unit_id}")
        return unit

    def readable_campaign(self, campaign_id: UUID | str, actor: Actor) -> Campaign:
        campaign = self.load.get_campaign(campaign_id)
        # A local assessor (a township inspector of a county campaign) does not read the whole
        # campaign: only the nominations it assesses (``readable_nomination``) and its queue.
        allowed = can_read_campaign(actor, self.load.organiser(campaign), self._actor_unit(actor))
        require_read(actor, allowed, f"campaign {campaign.id}")
        return campaign

    def readable_nomination(self, nomination_id: UUID | str, actor: Actor) -> Nomination:
        nomination = self.load.get_nomination(nomination_id)
        campaign = self.load.get_campaign(nomination.campaign_id)
        organiser, actor_unit = self.load.organiser(campaign), self._actor_unit(actor)
        allowed = (
            can_read_nomination(
                actor, organiser, self.load.get_unit(nomination.declaring_unit_id), actor_unit
            )
            or (
                actor_unit is not None
                and actor.role != Role.DECLARER
                and any(
                    actor_unit.is_within(u.code)
                    for u in acting_units(
                        organiser,
                        campaign.delegates,
                        [
                            nomination.nominee.level
                            or self.load.get_unit(nomination.nominee.unit_id).level
                        ],
                        self.load.get_unit,
                    )[1:]
                )
            )
            or (
                actor_unit is not None
                and assesses_locally(
                    actor,
                    actor_unit,
                    self.load.get_unit(nomination.nominee.unit_id),
                    organiser,
                    campaign.local_inspection,
                )
            )
        )
        require_read(actor, allowed, f"nomination {nomination.id}")
        return nomination
