"""A read model: its tables and how each domain event changes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.utils import resolve_topic

from projections.rows import Rows
from projections.schema import Table

Handler = Callable[[Rows, Any, Any], None]


class ProjectionHaltedError(Exception):
    """Raised by a projection that must not move past this event (the audit chain meeting a
    signed checkpoint it contradicts): the runner keeps the projection where it stands, records
    why, and goes on with the others."""


class Projection:
    """Subclasses name themselves, list their tables and map event classes to handlers
    ``(rows, event, notification)``; events without a handler are skipped."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]

    def handlers(self) -> dict[type, Handler]:
        raise NotImplementedError

    def __init__(self) -> None:
        self._handlers = self.handlers()
        self._wanted: dict[str, bool] = {}

    def wants(self, topic: str) -> bool:
        """Whether events stored under ``topic`` change this read model: the runner decodes
        an event only when some projection wants it (decoding is most of a skipped event's cost)."""
        wanted = self._wanted.get(topic)
        if wanted is None:
            try:
                wanted = resolve_topic(topic) in self._handlers
            except Exception:
                wanted = False
            self._wanted[topic] = wanted
        return wanted

    def decodes(self, notification: Any) -> bool:
        """Whether ``apply`` needs the decoded event for this (wanted) notification; when no
        projection of the batch does, ``apply`` gets ``None`` and reads the notification."""
        return True

    def prepare(self) -> None:
        """Called by the runner whenever it (re)reads its positions: a projection that reads
        something beside its own rows (the audit chain's checkpoints) reads it here."""

    def apply(self, rows: Rows, event: Any, notification: Any) -> None:
        handler = self._handlers.get(type(event))
        if handler is not None:
            handler(rows, event, notification)


_ZERO = timedelta(0)


def instant(moment: datetime) -> str:
    """A fixed-width UTC text (``2022-05-01T00:00:00.000000Z``) that sorts as time does."""
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"  # strftime costs 5x


def from_instant(text: str | None) -> datetime | None:
    """The UTC datetime an ``instant`` text names (``fromisoformat`` reads its ``Z`` since 3.11,
    at a tenth of ``strptime``'s cost: a title's row is read back at every event of it)."""
    return None if text is None else datetime.fromisoformat(text)


# How the JSON transcoder stores every event's first field: a state that starts so is plain
# JSON (neither encrypted nor compressed), whose stored fields a read model may read undecoded.
STORED_TIMESTAMP = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'
