"""The campaign roster: one entry per nomination, written by the event store in the same
transaction as the nomination's events (``Laurel.save`` hands the recorder an entry for every
nomination it saves).

It replaces the list a campaign aggregate used to keep: declaring no longer writes the
campaign, so declarers into one campaign never collide, and the campaign does not grow with
its nominations. Nominee uniqueness is set-based: an entry *claims* its nominee in its category
while the nomination has not ended in a state that allows declaring again, and the store keeps
a unique index on the claims (campaign, nominee key) — a second claim fails the whole
transaction, events included. Commendation ranks, phase close lapses and unit moves find
their nominations here instead of loading every one.

The recorders that keep it are infrastructure (``infra/roster_store.py``, one per event
store); the domain sees them through ``Roster``."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from domain.vocabulary import REDECLARABLE_STATES, NominationState, PreReviewDecision

if TYPE_CHECKING:
    from domain.nominations import Nomination

ROSTER_KWARG = "roster"
"""The keyword ``Laurel.save`` passes the entries to the recorder under."""


def nominee_key(category: str, unit_id: str, person_id: str | None, name: str) -> str:
    """Identity of a nominee within one category of one campaign (no double declarations)."""
    who = (person_id or "").strip() or (name or "").strip()
    return f"{category}|{unit_id}|{who}"


@dataclass(frozen=True)
class RosterEntry:
    """What the rules over many nominations read of each one."""

    nomination_id: str
    campaign_id: str
    category: str
    nominee_key: str
    claims_nominee: bool  # no other declaration of this nominee in this category meanwhile
    state: NominationState
    declaring_unit_id: str
    nominee_unit_id: str
    nominee_name: str
    admitted: bool  # pre-review admitted it (whatever came after)
    inspected: bool  # at least one inspection recorded
    passed: bool | None  # every inspection passed (None: not inspected)
    score: float | None
    lowest_score: float | None
    title_active: bool
    declared_at: datetime
    version: int
    position: int = 0  # its place in declaration order (0 until stored)

    @classmethod
    def of(cls, nomination: Nomination) -> RosterEntry:
        nominee = nomination.nominee
        review = nomination.pre_review_result
        return cls(
            nomination_id=str(nomination.id),
            campaign_id=str(nomination.campaign_id),
            category=nomination.category,
            nominee_key=nominee_key(
                nomination.category, nominee.unit_id, nominee.person_id, nominee.name
            ),
            claims_nominee=nomination.state not in REDECLARABLE_STATES,
            state=nomination.state,
            declaring_unit_id=nomination.declaring_unit_id,
            nominee_unit_id=nominee.unit_id,
            nominee_name=nominee.name,
            admitted=review is not None and review["decision"] == PreReviewDecision.ADMIT,
            inspected=bool(nomination.valid_inspections),  # voided ones aside (issue 23)
            passed=nomination.passed,
            score=nomination.score,
            lowest_score=nomination.lowest_score,
            title_active=nomination.title_active,
            declared_at=nomination.declared_at,
            version=nomination.version,
        )


@dataclass(frozen=True)
class RosterPage:
    entries: list[RosterEntry]
    following: int | None  # the position to continue from; None at the end


@runtime_checkable
class Roster(Protocol):
    """The reads of the roster (``position``: an entry's place in declaration order)."""

    def entries(
        self,
        campaign_id: str,
        *,
        category: str | None = None,
        states: Sequence[str] | None = None,
        after: int = 0,
        limit: int | None = None,
    ) -> RosterPage:
        """The campaign's entries after ``after`` in declaration order, filtered; ``limit``, if
        given, is at least 1."""
        ...

    def claimant(self, campaign_id: str, key: str) -> str | None:
        """The nomination that holds the nominee ``key`` in the campaign, if any."""
        ...

    def counts(self, campaign_id: str) -> dict[str, int]:
        """Nominations per category."""
        ...

    def units(self, campaign_id: str, *, nominees: bool = True) -> set[str]:
        """Every declaring unit of the campaign's nominations, and (``nominees``) every
        nominee's unit."""
        ...

    def touching(self, units: Collection[str], states: Sequence[str]) -> list[RosterEntry]:
        """Entries of any campaign in ``states`` whose declaring or nominee unit is in ``units``."""
        ...

    def holders(
        self, units: Collection[str], category: str | None = None, *, in_force: bool = True
    ) -> list[RosterEntry]:
        """Entries of any campaign (in ``category``, if given) whose nominee unit is in
        ``units`` and whose title is in force (``in_force=False``: or was revoked): the titles
        those units hold, read by ``domain.title_register``."""
        ...

    def complete(self) -> bool:
        """Whether every nomination stored before the roster existed has its entry."""
        ...

    def backfill(self, entries: Sequence[RosterEntry], *, done: bool = False) -> None:
        """Writes entries of nominations stored before the roster existed (an entry already
        newer is kept); ``done``: that was the last of them."""
        ...


@runtime_checkable
class RosterKeeping(Protocol):
    """A recorder that keeps the roster (the infrastructure's recorders do)."""

    roster: Roster
