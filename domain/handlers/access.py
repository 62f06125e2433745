"""Access tokens: admins issue and revoke the tokens of their subtree; every token may revoke
itself (a leaked secret). The reads are ``app.access`` (``domain.access_reads.AccessReads``)."""

from __future__ import annotations

from domain.access import ISSUABLE_ROLES, AccessToken, new_secret
from domain.actors import Actor
from domain.commands import Command, IssueToken, RevokeToken
from domain.errors import InvalidUnitError, RuleFailure, RuleViolationError
from domain.execution import Loader
from domain.handlers.context import Context, Decision, Handler
from domain.rules.jurisdiction import authorize, require_role, require_unscoped, require_within
from domain.rules.tokens import expiry_failures
from domain.units import Unit
from domain.vocabulary import Role

UNIT_ROLES = (Role.DECLARER, Role.REVIEWER, Role.INSPECTOR)  # their tokens belong to a unit


def issue_token(command: IssueToken, ctx: Context) -> Decision:
    """A new bearer token. The secret is in the first answer only: a repeated idempotency key
    answers with the token without it (the store never keeps secrets)."""
    role, unit_id = command.role, command.unit_id
    require_role(ctx.actor, "manage_units")
    if role not in ISSUABLE_ROLES:
        raise InvalidUnitError(
            [
                RuleFailure(
                    "role_known",
                    f"unknown role '{role}'",
                    f"未知角色「{role}」",
                    "role",
                    [str(r) for r in ISSUABLE_ROLES],
                    role,
                )
            ]
        )
    unit = ctx.load.get_unit(unit_id) if unit_id else None
    if unit is None and role in UNIT_ROLES:
        raise InvalidUnitError(
            [
                RuleFailure(
                    "unit_required",
                    f"a {role} token belongs to a unit",
                    f"{role} 令牌须属于某一单位",
                    "unit_id",
                )
            ]
        )
    if unit is None:
        require_unscoped(ctx.actor, "issue_token")  # a token for every unit needs an unscoped admin
    authorize(ctx.actor, "manage_units", [unit] if unit else [])
    policy = ctx.collaborators.token_policy
    expiry = command.expires_at if command.expires_at is not None else ctx.at + policy.default
    failures = expiry_failures(expiry, ctx.at, policy.maximum)
    failures += _carried_contact_failures(command.contact_id, str(role), unit)
    if failures:
        raise RuleViolationError(failures)
    secret = new_secret()
    token = AccessToken.issue(
        secret,
        Role(role),
        unit_id,
        command.label or "",
        ctx.actor,
        ctx.at,
        expiry,
        contact_id=command.contact_id or None,
    )
    directory = ctx.load.token_directory(ctx.at)
    directory.list_token(token, ctx.at)
    return Decision([token, directory], token.public(), shown_once={"token": secret})


def _carried_contact_failures(contact_id: str | None, role: str, unit: Unit | None) -> list[RuleFailure]:
    """A token carries a person of its own unit in the token's own role (issue 24), or none:
    the person hears what that role is told, and a reviewer's token must not make a declarer
    hear a reviewer's notices."""
    if not contact_id:
        return []
    contact = unit.contacts.get(contact_id) if unit is not None else None
    if contact is None:
        where = f"unit '{unit.code}'" if unit else "a token without a unit"
        return [
            RuleFailure(
                "token_contact_of_unit",
                f"'{contact_id}' is not a contact of {where}",
                f"「{contact_id}」不是该令牌所属单位的联系人",
                "contact_id",
                sorted(unit.contacts) if unit else [],
                contact_id,
            )
        ]
    if str(contact.role) != role:
        return [
            RuleFailure(
                "token_contact_role",
                f"contact '{contact_id}' is a {contact.role}: a {role} token carries a contact "
                f"in the {role} role only",
                f"联系人「{contact_id}」的角色为{contact.role.zh}，令牌只能关联角色相同的联系人",
                "contact_id",
                role,
                str(contact.role),
            )
        ]
    return []


def revoke_token(command: RevokeToken, ctx: Context) -> Decision:
    """Revoked for good (a repeat answers with the token as it is)."""
    token = ctx.load.get_token(command.token_id, ctx.at)
    if ctx.actor.token_id != token.token_id:
        _require_token_admin(ctx.load, ctx.actor, token.unit_id)
    changed = token.revoke(command.reason, ctx.actor, ctx.at)
    return Decision([token] if changed else [], token.public())


def _require_token_admin(load: Loader, actor: Actor, unit_id: str | None) -> None:
    """Admins manage the tokens of their subtree; a token without a unit only an unscoped admin."""
    require_role(actor, "manage_units")
    if unit_id is None:
        require_unscoped(actor, "revoke_token")
    else:
        require_within(actor, [load.get_unit(unit_id)], "revoke_token")


HANDLERS: dict[type[Command], Handler] = {IssueToken: issue_token, RevokeToken: revoke_token}
