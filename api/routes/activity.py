"""Seed 004 registers: a unit's members and activity days, and its yearly compliance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, IdempotencyKey
from api.imports import import_rows, table_body
from api.responses import created, replayed
from api.schemas import (
    ActivityDayCreate,
    ActivityDayRecorded,
    ActivityDaySettings,
    ActivityDaySettingsPublic,
    CompliancePublic,
    ExemptionCreate,
    ImportReport,
    MemberCreate,
    MemberExemptions,
    MemberPublic,
)
from domain.activity import LATE_AFTER_DAYS
from domain.commands import ExemptMember, RecordActivity, RegisterMember, SetActivityDay
from domain.rules.jurisdiction import authorize, can_read_unit_records, require_read, require_role

router = APIRouter(prefix="/v1/units", tags=["activity days"])
SESSION_COLUMNS = (
    "session_id",
    "date",
    "kind",
    "hours",
    "topic",
    "expected",
    "attendees",
    "notice",
    "sign_in",
    "playback_log",
    "discussion_record",
    "feedback",
    "makeup_for",
    "mandatory",
    "off_day_reason",
    "reason",
)


@router.post(
    "/{unit_id}/members",
    status_code=201,
    responses={**problems.COMMAND, **replayed(MemberPublic)},
    response_model=MemberPublic,
    summary="Register a member of the unit / 登记党员",
)
def register_member(
    unit_id: str, body: MemberCreate, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    member = RegisterMember(
        unit_id=unit_id, member_id=body.id, name=body.name, status=body.status, leader=body.leader
    )
    result = app.execute(member, actor, idempotency_key=key)
    return created(MemberPublic(**result), result["replayed"])


@router.post(
    "/{unit_id}/members/{member_id}/exemptions",
    status_code=201,
    responses={**problems.COMMAND, **replayed(MemberExemptions)},
    response_model=MemberExemptions,
    summary="Exempt a member for a period / 登记按规定暂不参加组织生活",
    description=(
        "Seed 004: 除按规定可暂不参加组织生活的外，所有党员、预备党员都应参加. The member is not "
        "expected from start to end (inclusive): not in the attendance rates, not named for the "
        "sessions missed, the yearly minimum prorated. 201 when recorded, 200 when already so."
    ),
)
def exempt_member(
    unit_id: str,
    member_id: str,
    body: ExemptionCreate,
    app: App,
    actor: CurrentActor,
    key: IdempotencyKey,
) -> Any:
    exempt = ExemptMember(
        unit_id=unit_id, member_id=member_id, start=body.start, end=body.end, reason=body.reason
    )
    result = app.execute(exempt, actor, idempotency_key=key)
    status = 201 if result["changed"] and not result["replayed"] else 200
    return JSONResponse(MemberExemptions(**result).model_dump(), status_code=status)


@router.put(
    "/{unit_id}/activity-day",
    responses={**problems.COMMAND, **replayed(ActivityDaySettingsPublic)},
    response_model=ActivityDaySettingsPublic,
    summary="Set a township's fixed activity day / 设定全镇统一活动日",
    description=(
        "Seed 004: 活动日要相对固定，以镇为单位尽可能实行统一的活动日. A township only; its "
        "declarer (or a unit above it) sets the day. An all-member session of the township or "
        "its villages off that day, without an off_day_reason, is recorded with a warning and "
        "flagged in compliance (never refused). late_after_days (default 30): a session recorded "
        "or corrected more days after its date is flagged (杜绝突击造假); it is changed only by "
        "a reviewer or an admin of a unit above the township (its county or higher), anyone else "
        "is refused 403 late-threshold-not-allowed naming late_after_days. A field left out stays "
        "as it is (fixed_day: null clears the day)."
    ),
)
def set_activity_day(
    unit_id: str, body: ActivityDaySettings, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    fixed_day, late_after_days = body.fixed_day, body.late_after_days
    sent = body.model_fields_set
    if not {"fixed_day", "late_after_days"} <= sent:  # a field left out is kept, not reset
        roll = app.load.member_roll(unit_id)
        if "fixed_day" not in sent:
            fixed_day = roll.fixed_day if roll else None
        if "late_after_days" not in sent:
            late_after_days = roll.late_after_days if roll else LATE_AFTER_DAYS
    command = SetActivityDay(
        unit_id=unit_id, fixed_day=fixed_day, late_after_days=late_after_days, reason=body.reason
    )
    return ActivityDaySettingsPublic(**app.execute(command, actor, idempotency_key=key))


@router.get(
    "/{unit_id}/activity-day",
    response_model=ActivityDaySettingsPublic,
    summary="A township's fixed activity day / 全镇统一活动日",
)
def activity_day_settings(unit_id: str, app: App, actor: CurrentActor) -> Any:
    require_read(actor, can_read_unit_records(actor, app.get_unit(unit_id)), f"unit {unit_id}")
    roll = app.load.member_roll(unit_id)
    return {
        "unit_id": unit_id,
        "fixed_day": roll.fixed_day if roll else None,
        "late_after_days": roll.late_after_days if roll else LATE_AFTER_DAYS,
        "version": roll.version if roll else None,
    }


@router.post(
    "/{unit_id}/activity-days",
    status_code=201,
    responses={**problems.COMMAND, **replayed(ActivityDayRecorded)},
    response_model=ActivityDayRecorded,
    summary="Record (or correct) an activity day / 登记活动日",
)
def record_activity_day(
    unit_id: str, body: ActivityDayCreate, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    session = body.model_dump(exclude={"reason"})
    record = RecordActivity(unit_id=unit_id, session=session, reason=body.reason)
    result = app.execute(record, actor, idempotency_key=key)
    status = 201 if result["outcome"] == "recorded" and not result["replayed"] else 200
    return JSONResponse(ActivityDayRecorded(**result).model_dump(), status_code=status)


def _ids(cell: Any) -> list[str]:
    return [
        p.strip()
        for p in str(cell or "").replace("，", ",").replace("、", ",").replace(";", ",").split(",")
        if p.strip()
    ]


def _flag(cell: Any) -> bool:
    return cell is True or str(cell).strip().lower() in ("true", "yes", "1", "是", "有", "✓", "y")


@router.post(
    "/{unit_id}/activity-days:import",
    responses=problems.COMMAND,
    response_model=ImportReport,
    summary="Import sign-in sheets (CSV/XLSX) / 导入签到表",
    description=(
        "One row per session: session_id, date, kind, hours, topic, expected (member ids separated by "
        "commas, or 'all'), attendees (the sign-in list), notice, sign_in, playback_log, "
        "discussion_record, feedback (是/否 or true/false), makeup_for, reason."
    ),
    openapi_extra=table_body(),
)
async def import_activity_days(
    unit_id: str, request: Request, app: App, actor: CurrentActor, key: IdempotencyKey
) -> Any:
    def members_of_the_unit() -> list[str]:
        """The unit's party members (whom "all" expects), once an unknown unit is 404 and a
        foreign one 403, before any row."""
        authorize(actor, "record_activity", [app.get_unit(unit_id)])
        return [m for m, member in app.queries.member_roll(unit_id).items() if member.party_member]

    require_role(actor, "record_activity")
    members = await run_in_threadpool(members_of_the_unit)

    def one(row: dict[str, Any], row_key: str | None) -> dict[str, Any]:
        expected = (
            members
            if str(row.get("expected") or "").strip().lower() in ("all", "全体")
            else _ids(row.get("expected"))
        )
        on: object = row.get("date")  # a cell: a date or datetime from XLSX, text from CSV, or empty
        session = {
            "session_id": str(row.get("session_id") or "") or None,
            "date": on.date().isoformat() if hasattr(on, "date") else str(on or ""),
            "kind": str(row.get("kind") or "all_member"),
            "hours": float(row.get("hours") or 0),
            "topic": str(row.get("topic") or ""),
            "expected": expected,
            "attendees": _ids(row.get("attendees")),
            "five_haves": {
                h: _flag(row.get(h))
                for h in ("notice", "sign_in", "playback_log", "discussion_record", "feedback")
            },
            "makeup_for": str(row.get("makeup_for") or "") or None,
            "mandatory": _flag(row.get("mandatory")),
            "off_day_reason": str(row.get("off_day_reason") or ""),
        }
        record = RecordActivity(unit_id=unit_id, session=session, reason=str(row.get("reason") or ""))
        result = app.execute(record, actor, idempotency_key=row_key)
        return dict(result, id=result["session_id"])

    return await import_rows(request, SESSION_COLUMNS, one, key)


@router.get(
    "/{unit_id}/compliance",
    response_model=CompliancePublic,
    summary="Activity-day compliance of a year / 活动日达标情况",
)
def unit_compliance(
    unit_id: str,
    app: App,
    actor: CurrentActor,
    year: Annotated[int, Query(ge=1990, le=2100)],
    through: Annotated[
        date | None, Query(description="judge the complete months before this date (default: today)")
    ] = None,
) -> Any:
    require_read(actor, can_read_unit_records(actor, app.get_unit(unit_id)), f"unit {unit_id}")
    result = app.queries.compliance_of(unit_id, year, through=through)
    if result is None:
        judged_through = through or app.clock().date()
        return {
            "unit_id": unit_id,
            "year": year,
            "through": judged_through.isoformat(),
            "months_checked": [],
            "compliant": None,
            "assessed": False,
            "shortfalls": [],
            "stats": {},
            "flags": [],
        }
    return {
        "unit_id": unit_id,
        "year": year,
        "through": result.through.isoformat(),
        "months_checked": list(result.months_checked),
        "compliant": result.compliant,
        "assessed": True,
        "shortfalls": [f.as_dict() for f in result.shortfalls],
        "stats": result.stats,
        "flags": [f.as_dict() for f in result.flags],
    }
