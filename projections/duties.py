"""The duty board (工作任务看板, issue 21 item 5): each duty something has happened to, per
campaign and owing unit, with its state, whether it was late, its deadline when the events set
one (a rectification's 限期整改, a return's new deadline) and when it last changed.

A duty nothing has happened to has no row: the board's reader lays these rows over what the
campaign's duties (stored at its creation) make each unit owe
(``domain.duties.DutyBook.expected``), so a page of a campaign's duties reads one table and the
unit tree, never each duty's events."""

from __future__ import annotations

from typing import Any

from domain.duties import Duty
from domain.vocabulary import DutyState
from projections.projection import Handler, Projection, instant
from projections.rows import Row, Rows
from projections.schema import Table
from projections.store import ViewStore

DUTY = Table(
    "duty",
    (
        ("duty_id", "text"),
        ("campaign_id", "text"),
        ("duty", "text"),
        ("unit_id", "text"),
        ("kind", "text"),
        ("phase", "text"),
        ("name_zh", "text"),
        ("name_en", "text"),
        ("state", "text"),
        ("late", "int"),
        ("due_at", "text"),  # set by the events only (rectifications, returns with a new deadline)
        ("min_count", "int"),
        ("records", "int"),
        ("submissions", "int"),
        ("title", "text"),
        ("submitted_at", "text"),
        ("updated_at", "text"),
    ),
    ("duty_id",),
    (("campaign_id", "unit_id"),),
)


class DutyBoard(Projection):
    name = "duties"
    tables = (DUTY,)

    def handlers(self) -> dict[type, Handler]:
        return {
            Duty.Opened: self.opened,
            Duty.Submitted: self.submitted,
            Duty.Accepted: self.accepted,
            Duty.Returned: self.returned,
            Duty.MarkedOverdue: self.overdue,
            Duty.SpotCheckRecorded: self.recorded,
            Duty.CircularIssued: self.recorded,
        }

    def opened(self, rows: Rows, event: Any, notification: Any) -> None:
        rows.put(
            DUTY,
            {
                "duty_id": str(event.originator_id),
                "campaign_id": event.campaign_id,
                "duty": event.code,
                "unit_id": event.unit_id,
                "kind": event.kind,
                "phase": event.phase,
                "name_zh": event.name_zh,
                "name_en": event.name_en,
                "state": str(DutyState.DUE),
                "late": 0,
                "due_at": None if event.due_at is None else instant(event.due_at),
                "min_count": event.min_count,
                "records": 0,
                "submissions": 0,
                "title": "",
                "submitted_at": None,
                "updated_at": instant(event.timestamp),
            },
        )

    def _change(self, rows: Rows, event: Any, **changes: Any) -> None:
        row = rows.get(DUTY, str(event.originator_id))
        if row is None:
            return
        rows.put(DUTY, {**row, **changes, "updated_at": instant(event.timestamp)})

    def submitted(self, rows: Rows, event: Any, notification: Any) -> None:
        row = rows.get(DUTY, str(event.originator_id)) or {}
        self._change(
            rows,
            event,
            state=str(DutyState.LATE if event.late else DutyState.SUBMITTED),
            late=int(bool(row.get("late")) or event.late),
            submissions=int(row.get("submissions") or 0) + 1,
            title=event.title,
            submitted_at=instant(event.timestamp),
        )

    def accepted(self, rows: Rows, event: Any, notification: Any) -> None:
        self._change(rows, event, state=str(DutyState.ACCEPTED))

    def returned(self, rows: Rows, event: Any, notification: Any) -> None:
        changes: dict[str, Any] = {"state": str(DutyState.RETURNED)}
        if event.resubmit_by is not None:
            changes["due_at"] = instant(event.resubmit_by)
        self._change(rows, event, **changes)

    def overdue(self, rows: Rows, event: Any, notification: Any) -> None:
        self._change(rows, event, state=str(DutyState.OVERDUE))

    def recorded(self, rows: Rows, event: Any, notification: Any) -> None:
        row = rows.get(DUTY, str(event.originator_id))
        if row is None:
            return
        records = int(row["records"] or 0) + 1
        changes: dict[str, Any] = {"records": records, "late": int(bool(row["late"]) or event.late)}
        if records >= int(row["min_count"] or 1):
            changes["state"] = str(DutyState.ACCEPTED)
        self._change(rows, event, **changes)


class DutyBoardReader:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def rows(self, campaign_id: str) -> list[Row]:
        return self.store.rows(
            f"SELECT * FROM {self.store.table(DUTY)} WHERE campaign_id = ? ORDER BY unit_id, duty",
            (campaign_id,),
        )
