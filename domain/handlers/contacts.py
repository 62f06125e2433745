"""A unit's contacts (issue 24): added, changed and removed by an admin of the unit or of a
unit above it (any role), or by a declarer of that very unit (declarer-role contacts only).

The personal data goes to the contact vault (``Collaborators.contacts()``), the unit's event
names the vault reference only; it is kept once every rule has passed, and ``Laurel.execute``
forgets what an attempt kept when its save fails. A change keeps the new details under a new
reference; the old reference, and a removed contact's, is erased once the event is saved
(``Decision.then``): an erasure before the save could lose details a failed save still points
to. The answer never holds the details either: it is kept in the idempotency receipt, an
event."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from domain.access import TOKEN_DIRECTORY_ID, AccessToken, TokenDirectory
from domain.commands import AddContact, ChangeContact, Command, RemoveContact
from domain.contacts import Contact, ContactDetails, ContactVault
from domain.errors import RuleFailure
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.rules.jurisdiction import require_contact_manager
from domain.units import (
    ContactInvalidError,
    Unit,
    contact_details_failures,
    contact_role_failures,
    contacts_limit_failures,
)


def new_contact_id() -> str:
    return "ct_" + uuid.uuid4().hex[:16]


def add_contact(command: AddContact, ctx: Context) -> Decision:
    unit = ctx.load.get_unit(command.unit_id, for_update=True)
    require_contact_manager(ctx.actor, unit, [command.role])
    vault = ctx.collaborators.contacts()
    details = _checked(command.name, command.role, command.email, command.phone, unit, vault, None)
    contact_id = new_contact_id()
    # every rule checked: only now does personal data reach the vault
    unit.add_contact(contact_id, command.role, vault.keep_contact(details), ctx.actor, ctx.at)
    return Decision([unit], _answer(unit, contact_id))


def change_contact(command: ChangeContact, ctx: Context) -> Decision:
    """Details and role as they were: nothing recorded, nothing kept. A role change is refused
    while a valid token carries the contact (the token acts in the role it was issued for)."""
    unit = ctx.load.get_unit(command.unit_id, for_update=True)
    current = unit.contact(command.contact_id)
    require_contact_manager(ctx.actor, unit, [str(current.role), command.role])
    vault = ctx.collaborators.contacts()
    details = _checked(
        command.name,
        command.role,
        command.email,
        command.phone,
        unit,
        vault,
        command.contact_id,
        carriers=_carriers(ctx, unit, current) if str(current.role) != command.role else [],
    )
    if current.role == command.role and vault.contact_details(current.details_ref) == details:
        return Decision([], _answer(unit, command.contact_id))
    previous = unit.change_contact(
        command.contact_id, command.role, vault.keep_contact(details), ctx.actor, ctx.at
    )
    return Decision([unit], _answer(unit, command.contact_id), then=_erase(vault, previous.details_ref))


def remove_contact(command: RemoveContact, ctx: Context) -> Decision:
    unit = ctx.load.get_unit(command.unit_id, for_update=True)
    require_contact_manager(ctx.actor, unit, [str(unit.contact(command.contact_id).role)])
    removed = unit.remove_contact(command.contact_id, ctx.actor, ctx.at)
    result = {"id": removed.contact_id, "contact_id": removed.contact_id, "unit_id": unit.code}
    return Decision([unit], result, then=_erase(ctx.collaborators.contacts(), removed.details_ref))


def _carriers(ctx: Context, unit: Unit, contact: Contact) -> list[str]:
    """The valid tokens of ``unit`` carrying ``contact`` (their public ids)."""
    directory = ctx.load.find(TOKEN_DIRECTORY_ID, TokenDirectory, for_update=False)
    if directory is None:  # no token issued since contacts exist: none carries one
        return []
    found = []
    for token_id, entry in directory.entries.items():
        if entry.get("unit_id") != unit.code:
            continue
        token = ctx.load.find(entry["uuid"], AccessToken, for_update=False)
        if token is not None and token.contact_id == contact.contact_id and token.valid_at(ctx.at):
            found.append(token_id)
    return found


def _checked(
    name: str,
    role: str,
    email: str,
    phone: str,
    unit: Unit,
    vault: ContactVault,
    changing: str | None,
    *,
    carriers: Sequence[str] = (),
) -> ContactDetails:
    """The details as kept, or every reason they cannot be (each naming its field): all of
    them before anything is kept, so a refused command leaves no personal data behind."""
    failures, details = contact_details_failures(name, email, phone)
    failures += contact_role_failures(role)
    if changing is None:
        failures += contacts_limit_failures(len(unit.contacts))
    if not any(f.field == "email" for f in failures):
        failures += _duplicate_failures(details.email, unit, vault, changing)
    if carriers:
        failures.append(
            RuleFailure(
                "contact_role_carried",
                "a token carries this contact and acts in its current role: revoke it (or "
                "issue a new one) before changing the role",
                "有令牌关联该联系人并以其现有角色办理，须先撤销该令牌再修改角色",
                "role",
                list(carriers),
                role,
            )
        )
    if failures:
        raise ContactInvalidError(failures)
    return details


def _duplicate_failures(
    email: str, unit: Unit, vault: ContactVault, changing: str | None
) -> list[RuleFailure]:
    """One address is one person of the unit: it would otherwise hear every notice twice."""
    for contact in unit.contacts.values():
        if contact.contact_id == changing:
            continue
        other = vault.contact_details(contact.details_ref)
        if other is not None and other.email.casefold() == email.casefold():
            return [
                RuleFailure(
                    "contact_email_unique",
                    f"another contact of unit '{unit.code}' has this e-mail address",
                    "本单位已有联系人使用该电子邮箱地址",
                    "email",
                )
            ]
    return []


def _answer(unit: Unit, contact_id: str) -> dict[str, Any]:
    contact = unit.contacts[contact_id]
    return {
        "id": contact_id,
        "contact_id": contact_id,
        "unit_id": unit.code,
        "role": str(contact.role),
    }


def _erase(vault: ContactVault, ref: str) -> Callable[[FollowUp], Mapping[str, Any]]:
    def erase(_follow: FollowUp) -> Mapping[str, Any]:
        vault.forget_contact(ref)
        return {}

    return erase


HANDLERS: dict[type[Command], Handler] = {
    AddContact: add_contact,
    ChangeContact: change_contact,
    RemoveContact: remove_contact,
}
