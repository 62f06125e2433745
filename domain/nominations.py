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
    Step.PRE_REVIEW: (NominationState.DECLARED, NominationState.RETURNED),  # returned: not amended
    Step.INSPECTION: (NominationState.ADMITTED,),
}

CANCELLABLE = (*OPEN_STATES, NominationState.PROPOSED)  # closed by a campaign's cancellation


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
            aggregate.refused_at = self.timestamp  # an appeal's period runs from here (issue 23)

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
            aggregate.refused_at = self.timestamp  # an appeal's period runs from here (issue 23)

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
    def valid_inspections(self) -> list[Inspection]:
        """The inspections in recorded order, without the voided ones (issue 23)."""
        return [i for n, i in enumerate(self.inspections, 1) if n not in self.voided]

    @property
    def score(self) -> float | None:
        """Mean of the weighted scores of every inspection not voided (several aggregate)."""
        valid = self.valid_inspections
        if not valid:
            return None
        return round(sum(i.weighted_score for i in valid) / len(valid), 4)

    @property
    def lowest_score(self) -> float | None:
        return min((i.weighted_score for i in self.valid_inspections), default=None)

    @property
    def passed(self) -> bool | None:
        """Passed when every inspection's verdict (voided ones aside) is pass."""
        valid = self.valid_inspections
        if not valid:
            return None
        return all(i.passed for i in valid)

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
        # PROPOSED: the title granted after the 公示 (domain/publicity.py)
        self._require_state("commend", (NominationState.INSPECTED, NominationState.PROPOSED))
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
            inspections=list(source.valid_inspections),
            reason="forwarded with the lower level's inspection / 采信下级考核结果",
            actor=actor,
        )

    @property
    def passed_inspection(self) -> bool:
        """Inspected, every inspection passed, not yet commended or closed."""
        return self.state == NominationState.INSPECTED and bool(self.passed)

    # --- evidence files (issue 22, item 4; domain/evidence.py) ---------------------------------

    class EvidenceAttached(Event):
        """A file attached as evidence of the declaration or of an inspection: its bytes are in
        the blob store under ``sha256`` (and an image's thumbnail under ``thumbnail_sha256``);
        ``media_type`` was sniffed from the bytes, ``name`` is the original name cleaned;
        ``inspection``: which inspection (1-based) an inspection file belongs to, if named."""

        zh, en = "附加佐证材料", "Evidence attached"

        kind: str
        sha256: str
        size: int
        media_type: str
        name: str
        thumbnail_sha256: str | None
        inspection: int | None
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.evidence = (
                *aggregate.evidence,
                {
                    "kind": self.kind,
                    "sha256": self.sha256,
                    "size": self.size,
                    "media_type": self.media_type,
                    "name": self.name,
                    "thumbnail_sha256": self.thumbnail_sha256,
                    "inspection": self.inspection,
                    "uploaded_by": self.actor.as_dict(),
                    "uploaded_at": self.timestamp,
                },
            )

    evidence: tuple[dict[str, Any], ...] = ()  # the attached files, in order (EvidenceAttached)

    def attach_evidence(
        self,
        kind: str,
        file: Mapping[str, Any],
        inspection: int | None,
        actor: Actor,
        at: datetime,
    ) -> bool:
        """Records a stored file (``file``: sha256, size, media_type, name, thumbnail_sha256) as
        evidence of ``kind``; False when the same file is already attached the same way (the
        same bytes twice are recorded and stored once). A declaration file while the nomination
        is declared; an inspection file once admitted (``inspection`` must name one recorded)."""
        from domain.vocabulary import EvidenceKind

        what = EvidenceKind(kind)
        if what == EvidenceKind.DECLARATION:
            self._require_state("attach declaration evidence", (NominationState.DECLARED,))
        else:
            self._require_state(
                "attach inspection evidence", (NominationState.ADMITTED, NominationState.INSPECTED)
            )
            if inspection is not None and not 1 <= inspection <= len(self.inspections):
                raise InspectionInvalidError(
                    [
                        RuleFailure(
                            "evidence_inspection_exists",
                            f"there is no inspection {inspection}: {len(self.inspections)} recorded",
                            f"不存在第 {inspection} 次考核：已记录 {len(self.inspections)} 次",
                            field="inspection",
                            expected=f"1..{len(self.inspections)}",
                            actual=inspection,
                        )
                    ]
                )
        if any(
            e["kind"] == what and e["sha256"] == file["sha256"] and e["inspection"] == inspection
            for e in self.evidence
        ):
            return False
        self.trigger_event(
            self.EvidenceAttached,
            timestamp=at,
            kind=str(what),
            sha256=str(file["sha256"]),
            size=int(file["size"]),
            media_type=str(file["media_type"]),
            name=str(file["name"]),
            thumbnail_sha256=file.get("thumbnail_sha256"),
            inspection=inspection,
            actor=actor,
        )
        return True

    # --- inspection teams and recusal (issue 22, items 1-2; domain/teams.py) -------------------

    team_id: str | None = None  # the inspection team assigned (AssignedToTeam)
    conflicts: tuple[dict[str, Any], ...] = ()  # conflicts of interest declared by members
    attributions: tuple[dict[str, Any], ...] = ()  # which team member made each inspection

    class AssignedToTeam(Event):
        """Assigned to an inspection team (``previous``: the team it was assigned to before)."""

        zh, en = "分配考核组", "Assigned to a team"

        team_id: str
        previous: str | None
        automatic: bool
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.team_id = self.team_id

    class ConflictDeclared(Event):
        """A team member declared a conflict of interest: recused from this nomination."""

        zh, en = "声明利益冲突（回避）", "Conflict of interest declared"

        member: str
        team_id: str | None
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.conflicts = (
                *aggregate.conflicts,
                {"member": self.member, "team_id": self.team_id, "reason": self.reason},
            )

    class InspectionAttributed(Event):
        """The inspection just recorded (``inspection``: 1-based) was made by ``member`` of
        ``team_id`` (a named person's recorded by the leader's token, or a token member's own)."""

        zh, en = "考核组成员考核", "Inspection by a team member"

        inspection: int
        team_id: str
        member: str
        member_name: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.attributions = (
                *aggregate.attributions,
                {
                    "inspection": self.inspection,
                    "team_id": self.team_id,
                    "member": self.member,
                    "member_name": self.member_name,
                },
            )

    def assign_to_team(
        self, team_id: str, reason: str, actor: Actor, at: datetime, *, automatic: bool = False
    ) -> bool:
        """False when already assigned to ``team_id``. A reassignment needs a reason and is
        refused once an inspection is recorded (the old team's score would be normalised as the
        new team's; the organiser withdraws that inspection's nomination from the team's set by
        other means, not by moving it)."""
        from domain.errors import AssignmentRefusedError, TeamInvalidError

        self._require_state("assign to a team", OPEN_STATES)
        if self.team_id == team_id:
            return False
        if self.team_id is not None:
            if not (reason or "").strip():
                raise TeamInvalidError(
                    [
                        RuleFailure(
                            "reassignment_reason_required",
                            f"moving a nomination from team '{self.team_id}' needs a reason",
                            f"将申报从考核组「{self.team_id}」改派须说明理由",
                            "reason",
                        )
                    ]
                )
            if self.inspections:
                raise AssignmentRefusedError(
                    [
                        RuleFailure(
                            "reassignment_after_inspection",
                            f"team '{self.team_id}' has recorded {len(self.inspections)} "
                            "inspection(s) of this nomination: it can no longer be reassigned",
                            f"考核组「{self.team_id}」已记录 {len(self.inspections)} 次考核，不能再改派",
                            "team_id",
                            self.team_id,
                            team_id,
                        )
                    ]
                )
        self.trigger_event(
            self.AssignedToTeam,
            timestamp=at,
            team_id=team_id,
            previous=self.team_id,
            automatic=automatic,
            reason=(reason or "").strip(),
            actor=actor,
        )
        return True

    def declare_conflict(
        self, member: str, team_id: str | None, reason: str, actor: Actor, at: datetime
    ) -> bool:
        """False when ``member`` has declared a conflict here already."""
        from domain.errors import TeamInvalidError

        if not (reason or "").strip():
            raise TeamInvalidError(
                [
                    RuleFailure(
                        "conflict_reason_required",
                        "a declared conflict of interest needs a reason",
                        "声明利益冲突须说明理由",
                        "reason",
                    )
                ]
            )
        if any(c["member"] == member for c in self.conflicts):
            return False
        self.trigger_event(
            self.ConflictDeclared,
            timestamp=at,
            member=member,
            team_id=team_id,
            reason=reason.strip(),
            actor=actor,
        )
        return True

    def attribute_inspection(
        self, team_id: str, member: str, member_name: str, actor: Actor, at: datetime
    ) -> None:
        """Names the team member who made the inspection recorded last."""
        self.trigger_event(
            self.InspectionAttributed,
            timestamp=at,
            inspection=len(self.inspections),
            team_id=team_id,
            member=member,
            member_name=member_name,
            actor=actor,
        )

    # --- 公示: the proposed list (issue 23, items 1-2; domain/publicity.py) ----------------------

    proposed_rank: int | None = None  # its place on the proposed list (Proposed)

    class Proposed(Event):
        """Put on the proposed list (拟表彰名单) by a commendation: the title waits for the 公示."""

        zh, en = "列入拟表彰名单", "Proposed for commendation"
        moves_to = NominationState.PROPOSED

        rank: int
        score: float
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.proposed_rank = self.rank

    class WithdrawnFromList(Event):
        """An objection upheld took it off the proposed list. ``outcome`` and ``reason`` are
        fixed texts: the findings and the receipt stay on the Objection (the declarer reads
        this event, webhooks carry it; the findings may name the objector)."""

        zh, en = "撤出拟表彰名单", "Withdrawn from the proposed list"
        moves_to = NominationState.NOT_COMMENDED

        outcome: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.closing_reason = self.reason

    def propose(self, rank: int, actor: Actor, at: datetime) -> None:
        self._require_state("propose for commendation", (NominationState.INSPECTED,))
        if not self.passed:
            raise InvalidTransitionError(
                "only a nomination that passed inspection can be proposed",
                "仅考核合格者可以列入拟表彰名单",
                state=self.state,
                action="propose",
            )
        self.trigger_event(self.Proposed, timestamp=at, rank=rank, score=self.score or 0.0, actor=actor)

    WITHDRAWN_OUTCOME = "objection_upheld"
    WITHDRAWN_REASON = (
        "异议经核实成立，撤出拟表彰名单 / an objection was upheld: withdrawn from the proposed list"
    )

    def withdraw_from_list(self, actor: Actor, at: datetime) -> bool:
        """False (nothing appended) when it is no longer on the list."""
        if self.state != NominationState.PROPOSED:
            return False
        self.trigger_event(
            self.WithdrawnFromList,
            timestamp=at,
            outcome=self.WITHDRAWN_OUTCOME,
            reason=self.WITHDRAWN_REASON,
            actor=actor,
        )
        return True

    # --- corrections and appeals (issue 23, items 3-4; domain/corrections.py) ------------------

    voided: tuple[int, ...] = ()  # the inspections voided, 1-based in recorded order
    returns: tuple[dict[str, Any], ...] = ()  # each return for amendment (reasons, fields)
    appeals: tuple[dict[str, Any], ...] = ()  # each appeal, its decision once decided
    refused_at: datetime | None = None  # when it was last rejected or lapsed (appeal period)

    class InspectionVoided(Event):
        """An inspection voided (作废): it stays in the history and in ``inspections``, marked;
        the score, the lowest score and passed leave it out. ``remaining``: the inspections
        still valid after it; none left, the nomination waits on inspection again (admitted)."""

        zh, en = "作废考核记录", "Inspection voided"
        state_fields = ("remaining",)

        inspection: int
        weighted_score: float
        passed: bool
        remaining: int
        lowest_score: float | None  # of the inspections still valid (read models take it)
        reason: str
        actor: Actor

        @classmethod
        def state_after(
            cls, previous: NominationState | None, fields: Mapping[str, Any]
        ) -> NominationState | None:
            if not fields.get("remaining") and previous == NominationState.INSPECTED:
                return NominationState.ADMITTED
            return previous

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.voided = (*aggregate.voided, self.inspection)

    class ReturnedForAmendment(Event):
        zh, en = "退回修改", "Returned for amendment"
        moves_to = NominationState.RETURNED

        reasons: list[str]
        fields: list[str]  # the form fields (or "material") concerned
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.returns = (
                *aggregate.returns,
                {
                    "reasons": list(self.reasons),
                    "fields": list(self.fields),
                    "at": self.timestamp,
                    "by": self.actor.as_dict(),
                    "amended_at": None,
                },
            )

    class Amended(Event):
        """The declarer's amendment after a return: the new form and/or material (the old
        values stay in the earlier events); declared again, for pre-review."""

        zh, en = "修改后重新申报", "Amended"
        moves_to = NominationState.DECLARED

        form: dict[str, Any] | None
        material: str | None
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            if self.form is not None:
                aggregate.form = dict(self.form)
            if self.material is not None:
                aggregate.material = self.material
            if aggregate.returns:
                last = dict(aggregate.returns[-1], amended_at=self.timestamp)
                aggregate.returns = (*aggregate.returns[:-1], last)

    class ClosedByCancellation(Event):
        zh, en = "评选取消，申报关闭", "Closed: campaign cancelled"
        moves_to = NominationState.CANCELLED

        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.closing_reason = self.reason

    class AppealLodged(Event):
        zh, en = "提出申诉", "Appeal lodged"

        against: str  # AppealAgainst
        grounds: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.appeals = (
                *aggregate.appeals,
                {
                    "number": len(aggregate.appeals) + 1,
                    "against": self.against,
                    "grounds": self.grounds,
                    "lodged_at": self.timestamp,
                    "lodged_by": self.actor.as_dict(),
                    "refused_at": aggregate.refused_at,
                    "outcome": None,
                    "findings": None,
                    "restores_to": None,
                    "until": None,
                    "decided_at": None,
                    "decided_by": None,
                },
            )

    class AppealDecided(Event):
        """Upheld: the nomination goes back to the state it was refused in (``restores_to``);
        ``until``: the deadline of the implicit reopening of that step for it, if its phase had
        closed. Refused: nothing changes."""

        zh, en = "申诉决定", "Appeal decided"
        state_fields = ("outcome", "restores_to")

        outcome: str  # AppealOutcome
        findings: str
        restores_to: str | None
        until: datetime | None
        actor: Actor

        @classmethod
        def state_after(
            cls, previous: NominationState | None, fields: Mapping[str, Any]
        ) -> NominationState | None:
            if fields.get("outcome") == "upheld" and fields.get("restores_to"):
                return NominationState(str(fields["restores_to"]))
            return previous

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            last = dict(
                aggregate.appeals[-1],
                outcome=self.outcome,
                findings=self.findings,
                restores_to=self.restores_to,
                until=self.until,
                decided_at=self.timestamp,
                decided_by=self.actor.as_dict(),
            )
            aggregate.appeals = (*aggregate.appeals[:-1], last)
            if self.outcome == "upheld":
                aggregate.closing_reason = None
                if self.restores_to == NominationState.DECLARED:
                    aggregate.pre_review_result = None

    @property
    def open_appeal(self) -> dict[str, Any] | None:
        return next((a for a in self.appeals if a["outcome"] is None), None)

    def void_inspection(self, number: int, reason: str, actor: Actor, at: datetime) -> None:
        from domain.corrections import invalid, refused

        if self.state == NominationState.COMMENDED or self.title is not None:
            raise refused(
                "correction_after_commendation",
                "the nomination has been commended: its inspections can no longer be voided",
                "该申报已表彰，不能再作废考核记录",
                "inspection",
                actual=str(self.state),
            )
        self._require_state("void an inspection", (NominationState.ADMITTED, NominationState.INSPECTED))
        if not 1 <= number <= len(self.inspections):
            raise invalid(
                "inspection_exists",
                f"there is no inspection {number}: {len(self.inspections)} recorded",
                f"不存在第 {number} 次考核：已记录 {len(self.inspections)} 次",
                "inspection",
                f"1..{len(self.inspections)}",
                number,
            )
        if number in self.voided:
            raise refused(
                "inspection_already_voided",
                f"inspection {number} is voided already",
                f"第 {number} 次考核已作废",
                "inspection",
                actual=number,
            )
        reason = (reason or "").strip()
        if not reason:
            raise invalid("void_reason_required", "voiding needs a reason", "作废须说明理由", "reason")
        voided = self.inspections[number - 1]
        left = [i for n, i in enumerate(self.inspections, 1) if n not in self.voided and n != number]
        self.trigger_event(
            self.InspectionVoided,
            timestamp=at,
            inspection=number,
            weighted_score=voided.weighted_score,
            passed=voided.passed,
            remaining=len(left),
            lowest_score=min((i.weighted_score for i in left), default=None),
            reason=reason,
            actor=actor,
        )

    def return_for_amendment(
        self, reasons: Sequence[str], fields: Sequence[str], actor: Actor, at: datetime
    ) -> None:
        from domain.corrections import invalid, refused

        if self.state != NominationState.DECLARED:
            raise refused(
                "return_after_pre_review" if self.pre_review_result is not None else "return_state",
                f"only a declared nomination waiting on pre-review can be returned ({self.state})",
                f"仅待初审的申报可以退回修改（当前：{self.state.zh}）",
                "state",
                NominationState.DECLARED.value,
                str(self.state),
            )
        reasons = [r.strip() for r in reasons if r and r.strip()]
        if not reasons:
            raise invalid(
                "return_reason_required",
                "a return needs at least one reason",
                "退回须说明理由",
                "reasons",
            )
        self.trigger_event(
            self.ReturnedForAmendment,
            timestamp=at,
            reasons=reasons,
            fields=[str(f).strip() for f in fields if str(f).strip()],
            actor=actor,
        )

    def amend(
        self, form: Mapping[str, Any] | None, material: str | None, actor: Actor, at: datetime
    ) -> None:
        from domain.corrections import invalid

        self._require_state("amend", (NominationState.RETURNED,))
        if form is None and material is None:
            raise invalid(
                "amendment_empty",
                "an amendment changes the form, the material or both",
                "修改须更改申报表或申报材料",
                "form",
            )
        self.trigger_event(
            self.Amended,
            timestamp=at,
            form=dict(form) if form is not None else None,
            material=material,
            actor=actor,
        )

    def close_by_cancellation(self, reason: str, actor: Actor, at: datetime) -> bool:
        """False (nothing appended) when the nomination is no longer open (a proposed one,
        拟表彰, holds no title yet: it closes too)."""
        if self.state not in CANCELLABLE:
            return False
        self.trigger_event(self.ClosedByCancellation, timestamp=at, reason=reason, actor=actor)
        return True

    def restores_to(self) -> NominationState:
        """The state an upheld appeal restores: rejected → declared (for pre-review again);
        lapsed → the state it lapsed in (declared, or admitted awaiting inspection)."""
        if self.state == NominationState.REJECTED or self.pre_review_result is None:
            return NominationState.DECLARED
        return NominationState.INSPECTED if self.valid_inspections else NominationState.ADMITTED

    def lodge_appeal(self, grounds: str, appeal_days: int, actor: Actor, at: datetime) -> None:
        from datetime import timedelta

        from domain.corrections import invalid, refused
        from domain.vocabulary import AppealAgainst

        if self.state not in (NominationState.REJECTED, NominationState.LAPSED):
            raise refused(
                "appeal_state",
                f"only a rejected or lapsed nomination can be appealed ({self.state})",
                f"仅初审未通过或逾期的申报可以申诉（当前：{self.state.zh}）",
                "state",
                [NominationState.REJECTED.value, NominationState.LAPSED.value],
                str(self.state),
            )
        if self.open_appeal is not None:
            raise refused(
                "appeal_already_open",
                "an appeal on this nomination is waiting for a decision",
                "该申报已有待决定的申诉",
                "appeal",
            )
        if any(a["refused_at"] == self.refused_at for a in self.appeals):
            raise refused(
                "appeal_already_decided",
                "this refusal has been appealed and the appeal decided",
                "该结果已申诉并已作出决定",
                "appeal",
            )
        if self.refused_at is not None:
            ends = self.refused_at + timedelta(days=appeal_days)
            if at >= ends:
                raise refused(
                    "appeal_period_over",
                    f"the appeal period of {appeal_days} day(s) ended at {ends.isoformat()}",
                    f"申诉期（{appeal_days} 天）已于 {ends.isoformat()} 届满",
                    "at",
                    f"< {ends.isoformat()}",
                    at.isoformat(),
                )
        grounds = (grounds or "").strip()
        if not grounds:
            raise invalid(
                "appeal_grounds_required", "an appeal needs its grounds", "申诉须说明理由", "grounds"
            )
        against = (
            AppealAgainst.REJECTION if self.state == NominationState.REJECTED else AppealAgainst.LAPSE
        )
        self.trigger_event(
            self.AppealLodged, timestamp=at, against=str(against), grounds=grounds, actor=actor
        )

    def decide_appeal(
        self, outcome: str, findings: str, until: datetime | None, actor: Actor, at: datetime
    ) -> NominationState | None:
        """The state restored (upheld) or None (refused)."""
        from domain.corrections import invalid, refused
        from domain.vocabulary import AppealOutcome

        if self.open_appeal is None:
            raise refused(
                "appeal_open_required",
                "no appeal on this nomination waits for a decision",
                "该申报没有待决定的申诉",
                "appeal",
            )
        term = AppealOutcome.parse(outcome)
        if term is None:
            raise invalid(
                "appeal_outcome_known",
                "an appeal is upheld or refused",
                "申诉决定须为 upheld（成立）或 refused（不成立）",
                "outcome",
                AppealOutcome.codes(),
                outcome,
            )
        findings = (findings or "").strip()
        if not findings:
            raise invalid(
                "appeal_findings_required",
                "a decision needs its findings",
                "申诉决定须写明调查结论",
                "findings",
            )
        restored = self.restores_to() if term is AppealOutcome.UPHELD else None
        self.trigger_event(
            self.AppealDecided,
            timestamp=at,
            outcome=str(term),
            findings=findings,
            restores_to=str(restored) if restored else None,
            until=until if restored else None,
            actor=actor,
        )
        return restored

    # A granted title's nominee name corrected (issue 23, item 3: the certificate and the lists
    # follow; the earlier name stays in the Declared event and in ``previous``).

    name_corrections: tuple[dict[str, Any], ...] = ()  # each NomineeNameCorrected

    class NomineeNameCorrected(Event):
        zh, en = "更正被表彰对象名称", "Nominee name corrected"

        name: str
        previous: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Nomination) -> None:
            super().apply(aggregate)
            aggregate.nominee = replace(aggregate.nominee, name=self.name)
            if aggregate.title is not None:
                aggregate.title = replace(aggregate.title, holder_name=self.name)
            aggregate.name_corrections = (
                *aggregate.name_corrections,
                {
                    "name": self.name,
                    "previous": self.previous,
                    "reason": self.reason,
                    "at": self.timestamp,
                    "by": self.actor.as_dict(),
                },
            )

    def correct_nominee_name(self, name: str, reason: str, actor: Actor, at: datetime) -> None:
        """The name of a commended nominee (holding its title) corrected, with a reason."""
        from domain.corrections import NOMINEE_NAME_MAX, invalid, refused

        if not (self.state == NominationState.COMMENDED or self.title_active):
            raise refused(
                "name_correction_needs_title",
                f"only a commended nomination holding its title has its nominee's name corrected "
                f"({self.state})",
                f"仅已表彰且荣誉称号有效的申报可以更正名称（当前：{self.state.zh}）",
                "state",
                NominationState.COMMENDED.value,
                str(self.state),
            )
        name = " ".join((name or "").split())
        if not name or len(name) > NOMINEE_NAME_MAX:
            raise invalid(
                "nominee_name_required",
                f"the corrected name has 1 to {NOMINEE_NAME_MAX} characters",
                f"更正后的名称须为 1 至 {NOMINEE_NAME_MAX} 个字符",
                "name",
                f"1..{NOMINEE_NAME_MAX}",
                len(name),
            )
        if name == self.nominee.name:
            raise invalid(
                "name_correction_changes",
                "the corrected name is the name already held",
                "更正后的名称与现名称相同",
                "name",
                actual=name,
            )
        reason = (reason or "").strip()
        if not reason:
            raise invalid(
                "name_correction_reason_required",
                "a name correction needs a reason",
                "更正名称须说明理由",
                "reason",
            )
        self.trigger_event(
            self.NomineeNameCorrected,
            timestamp=at,
            name=name,
            previous=self.nominee.name,
            reason=reason,
            actor=actor,
        )

    def corrections_dict(self) -> dict[str, Any]:
        return {
            "voided_inspections": list(self.voided),
            "returns": [dict(r) for r in self.returns],
            "appeals": [dict(a) for a in self.appeals],
            "name_corrections": [dict(c) for c in self.name_corrections],
        }

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
                    "voided": n in self.voided,
                }
                for n, i in enumerate(self.inspections, 1)
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
            **self.corrections_dict(),  # issue 23: voided inspections, returns, appeals
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
