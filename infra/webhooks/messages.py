"""What a delivery carries: a CloudEvents 1.0 structured JSON body and the Standard Webhooks
headers that sign it.

The body is built once, when the event is queued for a subscription, and stored: every retry
sends the same bytes with the same ``webhook-id`` (the event's stable id), only the timestamp
and signatures are made per attempt. ``data`` is thin — ids, the new state, the actor, the
reason and a few small facts — a consumer fetches the rest from the API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC
from typing import Any

from domain.webhooks import SECRET_PREFIX
from projections.audit import AuditEntry
from projections.checkpoints import CHECKPOINT_TYPE

CONTENT_TYPE = "application/cloudevents+json"
THIN_FIELDS = (
    *(
        "reason",
        "decision",
        "phase",
        "closes_at",
        "rank",
        "score",
        "verdict",
        "declaring_unit_id",
        "nominee",
    ),
    *("due_by", "forwarded_from", "year", "organiser_unit_id", "template_code"),
)
CHECKPOINT_FIELDS = ("position", "hash", "signed_at", "key_id", "public_key", "signature")


def sequence(position: int) -> str:
    """CloudEvents ``sequence`` is a string ordered lexicographically: the position, zero-padded."""
    return f"{position:020d}"


def cloud_event(entry: AuditEntry, source: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": entry.subject,
        "aggregate": entry.aggregate,
        "position": entry.position,
        "campaign_id": entry.campaign_id,
        "category": entry.category,
        "state": entry.state,
        "actor": entry.actor,
    }
    data.update(
        {
            k: entry.data[k]
            for k in THIN_FIELDS
            if entry.data.get(k) is not None and len(json.dumps(entry.data[k], default=str)) <= 500
        }
    )
    if (
        entry.type == CHECKPOINT_TYPE
    ):  # the whole signed checkpoint: a receiver keeps it to verify exports with
        data["checkpoint"] = {k: entry.data[k] for k in CHECKPOINT_FIELDS if k in entry.data}
    event = {
        "specversion": "1.0",
        "id": entry.event_id,
        "source": source,
        "type": entry.type,
        "subject": entry.subject,
        "time": entry.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if entry.occurred_at
        else None,
        "sequence": sequence(entry.position),
        "datacontenttype": "application/json",
        "data": data,
    }
    return {
        k: v for k, v in event.items() if v is not None
    }  # "time" is optional: an event stored without one has none


def body(event: dict[str, Any], replay: bool = False) -> bytes:
    """The bytes sent; a replayed event carries the extension attribute ``replay: true``."""
    return json.dumps(
        {**event, "replay": True} if replay else event, ensure_ascii=False, separators=(",", ":")
    ).encode()


def signature(secrets: Sequence[str], msg_id: str, timestamp: int, payload: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of id.timestamp.body>`` per secret, space-separated."""
    signed = f"{msg_id}.{timestamp}.".encode() + payload
    keys = [base64.b64decode(s.removeprefix(SECRET_PREFIX)) for s in secrets]
    return " ".join(
        "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode() for key in keys
    )


def headers(
    secrets: Sequence[str], msg_id: str, timestamp: int, payload: bytes, *, replay: bool = False
) -> dict[str, str]:
    result = {
        "content-type": CONTENT_TYPE,
        "user-agent": "Laurel-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secrets, msg_id, timestamp, payload),
    }
    if replay:
        result["laurel-replay"] = "true"
    return result
