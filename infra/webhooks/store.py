"""Delivery state, in tables beside the event store (owned by the dispatcher):

- ``webhook_state``: the fan-out position — how far the global order (audit positions) has
  been turned into messages; it moves in the same transaction as the messages it creates,
  so a crash neither skips nor duplicates a message;
- ``webhook_endpoints``: per subscription, the position of its creation (it receives what
  comes after), and since when it has been failing without a success;
- ``webhook_messages``: one row per (subscription, event[, replay]) with the exact body to
  send, its lane (the aggregate it concerns: at most one message of a lane is in flight, and
  the next only after the previous succeeded or was given up, so a consumer sees each
  nomination's events in order), attempts and the next attempt's instant;
- ``webhook_replays``: replay requests and how far each has been queued;
- ``webhook_attempts``: the delivery log, one row per attempt;
- ``webhook_secrets``: the signing secrets (the subscriptions' events hold only references:
  the audit log exports every stored event, and secrets must not be in it).

Instants are stored as UNIX seconds (float)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from infra.webhooks.db import Db

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {ns}webhook_state (name TEXT PRIMARY KEY, position {int} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {ns}webhook_endpoints (subscription_id TEXT PRIMARY KEY, start_after "
    "{int} NOT NULL, failing_since {real}, last_success_at {real})",
    (
        "CREATE TABLE IF NOT EXISTS {ns}webhook_messages (id {pk}, subscription_id TEXT NOT NULL, "
        "lane TEXT NOT NULL, position {int} NOT NULL,"
        " event_id TEXT NOT NULL, type TEXT NOT NULL, replay_id {int} NOT NULL, body TEXT NOT NULL, "
        "status TEXT NOT NULL,"
        " attempts {int} NOT NULL, next_attempt_at {real} NOT NULL, created_at {real} NOT NULL, "
        "UNIQUE (subscription_id, replay_id, position))"
    ),
    "CREATE INDEX IF NOT EXISTS webhook_messages_due ON {ns}webhook_messages (status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_messages_lane ON {ns}webhook_messages (subscription_id, lane, "
    "status, id)",
    (
        "CREATE TABLE IF NOT EXISTS {ns}webhook_replays (id {pk}, subscription_id TEXT NOT NULL, "
        "after_position {int} NOT NULL, until_position {int} NOT NULL,"
        " cursor {int} NOT NULL, requested_at {real} NOT NULL, requested_by TEXT, idempotency_key "
        "TEXT UNIQUE, done_at {real})"
    ),
    (
        "CREATE TABLE IF NOT EXISTS {ns}webhook_attempts (id {pk}, message_id {int} NOT NULL, "
        "subscription_id TEXT NOT NULL, event_id TEXT NOT NULL,"
        " type TEXT NOT NULL, position {int} NOT NULL, replay_id {int} NOT NULL, attempt {int} NOT "
        "NULL, attempted_at {real} NOT NULL,"
        " status_code {int}, outcome TEXT NOT NULL, latency_ms {real}, response_excerpt TEXT, error "
        "TEXT, next_attempt_at {real})"
    ),
    "CREATE INDEX IF NOT EXISTS webhook_attempts_subscription ON {ns}webhook_attempts "
    "(subscription_id, id)",
    "CREATE TABLE IF NOT EXISTS {ns}webhook_secrets (ref TEXT PRIMARY KEY, secret TEXT NOT NULL, "
    "created_at {real} NOT NULL)",
    "INSERT INTO {ns}webhook_state (name, position) VALUES ('fanout', 0) ON CONFLICT (name) DO NOTHING",
)
TYPES = {
    False: {"int": "INTEGER", "real": "REAL", "pk": "INTEGER PRIMARY KEY"},
    True: {"int": "BIGINT", "real": "DOUBLE PRECISION", "pk": "BIGSERIAL PRIMARY KEY"},
}
MESSAGE_COLUMNS = (
    "subscription_id",
    "lane",
    "position",
    "event_id",
    "type",
    "replay_id",
    "body",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@dataclass(frozen=True)
class Message:
    subscription_id: str
    lane: str
    position: int
    event_id: str
    type: str
    replay_id: int
    body: str

    def row(self, now: float) -> tuple[Any, ...]:
        return (
            self.subscription_id,
            self.lane,
            self.position,
            self.event_id,
            self.type,
            self.replay_id,
            self.body,
            "pending",
            0,
            now,
            now,
        )


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt's outcome, as the log keeps it."""

    attempt: int
    attempted_at: float
    status_code: int | None
    outcome: str  # delivered | retrying | failed (given up) | gone (410: endpoint disabled) | cancelled
    latency_ms: float | None
    response_excerpt: str | None
    error: str | None
    next_attempt_at: float | None


class WebhookStore:
    def __init__(self, db: Db) -> None:
        self.db = db
        self.t = {
            name: f"{db.ns}webhook_{name}"
            for name in ("state", "endpoints", "messages", "replays", "attempts", "secrets")
        }
        self.setup()

    def setup(self) -> None:
        with self.db.transaction() as sql:
            if self.db.postgres:
                sql.execute("SELECT pg_advisory_xact_lock(hashtext('laurel-webhook-schema'))")
            for statement in SCHEMA:
                sql.execute(statement.format(ns=self.db.ns, **TYPES[self.db.postgres]))

    def close(self) -> None:
        self.db.close()

    # --- the secret vault (domain.webhooks.SecretVault) -----------------------------------------

    def keep(self, secret: str) -> str:
        ref = str(uuid.uuid4())
        with self.db.transaction() as sql:
            sql.execute(
                f"INSERT INTO {self.t['secrets']} (ref, secret, created_at) VALUES (?, ?, ?)",
                (ref, secret, time.time()),
            )
        return ref

    def reveal(self, ref: str) -> str:
        with self.db.transaction(write=False) as sql:
            secret = sql.scalar(f"SELECT secret FROM {self.t['secrets']} WHERE ref = ?", (ref,))
        if secret is None:
            raise LookupError(f"no webhook secret '{ref}'")
        return str(secret)

    # --- fan-out -----------------------------------------------------------------------------

    def fanout_position(self) -> int:
        with self.db.transaction(write=False) as sql:
            return int(sql.scalar(f"SELECT position FROM {self.t['state']} WHERE name = 'fanout'") or 0)

    def endpoints(self) -> dict[str, dict[str, Any]]:
        with self.db.transaction(write=False) as sql:
            return {r["subscription_id"]: r for r in sql.rows(f"SELECT * FROM {self.t['endpoints']}")}

    def enqueue(
        self, old: int, new: int, messages: Sequence[Message], starts: dict[str, int], now: float
    ) -> bool:
        """Moves the fan-out position from ``old`` to ``new`` with the messages of that range;
        False (nothing written) when another dispatcher moved it first."""
        with self.db.transaction() as sql:
            if (
                sql.execute(
                    f"UPDATE {self.t['state']} SET position = ? WHERE name = 'fanout' AND position = ?",
                    (new, old),
                )
                != 1
            ):
                return False
            sql.executemany(
                f"INSERT INTO {self.t['endpoints']} (subscription_id, start_after) VALUES (?, ?) ON "
                "CONFLICT (subscription_id) DO NOTHING",
                list(starts.items()),
            )
            self._insert(sql, messages, now)
        return True

    def _insert(self, sql: Any, messages: Iterable[Message], now: float) -> None:
        columns = ", ".join(MESSAGE_COLUMNS)
        marks = ", ".join("?" for _ in MESSAGE_COLUMNS)
        statement = (
            f"INSERT INTO {self.t['messages']} ({columns}) VALUES ({marks}) ON CONFLICT "
            "(subscription_id, replay_id, position) DO NOTHING"
        )
        sql.executemany(statement, [m.row(now) for m in messages])

    # --- replays ------------------------------------------------------------------------------

    def request_replay(
        self,
        subscription_id: str,
        after: int,
        until: int,
        requested_by: str,
        now: float,
        idempotency_key: str | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """A replay of the positions in (after, until]; a repeated key returns the first (False)."""
        with self.db.transaction() as sql:
            if idempotency_key and (
                first := sql.rows(
                    f"SELECT * FROM {self.t['replays']} WHERE idempotency_key = ?", (idempotency_key,)
                )
            ):
                return first[0], False
            rows = sql.rows(
                f"INSERT INTO {self.t['replays']} (subscription_id, after_position, until_position, "
                "cursor, requested_at, requested_by, idempotency_key, done_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    subscription_id,
                    after,
                    until,
                    after,
                    now,
                    requested_by,
                    idempotency_key,
                    now if until <= after else None,
                ),
            )
        return rows[0], True

    def open_replays(self) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as sql:
            return sql.rows(f"SELECT * FROM {self.t['replays']} WHERE done_at IS NULL ORDER BY id")

    def advance_replay(
        self, replay_id: int, old: int, new: int, messages: Sequence[Message], done: bool, now: float
    ) -> bool:
        with self.db.transaction() as sql:
            if (
                sql.execute(
                    f"UPDATE {self.t['replays']} SET cursor = ?, done_at = ? WHERE id = ? AND cursor = "
                    "?",
                    (new, now if done else None, replay_id, old),
                )
                != 1
            ):
                return False
            self._insert(sql, messages, now)
        return True

    # --- delivery -----------------------------------------------------------------------------

    def due(self, now: float, limit: int) -> list[dict[str, Any]]:
        """Pending messages due now that head their lane (no earlier pending message in it)."""
        m = self.t["messages"]
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT * FROM {m} AS m WHERE m.status = 'pending' AND m.next_attempt_at <= ? AND NOT "
                "EXISTS ("
                f" SELECT 1 FROM {m} AS p WHERE p.subscription_id = m.subscription_id AND p.lane = "
                "m.lane AND p.status = 'pending' AND p.id < m.id)"
                " ORDER BY m.next_attempt_at, m.id LIMIT ?",
                (now, limit),
            )

    def next_due_at(self) -> float | None:
        with self.db.transaction(write=False) as sql:
            value = sql.scalar(
                f"SELECT MIN(next_attempt_at) FROM {self.t['messages']} WHERE status = 'pending'"
            )
        return float(value) if value is not None else None

    def record(
        self, outcomes: Sequence[tuple[dict[str, Any], Attempt, str]]
    ) -> dict[str, dict[str, Any]]:
        """Each attempt in the log, each message's new status and its endpoint's health, in one
        transaction; returns the endpoints' rows after it (by subscription id)."""
        endpoints = self.t["endpoints"]
        with self.db.transaction() as sql:
            for message, attempt, status in outcomes:
                next_at = (
                    attempt.next_attempt_at
                    if attempt.next_attempt_at is not None
                    else attempt.attempted_at
                )
                sql.execute(
                    f"UPDATE {self.t['messages']} SET status = ?, attempts = ?, next_attempt_at = ? "
                    "WHERE id = ?",
                    (status, attempt.attempt, next_at, message["id"]),
                )
                sql.execute(
                    f"INSERT INTO {self.t['attempts']} (message_id, subscription_id, event_id, type, "
                    "position, replay_id, attempt, attempted_at,"
                    " status_code, outcome, latency_ms, response_excerpt, error, next_attempt_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        message["id"],
                        message["subscription_id"],
                        message["event_id"],
                        message["type"],
                        message["position"],
                        message["replay_id"],
                        attempt.attempt,
                        attempt.attempted_at,
                        attempt.status_code,
                        attempt.outcome,
                        attempt.latency_ms,
                        attempt.response_excerpt,
                        attempt.error,
                        attempt.next_attempt_at,
                    ),
                )
                if attempt.outcome == "delivered":
                    sql.execute(
                        f"UPDATE {endpoints} SET failing_since = NULL, last_success_at = ? WHERE "
                        "subscription_id = ?",
                        (attempt.attempted_at, message["subscription_id"]),
                    )
                else:
                    sql.execute(
                        f"UPDATE {endpoints} SET failing_since = COALESCE(failing_since, ?) WHERE "
                        "subscription_id = ?",
                        (attempt.attempted_at, message["subscription_id"]),
                    )
            ids = sorted({message["subscription_id"] for message, _, _ in outcomes})
            rows = (
                sql.rows(
                    f"SELECT * FROM {endpoints} WHERE subscription_id IN "
                    f"({', '.join('?' for _ in ids)})",
                    ids,
                )
                if ids
                else []
            )
        return {r["subscription_id"]: r for r in rows}

    def cancel_pending(self, subscription_ids: Iterable[str]) -> int:
        ids = list(subscription_ids)
        if not ids:
            return 0
        with self.db.transaction() as sql:
            marks = ", ".join("?" for _ in ids)
            return sql.execute(
                f"UPDATE {self.t['messages']} SET status = 'cancelled' WHERE status = 'pending' AND "
                f"subscription_id IN ({marks})",
                ids,
            )

    # --- reads for the API ----------------------------------------------------------------------

    def attempts(
        self, subscription_id: str, limit: int = 50, before: int | None = None
    ) -> list[dict[str, Any]]:
        """The delivery log, newest first; ``before``: an attempt id (the next page)."""
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT * FROM {self.t['attempts']} WHERE subscription_id = ? AND id < ? ORDER BY id "
                "DESC LIMIT ?",
                (subscription_id, before if before is not None else 2**62, limit),
            )

    def health(self, subscription_id: str) -> dict[str, Any]:
        with self.db.transaction(write=False) as sql:
            pending = sql.scalar(
                f"SELECT COUNT(*) AS n FROM {self.t['messages']} WHERE subscription_id = ? AND status "
                "= 'pending'",
                (subscription_id,),
            )
            endpoint = sql.rows(
                f"SELECT * FROM {self.t['endpoints']} WHERE subscription_id = ?", (subscription_id,)
            )
        row = endpoint[0] if endpoint else {}
        return {
            "pending": int(pending or 0),
            "failing_since": row.get("failing_since"),
            "last_success_at": row.get("last_success_at"),
            "start_after": row.get("start_after"),
        }
