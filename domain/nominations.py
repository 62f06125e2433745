"""The Nomination aggregate: one nominee's way through a campaign.

    declared -> pre-reviewed (admitted | rejected) -> inspected (passed | failed)
             -> commended (title granted) -> [each year] re-inspected -> kept | revoked
    withdrawn before commendation; lapsed when a phase closes while it still waits on it;
    forwarded to the parent campaign after commendation.

Guards live in the public methods; the events' ``apply`` only changes state (it re-runs on
replay). Every event records its actor and, where one applies, the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import (
    InspectionInvalidError,
    InvalidTransitionError,
    PreReviewRefusedError,
    RuleFailure,
)
from domain.rules.eligibility import disqualifier_failures
from domain.rules.inspection import checklist_marks, inspection_failures, weighted_score
from domain.rules.thresholds import threshold_failures
from domain.values import Category, Inspection, Nominee, Title
from domain.vocabulary import (
    OPEN_STATES,
    InspectionMethod,
    InspectionVerdict,
    NominationState,
    PreReviewDecision,
    RevocationCause,
    Step,
)

WITHDRAWABLE = OPEN_STATES
LAPSABLE: dict[Step, tuple[NominationState, ...]] = {  # a step's phase closed while it waited
    Step.PRE_REVIEW: (NominationState.DECLARED,),
    Step.INSPECTION: (NominationState.ADMITTED,),
}


def one_year_later(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


class Nomination(Aggregate):
    class Event(Aggregate.Event):
        """A nomination's event: named in both languages (``zh``, ``en``: the timeline, the
        history) and naming the state it leaves the nomination in (``moves_to``; None: the
        state stays). The aggregate (``apply``, which an event's own ``apply`` calls first)
        and every read model take the state from here.

        Version 2 carries the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2
        zh: ClassVar[str] = ""
        en: ClassVar[str] = ""
        moves_to: ClassVar[NominationState | None] = None
        state_fields: ClassVar[tuple[str, ...]] = ()  # the fields ``state_after`` reads

        @classmethod
        def state_after(
            cls, previous: NominationState | None, fields: Mapping[str, Any]
        ) -> NominationState | None:
            """The state after an event of this class with these ``fields`` (its stored
            ones will do: a reader need not decode the event)."""
            return cls.moves_to or previous

        def apply(self, aggregate: Nomination) -> None:
            state = self.state_after(aggregate.state, self.__dict__)
            assert state is not None
            aggregate.state = NominationState(state)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Declared(Event, Aggregate.Created):
        zh, en = "申报", "Declared"
        moves_to = NominationState.DECLARED

        campaign_id: UUID
        category: str
        declaring_unit_id: str
        nominee: Nominee
        form: dict[str, Any]
        material: str
        actor: Actor
        forwarded_from: dict[str, Any] | None

    class PreReviewed(Event):
        zh, en = "初审", "Pre-reviewed"
        state_fields = ("decision",)

        decision: PreReviewDecision
        reasons: list[str]
        checks: dict[str, Any]
        actor: Actor

        @classmethod
        def state_after(
            cls, previous: NominationState | None, fields: Mapping[str, Any]
        ) -> NominationState | None:
            admitted = fields.get("decision") == PreReviewDecision.ADMIT
            return NominationState.ADMITTED if admitted else NominationState.REJECTED

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.pre_review_result = {
                "decision": PreReviewDecision(self.decision),
                "reasons": list(self.reasons),
                "checks": dict(self.checks),
            }

    class Inspected(Event):
        """Version 3: the inspection carries its checklist marks (version 2 recorded none)."""

        class_version = 3
        zh, en = "考核验收", "Inspected"
        moves_to = NominationState.INSPECTED

        inspection: Inspection

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.inspections.append(self.inspection)

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["inspection"] = upcast_inspector(state["inspection"])

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["inspection"] = upcast_checklist(state["inspection"])

    class Commended(Event):
        zh, en = "表彰", "Commended"
        moves_to = NominationState.COMMENDED

        rank: int
        score: float
        anniversary: datetime
        yearly_reinspection: bool
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            nominee = aggregate.nominee
            aggregate.title = Title(
                nomination_id=str(aggregate.id),
                campaign_id=str(aggregate.campaign_id),
                category=aggregate.category,
                holder_unit_id=nominee.unit_id,
                holder_name=nominee.name,
                holder_person_id=nominee.person_id,
                granted_at=self.timestamp,
                rank=self.rank,
                anniversary=self.anniversary,
                yearly_reinspection=self.yearly_reinspection,
            )

    class Withdrawn(Event):
        zh, en = "撤回", "Withdrawn"
        moves_to = NominationState.WITHDRAWN

        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.closing_reason = self.reason

    class Lapsed(Event):
        zh, en = "逾期", "Lapsed"
        moves_to = NominationState.LAPSED

        phase: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.closing_reason = self.reason

    class ReinspectionDue(Event):
        zh, en = "复查开始", "Re-inspection due"

        due_by: datetime
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            aggregate.title = aggregate.held_title().falls_due(self.due_by)

    class Reinspected(Event):
        """A failing re-inspection is followed by ``Revoked`` (cause: reinspection_failed)."""

        class_version = 3  # version 3: the inspection carries its checklist marks
        zh, en = "年度复查", "Re-inspected"

        inspection: Inspection
        passed: bool
        next_anniversary: datetime | None

        def apply(self, aggregate: Nomination) -> None:
            aggregate.reinspections.append(self.inspection)
            aggregate.title = aggregate.held_title().reinspected(
                self.timestamp, self.passed, self.next_anniversary
            )

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["inspection"] = upcast_inspector(state["inspection"])

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["inspection"] = upcast_checklist(state["inspection"])

    class Revoked(Event):
        zh, en = "撤销荣誉", "Title revoked"
        moves_to = NominationState.REVOKED

        reason: str
        cause: RevocationCause
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            title = aggregate.held_title()
            aggregate.title = title.revoked(self.timestamp, RevocationCause(self.cause), self.reason)
            aggregate.closing_reason = self.reason

    class Forwarded(Event):
        zh, en = "上报上级评选", "Forwarded"
        moves_to = NominationState.FORWARDED

        target_campaign_id: UUID
        target_nomination_id: UUID
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.forwarded_to = {
                "campaign_id": self.target_campaign_id,
                "nomination_id": self.target_nomination_id,
            }

    class LowerInspectionAccepted(Event):
        """The upper level takes the lower level's inspection of a forwarded nomination as
        its own (the template says so): admitted and inspected as it was below."""

        zh, en = "采信下级考核", "Lower level's inspection accepted"
        moves_to = NominationState.INSPECTED

        inspections: list[Inspection]
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.pre_review_result = {
                "decision": PreReviewDecision.ADMIT,
                "reasons": [self.reason],
                "checks": {},
            }
            aggregate.inspections = list(self.inspections)

    def __init__(
        self,
        campaign_id: UUID,
        category: str,
        declaring_unit_id: str,
        nominee: Nominee,
        form: dict[str, Any],
        material: str,
        actor: Actor,
        forwarded_from: dict[str, Any] | None,
    ) -> None:
        self.campaign_id = campaign_id
        self.category = category
        self.declaring_unit_id = declaring_unit_id
        self.nominee = nominee
        self.form = dict(form)
        self.material = material
        self.declared_by = actor
        self.forwarded_from = forwarded_from
        self.state = NominationState.DECLARED
        self.pre_review_result: dict[str, Any] | None = None
        self.inspections: list[Inspection] = []
        self.reinspections: list[Inspection] = []
        self.title: Title | None = None
        self.forwarded_to: dict[str, Any] | None = None
        self.closing_reason: str | None = None

    @classmethod
    def declare(
        cls,
        campaign_id: UUID,
        category: str,
        declaring_unit_id: str,
        nominee: Nominee,
        form: Mapping[str, Any],
        material: str,
        actor: Actor,
        at: datetime,
        forwarded_from: dict[str, Any] | None = None,
        nomination_id: UUID | None = None,
    ) -> Nomination:
        kwargs: dict[str, Any] = {"timestamp": at}
        if nomination_id is not None:
            kwargs["id"] = nomination_id
        return cls._create(
            cls.Declared,
            campaign_id=campaign_id,
            category=category,
            declaring_unit_id=declaring_unit_id,
            nominee=nominee,
            form=dict(form),
            material=material,
            actor=actor,
            forwarded_from=forwarded_from,
            **kwargs,
        )

    @classmethod
    def events(cls) -> list[type[Nomination.Event]]:
        """Every event a nomination records, as defined here: the one catalogue the history,
        the timeline and the read models take names, labels and states from."""
        return [
            v for v in vars(cls).values() if isinstance(v, type) and issubclass(v, cls.Event) and v.zh
        ]

    # --- derived facts -------------------------------------------------------------------

    @property
    def declared_at(self) -> datetime:
        return self.created_on

    @property
    def score(self) -> float | None:
        """Mean of the weighted scores of every inspection (several inspections aggregate)."""
        if not self.inspections:
            return None
        return round(sum(i.weighted_score for i in self.inspections) / len(self.inspections), 4)

    @property
    def lowest_score(self) -> float | None:
        return min((i.weighted_score for i in self.inspections), default=None)

    @property
    def passed(self) -> bool | None:
        """Passed when every inspection's verdict is pass (each checked against the pass mark)."""
        if not self.inspections:
            return None
        return all(i.passed for i in self.inspections)

    @property
    def title_active(self) -> bool:
        return self.title is not None and self.title.active

    def held_title(self) -> Title:
        """The title granted at commendation (an event that needs one follows it)."""
        assert self.title is not None, f"nomination {self.id} holds no title"
        return self.title

    def _require_state(self, action: str, allowed: Sequence[NominationState]) -> None:
        if self.state not in allowed:
            raise InvalidTransitionError(
                f"cannot {action} a nomination that is {self.state} "
                f"(allowed from: {', '.join(allowed)})",
                f"当前状态为「{self.state.zh}」，不能{action}",
                state=self.state,
                action=action,
            )

    # --- commands --------------------------------------------------------------------------

    def pre_review(
        self,
        category: Category,
        decision: PreReviewDecision | str,
        reasons: Sequence[str],
        checks: Mapping[str, Any],
        actor: Actor,
        at: datetime,
        extra_failures: Sequence[RuleFailure] = (),
    ) -> None:
        self._require_state("pre-review", (NominationState.DECLARED,))
        reasons = [r.strip() for r in reasons if r and r.strip()]
        term = PreReviewDecision.parse(decision)
        if term is None:
            raise PreReviewRefusedError(
                [
                    RuleFailure(
                        "decision_known",
                        "decision must be admit or reject",
                        "初审结论须为 admit（通过）或 reject（不通过）",
                        "decision",
                        PreReviewDecision.codes(),
                        decision,
                    )
                ]
            )
        if term is PreReviewDecision.ADMIT:
            failures = [
                *threshold_failures(category, self.form, self.nominee.level),
                *disqualifier_failures(category, checks),
                *extra_failures,
            ]
            if failures:
                raise PreReviewRefusedError(
                    failures,
                    f"cannot admit: {len(failures)} rule(s) failed",
                    f"不能通过初审：{len(failures)} 项规则未满足",
                )
        elif not reasons:
            raise PreReviewRefusedError(
                [
                    RuleFailure(
                        "rejection_reason_required",
                        "a rejection needs at least one reason",
                        "不予通过须说明理由",
                        "reasons",
                    )
                ]
            )
        self.trigger_event(
            self.PreReviewed,
            timestamp=at,
            decision=term,
            reasons=reasons,
            checks=dict(checks),
            actor=actor,
        )

    def _inspection(
        self,
        category: Category,
        methods: Sequence[InspectionMethod | str],
        scores: Mapping[str, Any],
        verdict: InspectionVerdict | str,
        notes: str,
        actor: Actor,
        at: datetime,
        kind: str,
        checklist: Mapping[str, Any] | None = None,
    ) -> Inspection:
        level = self.nominee.level
        failures = inspection_failures(category, methods, scores, verdict, checklist, level)
        if failures:
            raise InspectionInvalidError(failures)
        return Inspection(
            methods=tuple(InspectionMethod(m) for m in methods),
            scores={k: float(v) for k, v in scores.items()},
            weighted_score=weighted_score(category, scores),
            verdict=InspectionVerdict(verdict),
            notes=notes or "",
            inspector=actor,
            at=at,
            kind=kind,
            checklist=checklist_marks(category, checklist, level),
        )

    def inspect(
        self,
        category: Category,
        methods: Sequence[InspectionMethod | str],
        scores: Mapping[str, Any],
        verdict: InspectionVerdict | str,
        notes: str,
        actor: Actor,
        at: datetime,
        checklist: Mapping[str, Any] | None = None,
    ) -> None:
        """``checklist``: {checklist: {item: met (bool) or {"met": bool, "note": str}}}, every
        item of every checklist the category asks of this nominee."""
        self._require_state("inspect", (NominationState.ADMITTED, NominationState.INSPECTED))
        inspection = self._inspection(
            category, methods, scores, verdict, notes, actor, at, "inspection", checklist
        )
        self.trigger_event(self.Inspected, timestamp=at, inspection=inspection)

    def commend(
        self,
        rank: int,
        category: Category,
        actor: Actor,
        at: datetime,
        anniversary: datetime | None = None,
    ) -> None:
        self._require_state("commend", (NominationState.INSPECTED,))
        if not self.passed:
            raise InvalidTransitionError(
                "only a nomination that passed inspection can be commended",
                "仅考核合格者可以表彰",
                state=self.state,
                action="commend",
            )
        self.trigger_event(
            self.Commended,
            timestamp=at,
            rank=rank,
            score=self.score or 0.0,
            anniversary=anniversary or one_year_later(at),
            yearly_reinspection=category.yearly_reinspection,
            actor=actor,
        )

    def withdraw(self, reason: str, actor: Actor, at: datetime) -> None:
        self._require_state("withdraw", WITHDRAWABLE)
        self.trigger_event(self.Withdrawn, timestamp=at, reason=(reason or "").strip(), actor=actor)

    def lapse(self, step: Step | str, phase: str, reason: str, actor: Actor, at: datetime) -> bool:
        """Lapse if still waiting on ``step``; False (nothing appended) otherwise."""
        term = Step.parse(step)
        if term is None or self.state not in LAPSABLE.get(term, ()):
            return False
        self.trigger_event(self.Lapsed, timestamp=at, phase=phase, reason=reason, actor=actor)
        return True

    def _require_title(self, action: str) -> Title:
        if self.title is None or not self.title.active:
            raise InvalidTransitionError(
                f"cannot {action}: the nomination holds no granted title (state {self.state})",
                f"该申报未获得荣誉称号（状态：{self.state.zh}），不能{action}",
                state=self.state,
                action=action,
            )
        return self.title

    def mark_reinspection_due(self, due_by: datetime, actor: Actor, at: datetime) -> bool:
        title = self._require_title("open a re-inspection")
        if title.reinspection_due_by == due_by:
            return False
        self.trigger_event(self.ReinspectionDue, timestamp=at, due_by=due_by, actor=actor)
        return True

    def reinspect(
        self,
        category: Category,
        methods: Sequence[InspectionMethod | str],
        scores: Mapping[str, Any],
        verdict: InspectionVerdict | str,
        notes: str,
        actor: Actor,
        at: datetime,
        checklist: Mapping[str, Any] | None = None,
    ) -> None:
        """A passing re-inspection keeps the title another year; a failing one revokes it."""
        title = self._require_title("re-inspect")
        inspection = self._inspection(
            category, methods, scores, verdict, notes, actor, at, "re-inspection", checklist
        )
        next_anniversary = one_year_later(title.anniversary) if inspection.passed else None
        self.trigger_event(
            self.Reinspected,
            timestamp=at,
            inspection=inspection,
            passed=inspection.passed,
            next_anniversary=next_anniversary,
        )
        if not inspection.passed:
            self.trigger_event(
                self.Revoked,
                timestamp=at,
                reason=f"re-inspection failed / 复查不合格: {notes}".strip().rstrip(":"),
                cause=RevocationCause.REINSPECTION_FAILED,
                actor=actor,
            )

    def revoke(self, reason: str, cause: RevocationCause | str, actor: Actor, at: datetime) -> None:
        self._require_title("revoke")
        if not (reason or "").strip():
            raise InvalidTransitionError(
                "a revocation needs a reason", "撤销荣誉须说明理由", action="revoke"
            )
        self.trigger_event(
            self.Revoked,
            timestamp=at,
            reason=reason.strip(),
            cause=RevocationCause(cause),
            actor=actor,
        )

    def forward(
        self, target_campaign_id: UUID, target_nomination_id: UUID, actor: Actor, at: datetime
    ) -> None:
        if not (self.state == NominationState.COMMENDED or self.passed_inspection):
            raise InvalidTransitionError(
                f"cannot forward a nomination in state '{self.state}': it must have passed "
                "inspection or been commended",
                f"状态为「{self.state.zh}」的申报不能上报：须已通过考核或已表彰",
                action="forward",
                state=self.state,
            )
        self.trigger_event(
            self.Forwarded,
            timestamp=at,
            target_campaign_id=target_campaign_id,
            target_nomination_id=target_nomination_id,
            actor=actor,
        )

    def accept_lower_inspection(self, source: Nomination, actor: Actor, at: datetime) -> None:
        """Arrived by forwarding from ``source``: its inspections become this one's."""
        self._require_state("accept the lower level's inspection", (NominationState.DECLARED,))
        self.trigger_event(
            self.LowerInspectionAccepted,
            timestamp=at,
            inspections=list(source.inspections),
            reason="forwarded with the lower level's inspection / 采信下级考核结果",
            actor=actor,
        )

    @property
    def passed_inspection(self) -> bool:
        """Inspected, every inspection passed, not yet commended or closed."""
        return self.state == NominationState.INSPECTED and bool(self.passed)

    # --- views ------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "version": self.version,
            "campaign_id": str(self.campaign_id),
            "category": self.category,
            "declaring_unit_id": self.declaring_unit_id,
            "nominee": {
                "kind": self.nominee.kind,
                "unit_id": self.nominee.unit_id,
                "name": self.nominee.name,
                "person_id": self.nominee.person_id,
                # a model base's kind (base_kind); nothing for any other nominee
                **({"extra": dict(self.nominee.extra)} if self.nominee.extra else {}),
            },
            "form": dict(self.form),
            "material_chars": len(self.material),
            "state": self.state,
            "state_zh": self.state.zh,
            "declared_at": self.declared_at,
            "declared_by": self.declared_by.as_dict(),
            "pre_review": self.pre_review_result,
            "inspections": [
                {
                    "methods": list(i.methods),
                    "scores": dict(i.scores),
                    "weighted_score": i.weighted_score,
                    "verdict": i.verdict,
                    "notes": i.notes,
                    "inspector": i.inspector.as_dict(),
                    "at": i.at,
                    "checklist": [dict(vars(m)) for m in i.checklist],
                }
                for i in self.inspections
            ],
            "score": self.score,
            "passed": self.passed,
            "title": self.title.public() if self.title else None,
            "reinspections": [
                {
                    "verdict": i.verdict,
                    "weighted_score": i.weighted_score,
                    "at": i.at,
                    "inspector": i.inspector.as_dict(),
                    "checklist": [dict(vars(m)) for m in i.checklist],
                }
                for i in self.reinspections
            ],
            "forwarded_from": self.forwarded_from,
            "forwarded_to": {k: str(v) for k, v in self.forwarded_to.items()}
            if self.forwarded_to
            else None,
            "closing_reason": self.closing_reason,
        }


def upcast_checklist(inspection: Inspection) -> Inspection:
    """A version-2 inspection recorded no checklist: it holds none (an empty tuple)."""
    return replace(inspection, checklist=tuple(getattr(inspection, "checklist", ()) or ()))


def upcast_inspector(inspection: Inspection) -> Inspection:
    """A version-1 inspection named its inspector as a dict."""
    inspector: Any = inspection.inspector
    if isinstance(inspector, dict):
        return replace(inspection, inspector=Actor.from_dict(inspector))
    return inspection
