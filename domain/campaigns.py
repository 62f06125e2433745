"""The Campaign aggregate (评选活动): organiser, categories with quotas, phases and deadlines,
and the commendations awarded so far. Its nominations are in the roster (``domain/roster.py``):
declaring does not change the campaign.

Commendations are recorded here as well as on each nomination, in one transaction, so two
commendations racing on the same campaign conflict on its version: the quota can never be
exceeded, whoever wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import (
    CategoryUnknownError,
    DeadlineExtensionRefusedError,
    PhaseUnknownError,
    QuotaExceededError,
    RuleFailure,
)
from domain.nominations import one_year_later
from domain.rules.phases import extension_failures, move_close, require_open
from domain.templates import Template
from domain.values import Category, Phase
from domain.vocabulary import PhaseStatus, Step


class Campaign(Aggregate):
    # A version-1 snapshot kept ``created_by`` as a dict; a version-2 snapshot the nominations
    # (now in the roster, ``domain/roster.py``).
    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        upcast_actor(state, "created_by")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state.pop("roster", None)
        state.pop("nominees", None)

    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Created(Event, Aggregate.Created):
        template_code: str
        name_zh: str
        name_en: str
        organiser_unit_id: str
        year: int | None
        timezone: str
        parent_campaign_id: UUID | None
        categories: list[Category]
        phases: list[Phase]
        steps: dict[str, str]
        actor: Actor

    class PhaseOpened(Event):
        phase: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate._set_phase(self.phase, status=PhaseStatus.OPEN)

    class PhaseClosed(Event):
        phase: str
        closed_at: datetime
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            index = aggregate.phase_index(self.phase)
            phase = aggregate.phases[index]
            closes_at = min(phase.closes_at, self.closed_at)
            aggregate.phases[index] = replace(phase, status=PhaseStatus.CLOSED, closes_at=closes_at)

    class DeadlineExtended(Event):
        phase: str
        previous_closes_at: datetime
        closes_at: datetime
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.phases = move_close(
                aggregate.phases, aggregate.phase_index(self.phase), self.closes_at
            )

    class NominationRegistered(Event):
        nomination_id: str
        category: str
        nominee_key: str
        declaring_unit_id: str
        nominee_unit_id: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            """Recorded by declarations before the roster (``domain/roster.py``) held them;
            kept so those logs load. A campaign no longer lists its nominations."""

    class DeadlineApproaching(Event):
        phase: str
        closes_at: datetime
        offset_seconds: int
        pending_units: list[str]  # units that have not declared yet (declaration reminders)
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.reminders.append(
                f"{self.phase}|{self.closes_at.isoformat()}|{self.offset_seconds}"
            )

    class SilentUnitsRecorded(Event):
        phase: str
        units: list[str]  # townships in the organiser's jurisdiction that declared nothing
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.silent_units = list(self.units)

    class CommendationsAwarded(Event):
        category: str
        nomination_ids: list[str]
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.commended.setdefault(self.category, []).extend(self.nomination_ids)

    def __init__(
        self,
        template_code: str,
        name_zh: str,
        name_en: str,
        organiser_unit_id: str,
        year: int | None,
        timezone: str,
        parent_campaign_id: UUID | None,
        categories: Sequence[Category],
        phases: Sequence[Phase],
        steps: dict[str, str],
        actor: Actor,
    ) -> None:
        self.template_code = template_code
        self.name_zh = name_zh
        self.name_en = name_en
        self.organiser_unit_id = organiser_unit_id
        self.year = year
        self.timezone = timezone
        self.parent_campaign_id = parent_campaign_id
        self.categories = list(categories)
        self.phases = list(phases)
        self.steps = dict(steps)
        self.created_by = actor
        self.commended: dict[str, list[str]] = {}
        self.reminders: list[str] = []
        self.silent_units: list[str] | None = None

    @classmethod
    def create(
        cls,
        template: Template,
        *,
        organiser_unit_id: str,
        year: int | None,
        parent_campaign_id: UUID | None,
        categories: Sequence[Category],
        phases: Sequence[Phase],
        actor: Actor,
        at: datetime,
    ) -> Campaign:
        """A campaign of ``template`` run by the organiser, with its phases and categories as
        instantiated (quotas overridden at creation); without a ``year``, the year its first
        phase opens."""
        return cls._create(
            cls.Created,
            id=uuid4(),
            timestamp=at,
            template_code=template.code,
            name_zh=template.name_zh,
            name_en=template.name_en,
            organiser_unit_id=organiser_unit_id,
            year=year if year is not None else phases[0].opens_at.year,
            timezone=template.timezone,
            parent_campaign_id=parent_campaign_id,
            categories=list(categories),
            phases=list(phases),
            steps=dict(template.steps),
            actor=actor,
        )

    # --- reads -------------------------------------------------------------------------

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise CategoryUnknownError(
            [
                RuleFailure(
                    "category_known",
                    f"'{code}' is not a category of this campaign",
                    f"「{code}」不是本次评选的类别",
                    "category",
                    [c.code for c in self.categories],
                    code,
                )
            ]
        )

    def phase_index(self, code: str) -> int:
        for i, phase in enumerate(self.phases):
            if phase.code == code:
                return i
        raise PhaseUnknownError(
            [
                RuleFailure(
                    "phase_known",
                    f"'{code}' is not a phase of this campaign",
                    f"「{code}」不是本次评选的阶段",
                    "phase",
                    [p.code for p in self.phases],
                    code,
                )
            ]
        )

    def phase(self, code: str) -> Phase:
        return self.phases[self.phase_index(code)]

    def phase_for(self, step: Step | str) -> Phase:
        return self.phase(self.steps[step])

    def steps_of(self, phase_code: str) -> list[Step]:
        return [step for step in Step if self.steps.get(step) == phase_code]

    def require_step_open(self, step: Step | str, at: datetime) -> None:
        require_open(self.phase_for(step), step, at)

    def current_phase(self, at: datetime) -> Phase | None:
        return next((p for p in self.phases if p.is_open_at(at)), None)

    def commended_count(self, category: str) -> int:
        return len(self.commended.get(category, []))

    # --- commands (guards here, state changes in the events' apply) ---------------------

    def _set_phase(self, code: str, status: PhaseStatus) -> None:
        index = self.phase_index(code)
        self.phases[index] = replace(self.phases[index], status=status)

    def open_phase(self, code: str, actor: Actor, at: datetime) -> bool:
        phase = self.phase(code)
        if phase.status != PhaseStatus.SCHEDULED:
            return False
        self.trigger_event(self.PhaseOpened, timestamp=at, phase=code, actor=actor)
        return True

    def close_phase(self, code: str, reason: str, actor: Actor, at: datetime) -> bool:
        phase = self.phase(code)
        if phase.status == PhaseStatus.CLOSED:
            return False
        self.trigger_event(
            self.PhaseClosed, timestamp=at, phase=code, closed_at=at, reason=reason, actor=actor
        )
        return True

    def extend_deadline(
        self, code: str, closes_at: datetime, reason: str, actor: Actor, at: datetime
    ) -> None:
        index = self.phase_index(code)
        failures = extension_failures(self.phases, index, closes_at, reason, at)
        if failures:
            raise DeadlineExtensionRefusedError(failures)
        self.trigger_event(
            self.DeadlineExtended,
            timestamp=at,
            phase=code,
            previous_closes_at=self.phases[index].closes_at,
            closes_at=closes_at,
            reason=reason.strip(),
            actor=actor,
        )

    def remind(
        self,
        phase: str,
        offset_seconds: int,
        pending_units: Sequence[str],
        actor: Actor,
        at: datetime,
    ) -> bool:
        """Records a deadline reminder once per (phase, deadline, offset); a moved deadline gets
        its own."""
        closes_at = self.phase(phase).closes_at
        if f"{phase}|{closes_at.isoformat()}|{offset_seconds}" in self.reminders:
            return False
        self.trigger_event(
            self.DeadlineApproaching,
            timestamp=at,
            phase=phase,
            closes_at=closes_at,
            offset_seconds=offset_seconds,
            pending_units=list(pending_units),
            actor=actor,
        )
        return True

    def record_silent_units(self, phase: str, units: Sequence[str], actor: Actor, at: datetime) -> bool:
        if self.silent_units is not None:
            return False
        self.trigger_event(
            self.SilentUnitsRecorded, timestamp=at, phase=phase, units=list(units), actor=actor
        )
        return True

    def title_anniversary(self) -> datetime:
        """Titles of a campaign share their anniversary: a year after commendation closes."""
        return one_year_later(self.phase_for(Step.COMMENDATION).closes_at)

    def award(self, category: str, nomination_ids: Sequence[str], actor: Actor, at: datetime) -> None:
        quota = self.category(category).quota
        already = self.commended_count(category)
        if quota is not None and already + len(nomination_ids) > quota:
            raise QuotaExceededError(
                f"commending {len(nomination_ids)} more would exceed the quota of {quota} "
                f"({already} already commended)",
                f"再表彰 {len(nomination_ids)} 个将超过名额 {quota}（已表彰 {already} 个）",
                quota=quota,
                commended=already,
            )
        self.trigger_event(
            self.CommendationsAwarded,
            timestamp=at,
            category=category,
            nomination_ids=list(nomination_ids),
            actor=actor,
        )

    def phase_summaries(self) -> list[dict[str, Any]]:
        return [
            {
                "code": p.code,
                "name_zh": p.name_zh,
                "name_en": p.name_en,
                "opens_at": p.opens_at,
                "closes_at": p.closes_at,
                "status": p.status,
            }
            for p in self.phases
        ]

    def summary(self, nominations: Mapping[str, int]) -> dict[str, Any]:
        """``nominations``: how many per category (from the roster)."""
        return {
            "id": str(self.id),
            "version": self.version,
            "template": self.template_code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "organiser_unit_id": self.organiser_unit_id,
            "year": self.year,
            "timezone": self.timezone,
            "parent_campaign_id": str(self.parent_campaign_id) if self.parent_campaign_id else None,
            "steps": dict(self.steps),
            "silent_units": self.silent_units,
            "phases": self.phase_summaries(),
            "categories": [
                {
                    "code": c.code,
                    "name_zh": c.name_zh,
                    "name_en": c.name_en,
                    "nominee_kind": c.nominee_kind,
                    "quota": c.quota,
                    "commended": self.commended_count(c.code),
                    "nominations": nominations.get(c.code, 0),
                }
                for c in self.categories
            ],
        }
