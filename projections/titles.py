"""The title register (荣誉称号名册): every title granted, active or revoked, with its
anniversary, the re-inspection it awaits and, once revoked, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.nominations import Nomination
from domain.values import Title
from domain.vocabulary import TitleStatus
from projections.projection import Handler, Projection, from_instant, instant
from projections.rows import Row, Rows
from projections.schema import Table
from projections.store import ViewStore

NOMINEE = Table(
    "title_nominee",
    (
        ("nomination_id", "text"),
        ("campaign_id", "text"),
        ("category", "text"),
        ("nominee_name", "text"),
        ("nominee_unit_id", "text"),
        ("nominee_person_id", "text"),
    ),
    ("nomination_id",),
)
TITLE = Table(
    "title",
    (
        ("nomination_id", "text"),
        ("campaign_id", "text"),
        ("category", "text"),
        ("nominee_name", "text"),
        ("nominee_unit_id", "text"),
        ("nominee_person_id", "text"),
        ("status", "text"),  # active | revoked
        ("granted_at", "text"),
        ("rank", "int"),
        ("anniversary", "text"),
        ("yearly_reinspection", "int"),
        ("reinspection_due_by", "text"),
        ("last_reinspected_at", "text"),
        ("last_reinspection_passed", "int"),
        ("revoked_at", "text"),
        ("revocation_cause", "text"),
        ("revocation_reason", "text"),
    ),
    ("nomination_id",),
    (("campaign_id", "category", "status"), ("status", "anniversary")),
)


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else instant(moment)


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def row_of(title: Title) -> Row:
    return {
        "nomination_id": title.nomination_id,
        "campaign_id": title.campaign_id,
        "category": title.category,
        "nominee_name": title.holder_name,
        "nominee_unit_id": title.holder_unit_id,
        "nominee_person_id": title.holder_person_id,
        "status": str(title.status),
        "granted_at": instant(title.granted_at),
        "rank": title.rank,
        "anniversary": instant(title.anniversary),
        "yearly_reinspection": int(title.yearly_reinspection),
        "reinspection_due_by": _text(title.reinspection_due_by),
        "last_reinspected_at": _text(title.last_reinspected_at),
        "last_reinspection_passed": _flag(title.last_reinspection_passed),
        "revoked_at": _text(title.revoked_at),
        "revocation_cause": None if title.revocation_cause is None else str(title.revocation_cause),
        "revocation_reason": title.revocation_reason,
    }


def title_of(row: Row) -> Title:
    passed = row["last_reinspection_passed"]
    granted_at, anniversary = from_instant(row["granted_at"]), from_instant(row["anniversary"])
    assert granted_at is not None and anniversary is not None
    return Title(
        nomination_id=row["nomination_id"],
        campaign_id=row["campaign_id"],
        category=row["category"],
        holder_unit_id=row["nominee_unit_id"],
        holder_name=row["nominee_name"],
        holder_person_id=row["nominee_person_id"],
        granted_at=granted_at,
        rank=row["rank"],
        anniversary=anniversary,
        yearly_reinspection=bool(row["yearly_reinspection"]),
        status=TitleStatus(row["status"]),
        reinspection_due_by=from_instant(row["reinspection_due_by"]),
        last_reinspected_at=from_instant(row["last_reinspected_at"]),
        last_reinspection_passed=None if passed is None else bool(passed),
        revoked_at=from_instant(row["revoked_at"]),
        revocation_cause=row["revocation_cause"],
        revocation_reason=row["revocation_reason"],
    )


class TitleRegister(Projection):
    """Each title as the nomination holds it: the same ``Title`` value, changed by the same
    methods as the aggregate changes it."""

    name = "titles"
    tables = (NOMINEE, TITLE)

    def handlers(self) -> dict[type, Handler]:
        return {
            Nomination.Declared: self.declared,
            Nomination.Commended: self.commended,
            Nomination.ReinspectionDue: self.due,
            Nomination.Reinspected: self.reinspected,
            Nomination.Revoked: self.revoked,
            Nomination.NomineeNameCorrected: self.name_corrected,  # issue 23, item 3
        }

    def declared(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(
            NOMINEE,
            {
                "nomination_id": str(event.originator_id),
                "campaign_id": str(event.campaign_id),
                "category": event.category,
                "nominee_name": event.nominee.name,
                "nominee_unit_id": event.nominee.unit_id,
                "nominee_person_id": event.nominee.person_id,
            },
        )

    def commended(self, rows: Rows, event: Any, _n: Any) -> None:
        nominee = rows.get(NOMINEE, str(event.originator_id))
        assert nominee is not None
        title = Title(
            nomination_id=nominee["nomination_id"],
            campaign_id=nominee["campaign_id"],
            category=nominee["category"],
            holder_unit_id=nominee["nominee_unit_id"],
            holder_name=nominee["nominee_name"],
            holder_person_id=nominee["nominee_person_id"],
            granted_at=event.timestamp,
            rank=event.rank,
            anniversary=event.anniversary,
            yearly_reinspection=event.yearly_reinspection,
        )
        rows.put(TITLE, row_of(title))

    def _title(self, rows: Rows, event: Any) -> Title:
        row = rows.get(TITLE, str(event.originator_id))
        assert row is not None, f"no title for {event.originator_id}"
        return title_of(row)

    def due(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(TITLE, row_of(self._title(rows, event).falls_due(event.due_by)))

    def reinspected(self, rows: Rows, event: Any, _n: Any) -> None:
        title = self._title(rows, event)
        rows.put(TITLE, row_of(title.reinspected(event.timestamp, event.passed, event.next_anniversary)))

    def revoked(self, rows: Rows, event: Any, _n: Any) -> None:
        title = self._title(rows, event).revoked(event.timestamp, event.cause, event.reason)
        rows.put(TITLE, row_of(title))

    def name_corrected(self, rows: Rows, event: Any, _n: Any) -> None:
        """The nominee's name corrected: the title (if granted) and what a later grant reads."""
        nominee = rows.get(NOMINEE, str(event.originator_id))
        if nominee is not None:
            rows.put(NOMINEE, dict(nominee, nominee_name=event.name))
        title = rows.get(TITLE, str(event.originator_id))
        if title is not None:
            rows.put(TITLE, dict(title, nominee_name=event.name))


class TitleReader:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def titles(
        self,
        *,
        campaign_id: str | None = None,
        category: str | None = None,
        status: str | None = None,
        after: str = "",
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        where, params = ["nomination_id > ?"], [after]
        for column, value in (("campaign_id", campaign_id), ("category", category), ("status", status)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        rows = self.store.rows(
            f"SELECT * FROM {self.store.table(TITLE)} WHERE {' AND '.join(where)} "
            "ORDER BY nomination_id LIMIT ?",
            [*params, limit],
        )
        return [title_of(r).public() for r in rows]

    def ids(
        self,
        campaign_id: str,
        category: str,
        *,
        status: TitleStatus = TitleStatus.ACTIVE,
        due: bool | None = None,
        after: str = "",
        limit: int = 500,
    ) -> list[str]:
        """Title ids of a cohort in id order (the re-inspection batches page through these)."""
        where = "campaign_id = ? AND category = ? AND status = ? AND nomination_id > ?"
        if due is True:
            where += " AND reinspection_due_by IS NOT NULL"
        elif due is False:
            where += " AND reinspection_due_by IS NULL"
        rows = self.store.rows(
            f"SELECT nomination_id FROM {self.store.table(TITLE)} WHERE {where} "
            "ORDER BY nomination_id LIMIT ?",
            (campaign_id, category, str(status), after, limit),
        )
        return [r["nomination_id"] for r in rows]
