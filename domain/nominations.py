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
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import (
    InspectionInvalidError,
    InvalidTransitionError,
    PreReviewRefusedError,
    RuleFailure,
)
from domain.rules.eligibility import disqualifier_failures
from domain.rules.inspection import inspection_failures, weighted_score
from domain.rules.thresholds import threshold_failures
from domain.values import Category, Inspection, Nominee

STATES = (
    "declared",
    "admitted",
    "rejected",
    "inspected",
    "commended",
    "withdrawn",
    "lapsed",
    "revoked",
    "forwarded",
)
STATE_NAMES_ZH = {
    "declared": "已申报",
    "admitted": "初审通过",
    "rejected": "初审未通过",
    "inspected": "已考核",
    "commended": "已表彰",
    "withdrawn": "已撤回",
    "lapsed": "已逾期",
    "revoked": "已撤销荣誉",
    "forwarded": "已上报",
}
WITHDRAWABLE = ("declared", "admitted", "inspected")
LAPSABLE = {"pre_review": ("declared",), "inspection": ("admitted",)}


def one_year_later(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


class Nomination(Aggregate):
    class Declared(Aggregate.Created):
        campaign_id: UUID
        category: str
        declaring_unit_id: str
        nominee: Nominee
        form: dict[str, Any]
        material: str
        actor: dict[str, Any]
        forwarded_from: dict[str, Any] | None

    class PreReviewed(Aggregate.Event):
        decision: str
        reasons: list[str]
        checks: dict[str, Any]
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            aggregate.state = "admitted" if self.decision == "admit" else "rejected"
            aggregate.pre_review_result = {
                "decision": self.decision,
                "reasons": list(self.reasons),
                "checks": dict(self.checks),
            }

    class Inspected(Aggregate.Event):
        inspection: Inspection

        def apply(self, aggregate: Nomination) -> None:
            aggregate.inspections.append(self.inspection)
            aggregate.state = "inspected"

    class Commended(Aggregate.Event):
        rank: int
        score: float
        anniversary: datetime
        yearly_reinspection: bool
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            aggregate.state = "commended"
            aggregate.title = {
                "active": True,
                "granted_at": self.timestamp,
                "rank": self.rank,
                "anniversary": self.anniversary,
                "yearly_reinspection": self.yearly_reinspection,
                "reinspection_due_by": None,
            }

    class Withdrawn(Aggregate.Event):
        reason: str
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            aggregate.state = "withdrawn"
            aggregate.closing_reason = self.reason

    class Lapsed(Aggregate.Event):
        phase: str
        reason: str
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            aggregate.state = "lapsed"
            aggregate.closing_reason = self.reason

    class ReinspectionDue(Aggregate.Event):
        due_by: datetime
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            assert aggregate.title is not None
            aggregate.title["reinspection_due_by"] = self.due_by

    class Reinspected(Aggregate.Event):
        inspection: Inspection
        passed: bool
        next_anniversary: datetime | None

        def apply(self, aggregate: Nomination) -> None:
            assert aggregate.title is not None
            aggregate.reinspections.append(self.inspection)
            aggregate.title["reinspection_due_by"] = None
            if self.passed and self.next_anniversary is not None:
                aggregate.title["anniversary"] = self.next_anniversary

    class Revoked(Aggregate.Event):
        reason: str
        cause: str  # reinspection_failed | not_reinspected | decision
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            assert aggregate.title is not None
            aggregate.state = "revoked"
            aggregate.title["active"] = False
            aggregate.title["revoked_at"] = self.timestamp
            aggregate.closing_reason = self.reason

    class Forwarded(Aggregate.Event):
        target_campaign_id: UUID
        target_nomination_id: UUID
        actor: dict[str, Any]

        def apply(self, aggregate: Nomination) -> None:
            aggregate.state = "forwarded"
            aggregate.forwarded_to = {
                "campaign_id": self.target_campaign_id,
                "nomination_id": self.target_nomination_id,
            }

    def __init__(
        self,
        campaign_id: UUID,
        category: str,
        declaring_unit_id: str,
        nominee: Nominee,
        form: dict[str, Any],
        material: str,
        actor: dict[str, Any],
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
        self.state = "declared"
        self.pre_review_result: dict[str, Any] | None = None
        self.inspections: list[Inspection] = []
        self.reinspections: list[Inspection] = []
        self.title: dict[str, Any] | None = None
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
        actor: dict[str, Any],
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
        """Passed when every inspection's verdict is pass (each pass is checked against the pass mark)."""
        if not self.inspections:
            return None
        return all(i.verdict == "pass" for i in self.inspections)

    @property
    def title_active(self) -> bool:
        return bool(self.title and self.title.get("active"))

    def _require_state(self, action: str, allowed: Sequence[str]) -> None:
        if self.state not in allowed:
            raise InvalidTransitionError(
                f"cannot {action} a nomination that is {self.state} (allowed from: {', '.join(allowed)})",
                f"当前状态为「{STATE_NAMES_ZH.get(self.state, self.state)}」，不能{action}",
                state=self.state,
                action=action,
            )

    # --- commands --------------------------------------------------------------------------

    def pre_review(
        self,
        category: Category,
        decision: str,
        reasons: Sequence[str],
        checks: Mapping[str, Any],
        actor: dict[str, Any],
        at: datetime,
        extra_failures: Sequence[RuleFailure] = (),
    ) -> None:
        self._require_state("pre-review", ("declared",))
        reasons = [r.strip() for r in reasons if r and r.strip()]
        if decision == "admit":
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
        elif decision == "reject":
            if not reasons:
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
        else:
            raise PreReviewRefusedError(
                [
                    RuleFailure(
                        "decision_known",
                        "decision must be admit or reject",
                        "初审结论须为 admit（通过）或 reject（不通过）",
                        "decision",
                        ["admit", "reject"],
                        decision,
                    )
                ]
            )
        self.trigger_event(
            self.PreReviewed,
            timestamp=at,
            decision=decision,
            reasons=reasons,
            checks=dict(checks),
            actor=actor,
        )

    def _inspection(
        self,
        category: Category,
        methods: Sequence[str],
        scores: Mapping[str, Any],
        verdict: str,
        notes: str,
        actor: dict[str, Any],
        at: datetime,
        kind: str,
    ) -> Inspection:
        failures = inspection_failures(category, methods, scores, verdict)
        if failures:
            raise InspectionInvalidError(failures)
        return Inspection(
            methods=tuple(methods),
            scores={k: float(v) for k, v in scores.items()},
            weighted_score=weighted_score(category, scores),
            verdict=verdict,
            notes=notes or "",
            inspector=actor,
            at=at,
            kind=kind,
        )

    def inspect(
        self,
        category: Category,
        methods: Sequence[str],
        scores: Mapping[str, Any],
        verdict: str,
        notes: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        self._require_state("inspect", ("admitted", "inspected"))
        inspection = self._inspection(category, methods, scores, verdict, notes, actor, at, "inspection")
        self.trigger_event(self.Inspected, timestamp=at, inspection=inspection)

    def commend(
        self,
        rank: int,
        category: Category,
        actor: dict[str, Any],
        at: datetime,
        anniversary: datetime | None = None,
    ) -> None:
        self._require_state("commend", ("inspected",))
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

    def withdraw(self, reason: str, actor: dict[str, Any], at: datetime) -> None:
        self._require_state("withdraw", WITHDRAWABLE)
        self.trigger_event(self.Withdrawn, timestamp=at, reason=(reason or "").strip(), actor=actor)

    def lapse(self, step: str, phase: str, reason: str, actor: dict[str, Any], at: datetime) -> bool:
        """Lapse if still waiting on ``step``; False (nothing appended) otherwise."""
        if self.state not in LAPSABLE.get(step, ()):
            return False
        self.trigger_event(self.Lapsed, timestamp=at, phase=phase, reason=reason, actor=actor)
        return True

    def _require_title(self, action: str) -> None:
        if not self.title_active:
            raise InvalidTransitionError(
                f"cannot {action}: the nomination holds no granted title (state {self.state})",
                f"该申报未获得荣誉称号（状态：{STATE_NAMES_ZH.get(self.state, self.state)}），不能{action}",
                state=self.state,
                action=action,
            )

    def mark_reinspection_due(self, due_by: datetime, actor: dict[str, Any], at: datetime) -> bool:
        self._require_title("open a re-inspection")
        assert self.title is not None
        if self.title.get("reinspection_due_by") == due_by:
            return False
        self.trigger_event(self.ReinspectionDue, timestamp=at, due_by=due_by, actor=actor)
        return True

    def reinspect(
        self,
        category: Category,
        methods: Sequence[str],
        scores: Mapping[str, Any],
        verdict: str,
        notes: str,
        actor: dict[str, Any],
        at: datetime,
    ) -> None:
        """A passing re-inspection keeps the title another year; a failing one revokes it."""
        self._require_title("re-inspect")
        assert self.title is not None
        inspection = self._inspection(
            category, methods, scores, verdict, notes, actor, at, "re-inspection"
        )
        passed = verdict == "pass"
        next_anniversary = one_year_later(self.title["anniversary"]) if passed else None
        self.trigger_event(
            self.Reinspected,
            timestamp=at,
            inspection=inspection,
            passed=passed,
            next_anniversary=next_anniversary,
        )
        if not passed:
            self.trigger_event(
                self.Revoked,
                timestamp=at,
                reason=f"re-inspection failed / 复查不合格: {notes}".strip().rstrip(":"),
                cause="reinspection_failed",
                actor=actor,
            )

    def revoke(self, reason: str, cause: str, actor: dict[str, Any], at: datetime) -> None:
        self._require_title("revoke")
        if not (reason or "").strip():
            raise InvalidTransitionError(
                "a revocation needs a reason", "撤销荣誉须说明理由", action="revoke"
            )
        self.trigger_event(self.Revoked, timestamp=at, reason=reason.strip(), cause=cause, actor=actor)

    def forward(
        self, target_campaign_id: UUID, target_nomination_id: UUID, actor: dict[str, Any], at: datetime
    ) -> None:
        self._require_state("forward", ("commended",))
        self.trigger_event(
            self.Forwarded,
            timestamp=at,
            target_campaign_id=target_campaign_id,
            target_nomination_id=target_nomination_id,
            actor=actor,
        )

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
            },
            "form": dict(self.form),
            "material_chars": len(self.material),
            "state": self.state,
            "state_zh": STATE_NAMES_ZH[self.state],
            "declared_at": self.declared_at,
            "declared_by": self.declared_by,
            "pre_review": self.pre_review_result,
            "inspections": [
                {
                    "methods": list(i.methods),
                    "scores": dict(i.scores),
                    "weighted_score": i.weighted_score,
                    "verdict": i.verdict,
                    "notes": i.notes,
                    "inspector": i.inspector,
                    "at": i.at,
                }
                for i in self.inspections
            ],
            "score": self.score,
            "passed": self.passed,
            "title": dict(self.title) if self.title else None,
            "reinspections": [
                {
                    "verdict": i.verdict,
                    "weighted_score": i.weighted_score,
                    "at": i.at,
                    "inspector": i.inspector,
                }
                for i in self.reinspections
            ],
            "forwarded_from": self.forwarded_from,
            "forwarded_to": {k: str(v) for k, v in self.forwarded_to.items()}
            if self.forwarded_to
            else None,
            "closing_reason": self.closing_reason,
        }
