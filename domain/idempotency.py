"""Command receipts: the first result of a command sent with an idempotency key.

A receipt is an aggregate whose id derives from the key, saved in the same transaction as
the command's events: a repeat finds it and returns the first result without appending,
and two racing repeats conflict on it, so exactly one appends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate

from domain.ids import idempotency_uuid


class CommandReceipt(Aggregate):
    class Recorded(Aggregate.Created):
        key: str
        command: str
        fingerprint: str
        result: dict[str, Any]

    def __init__(self, key: str, command: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.key = key
        self.command = command
        self.fingerprint = fingerprint
        self.result = result

    @classmethod
    def record(
        cls, key: str, command: str, fingerprint: str, result: dict[str, Any], at: datetime
    ) -> CommandReceipt:
        return cls._create(
            cls.Recorded,
            id=idempotency_uuid(key),
            timestamp=at,
            key=key,
            command=command,
            fingerprint=fingerprint,
            result=result,
        )
