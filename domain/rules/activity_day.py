"""Seed 004 compliance of one unit in one year, every shortfall named:

- one all-member activity day a month, at least half a day (HALF_DAY_HOURS);
- every member (party or probationary) at ≥ 8 sessions a year (make-ups count); in a year
  still running, the share of 8 for the complete months so far (rounded down);
- attendance ≥ 85 % at all-member sessions and ≥ 75 % at group sessions (attended / expected
  over the year, compared exactly in integers);
- each session with all "five haves": notice, sign-in, playback log, discussion record, feedback.

Only complete months are judged: a check on 15 October looks at January-September.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from domain.activity import Member, Session
from domain.errors import RuleFailure
from domain.vocabulary import FiveHave, SessionKind

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


def _member_failures(
    sessions: list[Session], members: Mapping[str, Member], required: int
) -> tuple[list[RuleFailure], dict[str, int]]:
    counts = {m: sum(1 for s in sessions if m in s.attendees) for m in members}
    failures = [
        RuleFailure(
            "member_sessions_per_year",
            f"{members[m].name} ({m}) attended {n} sessions; {required} required",
            f"党员{members[m].name}（{m}）参加 {n} 次，应不少于 {required} 次",
            f"member.{m}",
            required,
            n,
        )
        for m, n in sorted(counts.items())
        if n < required
    ]
    return failures, counts


def _attendance_failures(sessions: list[Session]) -> tuple[list[RuleFailure], dict[str, float | None]]:
    failures: list[RuleFailure] = []
    rates: dict[str, float | None] = {}
    for kind, percent in ATTENDANCE_PERCENT.items():
        of_kind = [s for s in sessions if s.kind == kind]
        expected = sum(len(s.expected) for s in of_kind)
        attended = sum(len(set(s.attendees) & set(s.expected)) for s in of_kind)
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


def compliance(
    unit_id: str, year: int, members: Mapping[str, Member], sessions: Iterable[Session], through: date
) -> Compliance:
    months = months_checked(year, through)
    in_scope = [s for s in sessions if s.on.year == year and s.on.month in months]
    required = (
        MIN_SESSIONS_PER_MEMBER if len(months) == 12 else MIN_SESSIONS_PER_MEMBER * len(months) // 12
    )
    monthly, longest = _monthly_failures(in_scope, months)
    per_member, counts = _member_failures(in_scope, members, required)
    attendance, rates = _attendance_failures(in_scope)
    shortfalls = [*monthly, *per_member, *attendance, *_five_haves_failures(in_scope)]
    stats = {
        "sessions": len(in_scope),
        "required_sessions_per_member": required,
        "member_sessions": counts,
        "attendance_percent": rates,
        "longest_activity_day_hours": longest,
    }
    return Compliance(unit_id, year, through, months, tuple(shortfalls), stats)


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
