"""Objections (异议/举报) to a nomination on a published proposed list (issue 23, item 2).

Anyone may lodge one during the 公示 period, without logging in; each is its own aggregate,
found by its receipt number (``objection_uuid``): the objector follows it with the receipt
alone, and the receipt is random (``new_receipt``: about 10^12 per year, so not guessable
within the public rate limit). The text, the contact and the evidence are personal data:
they are on this aggregate only (the campaign records the receipt, the nomination and a digest
of the text), read only by the organiser's reviewers and auditors (``Objection.full``); the
public status (``Objection.public``) shows the status and dates, never the objector."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Role
from domain.vocabulary import ObjectionStatus

OBJECTION_NAMESPACE = UUID("7c7f4f1e-9a63-4c1b-8e0a-23b7c0a5d1e4")
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed by hand
RECEIPT_CHARS = 8
MAX_TEXT = 2000
MAX_CONTACT = 200
MAX_FINDINGS = 4000
PUBLIC = Actor(token_id="public", role=Role.PUBLIC, unit_id=None)
"""The sender of a public objection: no token, no unit, a role allowed nothing (not the
system's, which passes every role and jurisdiction check); the objection's own fields say who."""


def new_receipt(at: datetime) -> str:
    """``YY-XXXX-XXXX``: the year, then 8 random characters (40 bits)."""
    chars = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_CHARS))
    return f"{at:%y}-{chars[:4]}-{chars[4:]}"


def normal_receipt(receipt: str) -> str:
    return receipt.strip().upper()


def objection_uuid(receipt: str) -> UUID:
    return uuid5(OBJECTION_NAMESPACE, normal_receipt(receipt))


def text_digest(nomination_id: str, text: str) -> str:
    """The duplicate guard's key: the same text (case, width and spacing aside) against the
    same nomination."""
    folded = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(f"{nomination_id}\n{folded}".encode()).hexdigest()


class Objection(Aggregate):
    class Event(Aggregate.Event):
        zh: ClassVar[str] = ""
        en: ClassVar[str] = ""

    class Lodged(Event, Aggregate.Created):
        zh, en = "提出异议", "Objection lodged"

        receipt: str
        campaign_id: str
        nomination_id: str
        category: str
        text: str
        contact: str
        evidence: dict[str, Any] | None
        client: str
        actor: Actor

    class InvestigationStarted(Event):
        zh, en = "调查核实异议", "Objection under investigation"

        note: str
        actor: Actor

        def apply(self, aggregate: Objection) -> None:
            aggregate.status = ObjectionStatus.INVESTIGATING
            aggregate.notes = [*aggregate.notes, {"at": self.timestamp, "note": self.note}]

    class Decided(Event):
        zh, en = "异议处理决定", "Objection decided"

        outcome: str
        findings: str
        actor: Actor

        def apply(self, aggregate: Objection) -> None:
            aggregate.status = (
                ObjectionStatus.UPHELD if self.outcome == "uphold" else ObjectionStatus.DISMISSED
            )
            aggregate.findings = self.findings
            aggregate.decided_at = self.timestamp
            aggregate.decided_by = self.actor

    def __init__(
        self,
        receipt: str,
        campaign_id: str,
        nomination_id: str,
        category: str,
        text: str,
        contact: str,
        evidence: dict[str, Any] | None,
        client: str,
        actor: Actor,
    ) -> None:
        self.receipt = receipt
        self.campaign_id = campaign_id
        self.nomination_id = nomination_id
        self.category = category
        self.text = text
        self.contact = contact
        self.evidence = evidence
        self.client = client
        self.status = ObjectionStatus.OPEN
        self.notes: list[dict[str, Any]] = []
        self.findings: str | None = None
        self.decided_at: datetime | None = None
        self.decided_by: Actor | None = None

    @classmethod
    def lodge(
        cls,
        receipt: str,
        campaign_id: str,
        nomination_id: str,
        category: str,
        text: str,
        contact: str,
        evidence: Mapping[str, Any] | None,
        client: str,
        actor: Actor,
        at: datetime,
    ) -> Objection:
        return cls._create(
            cls.Lodged,
            id=objection_uuid(receipt),
            timestamp=at,
            receipt=receipt,
            campaign_id=campaign_id,
            nomination_id=nomination_id,
            category=category,
            text=text,
            contact=contact,
            evidence=dict(evidence) if evidence else None,
            client=client,
            actor=actor,
        )

    @property
    def open(self) -> bool:
        return self.status in (ObjectionStatus.OPEN, ObjectionStatus.INVESTIGATING)

    def investigate(self, note: str, actor: Actor, at: datetime) -> None:
        self.trigger_event(self.InvestigationStarted, timestamp=at, note=note, actor=actor)

    def decide(self, outcome: str, findings: str, actor: Actor, at: datetime) -> None:
        self.trigger_event(self.Decided, timestamp=at, outcome=outcome, findings=findings, actor=actor)

    def public(self) -> dict[str, Any]:
        """What the receipt shows anyone: the status and its dates, nothing of who or what."""
        return {
            "receipt": self.receipt,
            "status": str(self.status),
            "status_zh": self.status.zh,
            "status_en": self.status.en,
            "lodged_at": self.created_on,
            "decided_at": self.decided_at,
        }

    def full(self) -> dict[str, Any]:
        """The organiser's reviewers' and auditors' view: the text, the contact, the evidence."""
        return {
            **self.public(),
            "id": str(self.id),
            "version": self.version,
            "campaign_id": self.campaign_id,
            "nomination_id": self.nomination_id,
            "category": self.category,
            "text": self.text,
            "contact": self.contact,
            "evidence": self.evidence,
            "notes": list(self.notes),
            "findings": self.findings,
            "decided_by": self.decided_by.as_dict() if self.decided_by else None,
        }


REDACTED = "(redacted: the organiser's reviewers and auditors only)"


def redact_objector(entry: dict[str, Any], reader_role: str) -> dict[str, Any]:
    """An audit entry as a reader other than an auditor sees it: an objection's contact and
    client digest are personal data (the whole-log export, root only, keeps what each hash
    covers)."""
    if entry.get("type") != "objection.lodged" or reader_role == Role.AUDITOR:
        return entry
    data = dict(entry.get("data") or {})
    for key in ("contact", "client"):
        if data.get(key):
            data[key] = REDACTED
    return {**entry, "data": data}
