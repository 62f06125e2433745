"""Activity days (seed 004): a unit's member roll and its register of sessions, one per year.
The eligibility they decide is read by ``app.queries.compliance_of`` and checked at
declaration and admission."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.activity import (
    ActivityRecordInvalidError,
    ActivityRegister,
    Member,
    MemberRoll,
    Session,
)
from domain.commands import Command, RecordActivity, RegisterMember
from domain.errors import RuleFailure
from domain.handlers.context import Context, Decision, Handler
from domain.rules.jurisdiction import authorize


def parse_session(data: Mapping[str, Any]) -> Session:
    """A session as sent (JSON, or a spreadsheet's row): a date, attendees, the five haves."""
    try:
        on = (
            data["date"]
            if isinstance(data["date"], date)
            else date.fromisoformat(str(data["date"])[:10])
        )
        return Session(
            session_id=str(data.get("session_id") or data.get("id") or on.isoformat()),
            on=on,
            kind=str(data.get("kind", "all_member")),
            hours=float(data.get("hours", 0)),
            topic=str(data.get("topic", "")),
            expected=tuple(str(m) for m in data.get("expected", ())),
            attendees=tuple(dict.fromkeys(str(m) for m in data.get("attendees", ()))),
            five_haves={k: bool(v) for k, v in dict(data.get("five_haves", {})).items()},
            makeup_for=(str(data["makeup_for"]) if data.get("makeup_for") else None),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ActivityRecordInvalidError(
            [
                RuleFailure(
                    "session_readable",
                    f"the session record is not readable: {exc}",
                    f"活动记录格式不正确：{exc}",
                    "date",
                )
            ]
        ) from None


def register_member(command: RegisterMember, ctx: Context) -> Decision:
    authorize(ctx.actor, "record_activity", [ctx.load.get_unit(command.unit_id)])
    roll = ctx.load.member_roll(command.unit_id, for_update=True) or MemberRoll.open(
        command.unit_id, ctx.at
    )
    member = Member(
        member_id=command.member_id, name=command.name, status=command.status, leader=command.leader
    )
    roll.register(member, ctx.actor, ctx.at)
    result = {
        "unit_id": command.unit_id,
        "id": command.member_id,
        "name": command.name,
        "status": command.status,
        "leader": command.leader,
        "version": roll.version,
    }
    return Decision([roll], result)


def record_activity(command: RecordActivity, ctx: Context) -> Decision:
    """Records a session on the unit's register for its year; the same session id again
    corrects it (with a reason); the history keeps both."""
    session = parse_session(command.session)
    unit_id, year = command.unit_id, session.on.year
    authorize(ctx.actor, "record_activity", [ctx.load.get_unit(unit_id)])
    register = ctx.load.activity_register(unit_id, year, for_update=True) or ActivityRegister.open(
        unit_id, year, ctx.at
    )
    members = ctx.queries.member_roll(unit_id)
    outcome = register.record(session, members, command.reason, ctx.actor, ctx.at)
    result = {
        "unit_id": unit_id,
        "year": year,
        "session_id": session.session_id,
        "outcome": outcome,
        "version": register.version,
    }
    return Decision([register], result)


HANDLERS: dict[type[Command], Handler] = {
    RegisterMember: register_member,
    RecordActivity: record_activity,
}
