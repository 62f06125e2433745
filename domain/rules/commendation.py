"""Who may be commended, in which order: the rules a commendation decides with.

A nomination is eligible when it is inspected and passed every inspection, and (seed 003) each
cross-entity standard of its category holds across the nominee's subtree (titles held from
any campaign count, ``domain.title_register``). Eligible nominations
rank best score first with the tie-break of ``domain.rules.quotas``. Before anyone is chosen,
inspection must have been competitive (差额考核) and a requested list may name only eligible
nominations."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from domain.errors import RuleFailure
from domain.rules.cross_entity import cross_entity_failures
from domain.rules.quotas import Candidate, competitive_inspection_failures
from domain.units import Unit
from domain.values import Category
from domain.vocabulary import NominationState


class Contender(Protocol):
    """What these rules read of a nomination (a roster entry, ``domain.roster.RosterEntry``)."""

    @property
    def nomination_id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def nominee_unit_id(self) -> str: ...
    @property
    def admitted(self) -> bool: ...
    @property
    def inspected(self) -> bool: ...
    @property
    def score(self) -> float | None: ...
    @property
    def lowest_score(self) -> float | None: ...
    @property
    def passed(self) -> bool | None: ...
    @property
    def title_active(self) -> bool: ...
    @property
    def declared_at(self) -> datetime: ...


def passed_inspection(nomination: Contender) -> bool:
    """Inspected, every inspection passed, not yet commended: a candidate for commendation."""
    return nomination.state == NominationState.INSPECTED and bool(nomination.passed)


def meets_standard(nomination: Contender) -> bool:
    """Holds a title, or passed inspection (and may since have gone up, 择优上报): what a
    cross-entity standard counts."""
    forwarded_passed = nomination.state == NominationState.FORWARDED and bool(nomination.passed)
    return nomination.title_active or passed_inspection(nomination) or forwarded_passed


def candidate(nomination: Contender) -> Candidate:
    """The nomination as the ranking sees it (no score yet counts as zero)."""
    return Candidate(
        nomination.nomination_id,
        nomination.score or 0.0,
        nomination.lowest_score or 0.0,
        nomination.declared_at,
    )


def prerequisite_failures(
    quota: int | None,
    nominations: Mapping[str, Contender],
    requested: Sequence[str] | None,
) -> list[RuleFailure]:
    """Inspection was competitive, and every requested nomination passed inspection.
    ``nominations``: the roster entry of every nomination of the category, by id."""
    admitted = sum(1 for n in nominations.values() if n.admitted)
    inspected = sum(1 for n in nominations.values() if n.inspected)
    failures = competitive_inspection_failures(quota, admitted, inspected)
    for nid in requested or ():
        nomination = nominations.get(nid)
        if nomination is None or not passed_inspection(nomination):
            failures.append(
                RuleFailure(
                    "nomination_passed_inspection",
                    f"nomination {nid} has not passed inspection or is already commended",
                    f"申报 {nid} 未通过考核或已表彰",
                    "nomination_ids",
                    "inspected and passed",
                    nomination.state if nomination is not None else "not in category",
                )
            )
    return failures


def qualified_units(nominations: Iterable[Contender]) -> set[str]:
    """The nominee units that meet the standard in this campaign (any one qualifying
    nomination is enough)."""
    return {n.nominee_unit_id for n in nominations if meets_standard(n)}


def cross_entity_eligibility_failures(
    category: Category,
    nominee_subtree: Sequence[Unit],
    by_category: Mapping[str, Sequence[Contender]],
    titles_held: Callable[[Collection[str], str], Collection[str]],
) -> list[RuleFailure]:
    """Every cross-entity standard of ``category`` across the nominee's subtree (the nominee's
    unit and every unit below it); ``by_category``: the campaign's nominations, by category;
    ``titles_held(codes, category)``: which of those units hold that title in force from any
    campaign (``TitleRegister.holding_units``)."""
    failures: list[RuleFailure] = []
    for rule in category.cross_entity:
        units = [u for u in nominee_subtree if u.level == rule.unit_level]
        codes = [u.code for u in units]
        qualified = qualified_units(by_category.get(rule.category, ())) | set(
            titles_held(codes, rule.category)
        )
        failures += cross_entity_failures(rule, units, qualified)
    return failures
