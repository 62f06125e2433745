"""Duties (义务, issue 21 item 5): what the units of a campaign owe besides nominations.

A campaign's template declares duties per phase (``DutySpec``): a document the owing units
submit (实施细则, 创建目标, 自查报告, 总结), spot checks the organiser records (实地察看,
电话抽查: who, when, how, what was found), circulars it issues (通报; a 通报批评 names a unit
and a 限期整改 deadline, and that unit then owes a rectification report by then).

One ``Duty`` aggregate per (campaign, duty, owing unit), its id derived from the three
(``duty_uuid``), so a retried submission never makes two; it is opened by the first thing that
happens to it. A duty nothing has happened to yet is due (or, past its deadline, about to be
recorded overdue by the campaign workflow): ``DutyBook.all`` lists every duty of a campaign,
touched or not, from the campaign's duties and the organiser's subtree.

A campaign's duties are the template's as they stood when the campaign was created
(``Campaign.duties``, stored in its Created event), never the template as it reads now: a
later edit of the template does not change a running campaign, and a campaign created before
duties existed owes none.

States: due → submitted (on time) or late (after the deadline) → accepted, or returned →
submitted/late again; due or returned past the deadline → overdue (recorded by the workflow)
→ late once submitted. The organiser's own duties (spot checks, circulars) are accepted once
``min_count`` of them are recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.campaigns import Campaign
from domain.errors import DutyNotFoundError, DutyTransitionError
from domain.execution import Loader
from domain.ids import LAUREL_NAMESPACE
from domain.queries import Queries
from domain.templates import DutySpec, seed_date
from domain.units import Unit
from domain.vocabulary import CircularKind, DutyKind, DutyState

ORGANISER = "organiser"  # ``owed_by`` naming the organiser unit itself
RECTIFICATION_SEPARATOR = "."  # a rectification's code: ``<circular duty>.<n>``
PENDING = (DutyState.DUE, DutyState.RETURNED)  # what the workflow records overdue at the deadline
SUBMITTABLE = (DutyState.DUE, DutyState.OVERDUE, DutyState.RETURNED)
REVIEWABLE = (DutyState.SUBMITTED, DutyState.LATE)


def duty_uuid(campaign_id: UUID | str, code: str, unit_id: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"duty:{campaign_id}:{code}:{unit_id}")


def rectification_code(circular_duty: str, number: int) -> str:
    return f"{circular_duty}{RECTIFICATION_SEPARATOR}{number}"


def _stamp(moment: datetime) -> str:
    return moment.isoformat()


class Duty(Aggregate):
    class Event(Aggregate.Event):
        pass

    class Opened(Event, Aggregate.Created):
        campaign_id: str
        code: str
        kind: str
        unit_id: str
        phase: str
        name_zh: str
        name_en: str
        due_at: datetime | None  # a rectification's deadline; None: the campaign's
        min_count: int
        origin: dict[str, Any] | None  # a rectification: the circular that asked for it

    class Submitted(Event):
        title: str
        body: str
        due_at: datetime
        late: bool
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.state = DutyState.LATE if self.late else DutyState.SUBMITTED
            aggregate.late = aggregate.late or self.late
            aggregate.title, aggregate.body = self.title, self.body
            aggregate.submitted_at = self.timestamp
            aggregate.submissions += 1
            aggregate.log(self, "submitted", title=self.title, chars=len(self.body), late=self.late)

    class Accepted(Event):
        note: str
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.state = DutyState.ACCEPTED
            aggregate.note = self.note
            aggregate.log(self, "accepted", note=self.note)

    class Returned(Event):
        reason: str
        resubmit_by: datetime | None
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.state = DutyState.RETURNED
            aggregate.note = self.reason
            if self.resubmit_by is not None:
                aggregate.due_override = self.resubmit_by
            aggregate.log(
                self,
                "returned",
                reason=self.reason,
                resubmit_by=None if self.resubmit_by is None else _stamp(self.resubmit_by),
            )

    class MarkedOverdue(Event):
        due_at: datetime
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.state = DutyState.OVERDUE
            aggregate.overdue_at.append(self.due_at)
            aggregate.log(self, "overdue", due_at=_stamp(self.due_at))

    class SpotCheckRecorded(Event):
        check: dict[str, Any]
        late: bool
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.records.append(self.check)
            aggregate._fulfil(self.late)
            aggregate.log(self, "spot_check", **self.check)

    class CircularIssued(Event):
        circular: dict[str, Any]
        late: bool
        actor: Actor

        def apply(self, aggregate: Duty) -> None:
            aggregate.records.append(self.circular)
            aggregate._fulfil(self.late)
            shown = {k: v for k, v in self.circular.items() if k != "body"}
            aggregate.log(self, "circular", **shown, chars=len(self.circular.get("body", "")))

    def __init__(
        self,
        campaign_id: str,
        code: str,
        kind: str,
        unit_id: str,
        phase: str,
        name_zh: str,
        name_en: str,
        due_at: datetime | None,
        min_count: int,
        origin: dict[str, Any] | None,
    ) -> None:
        self.campaign_id = campaign_id
        self.code = code
        self.kind = DutyKind(kind)
        self.unit_id = unit_id
        self.phase = phase
        self.name_zh = name_zh
        self.name_en = name_en
        self.due_override = due_at
        self.min_count = min_count
        self.origin = origin
        self.state = DutyState.DUE
        self.late = False
        self.title = ""
        self.body = ""
        self.note = ""
        self.submitted_at: datetime | None = None
        self.submissions = 0
        self.overdue_at: list[datetime] = []
        self.records: list[dict[str, Any]] = []  # spot checks or circulars
        self.history: list[dict[str, Any]] = []

    @classmethod
    def open(
        cls,
        campaign_id: str,
        item: OwedItem,
        at: datetime,
        *,
        due_at: datetime | None = None,
        origin: dict[str, Any] | None = None,
    ) -> Duty:
        return cls._create(
            cls.Opened,
            id=duty_uuid(campaign_id, item.code, item.unit_id),
            timestamp=at,
            campaign_id=str(campaign_id),
            code=item.code,
            kind=str(item.kind),
            unit_id=item.unit_id,
            phase=item.phase,
            name_zh=item.name_zh,
            name_en=item.name_en,
            due_at=due_at,
            min_count=item.min_count,
            origin=origin,
        )

    def log(self, event: Duty.Event, what: str, **details: Any) -> None:
        actor = getattr(event, "actor", None)
        self.history.append(
            {
                "event": what,
                "at": _stamp(event.timestamp),
                "actor": None if actor is None else actor.as_dict(),
                **details,
            }
        )

    def _fulfil(self, late: bool) -> None:
        self.late = self.late or late
        if len(self.records) >= self.min_count:
            self.state = DutyState.ACCEPTED

    # --- decisions -----------------------------------------------------------------------------

    def _refuse(self, action_en: str, action_zh: str, allowed: tuple[DutyState, ...]) -> None:
        if self.state not in allowed:
            raise DutyTransitionError(
                f"the duty '{self.code}' of '{self.unit_id}' is {self.state}: it cannot be "
                f"{action_en} (only when {', '.join(allowed)})",
                f"「{self.name_zh}」（{self.unit_id}）当前为「{self.state.zh}」，不能{action_zh}"
                f"（仅限{'、'.join(s.zh for s in allowed)}）",
                duty=self.code,
                unit=self.unit_id,
                state=str(self.state),
            )

    def _require_kind(self, *kinds: DutyKind) -> None:
        if self.kind not in kinds:
            raise DutyTransitionError(
                f"the duty '{self.code}' is a {self.kind}: this is not done on it",
                f"「{self.name_zh}」为{self.kind.zh}，不能执行此操作",
                duty=self.code,
                kind=str(self.kind),
            )

    def submit(self, title: str, body: str, due_at: datetime, actor: Actor, at: datetime) -> bool:
        """Submits (False: the same text is already submitted, nothing recorded)."""
        self._require_kind(DutyKind.DOCUMENT, DutyKind.RECTIFICATION)
        if self.state in REVIEWABLE and (self.title, self.body) == (title, body):
            return False
        self._refuse("submitted", "提交", SUBMITTABLE)
        self.trigger_event(
            self.Submitted,
            timestamp=at,
            title=title,
            body=body,
            due_at=due_at,
            late=at > due_at,
            actor=actor,
        )
        return True

    def accept(self, note: str, actor: Actor, at: datetime) -> None:
        self._require_kind(DutyKind.DOCUMENT, DutyKind.RECTIFICATION)
        self._refuse("accepted", "审核通过", REVIEWABLE)
        self.trigger_event(self.Accepted, timestamp=at, note=note, actor=actor)

    def return_(self, reason: str, resubmit_by: datetime | None, actor: Actor, at: datetime) -> None:
        self._require_kind(DutyKind.DOCUMENT, DutyKind.RECTIFICATION)
        self._refuse("returned", "退回", REVIEWABLE)
        self.trigger_event(
            self.Returned, timestamp=at, reason=reason, resubmit_by=resubmit_by, actor=actor
        )

    def mark_overdue(self, due_at: datetime, actor: Actor, at: datetime) -> bool:
        if self.state not in PENDING or at < due_at:
            return False
        self.trigger_event(self.MarkedOverdue, timestamp=at, due_at=due_at, actor=actor)
        return True

    def record_check(self, check: dict[str, Any], due_at: datetime, actor: Actor, at: datetime) -> None:
        self._require_kind(DutyKind.SPOT_CHECK)
        self.trigger_event(
            self.SpotCheckRecorded, timestamp=at, check=check, late=at > due_at, actor=actor
        )

    def issue(self, circular: dict[str, Any], due_at: datetime, actor: Actor, at: datetime) -> None:
        self._require_kind(DutyKind.CIRCULAR)
        self.trigger_event(
            self.CircularIssued, timestamp=at, circular=circular, late=at > due_at, actor=actor
        )

    def criticisms(self) -> list[dict[str, Any]]:
        """The circulars of criticism issued on this duty, each with its rectification code."""
        return [c for c in self.records if c.get("kind") == CircularKind.CRITICISM]


# --- what a campaign's units owe -----------------------------------------------------------------


@dataclass(frozen=True)
class OwedItem:
    """One duty of one unit, as the campaign's duties (or a circular of criticism) make it owed."""

    code: str
    kind: DutyKind
    phase: str
    name_zh: str
    name_en: str
    unit_id: str
    due_at: datetime
    min_count: int = 1


@dataclass(frozen=True)
class Owed:
    item: OwedItem
    duty: Duty | None  # None: nothing has happened to it yet
    unit: Unit | None = None

    @property
    def due_at(self) -> datetime:
        if self.duty is not None and self.duty.due_override is not None:
            return self.duty.due_override
        return self.item.due_at

    @property
    def state(self) -> DutyState:
        return DutyState.DUE if self.duty is None else self.duty.state

    def pending_at(self, at: datetime) -> bool:
        """Undone at its deadline, not yet recorded overdue for it."""
        return self.state in PENDING and self.due_at <= at

    def as_dict(self, *, with_body: bool = False) -> dict[str, Any]:
        duty, item = self.duty, self.item
        out: dict[str, Any] = {
            "duty": item.code,
            "kind": str(item.kind),
            "kind_zh": item.kind.zh,
            "phase": item.phase,
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "unit_id": item.unit_id,
            "unit_name_zh": None if self.unit is None else self.unit.name_zh,
            "due_at": self.due_at.isoformat(),
            "state": str(self.state),
            "state_zh": self.state.zh,
            "late": bool(duty and duty.late),
            "min_count": item.min_count,
            "title": duty.title if duty else "",
            "submitted_at": None
            if duty is None or duty.submitted_at is None
            else _stamp(duty.submitted_at),
            "note": duty.note if duty else "",
            "records": len(duty.records) if duty else 0,
            "origin": duty.origin if duty else None,
            "version": duty.version if duty else 0,
        }
        if with_body:
            out["body"] = duty.body if duty else ""
            out["entries"] = list(duty.records) if duty else []
            out["history"] = list(duty.history) if duty else []
        return out


def spec_due(spec: DutySpec, campaign: Campaign) -> datetime:
    """The spec's date in the campaign's year, kept inside its phase's window; without one (or
    when the campaign's phases were compressed away from the seed's dates), the phase's close."""
    phase = campaign.phase(spec.phase)
    if spec.due:
        due = seed_date(
            spec.due, campaign.year or phase.opens_at.year, ZoneInfo(campaign.timezone), end_of_day=True
        )
        if phase.opens_at < due <= phase.closes_at:
            return due
    return phase.closes_at


def owes(spec: DutySpec, unit: Unit, campaign: Campaign) -> bool:
    if unit.code == campaign.organiser_unit_id:
        return ORGANISER in spec.owed_by
    return unit.is_within(campaign.organiser_unit_id) and str(unit.level) in spec.owed_by


def _item(spec: DutySpec, unit_id: str, campaign: Campaign) -> OwedItem:
    return OwedItem(
        code=spec.code,
        kind=DutyKind(spec.kind),
        phase=spec.phase,
        name_zh=spec.name_zh,
        name_en=spec.name_en,
        unit_id=unit_id,
        due_at=spec_due(spec, campaign),
        min_count=spec.min_count,
    )


def rectification_item(spec: DutySpec, circular: dict[str, Any]) -> OwedItem:
    return OwedItem(
        code=str(circular["rectification"]),
        kind=DutyKind.RECTIFICATION,
        phase=spec.phase,
        name_zh=f"限期整改：{circular['title']}",
        name_en=f"Rectification: {circular['title']}",
        unit_id=str(circular["unit_id"]),
        due_at=datetime.fromisoformat(str(circular["rectify_by"])),
    )


class DutyBook:
    """The duties of one campaign: what each unit owes, touched or not."""

    def __init__(self, load: Loader, queries: Queries, campaign: Campaign) -> None:
        self.load, self.queries, self.campaign = load, queries, campaign
        # The duties stored with the campaign at its creation, not the template's of today.
        self.specs: dict[str, DutySpec] = {d.code: d for d in campaign.duties}
        self.campaign_id = str(campaign.id)

    def find(self, code: str, unit_id: str, *, for_update: bool = False) -> Duty | None:
        return self.load.find(duty_uuid(self.campaign_id, code, unit_id), Duty, for_update=for_update)

    def spec(self, code: str) -> DutySpec:
        spec = self.specs.get(code.split(RECTIFICATION_SEPARATOR)[0])
        if spec is None:
            raise DutyNotFoundError(
                f"'{code}' is not a duty of this campaign",
                f"「{code}」不是本次活动的工作任务",
                duty=code,
                known=sorted(self.specs),
            )
        return spec

    def owed(self, code: str, unit_id: str, *, for_update: bool = False) -> tuple[OwedItem, Duty | None]:
        """The duty ``unit_id`` owes under ``code``, and its aggregate when opened; a unit that
        does not owe it is not found."""
        spec = self.spec(code)
        duty = self.find(code, unit_id, for_update=for_update)
        if RECTIFICATION_SEPARATOR in code:
            if duty is None:
                raise self._not_owed(code, unit_id)
            circular = dict(duty.origin or {})
            return rectification_item(spec, circular), duty
        unit = self.load.get_unit(unit_id)
        if not owes(spec, unit, self.campaign):
            raise self._not_owed(code, unit_id)
        return _item(spec, unit_id, self.campaign), duty

    @staticmethod
    def _not_owed(code: str, unit_id: str) -> DutyNotFoundError:
        return DutyNotFoundError(
            f"unit '{unit_id}' owes no duty '{code}' in this campaign",
            f"单位「{unit_id}」在本次活动中没有「{code}」这项任务",
            duty=code,
            unit=unit_id,
        )

    def expected(self) -> list[tuple[OwedItem, Unit]]:
        """What the campaign's duties make each unit owe, by phase then unit, without reading any
        duty (the duty board lays its rows over this); rectifications are not in it."""
        units = self.queries.units_in_subtree(self.campaign.organiser_unit_id)
        return [
            (_item(spec, unit.code, self.campaign), unit)
            for spec in self._ordered()
            for unit in units
            if owes(spec, unit, self.campaign)
        ]

    def _ordered(self) -> list[DutySpec]:
        phases = [p.code for p in self.campaign.phases]
        return sorted(
            self.specs.values(),
            key=lambda s: phases.index(s.phase) if s.phase in phases else len(phases),
        )

    def all(self, *, unit_id: str | None = None, with_units: bool = True) -> list[Owed]:
        """Every duty of the campaign (of ``unit_id`` only, when given), by phase then unit."""
        if not self.specs:
            return []
        units = self.queries.units_in_subtree(self.campaign.organiser_unit_id)
        found: list[Owed] = []
        for spec in self._ordered():
            for unit in units:
                if not owes(spec, unit, self.campaign):
                    continue
                shown = unit_id is None or unit.code == unit_id
                # A circular's duty is read for the rectifications it asks of any unit; any
                # other duty only when its unit is shown (filter first, then load).
                if not (shown or spec.kind == DutyKind.CIRCULAR):
                    continue
                duty = self.find(spec.code, unit.code)
                if shown:
                    found.append(
                        Owed(_item(spec, unit.code, self.campaign), duty, unit if with_units else None)
                    )
                if spec.kind == DutyKind.CIRCULAR and duty is not None:
                    for circular in duty.criticisms():
                        if unit_id is not None and circular["unit_id"] != unit_id:
                            continue
                        item = rectification_item(spec, circular)
                        named = next((u for u in units if u.code == item.unit_id), None)
                        found.append(Owed(item, self.find(item.code, item.unit_id), named))
        return found
