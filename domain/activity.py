"""Seed 004: the monthly distance-education activity day (远程教育活动日).

A unit's members (party members and probationary members, leaders marked) are kept on its
``MemberRoll``; each year's sessions on an ``ActivityRegister`` (per unit and year). A
session records its date, kind (all-member or group), duration, topic among the "five
studies", the members expected, the sign-in list and the "five haves". A wrong record is
corrected by a new event; the history keeps both."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.errors import RuleFailure, RuleViolationError
from domain.ids import LAUREL_NAMESPACE

KINDS = {"all_member": "全体党员集中学习", "group": "分批分组学习", "makeup": "补课"}
TOPICS = {
    "political_theory": "政治理论",
    "party_building": "党建知识",
    "rural_policy_law": "农村政策法规",
    "applied_technology": "先进适用科技",
    "health_culture": "健康娱乐文化",
}
FIVE_HAVES = {
    "notice": "事前有通告",
    "sign_in": "党员有签到",
    "playback_log": "播放有登记",
    "discussion_record": "讨论有记录",
    "feedback": "信息有反馈",
}
MEMBER_STATUSES = {"member": "党员", "probationary": "预备党员"}


class ActivityRecordInvalidError(RuleViolationError):
    code = "activity-record-invalid"


def roll_uuid(unit_id: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"members:{unit_id}")


def register_uuid(unit_id: str, year: int) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"activity:{unit_id}:{year}")


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    status: str  # member | probationary
    leader: bool = False


@dataclass(frozen=True)
class Session:
    session_id: str
    on: date
    kind: str  # all_member | group | makeup
    hours: float
    topic: str
    expected: tuple[str, ...]
    attendees: tuple[str, ...]
    five_haves: dict[str, bool]
    makeup_for: str | None = None


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
    if session.kind not in KINDS:
        fail(
            "session_kind_known",
            "kind must be all_member, group or makeup",
            "活动类型须为 all_member、group 或 makeup",
            "kind",
            list(KINDS),
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
    if session.topic not in TOPICS:
        fail(
            "session_topic_known",
            "topic must be one of the five studies",
            "学习主题须为“五学习”之一",
            "topic",
            list(TOPICS),
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
    if session.kind != "makeup" and not session.expected:
        fail("expected_members_required", "list the members expected", "须列出应参加的党员", "expected")
    missing_haves = sorted(set(FIVE_HAVES) - set(session.five_haves))
    if missing_haves:
        fail(
            "five_haves_recorded",
            f"record each of the five haves as true/false: {missing_haves}",
            f"“五个有”须逐项填写：{missing_haves}",
            "five_haves",
            list(FIVE_HAVES),
            missing_haves,
        )
    if session.kind == "makeup" and not session.makeup_for:
        fail(
            "makeup_for_required",
            "a make-up names the session it makes up for",
            "补课须注明所补的活动",
            "makeup_for",
        )
    return failures


class MemberRoll(Aggregate):
    class Opened(Aggregate.Created):
        unit_id: str

    class MemberRegistered(Aggregate.Event):
        member: Member
        actor: dict[str, Any]

        def apply(self, aggregate: MemberRoll) -> None:
            aggregate.members[self.member.member_id] = self.member

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.members: dict[str, Member] = {}

    @classmethod
    def open(cls, unit_id: str, at: datetime) -> MemberRoll:
        return cls._create(cls.Opened, id=roll_uuid(unit_id), timestamp=at, unit_id=unit_id)

    def register(self, member: Member, actor: dict[str, Any], at: datetime) -> None:
        """Registers a member, or records a change to one (the history keeps both)."""
        failures = []
        if not member.member_id.strip() or not member.name.strip():
            failures.append(
                RuleFailure(
                    "member_id_and_name", "a member needs an id and a name", "党员须有编号和姓名", "id"
                )
            )
        if member.status not in MEMBER_STATUSES:
            failures.append(
                RuleFailure(
                    "member_status_known",
                    "status is member or probationary",
                    "身份须为 member（党员）或 probationary（预备党员）",
                    "status",
                    list(MEMBER_STATUSES),
                    member.status,
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        if self.members.get(member.member_id) != member:
            self.trigger_event(self.MemberRegistered, timestamp=at, member=member, actor=actor)


class ActivityRegister(Aggregate):
    class Opened(Aggregate.Created):
        unit_id: str
        year: int

    class SessionRecorded(Aggregate.Event):
        session: Session
        actor: dict[str, Any]

        def apply(self, aggregate: ActivityRegister) -> None:
            aggregate.sessions[self.session.session_id] = self.session

    class SessionCorrected(Aggregate.Event):
        session: Session
        reason: str
        actor: dict[str, Any]

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
        actor: dict[str, Any],
        at: datetime,
    ) -> str:
        """Records a session; the same id again corrects it (a reason is then required).
        Returns what happened: recorded, corrected or unchanged."""
        failures = session_failures(session, self.year, members)
        existing = self.sessions.get(session.session_id)
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
        if existing is None:
            self.trigger_event(self.SessionRecorded, timestamp=at, session=session, actor=actor)
            return "recorded"
        if existing == session:
            return "unchanged"
        self.trigger_event(
            self.SessionCorrected, timestamp=at, session=session, reason=reason.strip(), actor=actor
        )
        return "corrected"
