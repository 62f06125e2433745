"""A unit's contacts (issue 24): the people notices reach. Their personal data (name, e-mail,
phone) is kept in a vault beside the event store, never in events: a unit's events hold the
contact's id, role and the vault reference only, so the audit export and webhook bodies carry
no personal data, and removing a contact erases its details (the reference stays, pointing
at nothing)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Protocol

from domain.vocabulary import Role


@dataclass(frozen=True)
class ContactDetails:
    """The personal part of a contact (``phone`` is stored for later channels; nothing sends
    to it yet)."""

    name: str
    email: str
    phone: str = ""


@dataclass(frozen=True)
class Contact:
    contact_id: str
    unit_id: str
    role: Role
    details_ref: str


class ContactVault(Protocol):
    """Where contacts' personal data lives (infra/notifications/store.py in production,
    ``MemoryContactVault`` in unit tests)."""

    def keep_contact(self, details: ContactDetails) -> str: ...

    def contact_details(self, ref: str) -> ContactDetails | None: ...

    def forget_contact(self, ref: str) -> None: ...


class MemoryContactVault:
    def __init__(self) -> None:
        self.kept: dict[str, ContactDetails] = {}

    def keep_contact(self, details: ContactDetails) -> str:
        ref = str(uuid.uuid4())
        self.kept[ref] = details
        return ref

    def contact_details(self, ref: str) -> ContactDetails | None:
        return self.kept.get(ref)

    def forget_contact(self, ref: str) -> None:
        self.kept.pop(ref, None)
