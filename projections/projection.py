"""A read model: its tables and how each domain event changes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from projections.rows import Rows
from projections.schema import Table

Handler = Callable[[Rows, Any, Any], None]


class Projection:
    """Subclasses name themselves, list their tables and map event classes to handlers
    ``(rows, event, notification)``; events without a handler are skipped."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]

    def handlers(self) -> dict[type, Handler]:
        raise NotImplementedError

    def __init__(self) -> None:
        self._handlers = self.handlers()

    def apply(self, rows: Rows, event: Any, notification: Any) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(rows, event, notification)


def instant(moment: datetime) -> str:
    """A fixed-width UTC text (``2022-05-01T00:00:00.000000Z``) that sorts as time does."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
