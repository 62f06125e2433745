"""Seed 004 activity-day compliance at each boundary, and the eligibility it decides."""

from __future__ import annotations

import json
from datetime import date

import pytest
from eventsourcing.persistence import JSONTranscoder

from domain.activity import (
    FIVE_HAVES,
    ActivityRecordInvalidError,
    Exemption,
    LateThresholdNotAllowedError,
    Member,
    MemberRoll,
    Session,
    register_uuid,
)
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import ExemptMember, RecordActivity, RegisterMember, SetActivityDay
from domain.errors import OutsideJurisdictionError, RoleNotAllowedError
from domain.rules.activity_day import compliance, eligibility_failures, required_for
from domain.transcodings import all_transcodings
from domain.vocabulary import Role
from infra.settings import Settings, eventsourcing_env
from tests.builders.actors import (
    ADMIN,
    CITY_REVIEWER,
    COUNTY_ADMIN,
    COUNTY_AUDITOR,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    OTHER_COUNTY_REVIEWER,
    TOWNSHIP_DECLARER,
)
from tests.builders.clock import utc
from tests.builders.tree import TOWNSHIP, UNIT_TREE, VILLAGE
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


# --- issue 21, item 6: seed 004's per-member rules ---------------------------------------------
# 全体党员集中学习活动和上级规定的必学必看活动必须参加 … 因特殊原因请假的党员，事后应及时补课;
# 除按规定可暂不参加组织生活的外; 注重吸纳流动党员、入党积极分子…; 领导班子成员要带头参加;
# 以镇为单位尽可能实行统一的活动日; 坚决杜绝检查前突击造假.

ZHANG, LI, WANG = (
    Member("m1", "张三", "member", leader=True),
    Member("m2", "李四", "probationary"),
    Member("m3", "王五", "member"),
)
ROLL = {m.member_id: m for m in (ZHANG, LI, WANG)}


def year_of_days(absent: dict[int, set[str]] | None = None, roll=ROLL, **kw) -> list[Session]:
    """A monthly all-member day for the roll, ``absent[month]`` missing it."""
    absent = absent or {}
    return [
        session(m, [x for x in roll if x not in absent.get(m, set())], list(roll), **kw)
        for m in range(1, 13)
    ]


def makeup(for_session: str, attendees, on=date(2022, 12, 20), sid="makeup-1") -> Session:
    return Session(sid, on, "makeup", 2.0, "party_building", (), tuple(attendees), {}, for_session)


def named(result, rule: str) -> dict[str, list[str]]:
    return {f.field: f.actual for f in result.shortfalls if f.rule == rule}


def test_a_member_absent_from_an_all_member_session_is_named_with_the_session():
    result = compliance("vil-1", 2022, ROLL, year_of_days({3: {"m3"}}), FULL_YEAR)
    assert named(result, "member_required_sessions") == {"member.m3": ["all_member-3-10"]}
    shortfall = next(f for f in result.shortfalls if f.rule == "member_required_sessions")
    assert (
        "王五（m3）" in shortfall.message_zh and "all_member-3-10 (2022-03-10)" in shortfall.message_en
    )


def test_a_make_up_of_that_session_covers_the_absence_and_one_of_another_does_not():
    sessions = year_of_days({3: {"m3"}, 4: {"m2"}})
    covered = compliance("vil-1", 2022, ROLL, [*sessions, makeup("all_member-3-10", ["m3"])], FULL_YEAR)
    assert named(covered, "member_required_sessions") == {"member.m2": ["all_member-4-10"]}
    wrong = compliance("vil-1", 2022, ROLL, [*sessions, makeup("all_member-4-10", ["m3"])], FULL_YEAR)
    assert set(named(wrong, "member_required_sessions")) == {"member.m2", "member.m3"}


@pytest.mark.parametrize(("mandatory", "named_m3"), [(False, False), (True, True)])
def test_a_group_session_is_required_of_every_member_only_when_mandatory(mandatory, named_m3):
    group = Session(
        "bixue-1",
        date(2022, 6, 15),
        "group",
        2.0,
        "political_theory",
        ("m1", "m2", "m3"),
        ("m1", "m2"),
        dict(ALL_HAVES),
        mandatory=mandatory,
    )
    result = compliance("vil-1", 2022, ROLL, [*year_of_days(), group], FULL_YEAR)
    assert ("member.m3" in named(result, "member_required_sessions")) is named_m3


def test_an_exempt_member_is_not_expected_on_the_exemptions_last_day_but_is_the_day_after():
    exempt_until_10_march = Member(
        "m3", "王五", "member", exemptions=(Exemption(date(2022, 2, 1), date(2022, 3, 10), "外出务工"),)
    )
    roll = dict(ROLL, m3=exempt_until_10_march)
    on_last_day = compliance("vil-1", 2022, roll, year_of_days({3: {"m3"}}), FULL_YEAR)
    assert "member_required_sessions" not in rules(on_last_day)
    day_after = year_of_days({3: {"m3"}}, day=11)
    assert named(compliance("vil-1", 2022, roll, day_after, FULL_YEAR), "member_required_sessions") == {
        "member.m3": ["all_member-3-11"]
    }


def test_an_exempt_member_leaves_the_attendance_rate_and_has_a_prorated_minimum():
    # 20 members, each all-member day expects all: 17 of 20 attend (85 %) in every month; the
    # three absent are exempt all year, so the rate is 17 / 17.
    roll = {f"p{i:02d}": Member(f"p{i:02d}", f"党员{i}", "member") for i in range(20)}
    away = Exemption(date(2022, 1, 1), date(2022, 12, 31), "长期外出，按规定暂不参加")
    for i in range(3):
        roll[f"p{i:02d}"] = Member(f"p{i:02d}", f"党员{i}", "member", exemptions=(away,))
    sessions = [session(m, list(roll)[3:], list(roll)) for m in range(1, 13)]
    result = compliance("vil-1", 2022, roll, sessions, FULL_YEAR)
    assert result.compliant and result.stats["attendance_percent"]["all_member"] == 100.0
    assert result.stats["required_sessions_by_member"] == {"p00": 0, "p01": 0, "p02": 0}
    # Exempt for March and April only (any day of a month exempts the month): 8 × 10 // 12 = 6.
    spring = Member(
        "p00", "党员0", "member", exemptions=(Exemption(date(2022, 3, 31), date(2022, 4, 1), "病假"),)
    )
    assert required_for(spring, 2022, tuple(range(1, 13))) == 6
    attended_6 = [session(m, ["p00"], ["p00"]) for m in (1, 2, 5, 6, 7, 8)]
    assert "member_sessions_per_year" not in rules(
        compliance("vil-1", 2022, {"p00": spring}, attended_6, FULL_YEAR)
    )
    attended_5 = attended_6[:5]
    assert named(
        compliance("vil-1", 2022, {"p00": spring}, attended_5, FULL_YEAR), "member_sessions_per_year"
    ) == {"member.p00": 5}


@pytest.mark.parametrize(("attended", "compliant"), [(16, False), (17, True)])
def test_non_members_attend_and_are_recorded_but_never_count_in_the_rate(attended, compliant):
    # 20 party members expected; 10 non-members listed and present do not lift the rate.
    roll = {f"p{i:02d}": Member(f"p{i:02d}", f"党员{i}", "member") for i in range(20)}
    others = {
        f"q{i}": Member(f"q{i}", f"群众{i}", status)
        for i, status in enumerate(
            ["floating_member", "activist", "reserve_cadre", "major_grower", "resident"] * 2
        )
    }
    everyone = {**roll, **others}
    measured = session(1, [*list(roll)[:attended], *others], list(everyone), day=20, sid="measured")
    days = [session(m, [], [], sid=f"day-{m}") for m in range(1, 13)]
    result = compliance("vil-1", 2022, everyone, [measured, *days], FULL_YEAR)
    assert ("all_member_attendance" not in rules(result)) is compliant
    assert result.stats["attendance_percent"]["all_member"] == attended * 5
    assert result.stats["participant_sessions"] == dict.fromkeys(others, 1)
    assert set(result.stats["member_sessions"]) == set(roll)
    assert not any(f.field.startswith("member.q") for f in result.shortfalls)


def test_a_leader_attends_first_a_make_up_does_not_stand_in():
    made_up = [*year_of_days({5: {"m1"}}), makeup("all_member-5-10", ["m1"])]
    result = compliance("vil-1", 2022, ROLL, made_up, FULL_YEAR)
    assert named(result, "member_required_sessions") == {}
    assert named(result, "leader_attends_first") == {"member.m1": ["all_member-5-10"]}
    assert "张三（m1）" in result.shortfalls[0].message_zh and "带头" in result.shortfalls[0].message_zh
    # A plain member who made it up is not named; a present leader is not named either.
    plain = [*year_of_days({5: {"m2"}}), makeup("all_member-5-10", ["m2"])]
    assert compliance("vil-1", 2022, ROLL, plain, FULL_YEAR).compliant
    # A leader absent without a make-up is named by both rules.
    both = compliance("vil-1", 2022, ROLL, year_of_days({5: {"m1"}}), FULL_YEAR)
    assert rules(both)[:2] == ["member_required_sessions", "leader_attends_first"]


def test_a_leader_exempt_on_the_day_is_not_named():
    away = Member(
        "m1",
        "张三",
        "member",
        leader=True,
        exemptions=(Exemption(date(2022, 5, 1), date(2022, 5, 31), "住院"),),
    )
    result = compliance("vil-1", 2022, dict(ROLL, m1=away), year_of_days({5: {"m1"}}), FULL_YEAR)
    assert "leader_attends_first" not in rules(result)


# --- recorded through the application ------------------------------------------------------------


def day_of(on: str, **extra) -> dict[str, object]:
    return {
        "session_id": extra.pop("session_id", on),
        "date": on,
        "kind": "all_member",
        "hours": 4,
        "topic": "party_building",
        "expected": ["m1", "m2"],
        "attendees": ["m1", "m2"],
        "five_haves": ALL_HAVES,
        **extra,
    }


@pytest.fixture
def village():
    """前双村 of 彭镇 with two members and a resident who takes part."""
    world = World.in_memory()
    for member_id, name, status in [
        ("m1", "张三", "member"),
        ("m2", "李四", "member"),
        ("r1", "赵六", "resident"),
    ]:
        world.app.execute(
            RegisterMember(
                unit_id=VILLAGE, member_id=member_id, name=name, status=status, leader=member_id == "m1"
            ),
            TOWNSHIP_DECLARER,
            at=utc(2022, 1, 1),
        )
    return world.app


def warnings_of(result) -> list[str]:
    return [w["rule"] for w in result["warnings"]]


def test_an_exemption_is_an_event_with_its_period_and_reason_and_survives_re_registration(village):
    app = village
    exempted = app.execute(
        ExemptMember(
            unit_id=VILLAGE,
            member_id="m2",
            start="2022-03-01",
            end="2022-03-31",
            reason="外出务工（按规定）",
        ),
        TOWNSHIP_DECLARER,
        at=utc(2022, 2, 20),
    )
    assert exempted["changed"] and exempted["exemptions"] == [
        {"start": "2022-03-01", "end": "2022-03-31", "reason": "外出务工（按规定）"}
    ]
    app.execute(
        RegisterMember(unit_id=VILLAGE, member_id="m2", name="李四", status="probationary"),
        TOWNSHIP_DECLARER,
        at=utc(2022, 2, 21),
    )
    roll = app.load.member_roll(VILLAGE)
    assert roll.members["m2"].status == "probationary" and len(roll.members["m2"].exemptions) == 1
    assert [type(e).__name__ for e in app.events.get(roll.id)][-2:] == [
        "MemberExempted",
        "MemberRegistered",
    ]
    app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-10", attendees=["m1"])),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 11),
    )
    result = app.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1))
    assert "member_required_sessions" not in rules(result)
    assert result.stats["exempt_members"] == {"m2": [["2022-03-01", "2022-03-31", "外出务工（按规定）"]]}


@pytest.mark.parametrize(
    ("member_id", "start", "end", "reason", "rule"),
    [
        ("m9", "2022-03-01", "2022-03-31", "外出", "members_registered"),
        ("r1", "2022-03-01", "2022-03-31", "外出", "exemption_for_party_members"),
        ("m2", "2022-03-31", "2022-03-30", "外出", "exemption_period"),
        ("m2", "2022-03-01", "2022-03-31", "  ", "exemption_reason_required"),
        ("m2", "2022-03-01", "31/03/2022", "外出", "date_readable"),
    ],
)
def test_an_exemption_refused_names_its_rule(village, member_id, start, end, reason, rule):
    with pytest.raises(ActivityRecordInvalidError) as refused:
        village.execute(
            ExemptMember(unit_id=VILLAGE, member_id=member_id, start=start, end=end, reason=reason),
            TOWNSHIP_DECLARER,
            at=utc(2022, 2, 20),
        )
    assert [f.rule for f in refused.value.failures] == [rule]


@pytest.mark.parametrize(
    ("on", "extra", "warned"),
    [
        ("2022-03-10", {}, False),  # the township's day
        ("2022-03-12", {}, True),
        ("2022-03-12", {"off_day_reason": "10 日全镇停电，顺延"}, False),
        ("2022-03-12", {"mandatory": True}, False),  # 上级规定的必学必看: added when told
        ("2022-03-12", {"kind": "group"}, False),  # 自选动作: any day
    ],
)
def test_a_session_off_the_townships_fixed_day_is_warned_not_refused(village, on, extra, warned):
    app = village
    app.execute(
        SetActivityDay(unit_id=TOWNSHIP, fixed_day=10, reason="全镇统一活动日"),
        TOWNSHIP_DECLARER,
        at=utc(2022, 1, 5),
    )
    recorded = app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of(on, **extra)),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 13),
    )
    assert recorded["outcome"] == "recorded"
    assert ("off_fixed_day" in warnings_of(recorded)) is warned
    result = app.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1))
    assert [f.rule for f in result.flags] == (["off_fixed_day"] if warned else [])
    assert "off_fixed_day" not in rules(result)


def test_a_fixed_day_past_the_months_end_is_its_last_day(village):
    app = village
    app.execute(SetActivityDay(unit_id=TOWNSHIP, fixed_day=31), TOWNSHIP_DECLARER, at=utc(2022, 1, 5))
    april_30 = app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-04-30")),
        TOWNSHIP_DECLARER,
        at=utc(2022, 5, 1),
    )
    april_29 = app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-04-29")),
        TOWNSHIP_DECLARER,
        at=utc(2022, 5, 1),
    )
    assert warnings_of(april_30) == [] and warnings_of(april_29) == ["off_fixed_day"]


@pytest.mark.parametrize(
    ("actor", "unit", "fixed_day", "late_after_days", "rule"),
    [
        (TOWNSHIP_DECLARER, VILLAGE, 10, 30, "activity_day_by_township"),
        (TOWNSHIP_DECLARER, TOWNSHIP, 0, 30, "fixed_day_range"),
        (TOWNSHIP_DECLARER, TOWNSHIP, 32, 30, "fixed_day_range"),
        (COUNTY_REVIEWER, VILLAGE, 10, 14, "activity_day_by_township"),
        (COUNTY_REVIEWER, TOWNSHIP, 10, 0, "late_after_days_range"),
        (COUNTY_REVIEWER, TOWNSHIP, 10, 367, "late_after_days_range"),
    ],
)
def test_the_fixed_day_is_set_by_a_township_within_range(
    village, actor, unit, fixed_day, late_after_days, rule
):
    with pytest.raises(ActivityRecordInvalidError) as refused:
        village.execute(
            SetActivityDay(unit_id=unit, fixed_day=fixed_day, late_after_days=late_after_days),
            actor,
            at=utc(2022, 1, 5),
        )
    assert [f.rule for f in refused.value.failures] == [rule]


TOWNSHIP_REVIEWER = Actor("tok-peng-reviewer", Role.REVIEWER, TOWNSHIP)
TOWNSHIP_ADMIN = Actor("tok-peng-admin", Role.ADMIN, TOWNSHIP)


def settings_of(app) -> tuple[int | None, int, int | None]:
    roll = app.load.member_roll(TOWNSHIP)
    return (roll.fixed_day, roll.late_after_days, roll.version) if roll else (None, 30, None)


def test_the_township_sets_its_day_but_not_the_threshold_that_checks_it(village):
    """The review's case: 彭镇's declarer fixes its day, but cannot raise the late threshold
    (杜绝突击造假) to 366 for itself and its villages, alone or with the day; nothing is
    written, and a session backfilled long after is still flagged."""
    app = village
    day_set = app.execute(
        SetActivityDay(unit_id=TOWNSHIP, fixed_day=10, reason="全镇统一活动日"),
        TOWNSHIP_DECLARER,
        at=utc(2022, 1, 5),
    )
    assert (day_set["fixed_day"], day_set["late_after_days"], day_set["changed"]) == (10, 30, True)
    before = settings_of(app)
    for fixed_day in (10, 12):  # the threshold alone, and with a new day: the stricter check
        with pytest.raises(LateThresholdNotAllowedError) as refused:
            app.execute(
                SetActivityDay(unit_id=TOWNSHIP, fixed_day=fixed_day, late_after_days=366),
                TOWNSHIP_DECLARER,
                at=utc(2022, 1, 6),
            )
        (failure,) = refused.value.failures
        assert (failure.rule, failure.field, failure.expected, failure.actual) == (
            "late_threshold_set_from_above",
            "late_after_days",
            30,
            366,
        )
        assert "县级及以上" in failure.message_zh and "杜绝突击造假" in failure.message_zh
        assert "county or higher" in failure.message_en
        assert refused.value.code == "late-threshold-not-allowed"
        assert settings_of(app) == before
    # The same threshold sent again is no change: the declarer may send it with its day.
    kept = app.execute(
        SetActivityDay(unit_id=TOWNSHIP, fixed_day=15, late_after_days=30),
        TOWNSHIP_DECLARER,
        at=utc(2022, 1, 7),
    )
    assert (kept["fixed_day"], kept["late_after_days"]) == (15, 30)
    backfilled = app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-15")),
        TOWNSHIP_DECLARER,
        at=utc(2022, 9, 1),
    )
    assert warnings_of(backfilled) == ["recorded_late"]


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (COUNTY_REVIEWER, True),  # the township's county: strictly above it
        (CITY_REVIEWER, True),
        (COUNTY_ADMIN, True),
        (ADMIN, True),  # of the root
        (TOWNSHIP_REVIEWER, False),  # the township's own reviewer: not above it
        (TOWNSHIP_ADMIN, False),
        (TOWNSHIP_DECLARER, False),
        (COUNTY_DECLARER, False),  # above, but the declarer's role
        (COUNTY_INSPECTOR, False),
        (COUNTY_AUDITOR, False),
    ],
    ids=lambda v: v.token_id if isinstance(v, Actor) else str(v),
)
def test_the_late_threshold_is_changed_only_from_above_the_township(village, actor, allowed):
    command = SetActivityDay(unit_id=TOWNSHIP, fixed_day=10, late_after_days=14)
    if allowed:
        result = village.execute(command, actor, at=utc(2022, 1, 5))
        assert (result["fixed_day"], result["late_after_days"]) == (10, 14)
        assert settings_of(village)[:2] == (10, 14)
        return
    with pytest.raises(LateThresholdNotAllowedError) as refused:
        village.execute(command, actor, at=utc(2022, 1, 5))
    assert [(f.rule, f.field) for f in refused.value.failures] == [
        ("late_threshold_set_from_above", "late_after_days")
    ]
    assert settings_of(village) == (None, 30, None)


def test_outside_the_jurisdiction_the_threshold_is_refused_as_any_change():
    world = World.in_memory()
    with pytest.raises(OutsideJurisdictionError):
        world.app.execute(SetActivityDay(unit_id=TOWNSHIP, late_after_days=14), OTHER_COUNTY_REVIEWER)


def test_the_fixed_day_alone_is_the_townships_declarers_or_set_from_above(village):
    village.execute(SetActivityDay(unit_id=TOWNSHIP, fixed_day=8), COUNTY_REVIEWER)
    assert settings_of(village)[:2] == (8, 30)
    with pytest.raises(RoleNotAllowedError):  # the township's reviewer: as before, not its role
        village.execute(SetActivityDay(unit_id=TOWNSHIP, fixed_day=9), TOWNSHIP_REVIEWER)
    assert settings_of(village)[:2] == (8, 30)


@pytest.mark.parametrize(("recorded_on", "late"), [(utc(2022, 4, 9), False), (utc(2022, 4, 10), True)])
def test_a_session_recorded_more_than_30_days_after_its_date_is_flagged_not_refused(
    village, recorded_on, late
):
    recorded = village.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-10")), TOWNSHIP_DECLARER, at=recorded_on
    )
    assert recorded["outcome"] == "recorded" and ("recorded_late" in warnings_of(recorded)) is late
    result = village.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1))
    flags = [f for f in result.flags if f.rule == "recorded_late"]
    assert bool(flags) is late
    if flags:
        assert (
            flags[0].expected == 30 and flags[0].actual == 31 and flags[0].field == "session.2022-03-10"
        )
    kept = village.queries.activity_register(VILLAGE, 2022).sessions["2022-03-10"]
    assert kept.recorded_on == recorded_on.date()


@pytest.mark.parametrize(("days_after", "late"), [(10, False), (11, True)])
def test_the_late_threshold_is_the_townships_setting(village, days_after, late):
    village.execute(
        SetActivityDay(unit_id=TOWNSHIP, late_after_days=10), COUNTY_REVIEWER, at=utc(2022, 1, 5)
    )
    recorded = village.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-10")),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 10 + days_after),
    )
    assert ("recorded_late" in warnings_of(recorded)) is late


def test_a_correction_long_after_is_flagged_and_stays_flagged_and_a_resend_changes_nothing(village):
    app = village
    app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-10", attendees=["m1"])),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 11),
    )
    fixed = day_of("2022-03-10")
    corrected = app.execute(
        RecordActivity(unit_id=VILLAGE, session=fixed, reason="检查前补签"),
        TOWNSHIP_DECLARER,
        at=utc(2022, 6, 1),
    )
    assert corrected["outcome"] == "corrected" and warnings_of(corrected) == ["recorded_late"]
    again = app.execute(
        RecordActivity(unit_id=VILLAGE, session=fixed), TOWNSHIP_DECLARER, at=utc(2022, 6, 2)
    )
    assert again["outcome"] == "unchanged" and again["warnings"] == []
    kept = app.queries.activity_register(VILLAGE, 2022).sessions["2022-03-10"]
    assert (kept.recorded_on, kept.corrected_on, kept.late_after) == (
        date(2022, 3, 11),
        date(2022, 6, 1),
        30,
    )
    flag = app.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1)).flags[0]
    assert "2022-06-01 更正" in flag.message_zh


def test_non_members_attend_a_recorded_session_and_all_member_sessions_warn_of_members_left_out(village):
    recorded = village.execute(
        RecordActivity(
            unit_id=VILLAGE, session=day_of("2022-03-10", expected=["m1"], attendees=["m1", "r1"])
        ),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 11),
    )
    assert warnings_of(recorded) == ["expected_every_member"] and recorded["warnings"][0]["actual"] == [
        "m2"
    ]
    result = village.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1))
    assert result.stats["participant_sessions"] == {"r1": 1}
    assert result.stats["attendance_percent"]["all_member"] == 100.0


def test_a_make_up_names_an_earlier_session_of_the_register(village):
    app = village
    app.execute(
        RecordActivity(unit_id=VILLAGE, session=day_of("2022-03-10", attendees=["m1"])),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 11),
    )
    bad = {
        "session_id": "bk",
        "date": "2022-03-20",
        "kind": "makeup",
        "hours": 2,
        "topic": "party_building",
        "attendees": ["m2"],
        "five_haves": ALL_HAVES,
    }
    for makeup_for, on, rule in [
        ("nope", "2022-03-20", "makeup_for_known"),
        ("2022-03-10", "2022-03-09", "makeup_after_session"),
    ]:
        with pytest.raises(ActivityRecordInvalidError) as refused:
            app.execute(
                RecordActivity(unit_id=VILLAGE, session=dict(bad, makeup_for=makeup_for, date=on)),
                TOWNSHIP_DECLARER,
                at=utc(2022, 3, 21),
            )
        assert [f.rule for f in refused.value.failures] == [rule]
    app.execute(
        RecordActivity(unit_id=VILLAGE, session=dict(bad, makeup_for="2022-03-10")),
        TOWNSHIP_DECLARER,
        at=utc(2022, 3, 21),
    )
    result = app.queries.compliance_of(VILLAGE, 2022, through=date(2022, 4, 1))
    assert "member_required_sessions" not in rules(result)


def test_sessions_and_members_stored_before_these_fields_existed_still_load():
    """A stored Session / Member (and a MemberRoll snapshot) from before item 6 lacks the new
    fields: they load with their defaults (not expected to be late, no exemptions, no day)."""
    transcoder = JSONTranscoder()
    for transcoding in all_transcodings():
        transcoder.register(transcoding)
    old_session = session(3, ["m1"], ["m1"])
    stored = json.loads(transcoder.encode(old_session))
    for new in ("mandatory", "off_day_reason", "recorded_on", "corrected_on", "late_after", "off_day"):
        stored["_data_"].pop(new)
    loaded = transcoder.decode(json.dumps(stored).encode())
    assert loaded == old_session and loaded.recorded_on is None and not loaded.mandatory
    stored_member = json.loads(transcoder.encode(ZHANG))
    stored_member["_data_"].pop("exemptions")
    assert transcoder.decode(json.dumps(stored_member).encode()) == ZHANG
    exempt = Member(
        "m2", "李四", "member", exemptions=(Exemption(date(2022, 1, 1), date(2022, 2, 1), "病"),)
    )
    assert transcoder.decode(transcoder.encode(exempt)) == exempt  # stored as lists, read back
    roll = MemberRoll.open("vil-1", utc(2022, 1, 1))
    del roll.__dict__["fixed_day"], roll.__dict__["late_after_days"]  # a snapshot from before
    assert (roll.fixed_day, roll.late_after_days) == (None, 30)
