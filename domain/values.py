"""Value objects shared by campaigns, templates and nominations (frozen, transcoded by name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
class Threshold:
    """A measurable standard on a declaration-form field, checked at pre-review."""

    code: str
    field: str
    op: str  # >= > <= < == is_true
    value: Any
    name_zh: str
    name_en: str
    levels: tuple[str, ...] = ()  # applies only to nominees at these unit levels (empty: all)


@dataclass(frozen=True)
class CrossEntityRule:
    """Seed 003: a nominee unit qualifies only if every unit of ``unit_level`` in its subtree
    holds a passed or commended nomination of ``category`` in the same campaign."""

    code: str
    unit_level: str
    category: str
    name_zh: str
    name_en: str


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
    nominee_levels: tuple[str, ...] = ()
    form_fields: tuple[FormField, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    disqualifiers: tuple[str, ...] = ()
    cross_entity: tuple[CrossEntityRule, ...] = ()
    yearly_reinspection: bool = False
    collective: bool = True  # a collective (site/unit) or an individual (person)


@dataclass(frozen=True)
class Phase:
    """A phase of a campaign with its window [opens_at, closes_at) in UTC."""

    code: str
    name_zh: str
    name_en: str
    opens_at: datetime
    closes_at: datetime
    status: str = "scheduled"  # scheduled | open | closed

    def is_open_at(self, at: datetime) -> bool:
        return self.status != "closed" and self.opens_at <= at < self.closes_at


@dataclass(frozen=True)
class Inspection:
    """One inspection of a nominee (考核验收): methods, per-criterion scores, verdict."""

    methods: tuple[str, ...]
    scores: dict[str, float]
    weighted_score: float
    verdict: str  # pass | fail
    notes: str
    inspector: dict[str, Any]
    at: datetime
    kind: str = "inspection"  # inspection | re-inspection


@dataclass(frozen=True)
class Nominee:
    kind: str  # site | person | unit
    unit_id: str
    name: str
    person_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    level: str = ""  # the nominee unit's level when declared


VALUE_TYPES: tuple[type, ...] = (
    Criterion,
    FormField,
    Threshold,
    CrossEntityRule,
    Category,
    Phase,
    Inspection,
    Nominee,
)
