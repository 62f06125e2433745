"""The global audit log: every committed event, in commit order, at a dense position 1, 2, 3 …,
chained by hashes so that an altered, removed or reordered stored event is found.

``hash(n) = sha256(hash(n-1) + canonical(n))`` with ``hash(0) = 64 × "0"`` and
``canonical(n)`` the compact, key-sorted JSON of ``{"position", "originator_id",
"originator_version", "topic", "state_sha256"}`` — ``state_sha256`` being the SHA-256 of the
event's stored bytes. An auditor can recompute the chain from the JSONL export alone.

Positions come from this projection, not from the store's notification ids: PostgreSQL's
sequence skips ids when a transaction rolls back, positions never do. The library inserts
under a table lock, so notification ids commit in order and no committed event is passed over."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.utils import resolve_topic

from domain.history import event_actor, event_class_type, event_data, jsonable
from domain.nominations import Nomination
from projections.nomination_state import state_after_kind
from projections.projection import Handler, Projection, from_instant, instant
from projections.rows import Rows
from projections.schema import Table
from projections.store import ViewStore, uuid_text

GENESIS = "0" * 64
EVENT_ID_NAMESPACE = uuid.UUID("4f1d7c1e-7a43-5b0c-9a52-6c6175726501")

LOG = Table(
    "audit_log",
    (
        ("position", "int"),
        ("notification_id", "int"),
        ("event_id", "text"),
        ("type", "text"),
        ("aggregate", "text"),
        ("subject", "text"),
        ("version", "int"),
        ("campaign_id", "text"),
        ("category", "text"),
        ("state", "text"),
        ("occurred_at", "text"),
        ("hash", "text"),
    ),
    ("position",),
    (("notification_id",), ("campaign_id", "occurred_at"), ("subject", "version")),
)
HEAD = Table("audit_head", (("chain", "text"), ("position", "int"), ("hash", "text")), ("chain",))
SUBJECT = Table("audit_subject", (("subject", "text"), ("campaign_id", "text"), ("category", "text"), ("state", "text")), ("subject",))


def event_id(originator_id: Any, version: int) -> str:
    """The stable id of a stored event (CloudEvents ``id``, ``webhook-id``): the UUID 5 of
    ``<originator_id>/<version>``, computed as ``uuid.uuid5`` does (without building UUID
    objects: this runs once per event in a rebuild)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{originator_id}/{version}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return uuid_text(digest.hex())


_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes
_JSON_TOPICS: dict[str, str] = {}


def canonical(position: int, notification: Any, subject: str | None = None) -> str:
    """Exactly ``json.dumps({...}, sort_keys=True, separators=(",", ":"))`` of the five fields,
    written out (this runs once per event in a rebuild). ``subject``: the originator id as text
    when the caller has it already."""
    topic = notification.topic
    quoted = _JSON_TOPICS.get(topic) or _JSON_TOPICS.setdefault(topic, json.dumps(topic))
    return '{"originator_id":%s,"originator_version":%d,"position":%d,"state_sha256":"%s","topic":%s}' % (
        json.dumps(subject if subject is not None else str(notification.originator_id)),
        notification.originator_version,
        position,
        hashlib.sha256(bytes(notification.state)).hexdigest(),
        quoted,
    )


def chain(previous: str, position: int, notification: Any, subject: str | None = None) -> str:
    return hashlib.sha256((previous + canonical(position, notification, subject)).encode()).hexdigest()


_STORED_TIMESTAMP = b'{"timestamp":{"_type_":"datetime_iso","_data_":"'  # how the JSON transcoder stores every event's first field


def stored_instant(state: bytes) -> str | None:
    """The event's ``timestamp`` as an ``instant`` read straight from its stored JSON, or
    ``None`` when the state is not stored that way (encrypted, compressed, another transcoder):
    then the event is decoded. Decoding is most of the audit log's cost per event."""
    if not state.startswith(_STORED_TIMESTAMP):
        return None
    start = len(_STORED_TIMESTAMP)
    text = state[start : state.index(b'"', start)].decode()
    if text.endswith("+00:00"):
        if len(text) == 25:  # 2022-05-01T00:00:00+00:00
            return text[:19] + ".000000Z"
        if len(text) == 32:  # 2022-05-01T00:00:00.123456+00:00
            return text[:26] + "Z"
    return instant(datetime.fromisoformat(text))


class AuditLog(Projection):
    name = "audit"
    tables = (LOG, HEAD, SUBJECT)

    def __init__(self) -> None:
        super().__init__()
        self._kinds: dict[str, tuple[type, str, bool, bool]] = {}  # topic -> (class, type name, reads fields, must decode)

    def handlers(self) -> dict[type, Handler]:
        return {}

    def wants(self, topic: str) -> bool:
        return True  # every committed event is logged

    def _kind(self, topic: str) -> tuple[type, str, bool, bool]:
        kind = self._kinds.get(topic)
        if kind is None:
            cls = resolve_topic(topic)
            name = event_class_type(cls)
            # Only a campaign's events (their category), a declaration (campaign and category)
            # and a pre-review (its decision) say more than their type and instant; an event
            # class that upcasts old states is always decoded (the fields may have moved).
            reads_fields = name.startswith("campaign.") or cls in (Nomination.Declared, Nomination.PreReviewed)
            kind = self._kinds[topic] = (cls, name, reads_fields, getattr(cls, "class_version", 1) > 1)
        return kind

    def decodes(self, notification: Any) -> bool:
        return self._kind(notification.topic)[3] or not bytes(notification.state[: len(_STORED_TIMESTAMP)]) == _STORED_TIMESTAMP

    def apply(self, rows: Rows, event: Any, notification: Any) -> None:
        head = rows.get(HEAD, "main") or {"chain": "main", "position": 0, "hash": GENESIS}
        position = head["position"] + 1
        subject = str(notification.originator_id)
        digest = chain(head["hash"], position, notification, subject)
        cls, kind, reads_fields, _ = self._kind(notification.topic)
        aggregate = kind.split(".")[0]
        if event is None:
            state = bytes(notification.state)
            occurred_at = stored_instant(state)
            assert occurred_at is not None, "decodes() asks for the event when the state is not plain JSON"
            fields = _plain_fields(json.loads(state)) if reads_fields else {}
        else:
            occurred_at = instant(event.timestamp)
            fields = {k: getattr(event, k) for k in ("category", "campaign_id", "decision") if hasattr(event, k)}
        campaign_id, category, state_now = self._context(rows, cls, fields, aggregate, subject)
        rows.append(
            LOG,
            {
                "position": position,
                "notification_id": notification.id,
                "event_id": event_id(subject, notification.originator_version),
                "type": kind,
                "aggregate": aggregate,
                "subject": subject,
                "version": notification.originator_version,
                "campaign_id": campaign_id,
                "category": category,
                "state": state_now,
                "occurred_at": occurred_at,
                "hash": digest,
            },
        )
        rows.put(HEAD, {"chain": "main", "position": position, "hash": digest})

    def _context(self, rows: Rows, cls: type, fields: dict[str, Any], aggregate: str, subject: str) -> tuple[str | None, str | None, str | None]:
        if aggregate == "campaign":
            return subject, fields.get("category"), None
        if aggregate != "nomination":
            return None, None, None
        known = rows.get(SUBJECT, subject)
        if known is None:  # a declaration (only it has a campaign and a category)
            known = {"subject": subject, "campaign_id": str(fields.get("campaign_id", "")) or None, "category": fields.get("category"), "state": None}
        known["state"] = state_after_kind(cls, known["state"], fields.get("decision"))
        rows.put(SUBJECT, known)
        return known["campaign_id"], known["category"], known["state"]


def _plain_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields the audit log reads, from an event's stored JSON without the transcoder:
    texts as they are, a UUID (``{"_type_": "uuid_hex", …}``) as ``str(UUID)`` writes it. A
    declaration is 3.6 KB of material; this is half the cost of decoding it."""
    fields: dict[str, Any] = {}
    for key in ("category", "campaign_id", "decision"):
        if key in data:
            value = data[key]
            if isinstance(value, dict):
                if value.get("_type_") != "uuid_hex":
                    raise ValueError(f"unexpected stored form of {key}: {value.get('_type_')}")
                value = uuid_text(value["_data_"])
            fields[key] = value
    return fields


@dataclass(frozen=True)
class AuditEntry:
    position: int
    event_id: str
    type: str
    aggregate: str
    subject: str
    version: int
    campaign_id: str | None
    category: str | None
    state: str | None
    occurred_at: datetime
    actor: dict[str, Any] | None
    data: dict[str, Any]
    hash: str
    notification_id: int

    def public(self) -> dict[str, Any]:
        return jsonable(self.__dict__)


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_bad_position: int | None = None
    problem: str | None = None
    pending: int = 0

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)


class AuditReader:
    def __init__(self, store: ViewStore, mapper: Any, suffix: str = "") -> None:
        self.store, self.mapper, self.suffix = store, mapper, suffix
        self.log = store.table(LOG, suffix)

    def _page(self, after: int, limit: int) -> list[tuple[dict[str, Any], Any]]:
        """Log rows after ``after`` with their stored events (``None`` where the event is gone)."""
        rows = self.store.rows(f"SELECT * FROM {self.log} WHERE position > ? ORDER BY position LIMIT ?", (after, limit))
        if not rows:
            return []
        first, last = rows[0]["notification_id"], rows[-1]["notification_id"]
        found = {n.id: n for n in self.store.recorder.select_notifications(first, max(len(rows), last - first + 1), stop=last)}
        return [(r, found.get(r["notification_id"])) for r in rows]

    def entry(self, row: dict[str, Any], notification: Any) -> AuditEntry:
        event = self.mapper.to_domain_event(notification)
        return AuditEntry(
            position=row["position"],
            event_id=row["event_id"],
            type=row["type"],
            aggregate=row["aggregate"],
            subject=row["subject"],
            version=row["version"],
            campaign_id=row["campaign_id"],
            category=row["category"],
            state=row["state"],
            occurred_at=from_instant(row["occurred_at"]),  # type: ignore[arg-type]
            actor=event_actor(event),
            data=event_data(event),
            hash=row["hash"],
            notification_id=row["notification_id"],
        )

    def entries(self, after: int = 0, limit: int = 100) -> list[AuditEntry]:
        return [self.entry(row, n) for row, n in self._page(after, limit) if n is not None]

    def of_subject(self, subject: str) -> dict[int, tuple[int, str]]:
        """An aggregate's events by version -> (position, hash)."""
        rows = self.store.rows(f"SELECT version, position, hash FROM {self.log} WHERE subject = ?", (subject,))
        return {r["version"]: (r["position"], r["hash"]) for r in rows}

    def last_position(self) -> int:
        return int(self.store.scalar(f"SELECT MAX(position) FROM {self.log}") or 0)

    def export(self, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Every logged event with what its hash covers (the stored state as text) and its data."""
        after, previous = 0, GENESIS
        while batch := self._page(after, page):
            for row, notification in batch:
                record = {"position": row["position"], "event_id": row["event_id"], "type": row["type"], "subject": row["subject"], "version": row["version"], "occurred_at": row["occurred_at"], "prev_hash": previous, "hash": row["hash"]}
                if notification is not None:
                    record.update(topic=notification.topic, state=bytes(notification.state).decode("utf-8", "replace"), data=self.entry(row, notification).data)
                previous = row["hash"]
                yield record
            after = batch[-1][0]["position"]

    def verify(self, page: int = 2000) -> Verification:
        """Recomputes the chain from the stored events; names the first position that breaks."""
        after, previous, checked = 0, GENESIS, 0
        while batch := self._page(after, page):
            for row, notification in batch:
                position = row["position"]
                if position != checked + 1:
                    return Verification(False, checked, previous, checked + 1, f"position {checked + 1} is missing from the log / 审计日志缺少第 {checked + 1} 条")
                if notification is None:
                    return Verification(False, checked, previous, position, f"the stored event at position {position} is gone / 第 {position} 条事件已被删除")
                if row["notification_id"] is None or str(notification.originator_id) != row["subject"] or notification.originator_version != row["version"]:
                    return Verification(False, checked, previous, position, f"the stored event at position {position} was replaced / 第 {position} 条事件已被替换")
                expected = chain(previous, position, notification)
                if expected != row["hash"]:
                    return Verification(False, checked, previous, position, f"the stored event at position {position} no longer matches its hash / 第 {position} 条事件与其哈希不符（已被篡改）")
                previous, checked = expected, position
            after = batch[-1][0]["position"]
        last_logged = self.store.scalar(f"SELECT MAX(notification_id) FROM {self.log}") or 0
        covered = int(self.store.scalar(f"SELECT COUNT(*) FROM {self.store.events_table} WHERE {self.store.notification_column} <= ?", (last_logged,)) or 0)
        if covered != checked:  # a stored event the log passed over (or one slipped in later)
            return Verification(False, checked, previous, checked + 1, f"{covered - checked} stored event(s) up to the last logged one have no position / {covered - checked} 条事件未进入审计日志")
        pending = self.store.scalar(f"SELECT COUNT(*) FROM {self.store.events_table} WHERE {self.store.notification_column} > ?", (last_logged,))
        return Verification(True, checked, previous, pending=int(pending or 0))
