"""Campaign templates: the seed campaigns shipped as YAML package data, and their
instantiation for a year (the seed's own dates) or from a start time with phase durations,
with any phase deadline and any quota overridable at creation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from domain.errors import InvalidCampaignError, RuleFailure, TemplateNotFoundError
from domain.escalation import DEFAULT_LADDER, EscalationStep, ladder_dicts, parse_ladder
from domain.rules.phases import move_close, phase_order_failures
from domain.values import (
    Alternative,
    Category,
    Checklist,
    ChecklistItem,
    Criterion,
    CrossEntityRule,
    FormField,
    Phase,
    Threshold,
)
from domain.vocabulary import ForwardedInspection, Level

_DATE = re.compile(r"^Y(?:\+(\d+))?-(\d{2})-(\d{2})$")
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


@dataclass(frozen=True)
class PhaseSpec:
    code: str
    name_zh: str
    name_en: str
    opens: str  # "Y-10-16", "Y+1-08-01"
    closes: str  # last day, inclusive
    duration_days: float


@dataclass(frozen=True)
class DutySpec:
    """A duty the template declares in a phase (issue 21, item 5): a document the owing units
    submit (实施细则, 自查报告, 总结), spot checks the organiser records (实地察看, 电话抽查) or
    circulars it issues (通报, 通报批评 with 限期整改). ``owed_by``: unit levels within the
    organiser's subtree, or ``organiser``; ``due``: a date like the phases' ("Y-07-20"), or
    none: the phase's close; ``min_count``: spot checks or circulars that fulfil it."""

    code: str
    kind: str  # document | spot_check | circular
    phase: str
    name_zh: str
    name_en: str
    owed_by: tuple[str, ...]
    due: str | None = None
    min_count: int = 1


@dataclass(frozen=True)
class Template:
    code: str
    name_zh: str
    name_en: str
    organiser_level: Level
    timezone: str
    source: str
    phases: tuple[PhaseSpec, ...]
    steps: Mapping[str, str]
    categories: tuple[Category, ...]
    duties: tuple[DutySpec, ...] = ()  # issue 21 item 5: deliverables per phase and unit
    # Across levels: the upper level's template this campaign forwards to (择优上报); how this
    # template, as the upper level, takes a forwarded nomination's inspection; which nominee
    # levels the inspectors of a level below the organiser assess in their own subtree.
    parent_template: str | None = None
    forwarded_inspection: ForwardedInspection = ForwardedInspection.REINSPECT
    local_inspection: Mapping[Level, tuple[Level, ...]] = field(default_factory=dict)
    # Nominee levels whose review, inspection and commendation the organiser may delegate to
    # a unit below it at creation (seed 001: the agencies, to 县直机关工委).
    delegable_levels: tuple[Level, ...] = ()
    # Whether the workflow forwards what is commended when commendation closes (a campaign
    # whose level selects and forwards, 择优上报, says no: only what it selects goes up).
    forwards_commended: bool = True
    # How many days a declarer has to appeal a rejection or a lapse (申诉, issue 23).
    appeal_days: int = 10
    # 公示 (issue 23; domain/publicity.py): {working_days, public_page}; None: titles at once.
    publicity: Mapping[str, Any] | None = None
    # The escalation ladder (issue 24; domain/escalation.py): absent, the default; [] none.
    escalation: tuple[EscalationStep, ...] = DEFAULT_LADDER

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "organiser_level": self.organiser_level,
            "timezone": self.timezone,
            "source": self.source,
            "steps": dict(self.steps),
            "phases": [dict(vars(p)) for p in self.phases],
            "categories": [category_as_dict(c) for c in self.categories],
            "duties": [dict(vars(d), owed_by=list(d.owed_by)) for d in self.duties],
            "parent_template": self.parent_template,
            "forwarded_inspection": self.forwarded_inspection,
            "local_inspection": {k: list(v) for k, v in self.local_inspection.items()},
            "delegable_levels": list(self.delegable_levels),
            "forwards_commended": self.forwards_commended,
            "publicity": dict(self.publicity) if self.publicity else None,
            "appeal_days": self.appeal_days,
            "escalation": ladder_dicts(self.escalation),
        }


def category_as_dict(c: Category) -> dict[str, Any]:
    return {
        "code": c.code,
        "name_zh": c.name_zh,
        "name_en": c.name_en,
        "nominee_kind": c.nominee_kind,
        "nominee_levels": list(c.nominee_levels),
        "quota": c.quota,
        "pass_mark": c.pass_mark,
        "min_material_chars": c.min_material_chars,
        "yearly_reinspection": c.yearly_reinspection,
        "disqualifiers": list(c.disqualifiers),
        "criteria": [dict(vars(x)) for x in c.criteria],
        "form_fields": [dict(vars(x)) for x in c.form_fields],
        "thresholds": [{**vars(x), "any_of": [dict(vars(a)) for a in x.any_of]} for x in c.thresholds],
        "cross_entity": [dict(vars(x)) for x in c.cross_entity],
        "checklists": [
            {**vars(x), "items": [dict(vars(i)) for i in x.items], "levels": list(x.levels)}
            for x in c.checklists
        ],
        "quota_proportion": c.quota_proportion,
    }


def _threshold(raw: dict[str, Any]) -> Threshold:
    """A threshold; an any-of one (``any_of: [{field, op, value, name_zh, name_en}, ...]``)
    repeats its first alternative as its own field, with the operator ``any_of``."""
    levels = tuple(raw.get("levels", ()))
    if "any_of" not in raw:
        return Threshold(**{**raw, "levels": levels})
    alternatives = tuple(Alternative(**a) for a in raw["any_of"])
    if len(alternatives) < 2:
        raise ValueError(f"threshold {raw['code']!r}: any_of needs at least two alternatives")
    first = alternatives[0]
    return Threshold(
        code=raw["code"],
        field=first.field,
        op="any_of",
        value=None,
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        levels=levels,
        any_of=alternatives,
    )


def _proportion(raw: dict[str, Any]) -> float | None:
    """A category's ``quota_proportion``: a share in (0, 1] of the units at its nominee levels."""
    value = raw.get("quota_proportion")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError(f"category {raw['code']!r}: quota_proportion lies in (0, 1], not {value!r}")
    return float(value)


def _checklist(raw: dict[str, Any]) -> Checklist:
    items = tuple(ChecklistItem(**i) for i in raw["items"])
    if not items or len({i.code for i in items}) != len(items):
        raise ValueError(f"checklist {raw['code']!r} needs items with distinct codes")
    return Checklist(
        code=raw["code"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        items=items,
        required=bool(raw.get("required", False)),
        levels=tuple(raw.get("levels", ())),
    )


def _category(raw: dict[str, Any]) -> Category:
    kind = raw["nominee_kind"]
    return Category(
        code=raw["code"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        nominee_kind=kind,
        quota=raw.get("quota"),
        criteria=tuple(Criterion(**c) for c in raw["criteria"]),
        pass_mark=float(raw.get("pass_mark", 60)),
        min_material_chars=int(raw.get("min_material_chars", 800)),
        nominee_levels=tuple(raw.get("nominee_levels", ())),
        form_fields=tuple(FormField(**f) for f in raw.get("form_fields", ())),
        thresholds=tuple(_threshold(t) for t in raw.get("thresholds", ())),
        disqualifiers=tuple(raw.get("disqualifiers", ())),
        cross_entity=tuple(CrossEntityRule(**x) for x in raw.get("cross_entity", ())),
        yearly_reinspection=bool(raw.get("yearly_reinspection", False)),
        # Seed 004's activity-day rule bars the party organisation's own unit (a site, a unit);
        # a person, or a model base (a cooperative or enterprise, not that organisation), is no
        # such collective.
        collective=kind not in ("person", "base"),
        checklists=tuple(_checklist(x) for x in raw.get("checklists", ())),
        quota_proportion=_proportion(raw),
    )


def _publicity(raw: Any) -> dict[str, Any] | None:
    """``publicity: {working_days: 5, public_page: true}`` (issue 23): a 公示 before the titles."""
    if not raw:
        return None
    days = raw.get("working_days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        raise ValueError(f"publicity.working_days lies in 1..60, not {days!r}")
    return {"working_days": days, "public_page": bool(raw.get("public_page", True))}


def parse_template(raw: dict[str, Any]) -> Template:
    return Template(
        code=raw["code"],
        name_zh=raw["name_zh"],
        name_en=raw["name_en"],
        organiser_level=Level(raw["organiser_level"]),
        timezone=raw.get("timezone", "Asia/Shanghai"),
        source=raw.get("source", ""),
        phases=tuple(PhaseSpec(**p) for p in raw["phases"]),
        steps=dict(raw["steps"]),
        categories=tuple(_category(c) for c in raw["categories"]),
        duties=tuple(
            DutySpec(**{**d, "owed_by": tuple(d.get("owed_by", ()))}) for d in raw.get("duties", ())
        ),
        parent_template=raw.get("parent_template"),
        delegable_levels=tuple(Level(v) for v in raw.get("delegable_levels", ())),
        forwards_commended=bool(raw.get("forwards_commended", True)),
        publicity=_publicity(raw.get("publicity")),
        appeal_days=int(raw.get("appeal_days", 10)),
        escalation=parse_ladder(raw.get("escalation")),
        forwarded_inspection=ForwardedInspection(raw.get("forwarded_inspection", "reinspect")),
        local_inspection={
            Level(by): tuple(Level(v) for v in levels)
            for by, levels in (raw.get("local_inspection") or {}).items()
        },
    )


@cache
def load_templates() -> dict[str, Template]:
    raws = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            raw = yaml.safe_load(entry.read_text(encoding="utf-8"))
            raws[raw["code"]] = raw
    templates = {}
    for code, raw in raws.items():
        template = parse_template(with_borrowed_categories(raw, raws))
        templates[code] = template
    return templates


def with_borrowed_categories(raw: dict[str, Any], raws: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """An upper level's template takes the categories of the template below
    (``categories_from: {template, only}``): the same titles, so a title is one title
    whichever level grants it."""
    borrowed = raw.get("categories_from")
    if not borrowed:
        return raw
    source = raws[borrowed["template"]]["categories"]
    only = borrowed.get("only")
    categories = [c for c in source if only is None or c["code"] in only]
    return {**raw, "categories": [*categories, *raw.get("categories", [])]}


def get_template(code: str) -> Template:
    try:
        return load_templates()[code]
    except KeyError:
        raise TemplateNotFoundError(
            f"no campaign template '{code}'", f"没有评选模板「{code}」", template=code
        ) from None


def seed_date(spec: str, year: int, tz: ZoneInfo, *, end_of_day: bool) -> datetime:
    match = _DATE.match(spec)
    if not match:
        raise ValueError(f"bad template date {spec!r}")
    offset, month, day = int(match.group(1) or 0), int(match.group(2)), int(match.group(3))
    local = datetime(year + offset, month, day, tzinfo=tz)
    if end_of_day:
        local += timedelta(days=1)
    return local.astimezone(UTC)


def parse_duration(value: Any, field: str) -> timedelta:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return timedelta(seconds=float(value))
    if isinstance(value, str) and (m := _DURATION.match(value)) and any(m.groups()):
        d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
        if d or h or mi or s:
            return timedelta(days=d, hours=h, minutes=mi, seconds=s)
    raise InvalidCampaignError(
        [
            RuleFailure(
                "duration_format",
                f"{field} must be positive seconds or an ISO 8601 duration such as PT5M",
                f"{field} 须为正的秒数或 ISO 8601 时长（如 PT5M）",
                field,
                None,
                value,
            )
        ]
    )


def instantiate(
    template: Template,
    *,
    year: int | None = None,
    starts_at: datetime | None = None,
    durations: Mapping[str, Any] | None = None,
    deadlines: Mapping[str, datetime] | None = None,
) -> list[Phase]:
    """The campaign's phases: the seed's dates for ``year``, or back-to-back from
    ``starts_at`` with the template's (or the given) durations; then deadline overrides."""
    tz = ZoneInfo(template.timezone)
    codes = [p.code for p in template.phases]
    failures: list[RuleFailure] = []
    supplied: Mapping[str, Any]
    for name, supplied in (("durations", durations or {}), ("deadlines", deadlines or {})):
        for code in supplied:
            if code not in codes:
                failures.append(
                    RuleFailure(
                        "phase_known",
                        f"'{code}' is not a phase of {template.code}",
                        f"「{code}」不是该模板的阶段",
                        f"{name}.{code}",
                        codes,
                        code,
                    )
                )
    if (year is None) == (starts_at is None):
        failures.append(
            RuleFailure(
                "year_or_starts_at",
                "give either a year or a start time",
                "须给出年份或开始时间之一",
                "year",
            )
        )
    if failures:
        raise InvalidCampaignError(failures)

    for code, closes_at in (deadlines or {}).items():
        if closes_at.tzinfo is None:
            raise InvalidCampaignError(
                [
                    RuleFailure(
                        "timezone_required",
                        "deadlines need a time zone (e.g. Z)",
                        "截止时间须带时区（如 Z）",
                        f"deadlines.{code}",
                    )
                ]
            )
    overrides = {code: closes_at.astimezone(UTC) for code, closes_at in (deadlines or {}).items()}
    phases: list[Phase] = []
    if year is not None:
        for spec in template.phases:
            opens = seed_date(spec.opens, year, tz, end_of_day=False)
            closes = seed_date(spec.closes, year, tz, end_of_day=True)
            phases.append(Phase(spec.code, spec.name_zh, spec.name_en, opens, closes))
        for code, closes_at in overrides.items():
            phases = move_close(phases, codes.index(code), closes_at)
    else:
        assert starts_at is not None
        if starts_at.tzinfo is None:
            raise InvalidCampaignError(
                [
                    RuleFailure(
                        "timezone_required",
                        "starts_at needs a time zone (e.g. Z)",
                        "开始时间须带时区（如 Z）",
                        "starts_at",
                    )
                ]
            )
        # Back to back: each phase opens when the previous one closes and closes at its
        # deadline override, or after its duration.
        cursor = starts_at.astimezone(UTC)
        for spec in template.phases:
            given = (durations or {}).get(spec.code)
            length = (
                parse_duration(given, f"durations.{spec.code}")
                if given is not None
                else timedelta(days=spec.duration_days)
            )
            closes = overrides.get(spec.code, cursor + length)
            phases.append(Phase(spec.code, spec.name_zh, spec.name_en, cursor, closes))
            cursor = closes
    failures = phase_order_failures(phases)
    if failures:
        raise InvalidCampaignError(failures)
    return phases


MAX_QUOTA = 100_000  # more than any department commends in one category: a larger number is a typo


def apply_quotas(categories: tuple[Category, ...], quotas: Mapping[str, Any] | None) -> list[Category]:
    quotas = quotas or {}
    codes = {c.code for c in categories}
    failures = [
        RuleFailure(
            "category_known",
            f"'{k}' is not a category",
            f"「{k}」不是评选类别",
            f"quotas.{k}",
            sorted(codes),
            k,
        )
        for k in quotas
        if k not in codes
    ]
    for k, v in quotas.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_QUOTA):
            failures.append(
                RuleFailure(
                    "quota_non_negative_integer",
                    f"a quota is a whole number from 0 to {MAX_QUOTA} (or null: no quota)",
                    f"名额须为 0 至 {MAX_QUOTA} 的整数（或 null 表示不限）",
                    f"quotas.{k}",
                    MAX_QUOTA,
                    v,
                )
            )
    if failures:
        raise InvalidCampaignError(failures)
    return [replace(c, quota=quotas[c.code]) if c.code in quotas else c for c in categories]
