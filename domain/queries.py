"""Reads straight from the event store (``app.queries``): a nomination now, at a version or at
a past instant, its history, a campaign's nominations, ranking and titles, a unit's subtree,
activity days. The read checks are ``app.access`` (``domain/access_reads.py``), webhook
subscriptions ``app.webhooks`` (``domain/webhook_reads.py``).

Lists and boards the API serves come from the projections; these are the reads of one
aggregate (or a walk over a few) that must be current."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from domain.activity import ActivityRegister, Member
from domain.errors import NominationNotFoundError, RuleFailure
from domain.execution import Loader
from domain.history import event_actor, event_data, event_type
from domain.nominations import Nomination
from domain.roster import Roster, RosterEntry
from domain.rules.activity_day import Compliance, compliance, eligibility_failures
from domain.rules.commendation import candidate
from domain.rules.normalisation import RAW, normalised_scores
from domain.rules.quotas import TIE_BREAK, rank
from domain.units import Unit
from domain.vocabulary import Level


class Queries:
    def __init__(self, load: Loader, roster: Roster, clock: Callable[[], datetime]) -> None:
        self.load = load
        self.roster = roster
        self.clock = clock

    # --- units -----------------------------------------------------------------------------------

    def units_in_subtree(self, code: str) -> list[Unit]:
        """The unit and every unit below it, breadth first."""
        found, queue = [], [code]
        while queue:
            unit = self.load.get_unit(queue.pop(0))
            found.append(unit)
            queue.extend(sorted(unit.children))
        return found

    # --- one nomination --------------------------------------------------------------------------

    def nomination_as_of(self, nomination_id: UUID | str, as_of: datetime) -> Nomination:
        """The nomination as it stood at ``as_of`` (every event with a timestamp up to then)."""
        current = self.load.get_nomination(nomination_id)
        try:
            as_of = as_of.astimezone(UTC)
        except OverflowError:
            raise NominationNotFoundError(
                f"as_of {as_of!r} is out of range", "as_of 超出范围", nomination=str(nomination_id)
            ) from None
        version = None
        for event in self.load.events_of(current.id):
            if event.timestamp > as_of:
                break
            version = event.originator_version
        if version is None:
            raise NominationNotFoundError(
                f"nomination '{nomination_id}' did not exist at {as_of.isoformat()}",
                f"申报「{nomination_id}」在 {as_of.isoformat()} 时尚不存在",
                nomination=str(nomination_id),
            )
        return self.load.get_nomination(current.id, version=version)

    def history(self, nomination_id: UUID | str) -> list[dict[str, Any]]:
        nomination = self.load.get_nomination(nomination_id)
        return [
            {
                "version": e.originator_version,
                "type": event_type(e),
                "occurred_at": e.timestamp.isoformat(),
                "actor": event_actor(e),
                "data": event_data(e),
            }
            for e in self.load.events_of(nomination.id)
        ]

    # --- a campaign's nominations ----------------------------------------------------------------

    def nomination_page(
        self,
        campaign_id: UUID | str,
        *,
        category: str | None = None,
        states: Sequence[str] | None = None,
        unit: str | None = None,
        declared_within: str | None = None,
        start: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Nomination], int | None]:
        """Up to ``limit`` of the campaign's nominations after roster position ``start``, in
        declaration order, filtered: ``unit`` matches the declaring or nominee unit or any unit
        above them; ``declared_within`` keeps those declared in that unit's subtree. Returns the
        page and the position to continue from (None at the end)."""
        campaign = self.load.get_campaign(campaign_id)
        by_unit = unit is not None or declared_within is not None
        found = self.roster.entries(
            str(campaign.id),
            category=category,
            states=states,
            after=start,
            limit=None if by_unit else limit,
        )
        entries, following = found.entries, found.following
        if by_unit:
            kept = [e for e in entries if self._within(e, unit, declared_within)]
            if limit is not None and len(kept) > limit:
                kept, following = kept[:limit], kept[limit - 1].position
            entries = kept
        return [self.load.get_nomination(e.nomination_id) for e in entries], following

    def campaign_nominations(
        self,
        campaign_id: UUID | str,
        *,
        category: str | None = None,
        state: str | None = None,
        unit: str | None = None,
    ) -> list[Nomination]:
        """Every nomination of the campaign, filtered as ``nomination_page``."""
        states = [state] if state else None
        return self.nomination_page(campaign_id, category=category, states=states, unit=unit)[0]

    def _within(self, entry: RosterEntry, unit: str | None, declared_within: str | None) -> bool:
        declaring = self.load.get_unit(entry.declaring_unit_id)
        if declared_within and not declaring.is_within(declared_within):
            return False
        return not unit or (
            declaring.is_within(unit) or self.load.get_unit(entry.nominee_unit_id).is_within(unit)
        )

    def entries_by_category(self, campaign_id: UUID | str) -> dict[str, list[RosterEntry]]:
        grouped: dict[str, list[RosterEntry]] = {}
        for entry in self.roster.entries(str(campaign_id)).entries:
            grouped.setdefault(entry.category, []).append(entry)
        return grouped

    def ranking(self, campaign_id: UUID | str, category: str) -> dict[str, Any]:
        """Every inspected nomination of the category in commendation order (tie-break applied)."""
        campaign = self.load.get_campaign(campaign_id)
        cat = campaign.category(category)
        inspected = [
            e for e in self.roster.entries(str(campaign.id), category=cat.code).entries if e.inspected
        ]
        by_id = {e.nomination_id: e for e in inspected}
        # Per-team normalisation (issue 22; domain/rules/normalisation.py), when chosen.
        teams: dict[str, str | None] = {}

        def team_of(nid: str) -> str | None:
            teams[nid] = self.load.get_nomination(nid).team_id
            return teams[nid]

        method = str(campaign.score_normalisation)
        normalised = normalised_scores(
            method, {e.nomination_id: e.score or 0.0 for e in inspected}, team_of
        )
        candidates = [candidate(e) for e in inspected]
        if normalised is not None:
            candidates = [replace(c, score=normalised[c.nomination_id].score) for c in candidates]
        ranked = rank(candidates)
        return {
            "campaign_id": str(campaign.id),
            "category": cat.code,
            "quota": cat.quota,
            "tie_break": TIE_BREAK,
            "ranked_by": "raw" if normalised is None else method,
            "entries": [
                {
                    "rank": i,
                    "id": c.nomination_id,
                    "score": c.score,
                    "raw_score": by_id[c.nomination_id].score,
                    "normalised_score": None if normalised is None else c.score,
                    "team_id": teams.get(c.nomination_id),
                    "normalisation": RAW if normalised is None else normalised[c.nomination_id].method,
                    "lowest_score": c.lowest_score,
                    "passed": by_id[c.nomination_id].passed,
                    "state": by_id[c.nomination_id].state,
                    "nominee": by_id[c.nomination_id].nominee_name,
                }
                for i, c in enumerate(ranked, start=1)
            ],
        }

    def silent_townships(self, campaign_id: UUID | str) -> list[str]:
        """Townships in the organiser's jurisdiction from which nothing was declared."""
        campaign = self.load.get_campaign(campaign_id)
        declared = self.roster.units(str(campaign.id))
        heard_from = {
            code for unit in map(self.load.get_unit, declared) for code in (*unit.path, unit.code)
        }
        townships = [
            u.code
            for u in self.units_in_subtree(campaign.organiser_unit_id)
            if u.level == Level.TOWNSHIP
        ]
        return [code for code in townships if code not in heard_from]

    # --- titles ----------------------------------------------------------------------------------

    def titles(self, campaign_id: UUID | str, category: str) -> list[str]:
        return list(self.load.get_campaign(campaign_id).commended.get(category, []))

    def _each_title(
        self, campaign_id: UUID | str, category: str, chunk: int = 500
    ) -> Iterator[Nomination]:
        ids = self.titles(campaign_id, category)
        for first in range(0, len(ids), chunk):
            yield from self.load.rebuilt_nominations(ids[first : first + chunk])

    def active_titles(self, campaign_id: UUID | str, category: str) -> int:
        return sum(n.title_active for n in self._each_title(campaign_id, category))

    def title_states(self, campaign_id: UUID | str, category: str) -> dict[str, int]:
        """How many of a campaign's titles are in each state (commended, revoked, …)."""
        return dict(Counter(n.state for n in self._each_title(campaign_id, category)))

    # --- activity days (seed 004) ----------------------------------------------------------------

    def member_roll(self, unit_id: str) -> dict[str, Member]:
        roll = self.load.member_roll(unit_id)
        return {} if roll is None else dict(roll.members)

    def activity_register(self, unit_id: str, year: int) -> ActivityRegister | None:
        return self.load.activity_register(unit_id, year)

    def compliance_of(
        self, unit_id: str, year: int, *, through: date | None = None
    ) -> Compliance | None:
        """The unit's compliance in ``year`` judged on complete months before ``through``
        (default: today); None when the unit keeps no register for that year."""
        self.load.get_unit(unit_id)
        return self._compliance(unit_id, year, through or self.clock().date())

    def _compliance(
        self, unit_id: str, year: int, through: date, *, for_warning: bool = False
    ) -> Compliance | None:
        register = self.load.activity_register(unit_id, year, for_warning=for_warning)
        if register is None:
            return None
        return compliance(
            unit_id,
            year,
            self.member_roll(unit_id),
            register.sessions.values(),
            through,
        )

    def activity_day_failures(
        self,
        nomination: Nomination,
        collective: bool,
        year: int | None,
        at: datetime,
        *,
        as_warnings: bool = False,
    ) -> list[RuleFailure]:
        """Seed 004: the nominee's activity days in the campaign's year (``as_warnings`` at
        declaration, which may rely on a remembered absence of the register; refusals at
        admission, which read it afresh)."""
        if year is None:
            return []
        unit_id = nomination.nominee.unit_id
        # The unit is known: not read again.
        result = self._compliance(unit_id, year, at.date(), for_warning=as_warnings)
        if result is None:  # no register for the year: not assessed, no roll to read
            return []
        return eligibility_failures(
            collective, nomination.nominee.person_id, self.member_roll(unit_id), result
        )
