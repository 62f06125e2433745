"""Laurel with the organisational tree registered, and the steps of a campaign taken the way
its people take them: every change is a command given to ``app.execute`` with an explicit
instant, so phase gating never depends on the wall clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Commend, CreateCampaign, Declare, Inspect, PreReview, RegisterUnit
from domain.rules.inspection import all_met
from domain.values import Category
from domain.vocabulary import InspectionVerdict, PreReviewDecision
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.clock import FIVE_GOOD_2022, SEED_YEARS, SETUP, TIMELINES, Clock, Timeline
from tests.builders.forms import ALL_METHODS, FIVE_PROTECTIONS_OK, category, uniform_scores
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, TOWNSHIP, UNIT_NAMES_ZH, UNIT_TREE, VILLAGE, City, UnitRow, city

FIVE_GOOD_SITE = "five_good_site"


@dataclass(frozen=True)
class CampaignRef:
    """A campaign made from a template, with one instant inside each of its steps' windows."""

    id: str
    template: str
    when: Timeline

    def category(self, code: str) -> Category:
        return category(self.template, code)


class World:
    """``app`` and the builders of a campaign's steps; ``clock`` when the world owns its clock."""

    def __init__(self, app: Laurel, clock: Clock | None = None) -> None:
        self.app = app
        self.clock = clock

    @classmethod
    def in_memory(cls, now: datetime = FIVE_GOOD_2022.declaration) -> World:
        """Laurel on the in-memory event store, its clock at ``now``, the named tree registered."""
        clock = Clock(now)
        app = Laurel(env={"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"}, clock=clock)
        world = cls(app, clock)
        world.register(UNIT_TREE)
        return world

    @property
    def now(self) -> datetime:
        if self.clock is None:
            raise RuntimeError("this world's app keeps its own clock")
        return self.clock.now

    @now.setter
    def now(self, moment: datetime) -> None:
        if self.clock is None:
            raise RuntimeError("this world's app keeps its own clock")
        self.clock.now = moment

    def events_recorded(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    # --- units ---------------------------------------------------------------------------------

    def register(self, rows: Iterable[UnitRow], *, at: datetime = SETUP) -> None:
        for row in rows:
            self.app.execute(RegisterUnit(**row._asdict()), ADMIN, at=at)

    def city(self, townships: int = 2, villages: int = 6) -> City:
        """示范市 > 宜君县 > ``townships`` townships of ``villages`` villages each, registered."""
        built = city(townships, villages)
        self.register(built.rows)
        return built

    def name_zh(self, unit: str) -> str:
        if unit in UNIT_NAMES_ZH:
            return UNIT_NAMES_ZH[unit]
        return self.app.get_unit(unit).name_zh if self.app.unit_exists(unit) else unit

    # --- campaigns -----------------------------------------------------------------------------

    def campaign(
        self,
        template: str = "five-good-sites",
        organiser: str = CITY,
        *,
        year: int | None = None,
        quotas: Mapping[str, Any] | None = None,
        at: datetime = SETUP,
        **fields: Any,
    ) -> CampaignRef:
        """A campaign of ``template`` for its seed year (unless ``year`` or ``starts_at`` says
        otherwise); ``fields``: the rest of ``CreateCampaign``."""
        if year is None and "starts_at" not in fields:
            year = SEED_YEARS[template]
        command = CreateCampaign(
            template=template, organiser_unit_id=organiser, year=year, quotas=quotas, **fields
        )
        created = self.app.execute(command, ADMIN, at=at)
        return CampaignRef(str(created["id"]), template, TIMELINES[template])

    # --- a nomination's steps ------------------------------------------------------------------

    def declare(
        self,
        campaign: CampaignRef,
        unit: str = VILLAGE,
        *,
        category: str = FIVE_GOOD_SITE,
        name: str | None = None,
        kind: str | None = None,
        person_id: str | None = None,
        form: Mapping[str, Any] | None = None,
        material: str = TYPICAL_MATERIAL,
        declaring_unit: str = TOWNSHIP,
        actor: Actor | None = None,
        at: datetime | None = None,
        idempotency_key: str | None = None,
    ) -> str:
        """``unit``'s nominee declared by ``declaring_unit``'s declarer; the nomination id."""
        nominee = {
            "kind": kind or campaign.category(category).nominee_kind,
            "unit_id": unit,
            "name": name or f"{self.name_zh(unit)}远教站点",
            "person_id": person_id,
        }
        command = Declare(
            campaign_id=campaign.id,
            category=category,
            declaring_unit_id=declaring_unit,
            nominee=nominee,
            form=form or {},
            material=material,
        )
        result = self.app.execute(
            command,
            actor or declarer_of(declaring_unit),
            at=at or campaign.when.declaration,
            idempotency_key=idempotency_key,
        )
        return str(result["id"])

    def admit(
        self,
        campaign: CampaignRef,
        nomination_id: str,
        *,
        checks: Mapping[str, Any] | None = None,
        actor: Actor = CITY_REVIEWER,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        command = PreReview(
            nomination_id=nomination_id,
            decision=PreReviewDecision.ADMIT,
            checks=FIVE_PROTECTIONS_OK if checks is None else checks,
        )
        return self.app.execute(command, actor, at=at or campaign.when.pre_review)

    def inspect(
        self,
        campaign: CampaignRef,
        nomination_id: str,
        score: float,
        *,
        category: str = FIVE_GOOD_SITE,
        verdict: InspectionVerdict | str | None = None,
        methods: Sequence[str] = ALL_METHODS,
        actor: Actor = CITY_INSPECTOR,
        at: datetime | None = None,
        checklist: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``score`` on every criterion; the verdict follows the pass mark unless given; the
        category's checklists all met unless ``checklist`` says otherwise."""
        cat = campaign.category(category)
        passed = score >= cat.pass_mark
        if checklist is None:
            checklist = all_met(cat, self.app.get_nomination(nomination_id).nominee.level)
        command = Inspect(
            nomination_id=nomination_id,
            methods=list(methods),
            scores=uniform_scores(cat, score),
            verdict=verdict or (InspectionVerdict.PASS if passed else InspectionVerdict.FAIL),
            checklist=checklist,
        )
        return self.app.execute(command, actor, at=at or campaign.when.inspection)

    def inspected(
        self,
        campaign: CampaignRef,
        unit: str,
        score: float,
        *,
        category: str = FIVE_GOOD_SITE,
        reviewer: Actor = CITY_REVIEWER,
        inspector: Actor = CITY_INSPECTOR,
        **declare_fields: Any,
    ) -> str:
        """Declared, admitted and inspected once with ``score`` on every criterion."""
        nomination_id = self.declare(campaign, unit, category=category, **declare_fields)
        self.admit(campaign, nomination_id, actor=reviewer)
        self.inspect(campaign, nomination_id, score, category=category, actor=inspector)
        return nomination_id

    def commend(
        self,
        campaign: CampaignRef,
        category: str = FIVE_GOOD_SITE,
        *,
        actor: Actor = CITY_REVIEWER,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        command = Commend(campaign_id=campaign.id, category=category)
        return self.app.execute(command, actor, at=at or campaign.when.commendation)

    def state(self, nomination_id: str) -> str:
        return self.app.get_nomination(nomination_id).state
