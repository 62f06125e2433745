"""The campaign read model: each campaign's header (phases, quotas, commended), counts per
category and state, one row per nomination (for ranking, lists and roll-ups) and the unit tree
(so that a nomination row carries its nominee unit's path).

Serves ``dashboard.py``, ``ranking.py`` and ``rollup.py``."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any

from eventsourcing.utils import resolve_topic

from domain.campaigns import Campaign
from domain.history import jsonable
from domain.nominations import Nomination
from domain.rules.phases import move_close
from domain.units import Unit
from domain.values import Phase
from domain.vocabulary import NominationState, PhaseStatus
from projections.projection import STORED_TIMESTAMP, Handler, Projection, instant
from projections.rows import Row, Rows
from projections.schema import Table

CAMPAIGN = Table(
    "campaign",
    (
        ("campaign_id", "text"),
        ("name_zh", "text"),
        ("name_en", "text"),
        ("template", "text"),
        ("organiser_unit_id", "text"),
        ("year", "int"),
        ("timezone", "text"),
        ("phases", "text"),
        ("categories", "text"),
        ("commended", "text"),
        ("silent_units", "text"),
        ("version", "int"),
    ),
    ("campaign_id",),
)
COUNT = Table(
    "category_state",
    (("campaign_id", "text"), ("category", "text"), ("state", "text"), ("n", "int")),
    ("campaign_id", "category", "state"),
)
NOMINATION = Table(
    "nomination",
    (
        ("nomination_id", "text"),
        ("campaign_id", "text"),
        ("category", "text"),
        ("state", "text"),
        ("nominee_name", "text"),
        ("nominee_kind", "text"),
        ("nominee_unit_id", "text"),
        ("declaring_unit_id", "text"),
        ("unit_path", "text"),
        ("declared_at", "text"),
        ("inspections", "int"),
        ("score_sum", "real"),
        ("lowest_score", "real"),
        ("failed", "int"),
        ("version", "int"),
    ),
    ("nomination_id",),
    (("campaign_id", "category", "state"),),
)
UNIT = Table(
    "unit",
    (("unit_id", "text"), ("name", "text"), ("name_zh", "text"), ("level", "text"), ("path", "text")),
    ("unit_id",),
)


def path_text(codes: list[str]) -> str:
    """``['city-1', 'town-3']`` -> ``/city-1/town-3/``: a subtree is a prefix range."""
    return "/" + "".join(f"{c}/" for c in codes)


def phases_of(row: Row) -> list[Phase]:
    return [
        Phase(
            p["code"],
            p["name_zh"],
            p["name_en"],
            datetime.fromisoformat(p["opens_at"]),
            datetime.fromisoformat(p["closes_at"]),
            p["status"],
        )
        for p in json.loads(row["phases"])
    ]


def _phases_json(phases: list[Phase]) -> str:
    return json.dumps([jsonable(p) for p in phases], ensure_ascii=False)


class CampaignBoard(Projection):
    name = "campaigns"
    tables = (CAMPAIGN, COUNT, NOMINATION, UNIT)

    def __init__(self) -> None:
        super().__init__()
        self._plain: dict[str, type | None] = {}

    def handlers(self) -> dict[type, Handler]:
        """Every nomination event moves its row to the state the event names (a new event
        needs nothing here); a declaration and an inspection write more."""
        return {
            Unit.Registered: self.unit_created,
            Unit.Renamed: self.unit_renamed,
            Unit.Moved: self.unit_moved,
            Campaign.Created: self.campaign_created,
            Campaign.PhaseOpened: self.phase_opened,
            Campaign.PhaseClosed: self.phase_closed,
            Campaign.DeadlineExtended: self.deadline_extended,
            Campaign.SilentUnitsRecorded: self.silent_units,
            Campaign.CommendationsAwarded: self.commendations,
            **dict.fromkeys(Nomination.events(), self.moved),
            Nomination.Declared: self.declared,
            Nomination.Inspected: self.inspected,
            Nomination.LowerInspectionAccepted: self.lower_inspection_accepted,
            Nomination.InspectionVoided: self.inspection_voided,  # issue 23, item 3
            Nomination.NomineeNameCorrected: self.nominee_name_corrected,  # issue 23, item 3
        }

    def decodes(self, notification: Any) -> bool:
        """A nomination event that only moves its row to another state is read from its stored
        fields (``state_after`` takes them as they are stored): a third of the board's events,
        and decoding is most of their cost."""
        return self._undecoded(notification.topic) is None or not bytes(
            notification.state[: len(STORED_TIMESTAMP)]
        ).startswith(STORED_TIMESTAMP)

    def _undecoded(self, topic: str) -> type | None:
        """The event class of ``topic`` when ``moved`` alone handles it."""
        if topic not in self._plain:
            cls = resolve_topic(topic)
            self._plain[topic] = cls if self._handlers.get(cls) == self.moved else None
        return self._plain[topic]

    def apply(self, rows: Rows, event: Any, notification: Any) -> None:
        if event is not None:
            super().apply(rows, event, notification)
            return
        cls = self._undecoded(notification.topic)
        assert cls is not None, "decodes() asks for the event unless moved() alone handles it"
        row = rows.get(NOMINATION, str(notification.originator_id))
        assert row is not None, f"nomination {notification.originator_id} was not declared before {cls}"
        self._move(
            rows, row, cls, json.loads(bytes(notification.state)), notification.originator_version
        )

    # --- units and campaigns -----------------------------------------------------------------

    def unit_created(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(
            UNIT,
            {
                "unit_id": event.code,
                "name": event.name,
                "name_zh": event.name_zh,
                "level": str(event.level),
                "path": path_text([*event.path, event.code]),
            },
        )

    def unit_renamed(self, rows: Rows, event: Any, _n: Any) -> None:
        unit = rows.get(UNIT, event.code)
        if unit is not None:
            rows.put(UNIT, dict(unit, name=event.name, name_zh=event.name_zh))

    def unit_moved(self, rows: Rows, event: Any, _n: Any) -> None:
        """Each unit of a moved subtree records its own ``Moved``: its row takes the new path, and
        roll-ups, which read nominations through their nominee unit's current path, follow."""
        unit = rows.get(UNIT, event.code)
        if unit is not None:
            rows.put(UNIT, dict(unit, path=path_text([*event.path, event.code])))

    def campaign_created(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(
            CAMPAIGN,
            {
                "campaign_id": str(event.originator_id),
                "name_zh": event.name_zh,
                "name_en": event.name_en,
                "template": event.template_code,
                "organiser_unit_id": event.organiser_unit_id,
                "year": event.year,
                "timezone": event.timezone,
                "phases": _phases_json(list(event.phases)),
                "categories": json.dumps(
                    [
                        {"code": c.code, "name_zh": c.name_zh, "name_en": c.name_en, "quota": c.quota}
                        for c in event.categories
                    ],
                    ensure_ascii=False,
                ),
                "commended": "{}",
                "silent_units": None,
                "version": event.originator_version,
            },
        )

    def _campaign(self, rows: Rows, event: Any) -> Row:
        row = rows.get(CAMPAIGN, str(event.originator_id))
        assert row is not None, (
            f"campaign {event.originator_id} was not created before {type(event).__qualname__}"
        )
        row["version"] = event.originator_version
        return row

    def _with_phases(self, rows: Rows, event: Any, change: Any) -> None:
        row = self._campaign(rows, event)
        phases = phases_of(row)
        index = next(i for i, p in enumerate(phases) if p.code == event.phase)
        row["phases"] = _phases_json(change(phases, index))
        rows.put(CAMPAIGN, row)

    def phase_opened(self, rows: Rows, event: Any, _n: Any) -> None:
        self._with_phases(
            rows,
            event,
            lambda phases, i: [
                *phases[:i],
                replace(phases[i], status=PhaseStatus.OPEN),
                *phases[i + 1 :],
            ],
        )

    def phase_closed(self, rows: Rows, event: Any, _n: Any) -> None:
        def close(phases: list[Phase], i: int) -> list[Phase]:
            return [
                *phases[:i],
                replace(
                    phases[i],
                    status=PhaseStatus.CLOSED,
                    closes_at=min(phases[i].closes_at, event.closed_at),
                ),
                *phases[i + 1 :],
            ]

        self._with_phases(rows, event, close)

    def deadline_extended(self, rows: Rows, event: Any, _n: Any) -> None:
        self._with_phases(rows, event, lambda phases, i: move_close(phases, i, event.closes_at))

    def silent_units(self, rows: Rows, event: Any, _n: Any) -> None:
        row = self._campaign(rows, event)
        row["silent_units"] = json.dumps(list(event.units))
        rows.put(CAMPAIGN, row)

    def commendations(self, rows: Rows, event: Any, _n: Any) -> None:
        row = self._campaign(rows, event)
        commended = json.loads(row["commended"])
        commended[event.category] = commended.get(event.category, 0) + len(event.nomination_ids)
        row["commended"] = json.dumps(commended)
        rows.put(CAMPAIGN, row)

    # --- nominations ---------------------------------------------------------------------------

    def _count(self, rows: Rows, campaign_id: str, category: str, state: str, delta: int) -> None:
        row = rows.get(COUNT, campaign_id, category, state) or {
            "campaign_id": campaign_id,
            "category": category,
            "state": state,
            "n": 0,
        }
        row["n"] += delta
        rows.put(COUNT, row)

    def declared(self, rows: Rows, event: Any, _n: Any) -> None:
        unit = rows.get(UNIT, event.nominee.unit_id)
        row = {
            "nomination_id": str(event.originator_id),
            "campaign_id": str(event.campaign_id),
            "category": event.category,
            "state": str(NominationState.DECLARED),
            "nominee_name": event.nominee.name,
            "nominee_kind": event.nominee.kind,
            "nominee_unit_id": event.nominee.unit_id,
            "declaring_unit_id": event.declaring_unit_id,
            "unit_path": unit["path"] if unit else path_text([event.nominee.unit_id]),
            "declared_at": instant(event.timestamp),
            "inspections": 0,
            "score_sum": 0.0,
            "lowest_score": None,
            "failed": 0,
            "version": event.originator_version,
        }
        rows.put(NOMINATION, row)
        self._count(rows, row["campaign_id"], row["category"], row["state"], 1)

    def _nomination(self, rows: Rows, event: Any) -> Row:
        row = rows.get(NOMINATION, str(event.originator_id))
        assert row is not None, (
            f"nomination {event.originator_id} was not declared before {type(event).__qualname__}"
        )
        return row

    def moved(self, rows: Rows, event: Any, _n: Any, row: Row | None = None) -> None:
        row = row or self._nomination(rows, event)
        self._move(rows, row, type(event), vars(event), event.originator_version)

    def _move(self, rows: Rows, row: Row, cls: Any, fields: Any, version: int) -> None:
        before = row["state"]
        after = str(cls.state_after(before, fields))
        row["version"] = version
        row["state"] = after
        rows.put(NOMINATION, row)
        if after != before:
            self._count(rows, row["campaign_id"], row["category"], before, -1)
            self._count(rows, row["campaign_id"], row["category"], after, 1)

    def inspected(self, rows: Rows, event: Any, n: Any) -> None:
        row = self._nomination(rows, event)
        self._count_inspection(row, event.inspection)
        self.moved(rows, event, n, row)

    def lower_inspection_accepted(self, rows: Rows, event: Any, n: Any) -> None:
        """Forwarded into a campaign that takes the lower level's inspections: they count."""
        row = self._nomination(rows, event)
        for inspection in event.inspections:
            self._count_inspection(row, inspection)
        self.moved(rows, event, n, row)

    def inspection_voided(self, rows: Rows, event: Any, n: Any) -> None:
        """A voided inspection no longer counts (the event carries its score and the lowest
        of those still valid)."""
        row = self._nomination(rows, event)
        row["inspections"] -= 1
        row["score_sum"] -= event.weighted_score
        row["lowest_score"] = event.lowest_score
        row["failed"] -= 0 if event.passed else 1
        self.moved(rows, event, n, row)

    def nominee_name_corrected(self, rows: Rows, event: Any, n: Any) -> None:
        row = self._nomination(rows, event)
        row["nominee_name"] = event.name
        self.moved(rows, event, n, row)

    @staticmethod
    def _count_inspection(row: Row, inspection: Any) -> None:
        score = inspection.weighted_score
        row["inspections"] += 1
        row["score_sum"] += score
        row["lowest_score"] = score if row["lowest_score"] is None else min(row["lowest_score"], score)
        row["failed"] += 0 if inspection.passed else 1
