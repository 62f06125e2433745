"""How a command runs: decide on fresh aggregates, save atomically, retry on conflict,
and answer a repeated idempotency key with the first result."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.errors import (
    ConcurrencyConflictError,
    DomainError,
    IdempotencyKeyReusedError,
    RuleFailure,
    StaleVersionError,
    TextInvalidError,
)
from domain.history import jsonable
from domain.idempotency import CommandReceipt
from domain.ids import idempotency_uuid
from domain.rules.text import control_character_failures

Decision = tuple[list[Any], dict[str, Any]]  # aggregates to save, result to return
MAX_ATTEMPTS = 8


def fingerprint(command: str, args: dict[str, Any]) -> str:
    canonical = json.dumps(jsonable(args), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{command}:{canonical}".encode()).hexdigest()


def check_version(aggregate: Any, expected_version: int | None) -> None:
    if expected_version is not None and aggregate.version != expected_version:
        raise StaleVersionError(
            f"expected version {expected_version} but the current version is {aggregate.version}",
            f"版本不一致：期望 {expected_version}，当前为 {aggregate.version}",
            expected=expected_version,
            current=aggregate.version,
        )


class CommandRunner:
    """Mixed into the application: ``run`` is the one write path of every use case."""

    def _receipt(self: Any, key: str) -> CommandReceipt | None:
        try:
            return self.repository.get(idempotency_uuid(key))
        except AggregateNotFoundError:
            return None

    def _replay_receipt(self: Any, key: str, command: str, fp: str) -> dict[str, Any] | None:
        receipt = self._receipt(key)
        if receipt is None:
            return None
        if receipt.command != command or receipt.fingerprint != fp:
            raise IdempotencyKeyReusedError(
                [
                    RuleFailure(
                        "idempotency_key_reused",
                        f"idempotency key '{key}' was first used for a different {receipt.command} command",
                        f"幂等键「{key}」已用于另一条不同的命令",
                        "Idempotency-Key",
                    )
                ]
            )
        return dict(receipt.result, replayed=True)

    def run(
        self: Any,
        command: str,
        args: dict[str, Any],
        decide: Callable[[], Decision],
        *,
        at: datetime,
        idempotency_key: str | None = None,
        retry_on_conflict: bool = True,
    ) -> dict[str, Any]:
        # Every entry point (API, imports, CLI, activities) comes through here: no text that a
        # read model could not store reaches the log.
        failures = control_character_failures({**args, "Idempotency-Key": idempotency_key})
        if failures:
            raise TextInvalidError(failures)
        fp = fingerprint(command, args)
        if idempotency_key and (first := self._replay_receipt(idempotency_key, command, fp)) is not None:
            return first
        for attempt in range(MAX_ATTEMPTS):
            try:
                aggregates, result = decide()
            except DomainError:
                # A repeat that raced the first attempt re-decides on the state the first one
                # made (e.g. "already declared"): it must answer with the first result.
                if (
                    idempotency_key
                    and (first := self._replay_receipt(idempotency_key, command, fp)) is not None
                ):
                    return first
                raise
            result = jsonable(result)
            if idempotency_key:
                aggregates = [
                    *aggregates,
                    CommandReceipt.record(idempotency_key, command, fp, result, at),
                ]
            try:
                self.save(*aggregates)
            except IntegrityError:
                if (
                    idempotency_key
                    and (first := self._replay_receipt(idempotency_key, command, fp)) is not None
                ):
                    return first
                if not retry_on_conflict or attempt == MAX_ATTEMPTS - 1:
                    raise ConcurrencyConflictError(
                        "another command changed this record first; reload and retry",
                        "该记录已被其他操作修改，请刷新后重试",
                        command=command,
                    ) from None
                time.sleep(random.uniform(0, 0.005 * (2**attempt)))
                continue
            return dict(result, replayed=False)
        raise AssertionError("unreachable")
