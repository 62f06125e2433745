"""The title register (荣誉称号名册): every title granted, active or revoked, with its
anniversary, the re-inspection it awaits and, once revoked, why."""

from __future__ import annotations

from typing import Any

from domain.nominations import Nomination
from projections.projection import Handler, Projection, from_instant, instant
from projections.rows import Rows
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


class TitleRegister(Projection):
    name = "titles"
    tables = (NOMINEE, TITLE)

    def handlers(self) -> dict[type, Handler]:
        return {
            Nomination.Declared: self.declared,
            Nomination.Commended: self.commended,
            Nomination.ReinspectionDue: self.due,
            Nomination.Reinspected: self.reinspected,
            Nomination.Revoked: self.revoked,
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
            },
        )

    def commended(self, rows: Rows, event: Any, _n: Any) -> None:
        nominee = rows.get(NOMINEE, str(event.originator_id))
        assert nominee is not None
        rows.put(
            TITLE,
            dict(
                nominee,
                status="active",
                granted_at=instant(event.timestamp),
                rank=event.rank,
                anniversary=instant(event.anniversary),
                yearly_reinspection=int(event.yearly_reinspection),
                reinspection_due_by=None,
                last_reinspected_at=None,
                last_reinspection_passed=None,
                revoked_at=None,
                revocation_cause=None,
                revocation_reason=None,
            ),
        )

    def _title(self, rows: Rows, event: Any) -> dict[str, Any]:
        title = rows.get(TITLE, str(event.originator_id))
        assert title is not None, f"no title for {event.originator_id}"
        return title

    def due(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(TITLE, dict(self._title(rows, event), reinspection_due_by=instant(event.due_by)))

    def reinspected(self, rows: Rows, event: Any, _n: Any) -> None:
        title = dict(
            self._title(rows, event),
            reinspection_due_by=None,
            last_reinspected_at=instant(event.timestamp),
            last_reinspection_passed=int(event.passed),
        )
        if event.passed and event.next_anniversary is not None:
            title["anniversary"] = instant(event.next_anniversary)
        rows.put(TITLE, title)

    def revoked(self, rows: Rows, event: Any, _n: Any) -> None:
        rows.put(
            TITLE,
            dict(
                self._title(rows, event),
                status="revoked",
                revoked_at=instant(event.timestamp),
                revocation_cause=event.cause,
                revocation_reason=event.reason,
            ),
        )


def title_public(row: dict[str, Any]) -> dict[str, Any]:
    def when(key: str) -> str | None:
        moment = from_instant(row[key])
        return moment.isoformat() if moment else None

    yearly = bool(row["yearly_reinspection"])
    return {
        "nomination_id": row["nomination_id"],
        "campaign_id": row["campaign_id"],
        "category": row["category"],
        "nominee": row["nominee_name"],
        "nominee_unit_id": row["nominee_unit_id"],
        "status": row["status"],
        "granted_at": when("granted_at"),
        "rank": row["rank"],
        "anniversary": when("anniversary"),
        "yearly_reinspection": yearly,
        "reinspection_due_by": when("reinspection_due_by"),
        "next_reinspection_by": when("anniversary") if yearly and row["status"] == "active" else None,
        "last_reinspected_at": when("last_reinspected_at"),
        "last_reinspection_passed": None
        if row["last_reinspection_passed"] is None
        else bool(row["last_reinspection_passed"]),
        "revoked_at": when("revoked_at"),
        "revocation_cause": row["revocation_cause"],
        "revocation_reason": row["revocation_reason"],
    }


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
            f"SELECT * FROM {self.store.table(TITLE)} WHERE {' AND '.join(where)} ORDER BY nomination_id LIMIT ?",
            [*params, limit],
        )
        return [title_public(r) for r in rows]

    def ids(
        self,
        campaign_id: str,
        category: str,
        *,
        status: str = "active",
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
            f"SELECT nomination_id FROM {self.store.table(TITLE)} WHERE {where} ORDER BY nomination_id LIMIT ?",
            (campaign_id, category, status, after, limit),
        )
        return [r["nomination_id"] for r in rows]
