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

from domain.actors import Actor, upcast_actor
from domain.errors import RuleFailure, RuleViolationError
from domain.ids import LAUREL_NAMESPACE
from domain.vocabulary import FiveHave, MemberStatus, SessionKind, StudyTopic, Term

FIVE_HAVES = tuple(FiveHave)


class ActivityRecordInvalidError(RuleViolationError):
    code = "activity-record-invalid"


def roll_uuid(unit_id: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"members:{unit_id}")


def register_uuid(unit_id: str, year: int) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"activity:{unit_id}:{year}")


def _term_of(cls: type[Term], code: str) -> Term | str:
    """The term ``code`` names, or ``code`` itself for the rules to refuse by name."""
    return cls.parse(code) or code


@dataclass(frozen=True)
class Member:
    member_id: str
    name: str
    status: MemberStatus | str  # a code that names no status stays as given, for the rule to refuse
    leader: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", _term_of(MemberStatus, self.status))


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _term_of(SessionKind, self.kind))
        object.__setattr__(self, "topic", _term_of(StudyTopic, self.topic))


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
    return failures


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

    def __init__(self, unit_id: str) -> None:
        self.unit_id = unit_id
        self.members: dict[str, Member] = {}

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
                    "身份须为 member（党员）或 probationary（预备党员）",
                    "status",
                    MemberStatus.codes(),
                    member.status,
                )
            )
        if failures:
            raise ActivityRecordInvalidError(failures)
        if self.members.get(member.member_id) != member:
            self.trigger_event(self.MemberRegistered, timestamp=at, member=member, actor=actor)


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
