"""The ranking of a category: every inspected nomination in commendation order, the domain's
tie-break applied to the read model's scores."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from domain.rules.quotas import TIE_BREAK, Candidate, rank
from projections.campaigns import CAMPAIGN, NOMINATION
from projections.projection import from_instant
from projections.store import ViewStore


def score_of(row: dict[str, Any]) -> float | None:
    """As ``Nomination.score``: the mean of the inspections' weighted scores."""
    return round(row["score_sum"] / row["inspections"], 4) if row["inspections"] else None


def declared_at(row: dict[str, Any]) -> datetime:
    moment = from_instant(row["declared_at"])
    assert moment is not None, "every nomination row records its declaration"
    return moment


class RankingReader:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def ranking(self, campaign_id: str, category: str) -> dict[str, Any] | None:
        campaign = self.store.rows(
            f"SELECT categories FROM {self.store.table(CAMPAIGN)} WHERE campaign_id = ?", (campaign_id,)
        )
        if not campaign:
            return None
        quota = next(
            (c["quota"] for c in json.loads(campaign[0]["categories"]) if c["code"] == category), None
        )
        rows = self.store.rows(
            "SELECT nomination_id, state, nominee_name, inspections, score_sum, lowest_score, "
            f"failed, declared_at FROM {self.store.table(NOMINATION)} "
            "WHERE campaign_id = ? AND category = ? AND inspections > 0",
            (campaign_id, category),
        )
        by_id = {r["nomination_id"]: r for r in rows}
        ranked = rank(
            [
                Candidate(
                    r["nomination_id"],
                    score_of(r) or 0.0,
                    r["lowest_score"] or 0.0,
                    declared_at(r),
                )
                for r in rows
            ]
        )
        return {
            "campaign_id": campaign_id,
            "category": category,
            "quota": quota,
            "tie_break": TIE_BREAK,
            "ranked_by": "raw",  # a campaign that normalises is ranked by domain.queries
            "entries": [
                {
                    "rank": i,
                    "id": c.nomination_id,
                    "score": c.score,
                    "raw_score": c.score,
                    "normalised_score": None,
                    "team_id": None,
                    "normalisation": "raw",
                    "lowest_score": c.lowest_score,
                    "passed": by_id[c.nomination_id]["failed"] == 0,
                    "state": by_id[c.nomination_id]["state"],
                    "nominee": by_id[c.nomination_id]["nominee_name"],
                }
                for i, c in enumerate(ranked, start=1)
            ],
        }
