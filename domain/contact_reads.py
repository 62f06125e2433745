"""Reads of units' contacts (``app.contacts``, issue 24): a unit's contacts with their details
for the admins of its subtree and for the person itself, the contacts a notice reaches (the
sender's system read), and the person behind a token, whose keys its inbox is read by.

A token carries a person while that contact is one of its unit's: once the contact is removed,
the token is a token again (its notices reach the token's inbox, not the person's)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from domain.access import TOKEN_DIRECTORY_ID, AccessToken, TokenDirectory
from domain.actors import Actor
from domain.contacts import Contact, ContactDetails, ContactVault
from domain.errors import OutsideJurisdictionError, UnitNotFoundError
from domain.execution import Loader
from domain.notifications.notices import contact_recipient, token_recipient
from domain.rules.jurisdiction import require_role
from domain.units import Unit
from domain.vocabulary import Role


class ContactReads:
    def __init__(self, load: Loader, vault: Callable[[], ContactVault]) -> None:
        self.load = load
        self.vault = vault  # the wired vault, asked for when a read needs details

    def contacts(self, unit_id: str, actor: Actor) -> list[dict[str, Any]]:
        """The unit's contacts with their details, in the order they were added: all of them
        for an admin of the unit or of a unit above it (or of the root), the person's own
        entry for a token carrying one of them; anyone else is refused (403)."""
        unit = self.load.get_unit(unit_id)
        require_role(actor, "read")
        if _admin_over(actor, unit):
            shown = list(unit.contacts.values())
        else:
            own = self.person_of(actor)
            if own is None or own.unit_id != unit.code:
                raise OutsideJurisdictionError(
                    f"the contacts of '{unit.code}' are for the admins of its subtree and the "
                    "persons themselves",
                    f"「{unit.name_zh or unit.code}」的联系人仅其上级及本级管理员和联系人本人可查看",
                    action="read_contacts",
                    unit=unit.code,
                )
            shown = [own]
        vault = self.vault()
        return [_public(c, vault.contact_details(c.details_ref)) for c in shown]

    def contacts_for(
        self, unit_id: str, roles: Iterable[Role | str]
    ) -> list[tuple[Contact, ContactDetails]]:
        """The unit's contacts holding one of ``roles``, with their details (the sender's
        system read: no actor; a contact whose details are gone is left out)."""
        try:
            unit = self.load.get_unit(unit_id)
        except UnitNotFoundError:
            return []
        wanted, vault = {str(r) for r in roles}, self.vault()
        found = []
        for contact in unit.contacts.values():
            if str(contact.role) in wanted and (details := vault.contact_details(contact.details_ref)):
                found.append((contact, details))
        return found

    def details_of(self, contact: Contact) -> ContactDetails | None:
        """A contact's details (system read; None once erased)."""
        return self.vault().contact_details(contact.details_ref)

    def contact_carried_by(self, token: AccessToken) -> Contact | None:
        """The person ``token`` carries while that contact is still one of its unit's."""
        if not token.contact_id or not token.unit_id:
            return None
        try:
            unit = self.load.get_unit(token.unit_id)
        except UnitNotFoundError:
            return None
        return unit.contacts.get(token.contact_id)

    def contact_of(self, token_id: str) -> Contact | None:
        """The person the token ``token_id`` (``tok_…``) carries, if any."""
        token = self._token(token_id)
        return self.contact_carried_by(token) if token is not None else None

    def person_of(self, actor: Actor) -> Contact | None:
        return self.contact_of(actor.token_id)

    def recipient_of(self, token: AccessToken) -> tuple[str, Contact | None]:
        """THE recipient key of a token (its inbox, and the person's e-mail if any): the
        person's it carries (while a contact of its unit), else the token's own; with that
        person. The inbox reads (``recipients_of``) and the sender's fan-out use this one."""
        person = self.contact_carried_by(token)
        if person is not None:
            return contact_recipient(person.contact_id), person
        return token_recipient(token.token_id), None

    def recipients_of(self, actor: Actor) -> list[str]:
        """The recipient keys the actor reads notices as (``recipient_of`` its token; an
        actor whose token is not in the directory reads as its token)."""
        token = self._token(actor.token_id)
        if token is None:
            return [token_recipient(actor.token_id)]
        return [self.recipient_of(token)[0]]

    def _token(self, token_id: str) -> AccessToken | None:
        # No directory yet: no token was issued since contacts exist, so none carries one
        # (opening it here would scan every token issued before it).
        directory = self.load.find(TOKEN_DIRECTORY_ID, TokenDirectory, for_update=False)
        entry = directory.entries.get(token_id) if directory is not None else None
        if entry is None:
            return None
        return self.load.find(entry["uuid"], AccessToken, for_update=False)


def _admin_over(actor: Actor, unit: Unit) -> bool:
    if actor.role == Role.SYSTEM:
        return True
    if actor.role != Role.ADMIN:
        return False
    return actor.unit_id is None or unit.is_within(actor.unit_id)


def _public(contact: Contact, details: ContactDetails | None) -> dict[str, Any]:
    """A contact as the reads show it (details erased or lost: blank)."""
    return {
        "id": contact.contact_id,
        "contact_id": contact.contact_id,
        "unit_id": contact.unit_id,
        "role": str(contact.role),
        "name": details.name if details else "",
        "email": details.email if details else "",
        "phone": details.phone if details else "",
    }
