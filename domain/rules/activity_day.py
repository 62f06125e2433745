"""Seed 004 compliance of one unit in one year, every shortfall named:

- one all-member activity day a month, at least half a day (HALF_DAY_HOURS);
- every member (party or probationary) at ≥ 8 sessions a year (make-ups count); in a year
  still running, the share of 8 for the complete months so far (rounded down);
- attendance ≥ 85 % at all-member sessions and ≥ 75 % at group sessions (attended / expected
  over the year, compared exactly in integers);
- each session with all "five haves": notice, sign-in, playback log, discussion record, feedback;
- every member attends every all-member session and every mandatory one (必学必看 / 规定动作),
  or a make-up of it (全体党员集中学习活动和上级规定的必学必看活动必须参加 … 事后应及时补课):
  the shortfall names the member and the sessions missed;
- the leaders (领导班子成员要带头参加) attend those sessions themselves: a make-up does not
  stand in for a leader's absence.

Who is expected: the party and probationary members a session lists, less those exempt on its
date (按规定可暂不参加组织生活). Non-members on the roll (流动党员, 入党积极分子, 群众 …) may
attend and are counted apart (``participant_sessions``), never in the members' rates. An exempt
member's yearly minimum is prorated over the checked months without an exemption.

Flags, not shortfalls (``Compliance.flags``): a session recorded or corrected long after its
date (杜绝突击造假), an all-member session off the township's fixed activity day without a
reason. The township sets its fixed day; the late threshold checks the township itself, so it
is changed only by a reviewer or an admin above it (``sets_late_threshold``).

Only complete months are judged: a check on 15 October looks at January-September.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.activity import Member, Session
from domain.actors import Actor
from domain.errors import RuleFailure
from domain.units import Unit
from domain.vocabulary import FiveHave, Role, SessionKind

HALF_DAY_HOURS = 4.0
MIN_SESSIONS_PER_MEMBER = 8
ATTENDANCE_PERCENT = {SessionKind.ALL_MEMBER: 85, SessionKind.GROUP: 75}


@dataclass(frozen=True)
class Compliance:
    unit_id: str
    year: int
    through: date
    months_checked: tuple[int, ...]
    shortfalls: tuple[RuleFailure, ...]
    stats: dict[str, Any] = field(default_factory=dict)
    flags: tuple[RuleFailure, ...] = ()  # shown for a reviewer to look at, never refusing

    @property
    def compliant(self) -> bool:
        return not self.shortfalls


def months_checked(year: int, through: date) -> tuple[int, ...]:
    if through.year > year:
        return tuple(range(1, 13))
    if through.year < year:
        return ()
    return tuple(range(1, through.month))


def _monthly_failures(
    sessions: list[Session], months: Iterable[int]
) -> tuple[list[RuleFailure], dict[int, float]]:
    failures, longest = [], {}
    for month in months:
        days = [s for s in sessions if s.kind == SessionKind.ALL_MEMBER and s.on.month == month]
        longest[month] = max((s.hours for s in days), default=0.0)
        if not days:
            failures.append(
                RuleFailure(
                    "monthly_activity_day",
                    f"no all-member activity day in month {month}",
                    f"{month} 月未开展全体党员集中学习活动日",
                    f"month.{month}",
                    1,
                    0,
                )
            )
        elif longest[month] < HALF_DAY_HOURS:
            failures.append(
                RuleFailure(
                    "activity_day_half_day",
                    f"month {month}: the activity day lasted {longest[month]} h, less than half a day",
                    f"{month} 月活动日不足半天（{longest[month]} 小时）",
                    f"month.{month}",
                    HALF_DAY_HOURS,
                    longest[month],
                )
            )
    return failures, longest


def expected_at(session: Session, members: Mapping[str, Member]) -> set[str]:
    """Who a session expects: the ids it lists, less the non-members and those exempt on its
    date (an id the roll does not know is counted: the register refuses such ids)."""
    return {
        m
        for m in session.expected
        if m not in members or (members[m].party_member and not members[m].exempt_on(session.on))
    }


def required_for(member: Member, year: int, months: tuple[int, ...]) -> int:
    """The member's yearly minimum over the checked months in which no day is exempt."""
    free = [
        month
        for month in months
        if not any(
            e.overlaps(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
            for e in member.exemptions
        )
    ]
    return MIN_SESSIONS_PER_MEMBER if len(free) == 12 else MIN_SESSIONS_PER_MEMBER * len(free) // 12


def _member_failures(
    sessions: list[Session], members: Mapping[str, Member], year: int, months: tuple[int, ...]
) -> tuple[list[RuleFailure], dict[str, int], dict[str, int]]:
    party = {m: member for m, member in members.items() if member.party_member}
    present = [set(s.attendees) for s in sessions]
    counts = {m: sum(1 for p in present if m in p) for m in party}
    required = {m: required_for(member, year, months) for m, member in party.items()}
    failures = [
        RuleFailure(
            "member_sessions_per_year",
            f"{party[m].name} ({m}) attended {n} sessions; {required[m]} required",
            f"党员{party[m].name}（{m}）参加 {n} 次，应不少于 {required[m]} 次",
            f"member.{m}",
            required[m],
            n,
        )
        for m, n in sorted(counts.items())
        if n < required[m]
    ]
    return failures, counts, required


def _dated(sessions: list[Session], shown: int = 20) -> str:
    """The sessions by id and date, the first ``shown`` of them (all are in ``actual``)."""
    text = ", ".join(f"{s.session_id} ({s.on.isoformat()})" for s in sessions[:shown])
    return text + (f", … (+{len(sessions) - shown})" if len(sessions) > shown else "")


def _required_attendance_failures(
    sessions: list[Session], members: Mapping[str, Member]
) -> list[RuleFailure]:
    """Each member at every all-member and mandatory session or a make-up of it; each leader
    at every one of them in person."""
    required = sorted(
        (s for s in sessions if s.required_of_every_member), key=lambda s: (s.on, s.session_id)
    )
    made_up = {
        (s.makeup_for, m)
        for s in sessions
        if s.kind == SessionKind.MAKEUP and s.makeup_for
        for m in s.attendees
    }
    expected = [(s, expected_at(s, members), set(s.attendees)) for s in required]
    failures: list[RuleFailure] = []
    leaders: list[RuleFailure] = []
    for m, member in sorted(members.items()):
        if not member.party_member:
            continue
        absent = [s for s, e, present in expected if m in e and m not in present]
        missed = [s for s in absent if (s.session_id, m) not in made_up]
        if missed:
            failures.append(
                RuleFailure(
                    "member_required_sessions",
                    f"{member.name} ({m}) missed {len(missed)} all-member or mandatory sessions "
                    f"without a make-up: {_dated(missed)}",
                    f"党员{member.name}（{m}）缺席全体党员集中学习或必学必看活动 {len(missed)} 次"
                    f"且未补课：{_dated(missed)}",
                    f"member.{m}",
                    [],
                    [s.session_id for s in missed],
                )
            )
        if member.leader and absent:
            leaders.append(
                RuleFailure(
                    "leader_attends_first",
                    f"leader {member.name} ({m}) was absent from {len(absent)} all-member or "
                    f"mandatory sessions (leaders attend first, a make-up does not stand in): "
                    f"{_dated(absent)}",
                    f"领导班子成员{member.name}（{m}）缺席全体党员集中学习或必学必看活动 "
                    f"{len(absent)} 次（班子成员要带头参加，补课不能代替）：{_dated(absent)}",
                    f"member.{m}",
                    [],
                    [s.session_id for s in absent],
                )
            )
    return [*failures, *leaders]


def _attendance_failures(
    sessions: list[Session], members: Mapping[str, Member]
) -> tuple[list[RuleFailure], dict[str, float | None]]:
    failures: list[RuleFailure] = []
    rates: dict[str, float | None] = {}
    for kind, percent in ATTENDANCE_PERCENT.items():
        of_kind = [(s, expected_at(s, members)) for s in sessions if s.kind == kind]
        expected = sum(len(e) for _, e in of_kind)
        attended = sum(len(set(s.attendees) & e) for s, e in of_kind)
        rate = rates[str(kind)] = round(100 * attended / expected, 2) if expected else None
        if expected and attended * 100 < percent * expected:
            failures.append(
                RuleFailure(
                    f"{kind}_attendance",
                    f"{kind.replace('_', '-')} attendance {rate} % is below {percent} %",
                    f"{kind.zh}出勤率 {rate}% 低于 {percent}%",
                    f"attendance.{kind}",
                    percent,
                    rate,
                )
            )
    return failures, rates


def _five_haves_failures(sessions: list[Session]) -> list[RuleFailure]:
    failures = []
    for s in sorted(sessions, key=lambda s: (s.on, s.session_id)):
        missing = [h for h in FiveHave if not s.five_haves.get(h)]
        if missing and s.kind != SessionKind.MAKEUP:
            zh = "、".join(h.zh for h in missing)
            failures.append(
                RuleFailure(
                    "five_haves",
                    f"session {s.session_id} on {s.on.isoformat()} lacks: {', '.join(missing)}",
                    f"{s.on.isoformat()} 活动缺少：{zh}",
                    f"session.{s.session_id}",
                    FiveHave.codes(),
                    [str(h) for h in missing],
                )
            )
    return failures


def session_flags(sessions: Iterable[Session]) -> list[RuleFailure]:
    """What the register noted when each session was recorded: late (杜绝突击造假) or off the
    township's fixed activity day without a reason. For a reviewer to look at; never refusing."""
    flags = []
    for s in sorted(sessions, key=lambda s: (s.on, s.session_id)):
        if s.late_after is not None:
            last = s.corrected_on or s.recorded_on
            days = (last - s.on).days if last else None
            when = f"recorded on {s.recorded_on}" + (
                f", corrected on {s.corrected_on}" if s.corrected_on else ""
            )
            when_zh = f"{s.recorded_on} 登记" + (f"、{s.corrected_on} 更正" if s.corrected_on else "")
            flags.append(
                RuleFailure(
                    "recorded_late",
                    f"session {s.session_id} of {s.on.isoformat()} was {when}: more than "
                    f"{s.late_after} days after it took place",
                    f"{s.on.isoformat()} 的活动（{s.session_id}）于{when_zh}，"
                    f"晚于活动日期 {s.late_after} 天以上，请核实是否补记",
                    f"session.{s.session_id}",
                    s.late_after,
                    days,
                )
            )
        if s.off_day is not None:
            flags.append(
                RuleFailure(
                    "off_fixed_day",
                    f"session {s.session_id} on {s.on.isoformat()} is off the township's fixed "
                    f"activity day (day {s.off_day}) and gives no reason",
                    f"{s.on.isoformat()} 的活动（{s.session_id}）不在全镇统一活动日（每月 "
                    f"{s.off_day} 日），且未说明原因",
                    f"session.{s.session_id}",
                    s.off_day,
                    s.on.day,
                )
            )
    return flags


def sets_late_threshold(actor: Actor, township: Unit) -> bool:
    """Who may change a township's late-recording threshold (杜绝突击造假): the township and its
    villages are what the flag checks, so not they but a reviewer or an admin of a unit strictly
    above the township (its county or higher), an admin without a unit, or the system."""
    if actor.role == Role.SYSTEM or (actor.role == Role.ADMIN and actor.unit_id is None):
        return True
    return (
        actor.role in (Role.REVIEWER, Role.ADMIN)
        and actor.unit_id is not None
        and actor.unit_id != township.code
        and township.is_within(actor.unit_id)
    )


def late_threshold_failures(
    actor: Actor, township: Unit, current: int, wanted: int
) -> list[RuleFailure]:
    """A change of the threshold by anyone ``sets_late_threshold`` does not name; keeping it as
    it is (the same number sent again) is no change and needs no one."""
    if wanted == current or sets_late_threshold(actor, township):
        return []
    name = township.name_zh or township.code
    return [
        RuleFailure(
            "late_threshold_set_from_above",
            f"the late-recording threshold of {township.code} (against backfilling before a check) "
            f"is changed only by a reviewer or an admin of a unit above the township (its county "
            f"or higher), not by a {actor.role} of {actor.unit_id or 'no unit'}; the township "
            f"still sets its fixed day",
            f"「{name}」的补录期限（杜绝突击造假）只能由乡镇以上单位（县级及以上）的初审人或管理员"
            f"修改，{actor.role.zh}（{actor.unit_id or '无单位'}）无权修改；统一活动日仍由乡镇设定",
            "late_after_days",
            current,
            wanted,
        )
    ]


def compliance(
    unit_id: str, year: int, members: Mapping[str, Member], sessions: Iterable[Session], through: date
) -> Compliance:
    months = months_checked(year, through)
    in_scope = [s for s in sessions if s.on.year == year and s.on.month in months]
    required = (
        MIN_SESSIONS_PER_MEMBER if len(months) == 12 else MIN_SESSIONS_PER_MEMBER * len(months) // 12
    )
    monthly, longest = _monthly_failures(in_scope, months)
    per_member, counts, required_of = _member_failures(in_scope, members, year, months)
    attendance, rates = _attendance_failures(in_scope, members)
    shortfalls = [
        *monthly,
        *per_member,
        *_required_attendance_failures(in_scope, members),
        *attendance,
        *_five_haves_failures(in_scope),
    ]
    first, last = date(year, 1, 1), date(year, 12, 31)
    attended = [set(s.attendees) for s in in_scope]
    stats = {
        "sessions": len(in_scope),
        "required_sessions_per_member": required,
        "member_sessions": counts,
        "participant_sessions": {
            m: sum(1 for present in attended if m in present)
            for m, member in sorted(members.items())
            if not member.party_member
        },
        "exempt_members": {
            m: [[e.start.isoformat(), e.end.isoformat(), e.reason] for e in member.exemptions]
            for m, member in sorted(members.items())
            if any(e.overlaps(first, last) for e in member.exemptions)
        },
        "required_sessions_by_member": {m: n for m, n in required_of.items() if n != required},
        "attendance_percent": rates,
        "longest_activity_day_hours": longest,
    }
    flags = session_flags(in_scope)
    return Compliance(unit_id, year, through, months, tuple(shortfalls), stats, tuple(flags))


def eligibility_failures(
    collective: bool, person_id: str | None, roll: Mapping[str, Member], result: Compliance | None
) -> list[RuleFailure]:
    """A collective whose organisation fell short cannot be recommended; nor can an
    individual who leads such an organisation. No register for the year: not assessed."""
    if result is None or result.compliant:
        return []
    if collective:
        rule, en, zh = "activity_day_collective", "the organisation", "该基层党组织"
    elif person_id and person_id in roll and roll[person_id].leader:
        rule, en, zh = (
            "activity_day_leader",
            f"{roll[person_id].name} leads an organisation that",
            f"{roll[person_id].name}所在党组织",
        )
    else:
        return []
    summary = RuleFailure(
        rule,
        f"{en} fell short of the activity-day rules in {result.year} "
        f"({len(result.shortfalls)} shortfalls): cannot be recommended",
        f"{zh}{result.year} 年未达到远程教育活动日要求（{len(result.shortfalls)} 项），不得推荐",
        "nominee",
        None,
        [f.rule for f in result.shortfalls],
    )
    return [summary, *result.shortfalls]
