"""Use cases driven by time (called by the Temporal activities). Each is idempotent by the
facts it records: a reminder once per (phase, deadline, offset), silent units once per
campaign, a re-inspection falling due once per title and deadline, a revocation once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.errors import NominationNotFoundError
from domain.nominations import Nomination
from domain.rules.jurisdiction import authorize
from domain.units import Level


class ScheduleCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    def silent_townships(self: Any, campaign_id: UUID | str) -> list[str]:
        """Townships in the organiser's jurisdiction from which nothing was declared."""
        campaign = self.get_campaign(campaign_id)
        declared = {
            entry[key]
            for entry in campaign.roster.values()
            for key in ("declaring_unit_id", "nominee_unit_id")
        }
        heard_from = {code for unit in map(self.get_unit, declared) for code in (*unit.path, unit.code)}
        townships = [
            u.code
            for u in self.units_in_subtree(campaign.organiser_unit_id)
            if u.level == Level.TOWNSHIP
        ]
        return [code for code in townships if code not in heard_from]

    def remind_deadline(
        self: Any,
        campaign_id: UUID | str,
        phase: str,
        offset_seconds: int,
        actor: Actor,
        *,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            authorize(actor, "manage_phases", [self._organiser(campaign)])
            pending = (
                self.silent_townships(campaign_id) if "declaration" in campaign.steps_of(phase) else []
            )
            recorded = campaign.remind(phase, offset_seconds, pending, actor.as_dict(), at)
            return [campaign], {
                "phase": phase,
                "offset_seconds": offset_seconds,
                "recorded": recorded,
                "pending_units": pending,
            }

        return self.run(
            "remind_deadline",
            {"campaign": campaign_id, "phase": phase, "offset": offset_seconds},
            decide,
            at=at,
        )

    def record_silent_units(
        self: Any, campaign_id: UUID | str, actor: Actor, *, at: datetime | None = None
    ) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            campaign = self.get_campaign(campaign_id, for_update=True)
            authorize(actor, "manage_phases", [self._organiser(campaign)])
            silent = self.silent_townships(campaign_id)
            recorded = campaign.record_silent_units(
                campaign.steps["declaration"], silent, actor.as_dict(), at
            )
            return [campaign], {"units": campaign.silent_units, "recorded": recorded}

        return self.run("record_silent_units", {"campaign": campaign_id}, decide, at=at)

    def titles(self: Any, campaign_id: UUID | str, category: str) -> list[str]:
        return list(self.get_campaign(campaign_id).commended.get(category, []))

    def _rebuild_nominations(self: Any, ids: list[str]) -> list[Nomination]:
        """A batch of nominations, each rebuilt from its own events (one read each) and handed
        to the command as is. Not through the aggregate cache: a batch of 500 out of 100,000
        titles would only churn it, and every aggregate taken from it for a command is first
        deep-copied (a third of a batch's time, profiled at 100,000 titles); nor through the
        snapshot store, as nominations are not snapshotted."""
        if Nomination in (self.snapshotting_intervals or {}):
            return [self.get_nomination(nid) for nid in ids]
        rebuilt = []
        for nid in ids:
            nomination = None
            for event in self.events.get(UUID(str(nid))):
                nomination = event.mutate(nomination)
            if not isinstance(nomination, Nomination):
                raise NominationNotFoundError(
                    f"no nomination '{nid}'", f"没有申报「{nid}」", nomination=str(nid)
                )
            rebuilt.append(nomination)
        return rebuilt

    def _title_batch(
        self: Any, campaign_id: UUID | str, category: str, offset: int, limit: int
    ) -> tuple[list[Nomination], int | None]:
        ids = self.titles(campaign_id, category)
        batch = self._rebuild_nominations(ids[offset : offset + limit])
        return batch, (offset + limit if offset + limit < len(ids) else None)

    def mark_reinspections_due(
        self: Any,
        campaign_id: UUID | str,
        category: str,
        due_by: datetime,
        offset: int,
        limit: int,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """One batch of titles: each still active falls due for re-inspection by ``due_by``
        (one transaction per batch; repeating the batch appends nothing)."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            batch, following = self._title_batch(campaign_id, category, offset, limit)
            changed = [
                n
                for n in batch
                if n.title_active and n.mark_reinspection_due(due_by, actor.as_dict(), at)
            ]
            return changed, {"marked": len(changed), "next_offset": following}

        args = {
            "campaign": campaign_id,
            "category": category,
            "due_by": due_by,
            "offset": offset,
            "limit": limit,
        }
        return self.run("mark_reinspections_due", args, decide, at=at, idempotency_key=idempotency_key)

    def revoke_unreinspected(
        self: Any,
        campaign_id: UUID | str,
        category: str,
        offset: int,
        limit: int,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """One batch: every title still waiting for its due re-inspection is revoked as lapsed."""
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            batch, following = self._title_batch(campaign_id, category, offset, limit)
            changed = []
            for n in batch:
                if n.title_active and n.title.get("reinspection_due_by") is not None:
                    n.revoke(
                        "not re-inspected by the anniversary / 周年前未复查",
                        "not_reinspected",
                        actor.as_dict(),
                        at,
                    )
                    changed.append(n)
            return changed, {"revoked": [str(n.id) for n in changed], "next_offset": following}

        args = {"campaign": campaign_id, "category": category, "offset": offset, "limit": limit}
        return self.run("revoke_unreinspected", args, decide, at=at, idempotency_key=idempotency_key)

    def _each_title(
        self: Any, campaign_id: UUID | str, category: str, chunk: int = 500
    ) -> Iterator[Nomination]:
        ids = self.titles(campaign_id, category)
        for first in range(0, len(ids), chunk):
            yield from self._rebuild_nominations(ids[first : first + chunk])

    def active_titles(self: Any, campaign_id: UUID | str, category: str) -> int:
        return sum(n.title_active for n in self._each_title(campaign_id, category))

    def title_states(self: Any, campaign_id: UUID | str, category: str) -> dict[str, int]:
        """How many of a campaign's titles are in each state (commended, revoked, …)."""
        return dict(Counter(n.state for n in self._each_title(campaign_id, category)))

    def forward_commended(
        self: Any, campaign_id: UUID | str, actor: Actor, *, at: datetime | None = None
    ) -> dict[str, Any]:
        """Every commended nomination of a campaign with a parent goes up as a declaration there."""
        at = self._at(at)
        campaign = self.get_campaign(campaign_id)
        forwarded = []
        for ids in campaign.commended.values():
            for nid in ids:
                if self.get_nomination(nid).state == "commended":
                    self.forward(nid, actor, at=at, idempotency_key=f"{nid}:forwarded")
                    forwarded.append(nid)
        return {"forwarded": forwarded}
