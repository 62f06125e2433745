"""Notification state, in tables beside the event store (owned by the sender):

- ``notification_contacts``: the contact vault (``domain.contacts.ContactVault``): contacts'
  personal data, out of the events so the audit export and webhooks never carry it;
- ``notification_preferences``: per recipient and kind, immediate | digest | muted;
- ``notification_state``: the fan-out position over the outbox (moves in the same transaction
  as the deliveries it creates, so a crash neither skips nor repeats a notice);
- ``notification_deliveries``: one row per (notice, recipient, channel) — the inbox rows
  (``delivered`` at once) and the e-mails (pending → sending → delivered | retrying | failed |
  cancelled (the contact was removed); ``digest``: waits for the daily digest; ``digested``:
  went out in one). A contact's e-mail names its unit (``unit_id``), not its address: the
  sender looks that up when it sends and keeps only the masked form. A notice the fan-out set
  aside is a ``failed`` inbox row to ``FANOUT_FAILED`` with the error as its body;
- ``notification_feed``: per unit, the notices addressed to its people;
- ``notification_attempts``: the delivery log, one row per e-mail attempt.

Instants are UNIX seconds (float)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.contacts import ContactDetails
from domain.notifications.kinds import DeliveryMode, NoticeKind
from domain.notifications.preferences import check_preference
from infra.webhooks.db import Db

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {ns}notification_contacts (ref TEXT PRIMARY KEY, name TEXT NOT NULL, "
    "email TEXT NOT NULL, phone TEXT NOT NULL, created_at {real} NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {ns}notification_preferences (recipient TEXT NOT NULL, kind TEXT NOT "
    "NULL, mode TEXT NOT NULL, PRIMARY KEY (recipient, kind))",
    "CREATE TABLE IF NOT EXISTS {ns}notification_state (name TEXT PRIMARY KEY, position {int} NOT NULL)",
    (
        "CREATE TABLE IF NOT EXISTS {ns}notification_deliveries (id {pk}, notice_key TEXT NOT NULL, "
        "outbox_id {int}, recipient TEXT NOT NULL, channel TEXT NOT NULL, address TEXT, kind TEXT NOT "
        "NULL, campaign_id TEXT, subject_id TEXT, subject TEXT NOT NULL, body TEXT NOT NULL, status "
        "TEXT NOT NULL, attempts {int} NOT NULL, next_attempt_at {real}, lease_until {real}, "
        "created_at {real} NOT NULL, delivered_at {real}, read_at {real}, unit_id TEXT, "
        "UNIQUE (notice_key, recipient, channel))"
    ),
    "CREATE INDEX IF NOT EXISTS notification_deliveries_due ON {ns}notification_deliveries "
    "(channel, status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS notification_deliveries_inbox ON {ns}notification_deliveries "
    "(recipient, channel, id)",
    (
        "CREATE TABLE IF NOT EXISTS {ns}notification_feed (outbox_id {int} NOT NULL, unit_id TEXT NOT "
        "NULL, notice_key TEXT NOT NULL, kind TEXT NOT NULL, campaign_id TEXT, subject_id TEXT, "
        "subject TEXT NOT NULL, body TEXT NOT NULL, occurred_at {real} NOT NULL, "
        "PRIMARY KEY (unit_id, outbox_id))"
    ),
    (
        "CREATE TABLE IF NOT EXISTS {ns}notification_attempts (id {pk}, delivery_id {int} NOT NULL, "
        "attempt {int} NOT NULL, attempted_at {real} NOT NULL, outcome TEXT NOT NULL, smtp_code {int}, "
        "error TEXT, next_attempt_at {real})"
    ),
    "CREATE INDEX IF NOT EXISTS notification_attempts_delivery ON {ns}notification_attempts "
    "(delivery_id, id)",
    "INSERT INTO {ns}notification_state (name, position) VALUES ('fanout', 0) ON CONFLICT (name) DO "
    "NOTHING",
)
TYPES = {
    False: {"int": "INTEGER", "real": "REAL", "pk": "INTEGER PRIMARY KEY"},
    True: {"int": "BIGINT", "real": "DOUBLE PRECISION", "pk": "BIGSERIAL PRIMARY KEY"},
}
DELIVERY_COLUMNS = (
    "notice_key",
    "outbox_id",
    "recipient",
    "channel",
    "address",
    "kind",
    "campaign_id",
    "subject_id",
    "subject",
    "body",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "delivered_at",
    "unit_id",
)
FEED_COLUMNS = (
    "outbox_id",
    "unit_id",
    "notice_key",
    "kind",
    "campaign_id",
    "subject_id",
    "subject",
    "body",
    "occurred_at",
)
MAX_PAGE = 200
# The recipient of a fan-out failure record (channel inbox, status failed, the error as body):
# no one reads as it, ``laurel notify log --status failed`` lists it, ``retry`` redoes it.
FANOUT_FAILED = "fanout"
RECIPIENTS_CHUNK = 500  # keys bound in one IN list (well under SQLite's and PostgreSQL's limits)


@dataclass(frozen=True)
class Delivery:
    """A row to insert: an inbox entry (``delivered``) or an e-mail (``pending``/``digest``)."""

    notice_key: str
    outbox_id: int | None
    recipient: str
    channel: str
    address: str | None
    kind: str
    campaign_id: str | None
    subject_id: str | None
    subject: str
    body: str
    status: str
    unit_id: str | None = None  # a contact's unit: its address is looked up when sent

    def row(self, now: float) -> tuple[Any, ...]:
        delivered = now if self.status == "delivered" else None
        due = now if self.status == "pending" else None
        return (
            self.notice_key,
            self.outbox_id,
            self.recipient,
            self.channel,
            self.address,
            self.kind,
            self.campaign_id,
            self.subject_id,
            self.subject,
            self.body,
            self.status,
            0,
            due,
            now,
            delivered,
            self.unit_id,
        )


@dataclass(frozen=True)
class FeedEntry:
    outbox_id: int
    unit_id: str
    notice_key: str
    kind: str
    campaign_id: str | None
    subject_id: str | None
    subject: str
    body: str
    occurred_at: float


@dataclass(frozen=True)
class Attempt:
    """One e-mail attempt as the log keeps it."""

    attempt: int
    attempted_at: float
    outcome: str  # delivered | retrying | failed | cancelled
    smtp_code: int | None
    error: str | None
    next_attempt_at: float | None


def mask(address: str | None) -> str | None:
    """``zhang@example.cn`` -> ``z***@example.cn``: the log shows where, not to whom."""
    if not address:
        return address
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


class NotificationStore:
    """The contact vault, preferences, inbox/feed and e-mail queue of one event store."""

    def __init__(self, db: Db) -> None:
        self.db = db
        self.t = {
            name: f"{db.ns}notification_{name}"
            for name in ("contacts", "preferences", "state", "deliveries", "feed", "attempts")
        }
        self.setup()

    def setup(self) -> None:
        with self.db.transaction() as sql:
            if self.db.postgres:
                sql.execute("SELECT pg_advisory_xact_lock(hashtext('laurel-notification-schema'))")
            for statement in SCHEMA:
                sql.execute(statement.format(ns=self.db.ns, **TYPES[self.db.postgres]))

    def close(self) -> None:
        self.db.close()

    def exclusive(self, wait: float = 1.0) -> contextlib.AbstractContextManager[None]:
        """One sender per store: the others wait (standby); the lock is the webhook
        dispatcher's kind (``Db.exclusive``), under its own name."""
        return self.db.exclusive("notifier", wait=wait)

    # --- the contact vault (domain.contacts.ContactVault) --------------------------------------

    def keep_contact(self, details: ContactDetails) -> str:
        ref = str(uuid.uuid4())
        with self.db.transaction() as sql:
            sql.execute(
                f"INSERT INTO {self.t['contacts']} (ref, name, email, phone, created_at) VALUES "
                "(?, ?, ?, ?, ?)",
                (ref, details.name, details.email, details.phone, time.time()),
            )
        return ref

    def contact_details(self, ref: str) -> ContactDetails | None:
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(f"SELECT name, email, phone FROM {self.t['contacts']} WHERE ref = ?", (ref,))
        return ContactDetails(**rows[0]) if rows else None

    def forget_contact(self, ref: str) -> None:
        with self.db.transaction() as sql:
            sql.execute(f"DELETE FROM {self.t['contacts']} WHERE ref = ?", (ref,))

    # --- preferences ----------------------------------------------------------------------------

    def preferences(self, recipient: str) -> dict[str, str]:
        """Every kind with its mode (immediate unless chosen otherwise)."""
        with self.db.transaction(write=False) as sql:
            chosen = {
                r["kind"]: r["mode"]
                for r in sql.rows(
                    f"SELECT kind, mode FROM {self.t['preferences']} WHERE recipient = ?", (recipient,)
                )
            }
        return {
            str(kind): chosen.get(str(kind), str(DeliveryMode.IMMEDIATE))
            for kind in NoticeKind
            if kind != NoticeKind.DAILY_DIGEST
        }

    def set_preference(self, recipient: str, kind: str, mode: str) -> dict[str, str]:
        """Raises DomainError ``notice-mandatory`` for muting a mandatory kind (domain check)."""
        notice_kind, delivery_mode = check_preference(kind, mode)
        with self.db.transaction() as sql:
            sql.execute(
                f"INSERT INTO {self.t['preferences']} (recipient, kind, mode) VALUES (?, ?, ?) "
                "ON CONFLICT (recipient, kind) DO UPDATE SET mode = excluded.mode",
                (recipient, str(notice_kind), str(delivery_mode)),
            )
        return self.preferences(recipient)

    def modes(self, recipients: Sequence[str]) -> dict[tuple[str, str], str]:
        """(recipient, kind) -> mode for every choice of ``recipients`` (the fan-out's lookup)."""
        if not recipients:
            return {}
        marks = ", ".join("?" for _ in recipients)
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(
                f"SELECT recipient, kind, mode FROM {self.t['preferences']} WHERE recipient IN "
                f"({marks})",
                list(recipients),
            )
        return {(r["recipient"], r["kind"]): r["mode"] for r in rows}

    # --- fan-out --------------------------------------------------------------------------------

    def fanout_position(self) -> int:
        with self.db.transaction(write=False) as sql:
            return int(sql.scalar(f"SELECT position FROM {self.t['state']} WHERE name = 'fanout'") or 0)

    def enqueue(
        self,
        old: int,
        new: int,
        deliveries: Sequence[Delivery],
        feed: Sequence[FeedEntry],
        now: float,
    ) -> bool:
        """Moves the fan-out position from ``old`` to ``new`` with the rows of that range; False
        (nothing written) when another sender moved it first. A repeated (notice, recipient,
        channel) inserts nothing."""
        with self.db.transaction() as sql:
            moved = sql.execute(
                f"UPDATE {self.t['state']} SET position = ? WHERE name = 'fanout' AND position = ?",
                (new, old),
            )
            if moved != 1:
                return False
            self._insert(sql, deliveries, now)
            self._feed(sql, feed)
        return True

    def _feed(self, sql: Any, feed: Sequence[FeedEntry]) -> None:
        sql.executemany(
            f"INSERT INTO {self.t['feed']} ({', '.join(FEED_COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in FEED_COLUMNS)}) ON CONFLICT (unit_id, outbox_id) DO NOTHING",
            [
                (
                    f.outbox_id,
                    f.unit_id,
                    f.notice_key,
                    f.kind,
                    f.campaign_id,
                    f.subject_id,
                    f.subject,
                    f.body,
                    f.occurred_at,
                )
                for f in feed
            ],
        )

    def _insert(self, sql: Any, deliveries: Sequence[Delivery], now: float) -> None:
        sql.executemany(
            f"INSERT INTO {self.t['deliveries']} ({', '.join(DELIVERY_COLUMNS)}) VALUES "
            f"({', '.join('?' for _ in DELIVERY_COLUMNS)}) ON CONFLICT (notice_key, recipient, channel) "
            "DO NOTHING",
            [d.row(now) for d in deliveries],
        )

    def add(self, deliveries: Sequence[Delivery], now: float) -> None:
        """Rows outside the fan-out (the daily digest); a repeat of a key inserts nothing."""
        with self.db.transaction() as sql:
            self._insert(sql, deliveries, now)

    # --- the e-mail queue -----------------------------------------------------------------------

    def claim(self, now: float, lease: float) -> dict[str, Any] | None:
        """The next due e-mail, marked ``sending`` until ``now + lease`` in one statement (two
        senders never claim the same row; PostgreSQL skips rows another is claiming); a
        sender that dies while sending leaves it to be claimed again when the lease ends."""
        d = self.t["deliveries"]
        skip = " FOR UPDATE SKIP LOCKED" if self.db.postgres else ""
        with self.db.transaction() as sql:
            rows = sql.rows(
                f"UPDATE {d} SET status = 'sending', lease_until = ? WHERE id = (SELECT id FROM {d} "
                "WHERE channel = 'email' AND ((status IN ('pending', 'retrying') AND next_attempt_at "
                "<= ?) OR (status = 'sending' AND lease_until <= ?)) ORDER BY next_attempt_at, id "
                f"LIMIT 1{skip}) AND ((status IN ('pending', 'retrying') AND next_attempt_at <= ?) OR "
                "(status = 'sending' AND lease_until <= ?)) RETURNING *",
                (now + lease, now, now, now, now),
            )
        return rows[0] if rows else None

    def settle(self, delivery: dict[str, Any], attempt: Attempt, address: str | None = None) -> bool:
        """The attempt logged and the delivery's new status, in one transaction, if this
        sender's claim still holds (False: its lease ended and another claimed it). The
        address kept is ``address`` (masked: no clear address stays once sent)."""
        with self.db.transaction() as sql:
            settled = sql.execute(
                f"UPDATE {self.t['deliveries']} SET status = ?, attempts = ?, next_attempt_at = ?, "
                "lease_until = NULL, delivered_at = ?, address = ? WHERE id = ? AND status = "
                "'sending' AND lease_until = ?",
                (
                    attempt.outcome,
                    attempt.attempt,
                    attempt.next_attempt_at,
                    attempt.attempted_at if attempt.outcome == "delivered" else None,
                    mask(address),
                    delivery["id"],
                    delivery["lease_until"],
                ),
            )
            if settled != 1:
                return False
            sql.execute(
                f"INSERT INTO {self.t['attempts']} (delivery_id, attempt, attempted_at, outcome, "
                "smtp_code, error, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery["id"],
                    attempt.attempt,
                    attempt.attempted_at,
                    attempt.outcome,
                    attempt.smtp_code,
                    attempt.error,
                    attempt.next_attempt_at,
                ),
            )
        return True

    def release(self, delivery: dict[str, Any], until: float) -> None:
        """A claimed e-mail not tried (the round stopped): due again at ``until``, no attempt
        counted."""
        with self.db.transaction() as sql:
            sql.execute(
                f"UPDATE {self.t['deliveries']} SET status = CASE WHEN attempts > 0 THEN 'retrying' "
                "ELSE 'pending' END, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status "
                "= 'sending' AND lease_until = ?",
                (until, delivery["id"], delivery["lease_until"]),
            )

    def postpone(self, now: float, until: float) -> int:
        """Every e-mail due by ``now`` due at ``until`` instead (the SMTP server is
        unreachable: no attempt is counted for those not tried)."""
        with self.db.transaction() as sql:
            return sql.execute(
                f"UPDATE {self.t['deliveries']} SET next_attempt_at = ? WHERE channel = 'email' AND "
                "status IN ('pending', 'retrying') AND next_attempt_at <= ?",
                (until, now),
            )

    def next_due_at(self) -> float | None:
        with self.db.transaction(write=False) as sql:
            value = sql.scalar(
                f"SELECT MIN(COALESCE(lease_until, next_attempt_at)) FROM {self.t['deliveries']} "
                "WHERE channel = 'email' AND status IN ('pending', 'retrying', 'sending')"
            )
        return float(value) if value is not None else None

    def retry(self, delivery_id: int | None, now: float) -> int:
        """Failed e-mails queued again with their attempts reset (``laurel notify retry``):
        ``delivery_id``'s, or every one (None); how many."""
        where, params = ("AND id = ?", [delivery_id]) if delivery_id is not None else ("", [])
        with self.db.transaction() as sql:
            return sql.execute(
                f"UPDATE {self.t['deliveries']} SET status = 'pending', attempts = 0, "
                f"next_attempt_at = ? WHERE channel = 'email' AND status = 'failed' {where}",
                [now, *params],
            )

    def delivery(self, delivery_id: int) -> dict[str, Any] | None:
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(f"SELECT * FROM {self.t['deliveries']} WHERE id = ?", (delivery_id,))
        return rows[0] if rows else None

    def failed_fanouts(self) -> list[dict[str, Any]]:
        """The notices the fan-out set aside (their template did not render), oldest first."""
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT * FROM {self.t['deliveries']} WHERE channel = 'inbox' AND status = 'failed' "
                "AND recipient = ? ORDER BY id",
                (FANOUT_FAILED,),
            )

    def redo_fanout(
        self, failed_id: int, deliveries: Sequence[Delivery], feed: Sequence[FeedEntry], now: float
    ) -> bool:
        """A set-aside notice fanned out again: its rows in, its failure record gone, together."""
        with self.db.transaction() as sql:
            gone = sql.execute(
                f"DELETE FROM {self.t['deliveries']} WHERE id = ? AND channel = 'inbox' AND status = "
                "'failed' AND recipient = ?",
                (failed_id, FANOUT_FAILED),
            )
            if gone != 1:
                return False
            self._insert(sql, deliveries, now)
            self._feed(sql, feed)
        return True

    def waiting_digest(self, recipient: str | None = None) -> list[dict[str, Any]]:
        """E-mails held for the daily digest (one recipient's, or everyone's)."""
        where, params = ("AND recipient = ?", [recipient]) if recipient else ("", [])
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT * FROM {self.t['deliveries']} WHERE channel = 'email' AND status = 'digest' "
                f"{where} ORDER BY id",
                params,
            )

    def digest_recipients(self) -> list[str]:
        with self.db.transaction(write=False) as sql:
            return [
                r["recipient"]
                for r in sql.rows(
                    f"SELECT DISTINCT recipient FROM {self.t['deliveries']} WHERE channel = 'email' "
                    "AND status = 'digest' ORDER BY recipient"
                )
            ]

    def has_delivery(self, notice_key: str, recipient: str, channel: str) -> bool:
        with self.db.transaction(write=False) as sql:
            return (
                sql.scalar(
                    f"SELECT COUNT(*) FROM {self.t['deliveries']} WHERE notice_key = ? AND recipient "
                    "= ? AND channel = ?",
                    (notice_key, recipient, channel),
                )
                or 0
            ) > 0

    def send_digest(self, digest: Delivery, included: Sequence[int], now: float) -> bool:
        """The digest e-mail queued and the notices it carries marked ``digested``, together;
        False when that recipient's digest of the day exists already."""
        with self.db.transaction() as sql:
            before = sql.scalar(
                f"SELECT COUNT(*) FROM {self.t['deliveries']} WHERE notice_key = ? AND recipient = ? "
                "AND channel = ?",
                (digest.notice_key, digest.recipient, digest.channel),
            )
            if before:
                return False
            self._insert(sql, [digest], now)
            if included:
                marks = ", ".join("?" for _ in included)
                sql.execute(
                    f"UPDATE {self.t['deliveries']} SET status = 'digested', delivered_at = ? "
                    f"WHERE status = 'digest' AND id IN ({marks})",
                    [now, *included],
                )
        return True

    # --- the inbox and the feed (read by the API) -----------------------------------------------

    def _inbox_where(self, recipients: Sequence[str]) -> tuple[str, list[Any]]:
        marks = ", ".join("?" for _ in recipients) or "NULL"
        return f"channel = 'inbox' AND recipient IN ({marks})", list(recipients)

    def inbox(
        self,
        recipients: Sequence[str],
        *,
        unread_only: bool = False,
        limit: int = 50,
        before: int | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first; ``before``: an id, for the next page."""
        where, params = self._inbox_where(recipients)
        if unread_only:
            where += " AND read_at IS NULL"
        if before is not None:
            where += " AND id < ?"
            params.append(before)
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(
                f"SELECT id, notice_key, recipient, kind, campaign_id, subject_id, subject, body, "
                f"created_at, read_at FROM {self.t['deliveries']} WHERE {where} ORDER BY id DESC "
                "LIMIT ?",
                [*params, max(1, min(limit, MAX_PAGE))],
            )
        return rows

    def unread_count(self, recipients: Sequence[str]) -> int:
        where, params = self._inbox_where(recipients)
        with self.db.transaction(write=False) as sql:
            return int(
                sql.scalar(
                    f"SELECT COUNT(*) FROM {self.t['deliveries']} WHERE {where} AND read_at IS NULL",
                    params,
                )
                or 0
            )

    def mark_read(self, recipients: Sequence[str], ids: Sequence[int]) -> int:
        """How many of ``ids`` (the recipients' own, unread) are now read."""
        if not ids:
            return 0
        where, params = self._inbox_where(recipients)
        marks = ", ".join("?" for _ in ids)
        with self.db.transaction() as sql:
            return sql.execute(
                f"UPDATE {self.t['deliveries']} SET read_at = ? WHERE {where} AND read_at IS NULL "
                f"AND id IN ({marks})",
                [time.time(), *params, *[int(i) for i in ids]],
            )

    def mark_all_read(self, recipients: Sequence[str]) -> int:
        where, params = self._inbox_where(recipients)
        with self.db.transaction() as sql:
            return sql.execute(
                f"UPDATE {self.t['deliveries']} SET read_at = ? WHERE {where} AND read_at IS NULL",
                [time.time(), *params],
            )

    def feed(self, unit_id: str, limit: int = 50, before: int | None = None) -> list[dict[str, Any]]:
        """A unit's notices, newest first; ``before``: an outbox id, for the next page."""
        where, params = "unit_id = ?", list[Any]([unit_id])
        if before is not None:
            where += " AND outbox_id < ?"
            params.append(before)
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT outbox_id AS id, notice_key, kind, campaign_id, subject_id, subject, body, "
                f"occurred_at FROM {self.t['feed']} WHERE {where} ORDER BY outbox_id DESC LIMIT ?",
                [*params, max(1, min(limit, MAX_PAGE))],
            )

    # --- the delivery log -----------------------------------------------------------------------

    def deliveries(
        self,
        *,
        status: str | None = None,
        channel: str | None = "email",
        limit: int = 50,
        before: int | None = None,
        with_attempts: bool = False,
        recipients: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """The log for readers (admins, ``laurel notify log``): addresses masked, no bodies;
        newest first. ``recipients``: only the deliveries to those keys (None: every one; an
        empty list: none), filtered in SQL, a long list in chunks of ``RECIPIENTS_CHUNK``."""
        where, params = ["1 = 1"], list[Any]()
        for column, value in (("status", status), ("channel", channel)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if before is not None:
            where.append("id < ?")
            params.append(before)
        limit = max(1, min(limit, MAX_PAGE))
        wanted = sorted(set(recipients)) if recipients is not None else None
        with self.db.transaction(write=False) as sql:

            def page(extra: str = "", keys: Sequence[str] = ()) -> list[dict[str, Any]]:
                return sql.rows(
                    f"SELECT id, notice_key, recipient, channel, address, kind, campaign_id, "
                    f"subject_id, subject, status, attempts, next_attempt_at, created_at, "
                    f"delivered_at FROM {self.t['deliveries']} WHERE {' AND '.join(where)}{extra} "
                    "ORDER BY id DESC LIMIT ?",
                    [*params, *keys, limit],
                )

            if wanted is None:
                rows = page()
            else:
                # Each chunk's newest ``limit`` rows hold the newest ``limit`` of them all.
                rows = []
                for start in range(0, len(wanted), RECIPIENTS_CHUNK):
                    keys = wanted[start : start + RECIPIENTS_CHUNK]
                    marks = ", ".join("?" for _ in keys)
                    rows += page(f" AND recipient IN ({marks})", keys)
                rows = sorted(rows, key=lambda r: int(r["id"]), reverse=True)[:limit]
            if with_attempts and rows:
                marks = ", ".join("?" for _ in rows)
                log: dict[int, list[dict[str, Any]]] = {}
                for a in sql.rows(
                    f"SELECT delivery_id, attempt, attempted_at, outcome, smtp_code, error, "
                    f"next_attempt_at FROM {self.t['attempts']} WHERE delivery_id IN ({marks}) "
                    "ORDER BY id",
                    [r["id"] for r in rows],
                ):
                    log.setdefault(int(a.pop("delivery_id")), []).append(a)
                for r in rows:
                    r["log"] = log.get(int(r["id"]), [])
        for r in rows:
            r["address"] = mask(r["address"])
        return rows

    def attempts(self, delivery_id: int) -> list[dict[str, Any]]:
        with self.db.transaction(write=False) as sql:
            return sql.rows(
                f"SELECT attempt, attempted_at, outcome, smtp_code, error, next_attempt_at "
                f"FROM {self.t['attempts']} WHERE delivery_id = ? ORDER BY id",
                (delivery_id,),
            )
