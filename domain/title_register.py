"""The title register across campaigns (荣誉称号登记): which units and persons hold which
titles, granted by which campaign at which level, in force or revoked, and when each falls
due for re-inspection.

A title is named by its category code: a model village (``model_village``) is the same title
whether a county or a city granted it, which is what the cross-entity standards of seed 003
ask (a model township needs every village site in its jurisdiction to hold a model-village
title *from any campaign at any level*). The register reads the roster (``domain/roster.py``,
consistent with the event store), so a rule consulting it sees every title granted up to the
moment it decides, whatever the projections have caught up with."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.roster import Roster, RosterEntry

if TYPE_CHECKING:
    from domain.execution import Loader


@dataclass(frozen=True)
class HeldTitle:
    """One title as the register shows it."""

    nomination_id: str
    campaign_id: str
    campaign_name_zh: str
    campaign_name_en: str
    campaign_year: int | None
    level: str  # the granting campaign's organiser level: county, city, ...
    category: str
    category_name_zh: str
    category_name_en: str
    holder_unit_id: str
    holder_name: str
    holder_person_id: str | None
    in_force: bool
    granted_at: datetime
    revoked_at: datetime | None
    revocation_reason: str | None
    next_reinspection_by: datetime | None

    def as_dict(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            **{k: v for k, v in vars(self).items() if not isinstance(v, datetime)},
            "granted_at": when(self.granted_at),
            "revoked_at": when(self.revoked_at),
            "next_reinspection_by": when(self.next_reinspection_by),
        }


class TitleRegister:
    """The register over the roster; ``load`` fills in the details a person reads."""

    def __init__(self, load: Loader, roster: Roster) -> None:
        self.load, self.roster = load, roster

    def holding_units(self, units: Collection[str], category: str) -> set[str]:
        """Which of ``units`` hold a ``category`` title in force (from any campaign): what a
        rule consults, one query per thousand units."""
        return {e.nominee_unit_id for e in self.roster.holders(units, category)} if units else set()

    def held(
        self,
        units: Collection[str],
        category: str | None = None,
        *,
        in_force: bool = True,
        person_id: str | None = None,
    ) -> list[HeldTitle]:
        """The titles held in ``units`` (and, with ``person_id``, by that person), oldest
        first; ``in_force=False`` adds the revoked ones."""
        entries = self.roster.holders(units, category, in_force=in_force) if units else []
        return [
            title
            for title in self._details(entries)
            if person_id is None or title.holder_person_id == person_id
        ]

    def _details(self, entries: Iterable[RosterEntry]) -> list[HeldTitle]:
        found: list[HeldTitle] = []
        campaigns: dict[str, Any] = {}
        for entry in entries:
            nomination = self.load.get_nomination(entry.nomination_id)
            title = nomination.title
            if title is None:
                continue
            campaign = campaigns.get(entry.campaign_id)
            if campaign is None:
                campaign = campaigns[entry.campaign_id] = self.load.get_campaign(entry.campaign_id)
            category = campaign.category(entry.category)
            found.append(
                HeldTitle(
                    nomination_id=entry.nomination_id,
                    campaign_id=entry.campaign_id,
                    campaign_name_zh=campaign.name_zh,
                    campaign_name_en=campaign.name_en,
                    campaign_year=campaign.year,
                    level=str(self.load.get_unit(campaign.organiser_unit_id).level),
                    category=entry.category,
                    category_name_zh=category.name_zh,
                    category_name_en=category.name_en,
                    holder_unit_id=title.holder_unit_id,
                    holder_name=title.holder_name,
                    holder_person_id=title.holder_person_id,
                    in_force=title.active,
                    granted_at=title.granted_at,
                    revoked_at=title.revoked_at,
                    revocation_reason=title.revocation_reason,
                    next_reinspection_by=title.next_reinspection_by,
                )
            )
        return found
