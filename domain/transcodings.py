"""JSON transcodings for the domain's value objects (stored events and snapshots).

A dataclass is stored as ``{"_type_": <class name>, "_data_": {<field>: <value>}}`` and rebuilt
through its constructor, so its ``__post_init__`` turns stored codes back into vocabulary terms.
Terms themselves need no transcoding: a ``StrEnum`` is stored as its plain code. The actor of
an event: ``{"_type_": "Actor", "_data_": {"token_id": …, "role": "admin", "unit_id": …}}``."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.activity import Member, Session
from domain.actors import Actor
from domain.templates import DutySpec
from domain.values import VALUE_TYPES


class DataclassAsDict(Transcoding):
    """A frozen dataclass as a dict of its fields; lists come back as tuples."""

    def __init__(self, cls: type) -> None:
        self.type = cls
        self.name = cls.__name__

    def encode(self, obj: Any) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def all_transcodings() -> list[Transcoding]:
    kinds = (*VALUE_TYPES, DutySpec, Actor, Member, Session)
    return [DateAsISO(), *(DataclassAsDict(cls) for cls in kinds)]
