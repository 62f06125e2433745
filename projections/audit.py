"""The global audit log: every committed event, in commit order, at a dense position 1, 2, 3 …,
chained by hashes so that an altered, removed or reordered stored event is found.

``hash(n) = sha256(hash(n-1) + canonical(n))`` with ``hash(0) = 64 × "0"`` and
``canonical(n)`` the compact, key-sorted JSON of ``{"position", "originator_id",
"originator_version", "topic", "state_sha256"}`` — ``state_sha256`` being the SHA-256 of the
event's stored bytes. An auditor can recompute the chain from the JSONL export alone.

Positions come from this projection, not from the store's notification ids: PostgreSQL's
sequence skips ids when a transaction rolls back, positions never do. The library inserts
under a table lock, so notification ids commit in order and no committed event is passed over.

Each entry carries its ``scope``: the path of the unit whose subtree may read it — the unit
itself (its events, its activity register and member roll) or a campaign's organiser (the
campaign's and its nominations' events); none for the rest (tokens, receipts, webhooks,
directories, checkpoints), which only readers of the whole log see.

Signed checkpoints (``checkpoints.py``) hold the chain: meeting one it contradicts, this
projection stops before the event (``CheckpointContradictedError``) instead of chaining on."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, NamedTuple

from eventsourcing.domain import Aggregate
from eventsourcing.utils import resolve_topic

from domain.history import event_class_type, jsonable
from domain.ids import unit_uuid
from domain.nominations import Nomination
from projections.campaigns import path_text
from projections.checkpoints import Anchoring, CheckpointContradictedError
from projections.projection import STORED_TIMESTAMP, Handler, Projection, instant
from projections.rows import Rows
from projections.schema import Table
from projections.store import uuid_text

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
        (
            "scope",
            "text",
        ),  # the path of the unit whose subtree reads it (None: the whole log's readers only)
        ("occurred_at", "text"),
        ("hash", "text"),
    ),
    ("position",),
    (("notification_id",), ("campaign_id", "occurred_at"), ("subject", "version")),
)
HEAD = Table("audit_head", (("chain", "text"), ("position", "int"), ("hash", "text")), ("chain",))
# What the log knows of an aggregate from its earlier events: a nomination's campaign,
# category and state; the scope of every aggregate a unit's subtree reads (units included).
SUBJECT = Table(
    "audit_subject",
    (
        ("subject", "text"),
        ("campaign_id", "text"),
        ("category", "text"),
        ("state", "text"),
        ("scope", "text"),
    ),
    ("subject",),
)
UNIT_SCOPED = frozenset(
    {"unit", "activity", "members", "duty"}
)  # scoped by the unit itself (activity registers, member rolls, duties: their unit)


def event_id(originator_id: Any, version: int) -> str:
    """The stable id of a stored event (CloudEvents ``id``, ``webhook-id``): the UUID 5 of
    ``<originator_id>/<version>``, computed as ``uuid.uuid5`` does (without building UUID
    objects: this runs once per event in a rebuild)."""
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + f"{originator_id}/{version}".encode()).digest()[:16]
    )
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
    originator = json.dumps(subject if subject is not None else str(notification.originator_id))
    state_sha256 = hashlib.sha256(bytes(notification.state)).hexdigest()
    return (
        f'{{"originator_id":{originator},'
        f'"originator_version":{notification.originator_version:d},'
        f'"position":{position:d},"state_sha256":"{state_sha256}","topic":{quoted}}}'
    )


def chain(previous: str, position: int, notification: Any, subject: str | None = None) -> str:
    return hashlib.sha256((previous + canonical(position, notification, subject)).encode()).hexdigest()


_STORED_TIMESTAMP = STORED_TIMESTAMP


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


class Kind(NamedTuple):
    """What the log needs of a topic: its type name and which stored fields it reads.

    Those fields are read from the stored JSON as they are, never upcast: no upcast has moved
    one of them (version 2 of every event only turned the actor into an ``Actor`` value;
    tests/unit/test_stored_events.py holds the log to that over a sample of version-1 events).
    An upcast that moves one must have its class decoded here."""

    cls: type | None  # None: a topic no class answers to (logged by its name, never decoded)
    name: str
    aggregate: str
    fields: tuple[str, ...]


def kind_of(topic: str) -> Kind:
    try:
        cls = resolve_topic(topic)
    except Exception:
        unknown = SimpleNamespace(__qualname__=topic.rpartition(":")[2])
        name = event_class_type(unknown)  # type: ignore[arg-type]
        return Kind(None, name, name.split(".")[0], ())
    name = event_class_type(cls)
    aggregate = name.split(".")[0]
    created = issubclass(cls, Aggregate.Created)
    fields: tuple[str, ...] = ()
    if aggregate == "campaign":
        fields = ("organiser_unit_id",) if created else ("category",)
    elif issubclass(cls, Nomination.Event):
        fields = (("campaign_id", "category") if created else ()) + cls.state_fields
    elif aggregate == "unit" and created:
        fields = ("code", "path")
    elif aggregate in UNIT_SCOPED and created:
        fields = ("unit_id",)
    return Kind(cls, name, aggregate, fields)


class AuditLog(Projection):
    name = "audit"
    tables = (LOG, HEAD, SUBJECT)

    def __init__(self, anchoring: Callable[[], Anchoring] | None = None) -> None:
        super().__init__()
        self._kinds: dict[str, Kind] = {}
        self._anchoring = anchoring
        self.anchors: Anchoring | None = None  # the signed checkpoints the chain must reproduce

    def handlers(self) -> dict[type, Handler]:
        return {}

    def wants(self, topic: str) -> bool:
        return True  # every committed event is logged

    def prepare(self) -> None:
        self.anchors = self._anchoring() if self._anchoring is not None else None

    def _kind(self, topic: str) -> Kind:
        kind = self._kinds.get(topic)
        if kind is None:
            kind = self._kinds[topic] = kind_of(topic)
        return kind

    def decodes(self, notification: Any) -> bool:
        kind = self._kind(notification.topic)
        return (
            kind.cls is not None
            and bytes(notification.state[: len(_STORED_TIMESTAMP)]) != _STORED_TIMESTAMP
        )

    def apply(self, rows: Rows, event: Any, notification: Any) -> None:
        head = rows.get(HEAD, "main") or {"chain": "main", "position": 0, "hash": GENESIS}
        position = head["position"] + 1
        subject = str(notification.originator_id)
        digest = chain(head["hash"], position, notification, subject)
        if (
            self.anchors is not None
            and position in self.anchors.at
            and (signed := self.anchors.contradicted(position, digest)) is not None
        ):
            raise CheckpointContradictedError(signed, digest, self.anchors.agreed)
        kind = self._kind(notification.topic)
        if event is None:
            state = bytes(notification.state)
            occurred_at = stored_instant(state)
            assert occurred_at is not None or kind.cls is None, (
                "decodes() asks for the event when the state is not plain JSON"
            )
            fields = _plain_fields(json.loads(state), kind.fields) if kind.fields else {}
        else:
            occurred_at = instant(event.timestamp)
            fields = {k: getattr(event, k) for k in kind.fields if hasattr(event, k)}
        campaign_id, category, state_now, scope = self._context(rows, kind, fields, subject)
        rows.append(
            LOG,
            {
                "position": position,
                "notification_id": notification.id,
                "event_id": event_id(subject, notification.originator_version),
                "type": kind.name,
                "aggregate": kind.aggregate,
                "subject": subject,
                "version": notification.originator_version,
                "campaign_id": campaign_id,
                "category": category,
                "state": state_now,
                "scope": scope,
                "occurred_at": occurred_at,
                "hash": digest,
            },
        )
        rows.put(HEAD, {"chain": "main", "position": position, "hash": digest})

    def _context(
        self, rows: Rows, kind: Kind, fields: dict[str, Any], subject: str
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """(campaign, category, state after the event, scope) of the entry."""
        aggregate = kind.aggregate
        if aggregate not in ("campaign", "nomination") and aggregate not in UNIT_SCOPED:
            return None, None, None, None
        known = rows.get(SUBJECT, subject)
        if known is None:  # the aggregate's first event: a registration, a creation, a declaration
            known = {
                "subject": subject,
                "campaign_id": None,
                "category": None,
                "state": None,
                "scope": None,
            }
            if aggregate == "unit":
                known["scope"] = (
                    path_text([*fields.get("path", []), fields["code"]]) if fields.get("code") else None
                )
            elif aggregate == "campaign":
                known["scope"] = _unit_scope(rows, fields.get("organiser_unit_id"))
            elif aggregate == "nomination":
                known["campaign_id"], known["category"] = (
                    str(fields.get("campaign_id", "")) or None,
                    fields.get("category"),
                )
                campaign = rows.get(SUBJECT, known["campaign_id"]) if known["campaign_id"] else None
                known["scope"] = campaign["scope"] if campaign else None
            else:
                known["scope"] = _unit_scope(rows, fields.get("unit_id"))
            rows.put(SUBJECT, known)
        if aggregate == "campaign":
            return subject, fields.get("category"), None, known["scope"]
        if aggregate == "nomination":
            if kind.cls is not None and issubclass(kind.cls, Nomination.Event):
                after = kind.cls.state_after(known["state"], fields)
                known["state"] = None if after is None else str(after)
            rows.put(SUBJECT, known)
            return known["campaign_id"], known["category"], known["state"], known["scope"]
        return None, None, None, known["scope"]


def _unit_scope(rows: Rows, unit_id: str | None) -> str | None:
    unit = rows.get(SUBJECT, str(unit_uuid(unit_id))) if unit_id else None
    return unit["scope"] if unit else None


def _plain_fields(data: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The fields the audit log reads, from an event's stored JSON without the transcoder:
    texts and lists as they are, a UUID (``{"_type_": "uuid_hex", …}``) as ``str(UUID)``
    writes it. A declaration is 3.6 KB of material; this is half the cost of decoding it."""
    fields: dict[str, Any] = {}
    for key in keys:
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
        return {k: jsonable(v) for k, v in self.__dict__.items()}
