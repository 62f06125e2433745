"""Activity days (seed 004): a unit's member roll and its register of sessions, one per year.
The eligibility they decide is read by ``app.queries.compliance_of`` and checked at
declaration and admission."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from domain.activity import (
    LATE_AFTER_DAYS,
    ActivityRecordInvalidError,
    ActivityRegister,
    LateThresholdNotAllowedError,
    Member,
    MemberRoll,
    Session,
)
from domain.commands import Command, ExemptMember, RecordActivity, RegisterMember, SetActivityDay
from domain.errors import RuleFailure
from domain.handlers.context import Context, Decision, Handler
from domain.rules.activity_day import (
    expected_at,
    late_threshold_failures,
    session_flags,
    sets_late_threshold,
)
from domain.rules.jurisdiction import authorize, require_within
from domain.units import Unit
from domain.vocabulary import Level


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
            mandatory=bool(data.get("mandatory", False)),
            off_day_reason=str(data.get("off_day_reason") or "").strip(),
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


def township_of(unit: Unit, ctx: Context) -> Unit | None:
    """The township the unit is or lies in (its activity day is the township's)."""
    if unit.level == Level.TOWNSHIP:
        return unit
    for code in reversed(unit.path):
        ancestor = ctx.load.get_unit(code)
        if ancestor.level == Level.TOWNSHIP:
            return ancestor
    return None


def omitted_members(session: Session, members: Mapping[str, Member]) -> list[RuleFailure]:
    """An all-member or mandatory session that does not list every party member on the roll
    who is not exempt on its date: a warning (the roll may hold members who joined later)."""
    if not session.required_of_every_member:
        return []
    listed = expected_at(session, members)
    omitted = sorted(
        m
        for m, member in members.items()
        if member.party_member and not member.exempt_on(session.on) and m not in listed
    )
    if not omitted:
        return []
    return [
        RuleFailure(
            "expected_every_member",
            f"an all-member or mandatory session expects every member; not listed: {omitted[:10]}",
            f"全体党员集中学习和必学必看活动应全员参加，未列入应参加名单：{omitted[:10]}",
            "expected",
            None,
            omitted[:10],
        )
    ]


def record_activity(command: RecordActivity, ctx: Context) -> Decision:
    """Records a session on the unit's register for its year; the same session id again
    corrects it (with a reason); the history keeps both. The answer warns (never refuses)
    when the session is recorded late, is off the township's fixed day without a reason, or
    leaves members out of an all-member session."""
    session = parse_session(command.session)
    unit_id, year = command.unit_id, session.on.year
    unit = ctx.load.get_unit(unit_id)
    authorize(ctx.actor, "record_activity", [unit])
    register = ctx.load.activity_register(unit_id, year, for_update=True) or ActivityRegister.open(
        unit_id, year, ctx.at
    )
    members = ctx.queries.member_roll(unit_id)
    township = township_of(unit, ctx)
    settings = ctx.load.member_roll(township.code) if township else None
    outcome = register.record(
        session,
        members,
        command.reason,
        ctx.actor,
        ctx.at,
        fixed_day=settings.fixed_day if settings else None,
        late_after_days=settings.late_after_days if settings else LATE_AFTER_DAYS,
    )
    kept = register.sessions[session.session_id]
    flags = session_flags([kept]) if outcome != "unchanged" else []
    result = {
        "unit_id": unit_id,
        "year": year,
        "session_id": session.session_id,
        "outcome": outcome,
        "version": register.version,
        "warnings": [f.as_dict() for f in [*flags, *omitted_members(kept, members)]],
    }
    return Decision([register], result)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ActivityRecordInvalidError(
            [
                RuleFailure(
                    "date_readable",
                    f"{field} must be a date, YYYY-MM-DD",
                    f"{field} 须为日期（YYYY-MM-DD）",
                    field,
                    "YYYY-MM-DD",
                    text,
                )
            ]
        ) from None


def exempt_member(command: ExemptMember, ctx: Context) -> Decision:
    """按规定可暂不参加组织生活: an event on the unit's roll; the member is not expected in
    that period (attendance, the required sessions, the yearly minimum prorated)."""
    authorize(ctx.actor, "record_activity", [ctx.load.get_unit(command.unit_id)])
    start, end = _day(command.start, "start"), _day(command.end, "end")
    roll = ctx.load.member_roll(command.unit_id, for_update=True) or MemberRoll.open(
        command.unit_id, ctx.at
    )
    changed = roll.exempt(command.member_id, start, end, command.reason, ctx.actor, ctx.at)
    member = roll.members[command.member_id]
    result = {
        "unit_id": command.unit_id,
        "member_id": command.member_id,
        "name": member.name,
        "exemptions": [
            {"start": e.start.isoformat(), "end": e.end.isoformat(), "reason": e.reason}
            for e in member.exemptions
        ],
        "changed": changed,
        "version": roll.version,
    }
    return Decision([roll], result)


def set_activity_day(command: SetActivityDay, ctx: Context) -> Decision:
    """A township's fixed activity day (以镇为单位尽可能实行统一的活动日) and its late-recording
    threshold, kept on the township's roll. The township's declarer (or one above it) sets the
    day; the threshold, which checks the township itself (杜绝突击造假), is changed only from
    above: a reviewer or an admin of its county or higher. A command that changes both is
    held to the stricter check; nothing is written when it is refused."""
    unit = ctx.load.get_unit(command.unit_id)
    require_within(ctx.actor, [unit], "set_activity_day")
    stored = ctx.load.member_roll(command.unit_id, for_update=True)
    current = stored.late_after_days if stored else LATE_AFTER_DAYS
    if failures := late_threshold_failures(ctx.actor, unit, current, command.late_after_days):
        raise LateThresholdNotAllowedError(
            failures, action="set_late_threshold", role=ctx.actor.role, unit=unit.code
        )
    if not sets_late_threshold(ctx.actor, unit):
        authorize(ctx.actor, "record_activity", [unit])
    if unit.level != Level.TOWNSHIP:
        raise ActivityRecordInvalidError(
            [
                RuleFailure(
                    "activity_day_by_township",
                    "the fixed activity day is set by a township (以镇为单位)",
                    "统一活动日以镇为单位设定",
                    "unit_id",
                    str(Level.TOWNSHIP),
                    str(unit.level),
                )
            ]
        )
    roll = stored or MemberRoll.open(command.unit_id, ctx.at)
    changed = roll.set_activity_day(
        command.fixed_day, command.late_after_days, command.reason, ctx.actor, ctx.at
    )
    result = {
        "unit_id": command.unit_id,
        "fixed_day": roll.fixed_day,
        "late_after_days": roll.late_after_days,
        "changed": changed,
        "version": roll.version,
    }
    return Decision([roll], result)


HANDLERS: dict[type[Command], Handler] = {
    RegisterMember: register_member,
    RecordActivity: record_activity,
    ExemptMember: exempt_member,
    SetActivityDay: set_activity_day,
}
