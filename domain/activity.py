"""Seed 004: the monthly distance-education activity day (远程教育活动日).

A unit's members (party members and probationary members, leaders marked) are kept on its
``MemberRoll``, with the non-members who take part (流动党员, 入党积极分子, 群众 …: recorded,
never expected) and each member's exemptions (按规定可暂不参加组织生活: a period and a
reason). A township's roll also keeps its fixed activity day (以镇为单位尽可能实行统一的活动日,
set by the township) and after how many days a session counts as recorded late (杜绝突击造假,
default 30; changed only from above the township, by its county or higher).

Each year's sessions are on an ``ActivityRegister`` (per unit and year). A session records
its date, kind (all-member, group or make-up), whether it is a mandatory one (必学必看 /
规定动作), duration, topic among the "five studies", the members expected, the sign-in list
and the "five haves"; the register adds when it was recorded and the flags it earned then
(recorded late, off the township's fixed day without a reason). A wrong record is corrected
by a new event; the history keeps both."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import AuthorizationError, RuleFailure, RuleViolationError
from domain.ids import LAUREL_NAMESPACE
from domain.vocabulary import (
    PARTY_MEMBER_STATUSES,
    FiveHave,
    MemberStatus,
    SessionKind,
    StudyTopic,
    Term,
)

FIVE_HAVES = tuple(FiveHave)
LATE_AFTER_DAYS = 30  # a session recorded more days than this after its date is flagged
MAX_LATE_AFTER_DAYS = 366
MAX_EXEMPTIONS = 50  # per member
MAX_REASON_CHARS = 2000


class ActivityRecordInvalidError(RuleViolationError):
    code = "activity-record-invalid"


class LateThresholdNotAllowedError(AuthorizationError):
    """403: the late-recording threshold (杜绝突击造假) changed by someone other than a reviewer
    or an admin of a unit above the township it checks; ``failures`` names the field and rule."""

    code = "late-threshold-not-allowed"

    def __init__(self, failures: Sequence[RuleFailure], **details: Any) -> None:
        self.failures = tuple(failures)
        super().__init__(
            "; ".join(f.message_en for f in self.failures),
            "；".join(f.message_zh for f in self.failures),
            **details,
        )


def roll_uuid(unit_id: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"members:{unit_id}")


def register_uuid(unit_id: str, year: int) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"activity:{unit_id}:{year}")


def _term_of(cls: type[Term], code: str) -> Term | str:
    """The term ``code`` names, or ``code`` itself for the rules to refuse by name."""
    return cls.parse(code) or code


class Exemption(NamedTuple):
    """A member who 按规定可暂不参加组织生活 from ``start`` to ``end`` (both inclusive)."""

    start: date
    end: date
    reason: str

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end

    def overlaps(self, first: date, last: date) -> bool:
        return self.start <= last and first <= self.end


def _exemption(value: Any) -> Exemption:
    """An exemption as built, or as stored (JSON keeps a list of [start, end, reason])."""
    return value if isinstance(value, Exemption) else Exemption(*value)


@dataclass(frozen=True)
class Member:
    """One person on a unit's roll. ``exemptions`` are kept by ``MemberRoll.exempt`` (events
    stored before they existed load with none)."""

    member_id: str
    name: str
    status: MemberStatus | str  # a code that names no status stays as given, for the rule to refuse
    leader: bool = False
    exemptions: tuple[Exemption, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", _term_of(MemberStatus, self.status))
        object.__setattr__(self, "exemptions", tuple(_exemption(e) for e in self.exemptions))

    @property
    def party_member(self) -> bool:
        """A party or probationary member: expected at sessions and counted in attendance."""
        return self.status in PARTY_MEMBER_STATUSES

    def exempt_on(self, day: date) -> bool:
        return any(e.covers(day) for e in self.exemptions)


@dataclass(frozen=True)
class Session:
    """A session as recorded; a kind or topic that names no term is kept as given (and
    refused by ``session_failures``)."""

    session_id: str
    on: date
    kind: SessionKind | str
    hours: float
    topic: StudyTopic | str
    expected: tuple[str, ...]
    attendees: tuple[str, ...]
    five_haves: dict[str, bool]  # each of the five haves (FiveHave codes) -> kept or not
    makeup_for: str | None = None
    # 必学必看 / 规定动作: every member attends (or makes it up), whatever the kind.
    mandatory: bool = False
    # Why an all-member session is not on the township's fixed activity day (no warning then).
    off_day_reason: str = ""
    # Set by the register, never by the sender (sessions stored before they existed: None):
    recorded_on: date | None = None  # the day it was first recorded (UTC)
    corrected_on: date | None = None  # the day of its latest correction
    late_after: int | None = None  # recorded or corrected more than this many days after its date
    off_day: int | None = None  # the township's fixed day it is off, without a reason

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _term_of(SessionKind, self.kind))
        object.__setattr__(self, "topic", _term_of(StudyTopic, self.topic))

    @property
    def content(self) -> Session:
        """The session as its sender described it, without what the register added."""
        return replace(self, recorded_on=None, corrected_on=None, late_after=None, off_day=None)

    @property
    def required_of_every_member(self) -> bool:
        """An all-member or mandatory session: 必须参加 (or a make-up of it)."""
        return self.kind != SessionKind.MAKEUP and (
            self.kind == SessionKind.ALL_MEMBER or self.mandatory
        )


def fixed_day_in(month_of: date, fixed_day: int) -> date:
    """The township's fixed day in ``month_of``'s month (the 31st in April: the 30th)."""
    last = calendar.monthrange(month_of.year, month_of.month)[1]
    return month_of.replace(day=min(fixed_day, last))


def stamped(
    session: Session,
    existing: Session | None,
    today: date,
    *,
    fixed_day: int | None,
    late_after_days: int,
) -> Session:
    """The session as the register keeps it: when it was recorded (and corrected), whether
    that was more than ``late_after_days`` after its date (杜绝突击造假: once late, a session
    stays flagged), and whether an all-member session is off the township's fixed day without
    a reason (以镇为单位尽可能实行统一的活动日; mandatory sessions are added when the
    higher level says, so they are never off the day)."""
    late = (today - session.on).days > late_after_days
    off_day = (
        fixed_day
        if fixed_day is not None
        and session.kind == SessionKind.ALL_MEMBER
        and not session.mandatory
        and session.on != fixed_day_in(session.on, fixed_day)
        and not session.off_day_reason.strip()
        else None
    )
    if existing is None:
        return replace(
            session,
            recorded_on=today,
            late_after=late_after_days if late else None,
            off_day=off_day,
        )
    return replace(
        session,
        recorded_on=existing.recorded_on,
        corrected_on=today,
        late_after=late_after_days if late else existing.late_after,
        off_day=off_day,
    )


def session_failures(session: Session, year: int, members: dict[str, Member]) -> list[RuleFailure]:
    """Every reason a session record is malformed (not a compliance shortfall)."""
    failures: list[RuleFailure] = []

    def fail(rule: str, en: str, zh: str, field: str, expected: Any = None, actual: Any = None) -> None:
        failures.append(RuleFailure(rule, en, zh, field, expected, actual))

    if not session.session_id.strip():
        fail("session_id_required", "a session needs an id", "须填写活动编号", "session_id")
    if session.on.year != year:
        fail(
            "session_in_year",
            f"the session date must fall in {year}",
            f"活动日期须在 {year} 年内",
            "date",
            year,
            session.on.isoformat(),
        )
    if SessionKind.parse(session.kind) is None:
        fail(
            "session_kind_known",
            "kind must be all_member, group or makeup",
            "活动类型须为 all_member、group 或 makeup",
            "kind",
            SessionKind.codes(),
            session.kind,
        )
    if not 0 < session.hours <= 24:
        fail(
            "session_hours_range",
            "hours must be more than 0 and at most 24",
            "活动时长须在 0-24 小时之间",
            "hours",
            "0-24",
            session.hours,
        )
    if StudyTopic.parse(session.topic) is None:
        fail(
            "session_topic_known",
            "topic must be one of the five studies",
            "学习主题须为“五学习”之一",
            "topic",
            StudyTopic.codes(),
            session.topic,
        )
    unknown = sorted(set(session.expected + session.attendees) - set(members))
    if unknown:
        fail(
            "members_registered",
            f"unknown member ids {unknown[:10]}",
            f"未登记的党员编号 {unknown[:10]}",
            "attendees",
            None,
            unknown[:10],
        )
    if session.kind != SessionKind.MAKEUP and not session.expected:
        fail("expected_members_required", "list the members expected", "须列出应参加的党员", "expected")
    missing_haves = sorted(set(FiveHave.codes()) - set(session.five_haves))
    if missing_haves:
        fail(
            "five_haves_recorded",
            f"record each of the five haves as true/false: {missing_haves}",
            f"“五个有”须逐项填写：{missing_haves}",
            "five_haves",
            FiveHave.codes(),
            missing_haves,
        )
    if session.kind == SessionKind.MAKEUP and not session.makeup_for:
        fail(
            "makeup_for_required",
            "a make-up names the session it makes up for",
            "补课须注明所补的活动",
            "makeup_for",
        )
    if session.kind == SessionKind.MAKEUP and session.mandatory:
        fail(
            "makeup_not_mandatory",
            "a make-up is not itself a mandatory session: mark the session it makes up for",
            "补课本身不是必学必看活动，请在所补的活动上标注",
            "mandatory",
        )
    if len(session.off_day_reason) > MAX_REASON_CHARS:
        fail(
            "off_day_reason_length",
            f"the reason is at most {MAX_REASON_CHARS} characters",
            f"理由不超过 {MAX_REASON_CHARS} 字",
            "off_day_reason",
            MAX_REASON_CHARS,
            len(session.off_day_reason),
        )
    return failures


def makeup_failures(session: Session, sessions: dict[str, Session]) -> list[RuleFailure]:
    """A make-up must name a session of the same register held before it (因特殊原因请假的
    党员，事后应及时补课)."""
    if session.kind != SessionKind.MAKEUP or not session.makeup_for:
        return []
    original = sessions.get(session.makeup_for)
    if original is None or original.kind == SessionKind.MAKEUP:
        return [
            RuleFailure(
                "makeup_for_known",
                f"no session {session.makeup_for!r} in this year's register to make up for",
                f"本年度活动登记中没有所补的活动「{session.makeup_for}」",
                "makeup_for",
                None,
                session.makeup_for,
            )
        ]
    if session.on < original.on:
        return [
            RuleFailure(
                "makeup_after_session",
                f"a make-up comes after the session it makes up for ({original.on.isoformat()})",
                f"补课须在所补的活动（{original.on.isoformat()}）之后",
                "date",
                original.on.isoformat(),
                session.on.isoformat(),
            )
        ]
    return []


class MemberRoll(Aggregate):
    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Opened(Event, Aggregate.Created):
        unit_id: str

    class MemberRegistered(Event):
        member: Member
        actor: Actor

        def apply(self, aggregate: MemberRoll) -> None:
            aggregate.members[self.member.member_id] = self.member

    class MemberExempted(Event):
        """按规定可暂不参加组织生活: the member is not expected from ``start`` to ``end``."""

        member_id: str
        start: date
        end: date
        reason: str
        actor: Actor

        def apply(self, aggregate: MemberRoll) -> None:
            member = aggregate.members[self.member_id]
            exemption = Exemption(self.start, self.end, self.reason)
            aggregate.members[self.member_id] = replace(
                member, exemptions=(*member.exemptions, exemption)
            )

    class ActivityDaySet(Event):
        """A township's fixed activity day (day of the month; None: none fixed) and after how
        many days a session counts as recorded late, for its own and its villages' sessions."""

        fixed_day: int | None
        late_after_days: int
        reason: str
        actor: Actor

        def apply(self, aggregate: MemberRoll) -> None:
            aggregate.fixed_day = self.fixed_day
            aggregate.late_after_days = self.late_after_days

    # Class-level defaults: a roll rebuilt from a snapshot taken before they existed has them.
    fixed_day: int | None = None
    late_after_days: int = LATE_AFTER_DAYS

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.members: dict[str, Member] = {}
        self.fixed_day = None
        self.late_after_days = LATE_AFTER_DAYS

    @classmethod
    def open(cls, unit_id: str, at: datetime) -> MemberRoll:
        return cls._create(cls.Opened, id=roll_uuid(unit_id), timestamp=at, unit_id=unit_id)

    def register(self, member: Member, actor: Actor, at: datetime) -> None:
        """Registers a member, or records a change to one (the history keeps both)."""
        failures = []
        if not member.member_id.strip() or not member.name.strip():
            failures.append(
                RuleFailure(
                    "member_id_and_name", "a member needs an id and a name", "党员须有编号和姓名", "id"
                )
            )
        if MemberStatus.parse(member.status) is None:
            failures.append(
                RuleFailure(
                    "member_status_known",
                    "status is member or probationary",
                    "身份须为 member（党员）、probationary（预备党员）或参加活动的非党员"
                    "（流动党员、入党积极分子、后备干部、种养殖大户、群众）",
                    "status",
                    MemberStatus.codes(),
                    member.status,
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        existing = self.members.get(member.member_id)
        if existing is not None:  # a change keeps the member's exemptions
            member = replace(member, exemptions=existing.exemptions)
        if existing != member:
            self.trigger_event(self.MemberRegistered, timestamp=at, member=member, actor=actor)

    def exempt(
        self, member_id: str, start: date, end: date, reason: str, actor: Actor, at: datetime
    ) -> bool:
        """Records that a party member 按规定可暂不参加组织生活 from ``start`` to ``end``; the
        same exemption again changes nothing (False)."""
        failures = []
        member = self.members.get(member_id)
        if member is None:
            failures.append(
                RuleFailure(
                    "members_registered",
                    f"unknown member id {member_id!r}",
                    f"未登记的党员编号「{member_id}」",
                    "member_id",
                    None,
                    member_id,
                )
            )
        elif not member.party_member:
            failures.append(
                RuleFailure(
                    "exemption_for_party_members",
                    f"{member.name} ({member_id}) is not a party member: never expected, never exempted",
                    f"{member.name}（{member_id}）不是党员，不参加考勤，无需免除",
                    "member_id",
                    sorted(PARTY_MEMBER_STATUSES),
                    str(member.status),
                )
            )
        if end < start:
            failures.append(
                RuleFailure(
                    "exemption_period",
                    "an exemption ends on or after the day it starts",
                    "暂不参加组织生活的截止日期不得早于起始日期",
                    "end",
                    start.isoformat(),
                    end.isoformat(),
                )
            )
        if not reason.strip() or len(reason) > MAX_REASON_CHARS:
            failures.append(
                RuleFailure(
                    "exemption_reason_required",
                    f"say why (按规定, 1-{MAX_REASON_CHARS} characters)",
                    f"须说明暂不参加组织生活的依据（1-{MAX_REASON_CHARS} 字）",
                    "reason",
                )
            )
        if member is not None and len(member.exemptions) >= MAX_EXEMPTIONS:
            failures.append(
                RuleFailure(
                    "exemptions_per_member",
                    f"at most {MAX_EXEMPTIONS} exemptions per member",
                    f"每名党员最多登记 {MAX_EXEMPTIONS} 次暂不参加组织生活",
                    "member_id",
                    MAX_EXEMPTIONS,
                    len(member.exemptions),
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        assert member is not None
        if Exemption(start, end, reason.strip()) in member.exemptions:
            return False
        self.trigger_event(
            self.MemberExempted,
            timestamp=at,
            member_id=member_id,
            start=start,
            end=end,
            reason=reason.strip(),
            actor=actor,
        )
        return True

    def set_activity_day(
        self,
        fixed_day: int | None,
        late_after_days: int,
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> bool:
        """Sets the township's fixed activity day and its late-recording threshold; the same
        again changes nothing (False)."""
        failures = []
        if fixed_day is not None and not 1 <= fixed_day <= 31:
            failures.append(
                RuleFailure(
                    "fixed_day_range",
                    "the fixed activity day is a day of the month, 1-31 (31: the month's last day)",
                    "固定活动日须为每月 1-31 日之一（31 日：当月最后一天）",
                    "fixed_day",
                    "1-31",
                    fixed_day,
                )
            )
        if not 1 <= late_after_days <= MAX_LATE_AFTER_DAYS:
            failures.append(
                RuleFailure(
                    "late_after_days_range",
                    f"late after 1-{MAX_LATE_AFTER_DAYS} days",
                    f"补录期限须为 1-{MAX_LATE_AFTER_DAYS} 天",
                    "late_after_days",
                    f"1-{MAX_LATE_AFTER_DAYS}",
                    late_after_days,
                )
            )
        if len(reason) > MAX_REASON_CHARS:
            failures.append(
                RuleFailure(
                    "reason_length",
                    f"the reason is at most {MAX_REASON_CHARS} characters",
                    f"理由不超过 {MAX_REASON_CHARS} 字",
                    "reason",
                    MAX_REASON_CHARS,
                    len(reason),
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        if (self.fixed_day, self.late_after_days) == (fixed_day, late_after_days):
            return False
        self.trigger_event(
            self.ActivityDaySet,
            timestamp=at,
            fixed_day=fixed_day,
            late_after_days=late_after_days,
            reason=reason.strip(),
            actor=actor,
        )
        return True


class ActivityRegister(Aggregate):
    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Opened(Event, Aggregate.Created):
        unit_id: str
        year: int

    class SessionRecorded(Event):
        session: Session
        actor: Actor

        def apply(self, aggregate: ActivityRegister) -> None:
            aggregate.sessions[self.session.session_id] = self.session

    class SessionCorrected(Event):
        session: Session
        reason: str
        actor: Actor

        def apply(self, aggregate: ActivityRegister) -> None:
            aggregate.sessions[self.session.session_id] = self.session

    def __init__(self, unit_id: str, year: int) -> None:
        self.unit_id = unit_id
        self.year = year
        self.sessions: dict[str, Session] = {}

    @classmethod
    def open(cls, unit_id: str, year: int, at: datetime) -> ActivityRegister:
        return cls._create(
            cls.Opened, id=register_uuid(unit_id, year), timestamp=at, unit_id=unit_id, year=year
        )

    def record(
        self,
        session: Session,
        members: dict[str, Member],
        reason: str,
        actor: Actor,
        at: datetime,
        *,
        fixed_day: int | None = None,
        late_after_days: int = LATE_AFTER_DAYS,
    ) -> str:
        """Records a session; the same id again corrects it (a reason is then required).
        The register stamps it (``stamped``): when, late or not, off the township's fixed day
        or not. Returns what happened: recorded, corrected or unchanged."""
        session = session.content
        failures = session_failures(session, self.year, members)
        failures += makeup_failures(session, self.sessions)
        existing = self.sessions.get(session.session_id)
        if existing is not None:
            existing = existing.content
        if existing is not None and existing != session and not (reason or "").strip():
            failures.append(
                RuleFailure(
                    "correction_reason_required",
                    "correcting a recorded session needs a reason",
                    "更正已登记的活动须说明理由",
                    "reason",
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        if existing == session:
            return "unchanged"
        kept = stamped(
            session,
            self.sessions.get(session.session_id),
            at.date(),
            fixed_day=fixed_day,
            late_after_days=late_after_days,
        )
        if existing is None:
            self.trigger_event(self.SessionRecorded, timestamp=at, session=kept, actor=actor)
            return "recorded"
        self.trigger_event(
            self.SessionCorrected, timestamp=at, session=kept, reason=reason.strip(), actor=actor
        )
        return "corrected"
