"""Use cases of the activity-day registers (seed 004) and the eligibility they decide."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from domain.activity import (
    ActivityRecordInvalidError,
    ActivityRegister,
    Member,
    MemberRoll,
    Session,
    register_uuid,
    roll_uuid,
)
from domain.actors import Actor
from domain.errors import RuleFailure
from domain.rules.activity_day import Compliance, compliance, eligibility_failures
from domain.rules.jurisdiction import authorize


def parse_session(data: Mapping[str, Any]) -> Session:
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


class ActivityCommands:
    """Mixed into the application (uses its loaders, clock and ``run``)."""

    def member_roll(self: Any, unit_id: str) -> dict[str, Member]:
        try:
            return dict(self.repository.get(roll_uuid(unit_id), deepcopy_from_cache=False).members)
        except AggregateNotFoundError:
            return {}

    def activity_register(self: Any, unit_id: str, year: int) -> ActivityRegister | None:
        try:
            return self.repository.get(register_uuid(unit_id, year), deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None

    def register_member(
        self: Any,
        unit_id: str,
        member_id: str,
        name: str,
        status: str,
        leader: bool,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        at = self._at(at)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            authorize(actor, "record_activity", [self.get_unit(unit_id)])
            try:
                roll = self.repository.get(roll_uuid(unit_id))
            except AggregateNotFoundError:
                roll = MemberRoll.open(unit_id, at)
            member = Member(member_id=member_id, name=name, status=status, leader=leader)
            roll.register(member, actor.as_dict(), at)
            return [roll], {
                "unit_id": unit_id,
                "id": member_id,
                "name": name,
                "status": status,
                "leader": leader,
                "version": roll.version,
            }

        args = {"unit": unit_id, "member": member_id, "name": name, "status": status, "leader": leader}
        return self.run("register_member", args, decide, at=at, idempotency_key=idempotency_key)

    def record_activity(
        self: Any,
        unit_id: str,
        session: Mapping[str, Any],
        actor: Actor,
        *,
        reason: str = "",
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Records a session on the unit's register for its year; the same session id again
        corrects it (with a reason); the history keeps both."""
        at = self._at(at)
        parsed = parse_session(session)

        def decide() -> tuple[list[Any], dict[str, Any]]:
            authorize(actor, "record_activity", [self.get_unit(unit_id)])
            try:
                register = self.repository.get(register_uuid(unit_id, parsed.on.year))
            except AggregateNotFoundError:
                register = ActivityRegister.open(unit_id, parsed.on.year, at)
            outcome = register.record(parsed, self.member_roll(unit_id), reason, actor.as_dict(), at)
            return [register], {
                "unit_id": unit_id,
                "year": parsed.on.year,
                "session_id": parsed.session_id,
                "outcome": outcome,
                "version": register.version,
            }

        args = {"unit": unit_id, "session": session, "reason": reason}
        return self.run("record_activity", args, decide, at=at, idempotency_key=idempotency_key)

    def compliance_of(
        self: Any, unit_id: str, year: int, *, through: date | None = None
    ) -> Compliance | None:
        """The unit's compliance in ``year`` judged on complete months before ``through``
        (default: today); None when the unit keeps no register for that year."""
        self.get_unit(unit_id)
        register = self.activity_register(unit_id, year)
        if register is None:
            return None
        return compliance(
            unit_id,
            year,
            self.member_roll(unit_id),
            register.sessions.values(),
            through or self.clock().date(),
        )

    def activity_day_failures(
        self: Any, nomination: Any, collective: bool, year: int | None, at: datetime
    ) -> list[RuleFailure]:
        if year is None:
            return []
        unit_id = nomination.nominee.unit_id
        result = self.compliance_of(unit_id, year, through=at.date())
        return eligibility_failures(
            collective, nomination.nominee.person_id, self.member_roll(unit_id), result
        )
