"""The contact details one command kept (issue 24), so that a save that fails takes them
back: the vault lives beside the event store, outside the save's transaction, and a refused or
conflicting save would otherwise leave personal data that no event points to."""

from __future__ import annotations

from dataclasses import replace

from domain.contacts import ContactDetails, ContactVault
from domain.handlers.context import Collaborators


class KeptContacts:
    """Wraps the wired vault for one ``Laurel.execute``: ``collaborators`` hands handlers the
    wrapper; ``forget()`` erases what was kept since the last ``forget()`` (a failed attempt's).
    Without a wired vault it wraps nothing (keeping then fails as it always did)."""

    def __init__(self, collaborators: Collaborators) -> None:
        self.vault = collaborators.contact_vault
        self.refs: list[str] = []
        self.collaborators = (
            collaborators if self.vault is None else replace(collaborators, contact_vault=self)
        )

    def keep_contact(self, details: ContactDetails) -> str:
        assert self.vault is not None  # only wired in when there is one
        ref = self.vault.keep_contact(details)
        self.refs.append(ref)
        return ref

    def contact_details(self, ref: str) -> ContactDetails | None:
        assert self.vault is not None
        return self.vault.contact_details(ref)

    def forget_contact(self, ref: str) -> None:
        assert self.vault is not None
        self.vault.forget_contact(ref)

    def forget(self) -> None:
        vault: ContactVault | None = self.vault
        while vault is not None and self.refs:
            vault.forget_contact(self.refs.pop())
