"""The campaign dashboard: per category counts per state, quota, commended and remaining; the
current phase and every deadline with the time left.

Now: read from the campaign read model. ``as_of``: the same projection replayed in memory over
the campaign's events (from the audit log's index) up to that instant — one code path, so the
past and the present are computed alike."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import structlog

from domain.rules.quotas import remaining_quota
from domain.vocabulary import NominationState
from projections.audit import LOG
from projections.campaigns import CAMPAIGN, COUNT, CampaignBoard, phases_of
from projections.projection import instant
from projections.rows import MemoryRows, Row, StagedRows
from projections.store import ViewStore

log = structlog.get_logger("laurel.projections")


def _seconds_left(closes_at: datetime, now: datetime) -> int:
    return max(0, int((closes_at - now).total_seconds()))


def assemble(campaign: Row, counts: list[Row], now: datetime, position: int) -> dict[str, Any]:
    phases = phases_of(campaign)
    current = next((p for p in phases if p.is_open_at(now)), None)
    commended = json.loads(campaign["commended"])
    by_category: dict[str, dict[str, int]] = {}
    for row in counts:
        by_category.setdefault(row["category"], {})[row["state"]] = int(row["n"])
    categories = []
    for category in json.loads(campaign["categories"]):
        states = {str(s): by_category.get(category["code"], {}).get(s, 0) for s in NominationState}
        done = int(commended.get(category["code"], 0))
        categories.append(
            dict(
                category,
                commended=done,
                remaining=remaining_quota(category["quota"], done),
                nominations=sum(states.values()),
                states=states,
            )
        )

    def phase_view(p: Any) -> dict[str, Any]:
        return {
            "code": p.code,
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "opens_at": p.opens_at.isoformat(),
            "closes_at": p.closes_at.isoformat(),
            "status": p.status,
            "seconds_left": _seconds_left(p.closes_at, now),
        }

    return {
        "campaign_id": campaign["campaign_id"],
        "name_zh": campaign["name_zh"],
        "name_en": campaign["name_en"],
        "template": campaign["template"],
        "organiser_unit_id": campaign["organiser_unit_id"],
        "year": campaign["year"],
        "timezone": campaign["timezone"],
        "as_of": now.isoformat(),
        "position": position,
        "current_phase": phase_view(current) if current else None,
        "phases": [phase_view(p) for p in phases],
        "categories": categories,
        "silent_units": json.loads(campaign["silent_units"]) if campaign["silent_units"] else None,
    }


class DashboardReader:
    def __init__(self, store: ViewStore, mapper: Any) -> None:
        self.store, self.mapper = store, mapper

    def current(self, campaign_id: str, now: datetime, position: int) -> dict[str, Any] | None:
        found = self.store.rows(
            f"SELECT * FROM {self.store.table(CAMPAIGN)} WHERE campaign_id = ?", (campaign_id,)
        )
        if not found:
            return None
        counts = self.store.rows(
            f"SELECT category, state, n FROM {self.store.table(COUNT)} WHERE campaign_id = ?",
            (campaign_id,),
        )
        return assemble(found[0], counts, now, position)

    def as_of(self, campaign_id: str, as_of: datetime) -> dict[str, Any] | None:
        """Replays the campaign's events (campaign and nominations) up to ``as_of``."""
        logged = self.store.rows(
            f"SELECT notification_id, position FROM {self.store.table(LOG)} "
            "WHERE campaign_id = ? AND occurred_at <= ? ORDER BY position",
            (campaign_id, instant(as_of)),
        )
        if not logged:
            return None
        board, rows = CampaignBoard(), MemoryRows()
        for notification in self.store.notifications([r["notification_id"] for r in logged]):
            staged = StagedRows(rows)
            try:
                board.apply(staged, self.mapper.to_domain_event(notification), notification)
            except Exception as exc:
                log.warning(
                    "an event the campaign board cannot apply is passed over",
                    notification_id=notification.id,
                    error=type(exc).__name__,
                )
                continue
            staged.commit()
        campaign = rows.get(CAMPAIGN, campaign_id)
        if campaign is None:
            return None
        counts = [r for r in rows.all(COUNT) if r["campaign_id"] == campaign_id]
        return assemble(campaign, counts, as_of, logged[-1]["position"])
