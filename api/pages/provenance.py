"""Where a nomination came from and where it went, across levels (上报来源 / 上报去向): for a
nomination forwarded from below (择优上报), the lower campaign, its organiser and level, the
score and whether it was commended there, and its inspection record; for one that went up, the
upper campaign and the nomination it became.

A page that shows a nomination adds ``"provenance": provenance(app, nomination, t, names)`` to
its context and ``{% include "_provenance.html" %}`` where it belongs; ``sees_scores=False``
keeps the lower level's scores back (as the page keeps other inspections' scores back)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from api.pages.common import campaign_label
from api.pages.i18n import Translator
from domain.application import Laurel
from domain.errors import DomainError
from domain.nominations import Nomination
from domain.vocabulary import Level


@dataclass(frozen=True)
class LowerInspection:
    at: datetime | None
    inspector_unit_id: str
    methods: list[str]
    weighted_score: float | None
    verdict: str
    notes: str


@dataclass(frozen=True)
class CameFrom:
    """The lower level's nomination this one was forwarded from."""

    campaign_id: str
    campaign_name: str  # in the reader's language
    organiser_unit_id: str
    level: str  # the lower organiser's level, in the reader's language ("" unknown)
    nomination_id: str
    score: float | None
    passed: bool | None
    commended: bool
    inspections: list[LowerInspection] = field(default_factory=list)


@dataclass(frozen=True)
class WentTo:
    """The upper level's nomination this one became."""

    campaign_id: str
    campaign_label: str
    nomination_id: str


@dataclass(frozen=True)
class Provenance:
    came_from: CameFrom | None
    went_to: WentTo | None
    sees_scores: bool


def provenance(
    app: Laurel,
    nomination: Nomination,
    t: Translator,
    unit_name: Callable[[str], str],
    *,
    sees_scores: bool = True,
) -> Provenance | None:
    """What the nomination page says of the levels (None: it never crossed one)."""
    came = getattr(nomination, "forwarded_from", None)
    went = getattr(nomination, "forwarded_to", None)
    if not came and not went:
        return None
    return Provenance(
        came_from=came_from(app, came, t) if came else None,
        went_to=went_to(app, went, t, unit_name) if went else None,
        sees_scores=sees_scores,
    )


def came_from(app: Laurel, record: Mapping[str, Any], t: Translator) -> CameFrom:
    organiser = str(record.get("organiser_unit_id") or "")
    level = ""
    if organiser and app.unit_exists(organiser):
        level = Level(app.get_unit(organiser).level).label(t.lang)
    zh, en = record.get("campaign_name_zh") or "", record.get("campaign_name_en") or ""
    return CameFrom(
        campaign_id=str(record.get("campaign_id") or ""),
        campaign_name=(zh or en) if t.lang == "zh" else (en or zh),
        organiser_unit_id=organiser,
        level=level,
        nomination_id=str(record.get("nomination_id") or ""),
        score=record.get("score"),
        passed=record.get("passed"),
        commended=bool(record.get("commended")),
        inspections=[lower_inspection(i) for i in record.get("inspections") or []],
    )


def lower_inspection(record: Mapping[str, Any]) -> LowerInspection:
    at = record.get("at")
    try:
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    except ValueError:
        moment = None
    return LowerInspection(
        at=moment,
        inspector_unit_id=str(record.get("inspector_unit_id") or ""),
        methods=[str(m) for m in record.get("methods") or []],
        weighted_score=record.get("weighted_score"),
        verdict=str(record.get("verdict") or ""),
        notes=str(record.get("notes") or ""),
    )


def went_to(
    app: Laurel, record: Mapping[str, Any], t: Translator, unit_name: Callable[[str], str]
) -> WentTo:
    campaign_id = str(record.get("campaign_id") or "")
    try:
        label = campaign_label(app.get_campaign(campaign_id), t, unit_name)
    except DomainError:  # a campaign the reader cannot find: its id
        label = campaign_id
    return WentTo(campaign_id, label, str(record.get("nomination_id") or ""))
