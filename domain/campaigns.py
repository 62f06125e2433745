"""The Campaign aggregate (评选活动): organiser, categories with quotas, phases and deadlines,
and the commendations awarded so far. Its nominations are in the roster (``domain/roster.py``):
declaring does not change the campaign.

Commendations are recorded here as well as on each nomination, in one transaction, so two
commendations racing on the same campaign conflict on its version: the quota can never be
exceeded, whoever wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import field, replace
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import (
    CampaignExistsError,
    CategoryUnknownError,
    DeadlineExtensionRefusedError,
    ForwardingRefusedError,
    InvalidCampaignError,
    PhaseUnknownError,
    QuotaExceededError,
    RuleFailure,
)
from domain.escalation import DEFAULT_LADDER, EscalationStep, ladder_dicts, ladder_of
from domain.nominations import one_year_later
from domain.rules.phases import extension_failures, move_close, require_open
from domain.templates import DutySpec, Template
from domain.values import Category, Phase
from domain.vocabulary import ForwardedInspection, PhaseStatus, Step

# What a campaign created before levels were modelled does: takes a forwarded nomination's
# inspection afresh, no local inspection, no previous campaign.
ACROSS_LEVELS_BEFORE: dict[str, Any] = {
    "forwarded_inspection": ForwardedInspection.REINSPECT.value,
    "local_inspection": {},
    "previous_campaign_id": None,
    "delegates": {},
    "duties": [],
    "forwards_commended": True,
}
MAX_FORWARDING_QUOTA = 10_000


def forwarding_key(from_unit_id: str, category: str) -> str:
    return f"{from_unit_id}|{category}"


def forwarding_quota_failures(
    quotas: Mapping[str, Mapping[str, Any]], categories: Sequence[str]
) -> list[RuleFailure]:
    failures = []
    for unit, per_category in quotas.items():
        if not isinstance(per_category, Mapping):
            failures.append(
                RuleFailure(
                    "forwarding_quota_shape",
                    "each unit's forwarding quotas map a category to a whole number",
                    "每个单位的上报名额须为“类别 → 整数”",
                    f"quotas.{unit}",
                )
            )
            continue
        for category, n in per_category.items():
            field = f"quotas.{unit}.{category}"
            if category not in categories:
                failures.append(
                    RuleFailure(
                        "category_known",
                        f"'{category}' is not a category of this campaign",
                        f"「{category}」不是本次评选的类别",
                        field,
                        list(categories),
                        category,
                    )
                )
            elif isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_FORWARDING_QUOTA:
                failures.append(
                    RuleFailure(
                        "forwarding_quota_whole_number",
                        f"a forwarding quota is a whole number from 0 to {MAX_FORWARDING_QUOTA}",
                        f"上报名额须为 0 至 {MAX_FORWARDING_QUOTA} 的整数",
                        field,
                        MAX_FORWARDING_QUOTA,
                        n,
                    )
                )
    return failures


class Campaign(Aggregate):
    # A version-1 snapshot kept ``created_by`` as a dict; a version-2 snapshot the nominations
    # (now in the roster, ``domain/roster.py``); a version-3 snapshot nothing across levels.
    class_version = 4

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        upcast_actor(state, "created_by")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state.pop("roster", None)
        state.pop("nominees", None)

    @staticmethod
    def upcast_v3_v4(state: dict[str, Any]) -> None:
        state.update(ACROSS_LEVELS_BEFORE)
        state.update(forwarding_quotas={}, forwarded={}, next_campaign_id=None)

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
        # Version 3 (a version-2 event is upcast to what a campaign created before levels were
        # modelled did; the defaults say the same).
        forwarded_inspection: ForwardedInspection = ForwardedInspection.REINSPECT
        local_inspection: dict[str, list[str]] = field(default_factory=dict)
        previous_campaign_id: UUID | None = None
        delegates: dict[str, str] = field(default_factory=dict)
        duties: list[DutySpec] = field(default_factory=list)  # as the template declared them
        forwards_commended: bool = True
        # Version 4: the escalation ladder (issue 24; domain/escalation.py), as plain dicts.
        escalation: list[dict[str, Any]] = field(default_factory=lambda: ladder_dicts(DEFAULT_LADDER))

        class_version = 4

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state.update(ACROSS_LEVELS_BEFORE)

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            # Created before the ladder: what a template without the key gives, the default.
            state["escalation"] = ladder_dicts(DEFAULT_LADDER)

    class ForwardingQuotasSet(Event):
        quotas: dict[str, dict[str, int]]  # child organiser unit -> category -> at most
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.forwarding_quotas = {k: dict(v) for k, v in self.quotas.items()}

    class ForwardingReceived(Event):
        """Nominations forwarded to this campaign by a child organiser (择优上报)."""

        from_unit_id: str
        category: str
        nomination_ids: list[str]  # here
        source_ids: list[str]  # in the child's campaign
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            key = forwarding_key(self.from_unit_id, self.category)
            aggregate.forwarded[key] = aggregate.forwarded.get(key, 0) + len(self.nomination_ids)

    class NextYearCreated(Event):
        """Next year's campaign was made from this one (once: a second is refused)."""

        campaign_id: UUID
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.next_campaign_id = self.campaign_id

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
        forwarded_inspection: ForwardedInspection = ForwardedInspection.REINSPECT,
        local_inspection: dict[str, list[str]] | None = None,
        previous_campaign_id: UUID | None = None,
        delegates: dict[str, str] | None = None,
        duties: Sequence[DutySpec] = (),
        forwards_commended: bool = True,
        escalation: Sequence[dict[str, Any]] | None = None,
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
        self.forwarded_inspection = ForwardedInspection(forwarded_inspection)
        self.local_inspection = {k: list(v) for k, v in (local_inspection or {}).items()}
        self.previous_campaign_id = previous_campaign_id
        self.delegates = dict(delegates or {})  # nominee level -> the unit that acts for them
        self.duties = list(duties)  # the template's duties when the campaign was created
        self.forwards_commended = forwards_commended
        self.escalation = (
            ladder_dicts(DEFAULT_LADDER) if escalation is None else [dict(s) for s in escalation]
        )
        self.next_campaign_id: UUID | None = None
        self.forwarding_quotas: dict[str, dict[str, int]] = {}
        self.forwarded: dict[str, int] = {}  # forwarding_key -> how many received

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
        previous_campaign_id: UUID | None = None,
        delegates: Mapping[str, str] | None = None,
    ) -> Campaign:
        """A campaign of ``template`` run by the organiser, with its phases and categories as
        instantiated (quotas overridden at creation); without a ``year``, the year its first
        phase opens."""
        campaign = cls._create(
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
            forwarded_inspection=template.forwarded_inspection,
            local_inspection={
                str(k): [str(v) for v in vs] for k, vs in template.local_inspection.items()
            },
            previous_campaign_id=previous_campaign_id,
            delegates=dict(delegates or {}),
            duties=list(template.duties),
            forwards_commended=template.forwards_commended,
            escalation=ladder_dicts(template.escalation),
        )
        if template.publicity:  # 公示 before the titles (issue 23; domain/publicity.py)
            campaign.trigger_event(
                cls.PublicityConfigured,
                timestamp=at,
                working_days=int(template.publicity["working_days"]),
                public_page=bool(template.publicity.get("public_page", True)),
                reason="template",
                actor=actor,
            )
        return campaign

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

    def require_step_open(
        self,
        step: Step | str,
        at: datetime,
        *,
        units: Sequence[str] = (),
        nomination_id: str | None = None,
    ) -> None:
        """The step's phase open at ``at``, or reopened for one of ``units`` or for the
        nomination (issue 23); nothing is open in a cancelled campaign."""
        self.require_not_cancelled()
        phase = self.phase_for(step)
        if not phase.is_open_at(at) and self.reopened_for(phase.code, at, units, nomination_id):
            return
        require_open(phase, step, at)

    def current_phase(self, at: datetime) -> Phase | None:
        return next((p for p in self.phases if p.is_open_at(at)), None)

    def commended_count(self, category: str) -> int:
        return len(self.commended.get(category, []))

    def forwarding_left(self, from_unit_id: str, category: str) -> int | None:
        """How many more ``from_unit_id`` may forward into ``category`` (None: no limit)."""
        quota = self.forwarding_quotas.get(from_unit_id, {}).get(category)
        if quota is None:
            return None
        return max(quota - self.forwarded.get(forwarding_key(from_unit_id, category), 0), 0)

    def inspected_locally(self, inspector_level: str, nominee_level: str) -> bool:
        """Whether an inspector of ``inspector_level`` (below the organiser) assesses nominees
        of ``nominee_level`` in its own subtree (seed 001: townships assess their villages)."""
        return nominee_level in self.local_inspection.get(inspector_level, ())

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

    def set_forwarding_quotas(
        self, quotas: Mapping[str, Mapping[str, int]], reason: str, actor: Actor, at: datetime
    ) -> None:
        failures = forwarding_quota_failures(quotas, [c.code for c in self.categories])
        if failures:
            raise InvalidCampaignError(failures)
        self.trigger_event(
            self.ForwardingQuotasSet,
            timestamp=at,
            quotas={str(u): {str(c): int(n) for c, n in q.items()} for u, q in quotas.items()},
            reason=reason.strip(),
            actor=actor,
        )

    def receive_forwarded(
        self,
        from_unit_id: str,
        category: str,
        nomination_ids: Sequence[str],
        source_ids: Sequence[str],
        actor: Actor,
        at: datetime,
    ) -> None:
        """Records nominations forwarded by a child organiser, within its forwarding quota
        (racing forwardings conflict on this campaign's version)."""
        self.category(category)
        left = self.forwarding_left(from_unit_id, category)
        if left is not None and len(nomination_ids) > left:
            quota = self.forwarding_quotas[from_unit_id][category]
            raise ForwardingRefusedError(
                [
                    RuleFailure(
                        "forwarding_quota",
                        f"forwarding {len(nomination_ids)} more would exceed the forwarding quota "
                        f"of {quota} for {from_unit_id} in '{category}' ({quota - left} already)",
                        f"再上报 {len(nomination_ids)} 个将超过上级为「{from_unit_id}」在「{category}」"
                        f"设定的上报名额 {quota}（已上报 {quota - left} 个）",
                        "nomination_ids",
                        quota,
                        quota - left + len(nomination_ids),
                    )
                ]
            )
        self.trigger_event(
            self.ForwardingReceived,
            timestamp=at,
            from_unit_id=from_unit_id,
            category=category,
            nomination_ids=list(nomination_ids),
            source_ids=list(source_ids),
            actor=actor,
        )

    def made_next_year(self, campaign_id: UUID, actor: Actor, at: datetime) -> None:
        if self.next_campaign_id is not None:
            raise CampaignExistsError(
                f"next year's campaign was already made from this one: {self.next_campaign_id}",
                f"已由本次评选创建过下一年度评选：{self.next_campaign_id}",
                campaign=str(self.next_campaign_id),
            )
        self.trigger_event(self.NextYearCreated, timestamp=at, campaign_id=campaign_id, actor=actor)

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
            "previous_campaign_id": (
                str(self.previous_campaign_id) if self.previous_campaign_id else None
            ),
            "next_campaign_id": str(self.next_campaign_id) if self.next_campaign_id else None,
            "forwarded_inspection": self.forwarded_inspection,
            "local_inspection": dict(self.local_inspection),
            "delegates": dict(self.delegates),
            "forwarding_quotas": dict(self.forwarding_quotas),
            "forwarded": [
                {"from_unit_id": key.split("|", 1)[0], "category": key.split("|", 1)[1], "count": n}
                for key, n in sorted(self.forwarded.items())
            ],
            "phases": self.phase_summaries(),
            "escalation": [dict(s) for s in self.escalation],  # the ladder (issue 24)
            "escalated": [dict(e) for e in self.escalations],
            **self.corrections_summary(),  # issue 23: cancelled, reopenings
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

    # --- inspection teams and score normalisation (issue 22, items 1-3; domain/teams.py) -----

    teams: tuple[dict[str, Any], ...] = ()  # the teams in forming order (TeamFormed, ...)
    teams_formed: int = 0  # how many were ever formed (a new team's default id counts on)
    score_normalisation: str = "none"  # ScoreNormalisation: how the ranking compares teams

    class TeamFormed(Event):
        team: dict[str, Any]  # id, name, leader, members (domain/teams.py)
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.teams = (*aggregate.teams, dict(self.team))
            aggregate.teams_formed = aggregate.teams_formed + 1

    class TeamChanged(Event):
        team_id: str
        team: dict[str, Any]  # the team as it now stands
        added: list[str]  # member keys
        removed: list[str]
        renamed: bool
        leader_changed: bool
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.teams = tuple(
                dict(self.team) if t["id"] == self.team_id else t for t in aggregate.teams
            )

    class TeamDisbanded(Event):
        team_id: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.teams = tuple(t for t in aggregate.teams if t["id"] != self.team_id)

    class ScoreNormalisationSet(Event):
        method: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.score_normalisation = self.method

    def form_team(self, team: Mapping[str, Any], reason: str, actor: Actor, at: datetime) -> None:
        from domain.errors import TeamInvalidError
        from domain.teams import team_failures

        failures = team_failures(team, self.teams)
        if any(t["id"] == team.get("id") for t in self.teams):
            failures.append(
                RuleFailure(
                    "team_id_unique",
                    f"this campaign already has a team '{team.get('id')}'",
                    f"本次评选已有考核组「{team.get('id')}」",
                    "team_id",
                    None,
                    team.get("id"),
                )
            )
        if failures:
            raise TeamInvalidError(failures)
        self.trigger_event(
            self.TeamFormed, timestamp=at, team=dict(team), reason=reason.strip(), actor=actor
        )

    def change_team(
        self,
        team: Mapping[str, Any],
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> bool:
        """Records the team as it now stands (False: nothing changed)."""
        from domain.errors import TeamInvalidError
        from domain.teams import find_team, team_failures

        before = find_team(self.teams, str(team["id"]))
        failures = team_failures(team, self.teams)
        if not reason.strip():
            failures.append(
                RuleFailure(
                    "team_change_reason_required",
                    "a change to a team needs a reason",
                    "变更考核组须说明理由",
                    "reason",
                )
            )
        if failures:
            raise TeamInvalidError(failures)
        old = {m["key"] for m in before["members"]}
        new = {m["key"] for m in team["members"]}
        changed = (
            old != new
            or before["name"] != team["name"]
            or before["leader"] != team["leader"]
            or before["members"] != team["members"]
        )
        if not changed:
            return False
        self.trigger_event(
            self.TeamChanged,
            timestamp=at,
            team_id=str(team["id"]),
            team=dict(team),
            added=sorted(new - old),
            removed=sorted(old - new),
            renamed=before["name"] != team["name"],
            leader_changed=before["leader"] != team["leader"],
            reason=reason.strip(),
            actor=actor,
        )
        return True

    def disband_team(self, team_id: str, reason: str, actor: Actor, at: datetime) -> None:
        from domain.teams import find_team

        find_team(self.teams, team_id)
        self.trigger_event(
            self.TeamDisbanded, timestamp=at, team_id=team_id, reason=reason.strip(), actor=actor
        )

    def set_score_normalisation(self, method: str, reason: str, actor: Actor, at: datetime) -> bool:
        from domain.vocabulary import ScoreNormalisation

        term = ScoreNormalisation.parse(method)
        if term is None:
            raise InvalidCampaignError(
                [
                    RuleFailure(
                        "score_normalisation_known",
                        f"unknown score normalisation '{method}'",
                        f"未知的得分标准化方式「{method}」",
                        "method",
                        ScoreNormalisation.codes(),
                        method,
                    )
                ]
            )
        if term == self.score_normalisation:
            return False
        self.trigger_event(
            self.ScoreNormalisationSet,
            timestamp=at,
            method=str(term),
            reason=reason.strip(),
            actor=actor,
        )
        return True

    # --- 公示: the proposed list, its period and objections (issue 23, items 1-2;
    # domain/publicity.py). Defaults here: campaigns recorded before it have none.

    publicity: dict[str, Any] | None = None  # {"working_days", "public_page"}; None: no 公示
    publicity_periods: tuple[dict[str, Any], ...] = ()  # each publication, closed or not
    objections: tuple[dict[str, Any], ...] = ()  # {receipt, nomination_id, status, digest}
    objections_reminded_at: datetime | None = None

    class PublicityConfigured(Event):
        zh, en = "设置公示", "Publicity configured"

        working_days: int
        public_page: bool
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.publicity = (
                {"working_days": self.working_days, "public_page": self.public_page}
                if self.working_days
                else None
            )

    class PublicityStarted(Event):
        zh, en = "发布拟表彰名单（公示开始）", "Publicity started"

        categories: list[str]
        nomination_ids: list[str]
        published_at: datetime
        closes_at: datetime
        working_days: int
        calendar: str
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.publicity_periods = (
                *aggregate.publicity_periods,
                {
                    "index": len(aggregate.publicity_periods),
                    "categories": list(self.categories),
                    "nomination_ids": list(self.nomination_ids),
                    "published_at": self.published_at,
                    "closes_at": self.closes_at,
                    "working_days": self.working_days,
                    "closed": False,
                },
            )

    class PublicityClosed(Event):
        zh, en = "公示期满", "Publicity closed"

        period: int
        closes_at: datetime
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.publicity_periods = tuple(
                {**p, "closed": True} if p["index"] == self.period else p
                for p in aggregate.publicity_periods
            )

    class ObjectionReceived(Event):
        """An objection lodged (its text and the objector are on the Objection only)."""

        zh, en = "收到异议", "Objection received"

        receipt: str
        nomination_id: str
        digest: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.objections = (
                *aggregate.objections,
                {
                    "receipt": self.receipt,
                    "nomination_id": self.nomination_id,
                    "status": "open",
                    "digest": self.digest,
                },
            )

    class ObjectionSettled(Event):
        zh, en = "异议处理完毕", "Objection decided"

        receipt: str
        outcome: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            status = "upheld" if self.outcome == "uphold" else "dismissed"
            aggregate.objections = tuple(
                {**o, "status": status} if o["receipt"] == self.receipt else o
                for o in aggregate.objections
            )

    class ProposalWithdrawn(Event):
        """Taken off the list: its place in the quota is free (the next best is not promoted)."""

        zh, en = "撤出拟表彰名单（名额空出）", "Withdrawn from the proposed list"

        category: str
        nomination_id: str
        objection: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            kept = [n for n in aggregate.commended.get(self.category, []) if n != self.nomination_id]
            aggregate.commended = {**aggregate.commended, self.category: kept}
            before = aggregate.withdrawn_from_list or {}
            withdrawn = {**before, self.category: before.get(self.category, 0) + 1}
            aggregate.withdrawn_from_list = withdrawn

    withdrawn_from_list: dict[str, int] | None = None  # per category: proposals withdrawn

    def withdrawn_count(self, category: str) -> int:
        return (self.withdrawn_from_list or {}).get(category, 0)

    def ranks_proposed(self, category: str) -> int:
        """The last rank given in the category, withdrawn proposals included (the next is
        numbered after it: ranks never repeat)."""
        return self.commended_count(category) + self.withdrawn_count(category)

    class ObjectionsAwaitingDecision(Event):
        zh, en = "异议待处理提醒", "Objections awaiting a decision"

        nomination_ids: list[str]
        receipts: list[str]
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.objections_reminded_at = self.timestamp

    # --- corrections (issue 23, item 3; domain/corrections.py) ---------------------------------

    reopenings: tuple[dict[str, Any], ...] = ()  # each PhaseReopened, closed once its window ends
    cancelled: dict[str, Any] | None = None  # Cancelled: reason, at, by

    class PhaseReopened(Event):
        """A closed phase reopened for one unit or one nomination until ``until``."""

        phase: str
        scope: str  # ReopenScope
        target: str  # the unit's code or the nomination's id
        until: datetime
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.reopenings = (
                *aggregate.reopenings,
                {
                    "number": len(aggregate.reopenings) + 1,
                    "phase": self.phase,
                    "scope": self.scope,
                    "target": self.target,
                    "opens_at": self.timestamp,
                    "until": self.until,
                    "reason": self.reason,
                    "by": self.actor.as_dict(),
                    "closed": False,
                },
            )

    class ReopeningClosed(Event):
        """A reopened window's deadline came (the workflow): what it let in and nobody acted
        on lapsed (``lapsed``: those nominations)."""

        number: int
        lapsed: list[str]
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.reopenings = tuple(
                dict(r, closed=True) if r["number"] == self.number else r for r in aggregate.reopenings
            )

    class Cancelled(Event):
        reason: str
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.cancelled = {
                "reason": self.reason,
                "at": self.timestamp,
                "by": self.actor.as_dict(),
            }

    @property
    def ends_at(self) -> datetime:
        """The campaign's end: its last phase's close."""
        return max(p.closes_at for p in self.phases)

    def reopened_for(
        self, phase_code: str, at: datetime, units: Sequence[str] = (), nomination_id: str | None = None
    ) -> bool:
        """Whether a reopening of ``phase_code`` lets this unit or nomination act at ``at``."""
        for r in self.reopenings:
            if r["closed"] or r["phase"] != phase_code or not r["opens_at"] <= at < r["until"]:
                continue
            if r["scope"] == "unit" and r["target"] in units:
                return True
            if r["scope"] == "nomination" and nomination_id and r["target"] == nomination_id:
                return True
        return False

    def require_not_cancelled(self) -> None:
        from domain.corrections import refused

        if self.cancelled is not None:
            raise refused(
                "campaign_cancelled",
                f"the campaign was cancelled: {self.cancelled['reason']}",
                f"评选活动已取消：{self.cancelled['reason']}",
                "campaign_id",
            )

    def reopen(
        self,
        phase_code: str,
        scope: str,
        target: str,
        until: datetime,
        reason: str,
        actor: Actor,
        at: datetime,
    ) -> int:
        """Reopens a closed phase for one unit or nomination; the reopening's number."""
        from domain.corrections import invalid, refused
        from domain.vocabulary import ReopenScope

        self.require_not_cancelled()
        phase = self.phase(phase_code)
        term = ReopenScope.parse(scope)
        if term is None:
            raise invalid(
                "reopen_scope_known",
                "a phase is reopened for a unit or for a nomination",
                "重新开放的范围须为单位（unit）或申报（nomination）",
                "scope",
                ReopenScope.codes(),
                scope,
            )
        if not (reason or "").strip():
            raise invalid(
                "reopen_reason_required", "a reopening needs a reason", "重新开放须说明理由", "reason"
            )
        if at >= self.ends_at or until > self.ends_at:
            raise refused(
                "reopen_after_campaign_end",
                f"a phase can be reopened only until the campaign's end ({self.ends_at.isoformat()})",
                f"重新开放的截止时间不能晚于评选活动结束（{self.ends_at.isoformat()}）",
                "until",
                f"<= {self.ends_at.isoformat()}",
                until.isoformat(),
            )
        if phase.status != PhaseStatus.CLOSED and phase.closes_at > at:
            raise refused(
                "reopen_phase_not_closed",
                f"phase '{phase_code}' has not closed: extend its deadline instead",
                f"阶段「{phase.name_zh}」尚未截止，可延长截止时间",
                "phase",
                None,
                str(phase.status),
            )
        if until <= at:
            raise invalid(
                "reopen_until_in_future",
                "the reopened window must end in the future",
                "重新开放的截止时间须晚于当前时间",
                "until",
                f"> {at.isoformat()}",
                until.isoformat(),
            )
        self.trigger_event(
            self.PhaseReopened,
            timestamp=at,
            phase=phase_code,
            scope=str(term),
            target=str(target),
            until=until,
            reason=reason.strip(),
            actor=actor,
        )
        return len(self.reopenings)

    def due_reopenings(self, at: datetime) -> list[dict[str, Any]]:
        return [r for r in self.reopenings if not r["closed"] and r["until"] <= at]

    def close_reopening(self, number: int, lapsed: Sequence[str], actor: Actor, at: datetime) -> None:
        self.trigger_event(
            self.ReopeningClosed, timestamp=at, number=number, lapsed=list(lapsed), actor=actor
        )

    def cancel(self, reason: str, actor: Actor, at: datetime, granted: int | None = None) -> None:
        """``granted``: the titles granted (the caller counts the nominations commended or
        holding a title; ``commended`` also lists the proposed, 拟表彰, never granted)."""
        from domain.corrections import invalid, refused

        self.require_not_cancelled()
        if granted is None:
            granted = sum(len(ids) for ids in self.commended.values())
        if granted:
            raise refused(
                "cancel_with_titles_granted",
                f"{granted} title(s) have been granted in this campaign: it cannot be cancelled "
                "(revoke titles one by one instead)",
                f"本次评选已授予 {granted} 个荣誉称号，不能取消（可逐个撤销荣誉）",
                "campaign_id",
                0,
                granted,
            )
        if not (reason or "").strip():
            raise invalid(
                "cancel_reason_required", "a cancellation needs a reason", "取消须说明理由", "reason"
            )
        self.trigger_event(self.Cancelled, timestamp=at, reason=reason.strip(), actor=actor)

    def corrections_summary(self) -> dict[str, Any]:
        return {
            "cancelled": dict(self.cancelled) if self.cancelled else None,
            "reopenings": [dict(r) for r in self.reopenings],
        }

    # --- escalation of silent townships (issue 24, item 4; domain/escalation.py). Defaults
    # here: a snapshot taken before the ladder has neither (its Created event gave the default).

    escalation: Sequence[dict[str, Any]] = tuple(ladder_dicts(DEFAULT_LADDER))
    escalations: tuple[dict[str, Any], ...] = ()  # each step taken: {step, at, units, notified}

    class SilentUnitsEscalated(Event):
        """One step of the ladder: the townships still silent, each reported to the unit
        ``levels_up`` above it (``notified``: ``[{unit_id, roles, units}]``)."""

        zh, en = "未申报督办", "Silent townships escalated"

        step: int  # 1-based, in the ladder's order
        grace_days: int
        units: list[str]
        notified: list[dict[str, Any]]
        actor: Actor

        def apply(self, aggregate: Campaign) -> None:
            aggregate.escalations = (
                *aggregate.escalations,
                {
                    "step": self.step,
                    "at": self.timestamp,
                    "grace_days": self.grace_days,
                    "units": list(self.units),
                    "notified": [dict(n) for n in self.notified],
                },
            )

    @property
    def ladder(self) -> tuple[EscalationStep, ...]:
        return ladder_of(self.escalation)

    def escalation_step(self, step: int) -> dict[str, Any] | None:
        """The step as taken (None: not yet, or nothing was silent then)."""
        return next((e for e in self.escalations if e["step"] == step), None)

    def escalate(
        self,
        step: int,
        units: Sequence[str],
        notified: Sequence[Mapping[str, Any]],
        actor: Actor,
        at: datetime,
    ) -> bool:
        """Records step ``step`` once (a repeat records nothing)."""
        if self.escalation_step(step) is not None:
            return False
        self.trigger_event(
            self.SilentUnitsEscalated,
            timestamp=at,
            step=step,
            grace_days=self.ladder[step - 1].grace_days,
            units=list(units),
            notified=[
                {"unit_id": str(n["unit_id"]), "roles": list(n["roles"]), "units": list(n["units"])}
                for n in notified
            ],
            actor=actor,
        )
        return True
