"""Seed 004 activity-day compliance at each boundary, and the eligibility it decides."""

from __future__ import annotations

from datetime import date

import pytest

from domain.activity import FIVE_HAVES, ActivityRecordInvalidError, Member, Session, register_uuid
from domain.application import Laurel
from domain.commands import RecordActivity, RegisterMember
from domain.rules.activity_day import compliance, eligibility_failures
from infra.settings import Settings, eventsourcing_env
from tests.builders.actors import TOWNSHIP_DECLARER
from tests.builders.clock import utc
from tests.builders.tree import TOWNSHIP, UNIT_TREE
from tests.builders.world import World

ALL_HAVES = dict.fromkeys(FIVE_HAVES, True)
MEMBERS = {f"m{i:04d}": Member(f"m{i:04d}", f"党员{i}", "member", leader=(i == 0)) for i in range(1000)}
FULL_YEAR = date(2023, 1, 1)


def session(
    month: int, attendees, expected=None, kind="all_member", hours=4.0, haves=None, day=10, sid=None
) -> Session:
    return Session(
        sid or f"{kind}-{month}-{day}",
        date(2022, month, day),
        kind,
        hours,
        "party_building",
        tuple(expected if expected is not None else MEMBERS),
        tuple(attendees),
        haves or dict(ALL_HAVES),
    )


def monthly_full_attendance(members=MEMBERS) -> list[Session]:
    return [session(m, members, members) for m in range(1, 13)]


def rules(result) -> list[str]:
    return [f.rule for f in result.shortfalls]


def test_activity_day_compliant_with_a_full_day_every_month():
    assert compliance("vil-1", 2022, MEMBERS, monthly_full_attendance(), FULL_YEAR).compliant


def test_activity_day_month_without_a_session_is_named():
    sessions = [s for s in monthly_full_attendance() if s.on.month != 7]
    result = compliance("vil-1", 2022, MEMBERS, sessions, FULL_YEAR)
    assert rules(result) == ["monthly_activity_day"] and result.shortfalls[0].field == "month.7"


def test_activity_day_shorter_than_half_a_day_is_named():
    sessions = [session(m, MEMBERS, hours=3.5 if m == 3 else 4.0) for m in range(1, 13)]
    assert rules(compliance("vil-1", 2022, MEMBERS, sessions, FULL_YEAR)) == ["activity_day_half_day"]


@pytest.mark.parametrize(("attended", "compliant"), [(7, False), (8, True)])
def test_member_sessions_per_year_boundary_7_vs_8(attended, compliant):
    members = {"m1": Member("m1", "张三", "member"), "m2": Member("m2", "李四", "probationary")}
    sessions = [
        session(m, ["m2"] + (["m1"] if m <= attended else []), expected=["m1", "m2"])
        for m in range(1, 13)
    ]
    result = compliance("vil-1", 2022, members, sessions, FULL_YEAR)
    shortfalls = [f for f in result.shortfalls if f.rule == "member_sessions_per_year"]
    assert (not shortfalls) is compliant
    if shortfalls:
        assert shortfalls[0].field == "member.m1" and shortfalls[0].actual == 7


def test_member_sessions_count_make_ups():
    members = {"m1": Member("m1", "张三", "member")}
    sessions = [session(m, ["m1"] if m <= 7 else [], expected=["m1"]) for m in range(1, 13)]
    makeup = Session(
        "makeup-1",
        date(2022, 12, 20),
        "makeup",
        2.0,
        "party_building",
        (),
        ("m1",),
        {},
        makeup_for="all_member-8-10",
    )
    result = compliance("vil-1", 2022, members, [*sessions, makeup], FULL_YEAR)
    assert "member_sessions_per_year" not in rules(result)


@pytest.mark.parametrize(
    ("kind", "attended", "compliant"),
    [("all_member", 849, False), ("all_member", 850, True), ("group", 749, False), ("group", 750, True)],
)
def test_attendance_boundaries_84_9_vs_85_and_74_9_vs_75(kind, attended, compliant):
    ids = list(MEMBERS)
    measured = session(1, ids[:attended], ids, kind=kind, day=20, sid="measured")
    # the other months' activity days expect nobody, so the year's rate is attended / 1000
    others = [session(m, [], [], sid=f"day-{m}") for m in range(1, 13)]
    result = compliance("vil-1", 2022, {}, [measured, *others], FULL_YEAR)
    assert (f"{kind}_attendance" not in rules(result)) is compliant
    assert result.stats["attendance_percent"][kind] == attended / 10


def test_five_haves_each_missing_one_is_named():
    haves = dict(ALL_HAVES, discussion_record=False, feedback=False)
    sessions = [session(m, MEMBERS, haves=haves if m == 4 else None) for m in range(1, 13)]
    result = compliance("vil-1", 2022, MEMBERS, sessions, FULL_YEAR)
    assert rules(result) == ["five_haves"] and result.shortfalls[0].actual == [
        "discussion_record",
        "feedback",
    ]


def test_running_year_judges_only_complete_months_and_prorates_sessions():
    members = {"m1": Member("m1", "张三", "member")}
    sessions = [session(m, ["m1"], ["m1"]) for m in range(1, 10)]
    result = compliance("vil-1", 2022, members, sessions, date(2022, 10, 15))
    assert result.months_checked == tuple(range(1, 10)) and result.compliant
    assert result.stats["required_sessions_per_member"] == 6


def test_eligibility_refuses_a_collective_and_a_leader_but_not_a_plain_member():
    failing = compliance(
        "vil-1", 2022, MEMBERS, [s for s in monthly_full_attendance() if s.on.month != 2], FULL_YEAR
    )
    assert [f.rule for f in eligibility_failures(True, None, MEMBERS, failing)][:2] == [
        "activity_day_collective",
        "monthly_activity_day",
    ]
    assert eligibility_failures(False, "m0000", MEMBERS, failing)[0].rule == "activity_day_leader"
    assert eligibility_failures(False, "m0001", MEMBERS, failing) == []
    assert eligibility_failures(True, None, MEMBERS, None) == []


def test_activity_register_correction_needs_a_reason_and_keeps_both_records():
    world = World.in_memory()
    app, at = world.app, utc(2022, 3, 1)
    app.execute(
        RegisterMember(unit_id=TOWNSHIP, member_id="m1", name="张三", status="member", leader=True),
        TOWNSHIP_DECLARER,
        at=at,
    )
    record = {
        "session_id": "2022-02",
        "date": "2022-02-10",
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": ["m1"],
        "attendees": [],
        "five_haves": ALL_HAVES,
    }
    assert (
        app.execute(RecordActivity(unit_id=TOWNSHIP, session=record), TOWNSHIP_DECLARER, at=at)[
            "outcome"
        ]
        == "recorded"
    )
    with pytest.raises(ActivityRecordInvalidError) as refused:
        app.execute(
            RecordActivity(unit_id=TOWNSHIP, session=dict(record, attendees=["m1"])),
            TOWNSHIP_DECLARER,
            at=at,
        )
    assert [f.rule for f in refused.value.failures] == ["correction_reason_required"]
    assert (
        app.execute(
            RecordActivity(
                unit_id=TOWNSHIP, session=dict(record, attendees=["m1"]), reason="签到表漏录"
            ),
            TOWNSHIP_DECLARER,
            at=at,
        )["outcome"]
        == "corrected"
    )
    register = app.queries.activity_register(TOWNSHIP, 2022)
    types = [type(e).__name__ for e in app.events.get(register.id)]
    assert types == ["Opened", "SessionRecorded", "SessionCorrected"]
    assert register.sessions["2022-02"].attendees == ("m1",)


def test_an_absent_register_is_remembered_for_warnings_until_this_process_creates_it():
    """Every declaration asks for the nominee's register for its warnings, and it usually does
    not exist: the absence is remembered (no store read), forgotten when one is created."""
    world = World.in_memory()
    app, at = world.app, utc(2022, 3, 1)
    assert app.load.activity_register(TOWNSHIP, 2022, for_warning=True) is None
    assert app.load.absences.known(register_uuid(TOWNSHIP, 2022))
    app.execute(
        RegisterMember(unit_id=TOWNSHIP, member_id="m1", name="张三", status="member", leader=True),
        TOWNSHIP_DECLARER,
        at=at,
    )
    app.execute(RecordActivity(unit_id=TOWNSHIP, session=february()), TOWNSHIP_DECLARER, at=at)
    assert not app.load.absences.known(register_uuid(TOWNSHIP, 2022))
    register = app.load.activity_register(TOWNSHIP, 2022, for_warning=True)
    assert register is not None and "2022-02" in register.sessions


def february(month: int = 2) -> dict[str, object]:
    return {
        "session_id": f"2022-{month:02d}",
        "date": f"2022-{month:02d}-10",
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": ["m1"],
        "attendees": ["m1"],
        "five_haves": ALL_HAVES,
    }


def test_only_warnings_rely_on_an_absence_another_process_has_since_ended(tmp_path):
    """This process remembers the register as absent for a declaration's warnings; another
    creates it. Decisions that refuse (recording, admission) read afresh and find it."""
    url = f"sqlite:///{tmp_path / 'l.db'}"
    env = eventsourcing_env(Settings(database_url=url, home_dir=tmp_path))
    here, there = World(Laurel(env=env)), World(Laurel(env=env))
    here.register(UNIT_TREE)
    at = utc(2022, 3, 1)
    assert here.app.load.activity_register(TOWNSHIP, 2022, for_warning=True) is None
    member = RegisterMember(unit_id=TOWNSHIP, member_id="m1", name="张三", status="member")
    there.app.execute(member, TOWNSHIP_DECLARER, at=at)
    there.app.execute(RecordActivity(unit_id=TOWNSHIP, session=february(1)), TOWNSHIP_DECLARER, at=at)
    assert here.app.load.activity_register(TOWNSHIP, 2022, for_warning=True) is None  # remembered
    assert here.app.queries.activity_register(TOWNSHIP, 2022) is not None  # read afresh
    recorded = here.app.execute(
        RecordActivity(unit_id=TOWNSHIP, session=february(2)), TOWNSHIP_DECLARER, at=at
    )
    assert recorded["outcome"] == "recorded"
    register = here.app.queries.activity_register(TOWNSHIP, 2022)
    assert register is not None and set(register.sessions) == {"2022-01", "2022-02"}
