"""Events a read model could not store, kept in ``v_projection_failures``.

The runner records the pair (read model, event) and moves past it, so that one bad event
stops neither the other read models, nor the audit chain, nor the later events of the same
read model. An exception is blamed on the event only when it comes from the event: a handler
that cannot apply it, a value a column refuses (PostgreSQL's ``text`` holds no NUL). The
database's own trouble — PEP 249's ``OperationalError`` and ``InterfaceError`` (a lock
timeout, a lost connection, a full disk) — is not the event's: the batch rolls back, the error
is raised, and the next run projects the same events again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog

from projections.projection import instant
from projections.schema import Table
from projections.store import Sql, ViewStore

log = structlog.get_logger("laurel.projections")

FAILURES = Table(
    "projection_failures",
    (
        ("projection", "text"),
        ("notification_id", "int"),
        ("originator_id", "text"),
        ("originator_version", "int"),
        ("topic", "text"),
        ("error", "text"),
        ("message", "text"),
        ("first_seen", "text"),
    ),
    ("projection", "notification_id"),
)
MESSAGE_LIMIT = 2000  # characters of the exception's text kept
_BLAMELESS = frozenset(
    {"OperationalError", "InterfaceError"}
)  # PEP 249 names, whichever driver raised them


def blameless(exc: BaseException) -> bool:
    """Whether ``exc`` is the database's trouble rather than the event's."""
    return isinstance(exc, MemoryError) or any(cls.__name__ in _BLAMELESS for cls in type(exc).__mro__)


def printable(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` with every character a column may refuse (NUL, other controls, lone
    surrogates) escaped: the failure of an event must itself be storable."""
    kept = text[:limit]
    return "".join(c if c.isprintable() or c == "\n" else f"\\u{ord(c):04x}" for c in kept)


def record(sql: Sql, ns: str, projection: str, notification: Any, exc: BaseException) -> dict[str, Any]:
    """Keeps the first sighting: a rebuild that meets the event again changes nothing."""
    row = {
        "projection": projection,
        "notification_id": notification.id,
        "originator_id": printable(str(notification.originator_id)),
        "originator_version": notification.originator_version,
        "topic": printable(str(notification.topic)),
        "error": type(exc).__name__,
        "message": printable(str(exc)),
        "first_seen": instant(datetime.now(UTC)),
    }
    sql.execute(FAILURES.insert_missing_statement(ns=ns), [row[c] for c in FAILURES.column_names])
    return row


def forget(sql: Sql, ns: str, projection: str) -> None:
    """A read model emptied for a rebuild meets its failures again (or, fixed, no more)."""
    sql.execute(f"DELETE FROM {FAILURES.physical(ns=ns)} WHERE projection = ?", (projection,))


def report(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        log.error(
            "a read model could not store an event; it moved past it (laurel projections failures)",
            **row,
        )


class FailureReader:
    def __init__(self, store: ViewStore) -> None:
        self.store = store

    def failures(self, projections: tuple[str, ...]) -> list[dict[str, Any]]:
        marks = ", ".join("?" for _ in projections)
        return self.store.rows(
            f"SELECT * FROM {self.store.table(FAILURES)} WHERE projection IN ({marks}) "
            "ORDER BY notification_id, projection",
            projections,
        )

    def counts(self, projections: tuple[str, ...]) -> dict[str, int]:
        rows = self.store.rows(
            f"SELECT projection, COUNT(*) AS n FROM {self.store.table(FAILURES)} GROUP BY projection"
        )
        found = {r["projection"]: int(r["n"]) for r in rows}
        return {name: found.get(name, 0) for name in projections}
