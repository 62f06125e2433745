"""Units: register, rename, move (with the whole subtree, in one transaction)."""

from __future__ import annotations

from collections.abc import Mapping

from domain.commands import Command, MoveUnit, RegisterUnit, RenameUnit
from domain.errors import DuplicateUnitError, UnitMoveRefusedError
from domain.handlers.context import Context, Decision, Handler
from domain.rules.jurisdiction import authorize, require_unscoped
from domain.rules.unit_moves import OpenNomination, leaving_jurisdiction_failures
from domain.units import Unit
from domain.vocabulary import OPEN_STATES


def register_unit(command: RegisterUnit, ctx: Context) -> Decision:
    parent = ctx.load.get_unit(command.parent_id, for_update=True) if command.parent_id else None
    authorize(ctx.actor, "manage_units", [parent] if parent else [])
    if parent is None:
        require_unscoped(ctx.actor, "manage_units")
    if ctx.load.unit_exists(command.code):
        raise DuplicateUnitError(
            f"unit '{command.code}' already exists", f"单位「{command.code}」已存在", unit=command.code
        )
    unit = Unit.register(
        command.code,
        command.name,
        command.name_zh,
        command.level,
        parent,
        ctx.actor,
        ctx.at,
    )
    return Decision([unit, *([parent] if parent else [])], unit.as_dict())


def rename_unit(command: RenameUnit, ctx: Context) -> Decision:
    """New names (the history keeps the old ones, with the reason)."""
    unit = ctx.load.get_unit(command.code, for_update=True)
    authorize(ctx.actor, "manage_units", [unit])
    changed = unit.rename(command.name, command.name_zh, command.reason, ctx.actor, ctx.at)
    return Decision([unit] if changed else [], unit.as_dict())


def move_unit(command: MoveUnit, ctx: Context) -> Decision:
    """The unit and its subtree under another parent. Refused while an open nomination would
    leave its jurisdiction (``domain.rules.unit_moves``)."""
    load = ctx.load
    unit = load.get_unit(command.code, for_update=True)
    parent = load.get_unit(command.parent_id, for_update=True)
    authorize(ctx.actor, "manage_units", [unit, parent])
    if unit.parent_code == parent.code:
        return Decision([], unit.as_dict())
    old_parent = load.get_unit(unit.parent_code, for_update=True) if unit.parent_code else None
    descendants = [
        load.get_unit(u.code, for_update=True) for u in ctx.queries.units_in_subtree(command.code)[1:]
    ]
    unit.move_under(parent, old_parent, descendants, command.reason, ctx.actor, ctx.at)
    failures = leaving_jurisdiction_failures(
        _open_nominations_touched(ctx, {u.code: u for u in (unit, *descendants)})
    )
    if failures:
        raise UnitMoveRefusedError(failures)
    changed = [unit, parent, *([old_parent] if old_parent else []), *descendants]
    return Decision(changed, unit.as_dict())


def _open_nominations_touched(ctx: Context, moved: Mapping[str, Unit]) -> list[OpenNomination]:
    """The open nominations whose declaring or nominee unit moves (``moved``: the units as
    they would stand after the move)."""

    def unit(code: str) -> Unit:
        return moved.get(code) or ctx.load.get_unit(code)

    return [
        OpenNomination(
            e.nomination_id,
            unit(e.declaring_unit_id),
            unit(e.nominee_unit_id),
            ctx.load.get_campaign(e.campaign_id).organiser_unit_id,
        )
        for e in ctx.roster.touching(list(moved), OPEN_STATES)
    ]


HANDLERS: dict[type[Command], Handler] = {
    RegisterUnit: register_unit,
    RenameUnit: rename_unit,
    MoveUnit: move_unit,
}
