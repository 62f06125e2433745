"""Value objects shared by campaigns, templates and nominations (frozen, transcoded by name).

A value object holding vocabulary terms turns the codes it is given into terms in
``__post_init__``: the JSON transcoding rebuilds it through its constructor, so what a stored
event or snapshot gives back holds terms too (a ``StrEnum`` is stored as its plain code)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.actors import Actor
from domain.vocabulary import (
    InspectionMethod,
    InspectionVerdict,
    Level,
    PhaseStatus,
    RevocationCause,
    TitleStatus,
)


@dataclass(frozen=True)
class Criterion:
    """One scored criterion of a category (评选标准的一项)."""

    code: str
    name_zh: str
    name_en: str
    weight: float = 1.0


@dataclass(frozen=True)
class FormField:
    """A field of the declaration form (《申报表》)."""

    code: str
    name_zh: str
    name_en: str
    type: str = "number"  # number | percent | integer | boolean | text
    required: bool = False  # required at declaration


@dataclass(frozen=True)
class Alternative:
    """One way of meeting an any-of threshold (seed 003: a technique mastered, or a market's
    supply-and-demand information): a form field, an operator and a value, named."""

    field: str
    op: str  # >= > <= < == is_true
    value: Any
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Threshold:
    """A measurable standard on a declaration-form field, checked at pre-review. With
    ``any_of`` the standard holds when any one alternative holds (``field``/``op``/``value``
    then repeat the first alternative, ``op`` is ``any_of``)."""

    code: str
    field: str
    op: str  # >= > <= < == is_true any_of
    value: Any
    name_zh: str
    name_en: str
    levels: tuple[Level, ...] = ()  # applies only to nominees at these unit levels (empty: all)
    any_of: tuple[Alternative, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(Level(v) for v in self.levels))

    @property
    def fields(self) -> tuple[str, ...]:
        """Every form field the standard reads."""
        return tuple(a.field for a in self.any_of) if self.any_of else (self.field,)


@dataclass(frozen=True)
class CrossEntityRule:
    """Seed 003: a nominee unit qualifies only if every unit of ``unit_level`` in its subtree
    holds a passed or commended nomination of ``category`` in the same campaign."""

    code: str
    unit_level: Level
    category: str
    name_zh: str
    name_en: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "unit_level", Level(self.unit_level))


@dataclass(frozen=True)
class ChecklistItem:
    """One item of a checklist (e.g. 防火 of the 五防)."""

    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class Checklist:
    """A checklist recorded item by item at inspection, not folded into the score (持证上岗,
    三簿一册, 五防, 八有四防). ``required``: a pass verdict needs every item met.
    ``levels``: asked only of nominees at these unit levels (empty: all)."""

    code: str
    name_zh: str
    name_en: str
    items: tuple[ChecklistItem, ...]
    required: bool = False
    levels: tuple[Level, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(Level(v) for v in self.levels))

    def applies_to(self, level: str) -> bool:
        return not self.levels or level in self.levels


@dataclass(frozen=True)
class ChecklistMark:
    """An inspection's finding on one checklist item: met or not, with an optional note."""

    checklist: str
    item: str
    met: bool
    note: str = ""


@dataclass(frozen=True)
class Category:
    """A category of the campaign (评选对象): who may be nominated, quota, criteria, rules."""

    code: str
    name_zh: str
    name_en: str
    nominee_kind: str  # site | person | unit
    quota: int | None  # None: no fixed quota
    criteria: tuple[Criterion, ...]
    pass_mark: float = 60.0
    min_material_chars: int = 800
    nominee_levels: tuple[Level, ...] = ()
    form_fields: tuple[FormField, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    disqualifiers: tuple[str, ...] = ()
    cross_entity: tuple[CrossEntityRule, ...] = ()
    yearly_reinspection: bool = False
    collective: bool = True  # a party organisation's own unit (site/unit); not a person or a base
    checklists: tuple[Checklist, ...] = ()
    # "by proportion" (seed 001's model departments): with no quota given at creation, the
    # quota is ceil(proportion x the units at ``nominee_levels`` in the organiser's subtree).
    quota_proportion: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "nominee_levels", tuple(Level(v) for v in self.nominee_levels))

    def checklists_for(self, level: str) -> tuple[Checklist, ...]:
        """The checklists an inspection of a nominee at ``level`` records."""
        return tuple(c for c in self.checklists if c.applies_to(level))


@dataclass(frozen=True)
class Phase:
    """A phase of a campaign with its window [opens_at, closes_at) in UTC."""

    code: str
    name_zh: str
    name_en: str
    opens_at: datetime
    closes_at: datetime
    status: PhaseStatus = PhaseStatus.SCHEDULED

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", PhaseStatus(self.status))

    def is_open_at(self, at: datetime) -> bool:
        return self.status != PhaseStatus.CLOSED and self.opens_at <= at < self.closes_at


@dataclass(frozen=True)
class Inspection:
    """One inspection of a nominee (考核验收): methods, per-criterion scores, verdict."""

    methods: tuple[InspectionMethod, ...]
    scores: dict[str, float]
    weighted_score: float
    verdict: InspectionVerdict
    notes: str
    inspector: Actor
    at: datetime
    kind: str = "inspection"  # inspection | re-inspection
    checklist: tuple[ChecklistMark, ...] = ()  # item by item, not in the score

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(InspectionMethod(m) for m in self.methods))
        object.__setattr__(self, "verdict", InspectionVerdict(self.verdict))
        object.__setattr__(self, "checklist", tuple(self.checklist))

    def marks_of(self, checklist: str) -> dict[str, ChecklistMark]:
        """This inspection's marks on one checklist, by item."""
        return {m.item: m for m in self.checklist if m.checklist == checklist}

    @property
    def passed(self) -> bool:
        return self.verdict == InspectionVerdict.PASS


@dataclass(frozen=True)
class Nominee:
    kind: str  # site | person | unit
    unit_id: str
    name: str
    person_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    level: str = ""  # the nominee unit's level when declared


@dataclass(frozen=True)
class Title:
    """The honorary title a commended nomination holds (荣誉称号): granted with a rank, kept
    while each yearly re-inspection passes, revoked by a decision or a failed or missed
    re-inspection. ``anniversary``: when the next re-inspection falls due."""

    nomination_id: str
    campaign_id: str
    category: str
    holder_unit_id: str
    holder_name: str
    holder_person_id: str | None
    granted_at: datetime
    rank: int
    anniversary: datetime
    yearly_reinspection: bool
    status: TitleStatus = TitleStatus.ACTIVE
    reinspection_due_by: datetime | None = None
    last_reinspected_at: datetime | None = None
    last_reinspection_passed: bool | None = None
    revoked_at: datetime | None = None
    revocation_cause: RevocationCause | None = None
    revocation_reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", TitleStatus(self.status))
        if self.revocation_cause is not None:
            object.__setattr__(self, "revocation_cause", RevocationCause(self.revocation_cause))

    @property
    def active(self) -> bool:
        return self.status == TitleStatus.ACTIVE

    @property
    def next_reinspection_by(self) -> datetime | None:
        """The anniversary, while a yearly re-inspection keeps the title."""
        return self.anniversary if self.yearly_reinspection and self.active else None

    # --- what each event does to it (the aggregate and the title register both use these) ---

    def falls_due(self, due_by: datetime) -> Title:
        return replace(self, reinspection_due_by=due_by)

    def reinspected(self, at: datetime, passed: bool, next_anniversary: datetime | None) -> Title:
        """A pass moves the anniversary a year on; a fail leaves it (the title is revoked)."""
        return replace(
            self,
            reinspection_due_by=None,
            last_reinspected_at=at,
            last_reinspection_passed=passed,
            anniversary=next_anniversary if passed and next_anniversary else self.anniversary,
        )

    def revoked(self, at: datetime, cause: RevocationCause, reason: str) -> Title:
        return replace(
            self,
            status=TitleStatus.REVOKED,
            revoked_at=at,
            revocation_cause=RevocationCause(cause),
            revocation_reason=reason,
        )

    def public(self) -> dict[str, Any]:
        """As the API shows it: instants in ISO 8601, the holder as ``nominee``."""

        def when(moment: datetime | None) -> str | None:
            return moment.isoformat() if moment else None

        return {
            "nomination_id": self.nomination_id,
            "campaign_id": self.campaign_id,
            "category": self.category,
            "nominee": self.holder_name,
            "nominee_unit_id": self.holder_unit_id,
            "nominee_person_id": self.holder_person_id,
            "status": self.status,
            "granted_at": when(self.granted_at),
            "rank": self.rank,
            "anniversary": when(self.anniversary),
            "yearly_reinspection": self.yearly_reinspection,
            "reinspection_due_by": when(self.reinspection_due_by),
            "next_reinspection_by": when(self.next_reinspection_by),
            "last_reinspected_at": when(self.last_reinspected_at),
            "last_reinspection_passed": self.last_reinspection_passed,
            "revoked_at": when(self.revoked_at),
            "revocation_cause": self.revocation_cause,
            "revocation_reason": self.revocation_reason,
        }


VALUE_TYPES: tuple[type, ...] = (
    Criterion,
    FormField,
    Alternative,
    Threshold,
    ChecklistItem,
    Checklist,
    ChecklistMark,
    CrossEntityRule,
    Category,
    Phase,
    Inspection,
    Nominee,
)
