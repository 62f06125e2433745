"""Reads straight from the event store: a nomination now, at a version or at a past instant,
its history, a campaign's nominations and ranking, a unit's subtree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain.errors import NominationNotFoundError
from domain.history import event_actor, event_data, event_type
from domain.nominations import Nomination
from domain.rules.quotas import TIE_BREAK, Candidate, rank


class Queries:
    """Mixed into the application (uses its repository, events and loaders)."""

    def units_in_subtree(self: Any, code: str) -> list[Any]:
        """The unit and every unit below it, breadth first."""
        found, queue = [], [code]
        while queue:
            unit = self.get_unit(queue.pop(0))
            found.append(unit)
            queue.extend(sorted(unit.children))
        return found

    def nomination_as_of(self: Any, nomination_id: UUID | str, as_of: datetime) -> Nomination:
        """The nomination as it stood at ``as_of`` (every event with a timestamp up to then)."""
        current = self.get_nomination(nomination_id)
        try:
            as_of = as_of.astimezone(UTC)
        except OverflowError:
            raise NominationNotFoundError(
                f"as_of {as_of!r} is out of range", "as_of 超出范围", nomination=str(nomination_id)
            ) from None
        version = None
        for event in self.events.get(current.id):
            if event.timestamp > as_of:
                break
            version = event.originator_version
        if version is None:
            raise NominationNotFoundError(
                f"nomination '{nomination_id}' did not exist at {as_of.isoformat()}",
                f"申报「{nomination_id}」在 {as_of.isoformat()} 时尚不存在",
                nomination=str(nomination_id),
            )
        return self.get_nomination(current.id, version=version)

    def history(self: Any, nomination_id: UUID | str) -> list[dict[str, Any]]:
        nomination = self.get_nomination(nomination_id)
        return [
            {
                "version": e.originator_version,
                "type": event_type(e),
                "occurred_at": e.timestamp.isoformat(),
                "actor": event_actor(e),
                "data": event_data(e),
            }
            for e in self.events.get(nomination.id)
        ]

    def nomination_page(
        self: Any,
        campaign_id: UUID | str,
        *,
        category: str | None = None,
        state: str | None = None,
        unit: str | None = None,
        declared_within: str | None = None,
        start: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Nomination], int | None]:
        """Up to ``limit`` of the campaign's nominations from roster position ``start``, in
        declaration order, filtered: ``unit`` matches the declaring or nominee unit or any unit
        above them; ``declared_within`` keeps those declared in that unit's subtree. Returns the
        page and the position to continue from (None at the end)."""
        campaign = self.get_campaign(campaign_id)
        ids = list(campaign.roster)
        found: list[Nomination] = []
        position = start
        while position < len(ids) and (limit is None or len(found) < limit):
            entry = campaign.roster[ids[position]]
            position += 1
            if category and entry["category"] != category:
                continue
            if declared_within and not self.get_unit(entry["declaring_unit_id"]).is_within(
                declared_within
            ):
                continue
            if unit and not (
                self.get_unit(entry["nominee_unit_id"]).is_within(unit)
                or self.get_unit(entry["declaring_unit_id"]).is_within(unit)
            ):
                continue
            nomination = self.get_nomination(ids[position - 1])
            if state and nomination.state != state:
                continue
            found.append(nomination)
        return found, (position if position < len(ids) else None)

    def campaign_nominations(
        self: Any,
        campaign_id: UUID | str,
        *,
        category: str | None = None,
        state: str | None = None,
        unit: str | None = None,
    ) -> list[Nomination]:
        """Every nomination of the campaign, filtered as ``nomination_page``."""
        return self.nomination_page(campaign_id, category=category, state=state, unit=unit)[0]

    def _campaign_nominations_by_category(self: Any, campaign: Any) -> dict[str, list[Nomination]]:
        grouped: dict[str, list[Nomination]] = {}
        for nomination_id, entry in campaign.roster.items():
            grouped.setdefault(entry["category"], []).append(self.get_nomination(nomination_id))
        return grouped

    def ranking(self: Any, campaign_id: UUID | str, category: str) -> dict[str, Any]:
        """Every inspected nomination of the category in commendation order (tie-break applied)."""
        campaign = self.get_campaign(campaign_id)
        cat = campaign.category(category)
        inspected = [
            n for n in self.campaign_nominations(campaign_id, category=cat.code) if n.inspections
        ]
        by_id = {str(n.id): n for n in inspected}
        ranked = rank(
            [
                Candidate(str(n.id), n.score or 0.0, n.lowest_score or 0.0, n.declared_at)
                for n in inspected
            ]
        )
        return {
            "campaign_id": str(campaign.id),
            "category": cat.code,
            "quota": cat.quota,
            "tie_break": TIE_BREAK,
            "entries": [
                {
                    "rank": i,
                    "id": c.nomination_id,
                    "score": c.score,
                    "lowest_score": c.lowest_score,
                    "passed": by_id[c.nomination_id].passed,
                    "state": by_id[c.nomination_id].state,
                    "nominee": by_id[c.nomination_id].nominee.name,
                }
                for i, c in enumerate(ranked, start=1)
            ],
        }
