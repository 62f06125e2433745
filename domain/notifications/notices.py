"""A notice: what one event tells which units' people, as the write path puts it in the
outbox (``Laurel.save`` hands the recorder the notices of the events it saves, keyword
``OUTBOX_KWARG``; the recorder inserts them in the same transaction as the events).

A notice names units and roles, not people: the sender resolves them to the contacts and
tokens of those units when it delivers (infra/notifications/fanout.py), so a contact added
later still hears of what comes after, and no personal data is ever in the outbox."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.vocabulary import Role

OUTBOX_KWARG = "outbox"


@dataclass(frozen=True)
class Audience:
    """The people of ``unit_id`` holding one of ``roles`` (its contacts with that role, and its
    tokens with that role that carry no contact)."""

    unit_id: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class Notice:
    """``key`` is unique per (event, kind): ``<originator id>:<version>:<kind>``. ``facts`` are
    what the templates show (ids, reasons, names of nominees and units; never contact data).
    ``teams``: inspection teams (``team_id``) of ``campaign_id`` whose members are told."""

    key: str
    kind: NoticeKind
    subject_id: str
    occurred_at: datetime
    campaign_id: str | None = None
    audience: tuple[Audience, ...] = ()
    teams: tuple[str, ...] = ()
    facts: Mapping[str, Any] = field(default_factory=dict)

    @property
    def mandatory(self) -> bool:
        return self.kind in MANDATORY

    def body(self) -> str:
        """The outbox row's JSON (``from_row`` reads it back)."""
        return json.dumps(
            {
                "audience": [{"unit_id": a.unit_id, "roles": list(a.roles)} for a in self.audience],
                "teams": list(self.teams),
                "facts": dict(self.facts),
            },
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )

    @classmethod
    def from_row(
        cls,
        key: str,
        kind: str,
        subject_id: str,
        campaign_id: str | None,
        occurred_at: datetime,
        body: str,
    ) -> Notice:
        data = json.loads(body)
        return cls(
            key=key,
            kind=NoticeKind(kind),
            subject_id=subject_id,
            occurred_at=occurred_at,
            campaign_id=campaign_id,
            audience=tuple(
                Audience(a["unit_id"], tuple(Role(r) for r in a["roles"])) for a in data["audience"]
            ),
            teams=tuple(data["teams"]),
            facts=data["facts"],
        )


def contact_recipient(contact_id: str) -> str:
    """A person known as a unit's contact: inbox and e-mail."""
    return f"contact:{contact_id}"


def token_recipient(token_id: str) -> str:
    """A token that carries no person: inbox only."""
    return f"token:{token_id}"
