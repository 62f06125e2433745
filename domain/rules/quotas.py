"""Commendation within quota, best score first, with a declared deterministic tie-break.

Ranking order: higher aggregate inspection score first; on a tie, the higher lowest
single-inspection score (the steadier nominee); then the earlier declaration; then the
nomination id. The order is total, so the same facts always give the same list.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.errors import QuotaExceededError, RuleFailure

TIE_BREAK = "score desc, lowest inspection score desc, declared_at asc, nomination id asc"


@dataclass(frozen=True)
class Candidate:
    nomination_id: str
    score: float
    lowest_score: float
    declared_at: datetime

    def sort_key(self) -> tuple[float, float, datetime, str]:
        return (-self.score, -self.lowest_score, self.declared_at, self.nomination_id)


def rank(candidates: Sequence[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=Candidate.sort_key)


def remaining_quota(quota: int | None, already_commended: int) -> int | None:
    return None if quota is None else max(quota - already_commended, 0)


def select_for_commendation(
    ranked: Sequence[Candidate],
    quota: int | None,
    already_commended: int,
    requested: Sequence[str] | None = None,
) -> list[Candidate]:
    """The nominations to commend now: the top of the ranking that still fits the quota.

    With ``requested`` ids (a department's signed list) the list must be exactly the top
    of the ranking (best first, nobody better skipped) and must fit the quota.
    """
    remaining = remaining_quota(quota, already_commended)
    if requested is None:
        return list(ranked if remaining is None else ranked[:remaining])
    if remaining is not None and len(requested) > remaining:
        raise QuotaExceededError(
            f"{len(requested)} nominations requested but only {remaining} of the quota {quota} remain",
            f"申请表彰 {len(requested)} 个，但名额 {quota} 仅剩 {remaining} 个",
            quota=quota,
            remaining=remaining,
        )
    return list(ranked[: len(requested)])


def best_first_failures(ranked: Sequence[Candidate], requested: Sequence[str]) -> list[RuleFailure]:
    top = {c.nomination_id for c in ranked[: len(requested)]}
    skipped = [
        c.nomination_id for c in ranked[: len(requested)] if c.nomination_id not in set(requested)
    ]
    if set(requested) == top:
        return []
    return [
        RuleFailure(
            "best_scores_first",
            f"commendation goes best score first ({TIE_BREAK}); better-ranked nominations were "
            f"skipped: {skipped}",
            f"须按得分从高到低表彰，以下排名更靠前的未被列入：{skipped}",
            "nomination_ids",
            sorted(top),
            sorted(requested),
        )
    ]


def competitive_inspection_failures(
    quota: int | None, admitted: int, inspected: int
) -> list[RuleFailure]:
    """差额考核: more nominees are inspected than the quota, unless fewer than the quota were
    ever admitted (then the whole field is inspected and there is nobody to compete with)."""
    if quota is None or admitted <= quota or inspected > quota:
        return []
    return [
        RuleFailure(
            "competitive_inspection",
            f"inspection is competitive: more than the quota ({quota}) must be inspected; "
            f"only {inspected} were",
            f"实行差额考核，考核人数须多于名额 {quota}，实际仅考核 {inspected} 个",
            None,
            f"> {quota}",
            inspected,
        )
    ]


def proportional_quota(proportion: float, unit_count: int) -> int:
    """A quota "by proportion" (seed 001: 县直机关工委按照一定比例对县直机关单位进行表彰):
    ``ceil(proportion x unit_count)``, e.g. 0.3 of 7 agencies -> 3. The product is rounded to
    nine places first, so 0.3 x 10 is 3, not 4 (binary fractions)."""
    if isinstance(proportion, bool) or not isinstance(proportion, int | float):
        raise ValueError(f"a quota proportion is a number, not {proportion!r}")
    if not 0 < proportion <= 1:
        raise ValueError(f"a quota proportion lies in (0, 1], not {proportion}")
    if isinstance(unit_count, bool) or not isinstance(unit_count, int) or unit_count < 0:
        raise ValueError(f"a unit count is a whole number of at least 0, not {unit_count!r}")
    return math.ceil(round(proportion * unit_count, 9))
