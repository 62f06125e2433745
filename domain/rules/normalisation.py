"""Scores that can be compared across inspection teams (issue 22, item 3).

A campaign may rank by per-team normalised scores (``team_z``) instead of the raw ones
(``none``). For each team, over the nominations of the category assigned to it and inspected
(each nomination's score being, as always, the mean of its inspections' weighted scores)::

    z = (score - team mean) / team sd
    normalised = z * overall sd + overall mean

where the overall mean and sd are over every inspected nomination of the category, so the
normalised numbers stay on the campaign's 0-100 scale and read like scores.

**Population sd** (divide by n), on both sides: the team's assigned nominations are not a
sample of something larger but the whole set being standardised, and the same estimator above
and below the line makes the mapping exactly "this team's spread rescaled to the campaign's"
(a team whose scores already have the campaign's mean and spread is left unchanged). With the
20-200 nominations per team the method is meant for, sample and population sd differ by under
2.5 %.

**Guards**, each flagged on the entry (``normalisation``):

- ``raw_too_few``: a team with fewer than ``MIN_SCORED`` (3) inspected nominations is left raw
  (its mean and sd say nothing yet);
- ``mean_centred``: a team whose scores have no spread (max - min < 1e-9, not an exact
  ``sd == 0``, which float rounding breaks for equal non-integer scores) is only mean-centred
  (score - team mean + overall mean): z is undefined, the team's level is still known;
- ``raw_unassigned``: a nomination assigned to no team is left raw;
- ``team_z``: standardised as above.

If the overall sd is 0 (every score equal), z * 0 + mean gives every standardised nomination
the overall mean, which is what equal raw scores say.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

MIN_SCORED: Final = 3
NO_SPREAD: Final = 1e-9  # a team whose scores lie closer together than this has no spread

TEAM_Z = "team_z"
MEAN_CENTRED = "mean_centred"
RAW_TOO_FEW = "raw_too_few"
RAW_UNASSIGNED = "raw_unassigned"
RAW = "raw"  # the campaign does not normalise


@dataclass(frozen=True)
class Scored:
    nomination_id: str
    team_id: str | None
    score: float


@dataclass(frozen=True)
class Normalised:
    nomination_id: str
    team_id: str | None
    raw: float
    score: float  # the normalised score (the raw one where a guard left it raw)
    method: str  # team_z | mean_centred | raw_too_few | raw_unassigned


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def population_sd(values: Sequence[float]) -> float:
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def normalise(scored: Iterable[Scored], *, digits: int = 4) -> dict[str, Normalised]:
    """Each nomination's normalised score, by the rules above (keyed by nomination id)."""
    items = list(scored)
    if not items:
        return {}
    overall = [s.score for s in items]
    overall_mean, overall_sd = mean(overall), population_sd(overall)
    teams: dict[str, list[Scored]] = {}
    for s in items:
        if s.team_id is not None:
            teams.setdefault(s.team_id, []).append(s)
    out: dict[str, Normalised] = {}
    for s in items:
        if s.team_id is None:
            out[s.nomination_id] = Normalised(s.nomination_id, None, s.score, s.score, RAW_UNASSIGNED)
            continue
        own = [t.score for t in teams[s.team_id]]
        if len(own) < MIN_SCORED:
            value, method = s.score, RAW_TOO_FEW
        else:
            team_mean, team_sd = mean(own), population_sd(own)
            # not ``team_sd == 0``: equal non-integer scores (83.1112 x 5) give an sd of
            # about 1e-14 from rounding, and dividing by it would scatter equal scores
            if max(own) - min(own) < NO_SPREAD:
                value, method = s.score - team_mean + overall_mean, MEAN_CENTRED
            else:
                z = (s.score - team_mean) / team_sd
                value, method = z * overall_sd + overall_mean, TEAM_Z
        out[s.nomination_id] = Normalised(
            s.nomination_id, s.team_id, s.score, round(value, digits), method
        )
    return out


def team_statistics(scored: Iterable[Scored]) -> dict[str, dict[str, float | int]]:
    """Per team: how many scored, mean and (population) sd — what the ranking shows beside
    the scores so a reader can check the arithmetic."""
    teams: dict[str, list[float]] = {}
    for s in scored:
        if s.team_id is not None:
            teams.setdefault(s.team_id, []).append(s.score)
    return {
        team: {"n": len(v), "mean": round(mean(v), 4), "sd": round(population_sd(v), 4)}
        for team, v in sorted(teams.items())
    }


def normalised_scores(
    method: str, scores: Mapping[str, float], team_of: Callable[[str], str | None]
) -> dict[str, Normalised] | None:
    """``scores``: every inspected nomination of a category (id -> raw score); ``team_of``
    reads a nomination's team (called only when the campaign normalises). None: ``method``
    is ``none``, rank by the raw scores."""
    if method != TEAM_Z:
        return None
    return normalise(Scored(nid, team_of(nid), score) for nid, score in scores.items())
