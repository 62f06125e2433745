"""Reads: a nomination as it stood at a past instant (as-of), its history with the event
type names of the event catalogue (docs/api.md), and a campaign's nominations filtered by category,
state and unit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.campaigns import Campaign
from domain.commands import ClosePhase, Commend, Withdraw
from domain.errors import NominationNotFoundError
from domain.history import event_type
from domain.nominations import Nomination
from tests.builders.actors import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    OTHER_TOWNSHIP_DECLARER,
    TOWNSHIP_DECLARER,
)
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.tree import COUNTY, OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World

HOUR = timedelta(hours=1)


@pytest.fixture
def commended(world: World, five_good: CampaignRef) -> str:
    """前双村 declared, admitted, inspected and commended at the timeline's instants."""
    nomination_id = world.inspected(five_good, VILLAGE, 87)
    world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    return nomination_id


@pytest.mark.parametrize(
    ("at", "state", "version"),
    [
        (FIVE_GOOD_2022.declaration, "declared", 1),
        (FIVE_GOOD_2022.pre_review - HOUR, "declared", 1),
        (FIVE_GOOD_2022.pre_review, "admitted", 2),
        (FIVE_GOOD_2022.inspection, "inspected", 3),
        (FIVE_GOOD_2022.commendation - timedelta(microseconds=1), "inspected", 3),
        (FIVE_GOOD_2022.commendation, "commended", 4),
        (utc(2030, 1, 1), "commended", 4),
    ],
)
def test_nomination_as_of_shows_the_state_at_each_instant_used(
    world: World, commended: str, at, state: str, version: int
) -> None:
    past = world.app.queries.nomination_as_of(commended, at)
    assert (past.state, past.version) == (state, version)


def test_nomination_as_of_accepts_instants_in_any_time_zone(world: World, commended: str) -> None:
    beijing = FIVE_GOOD_2022.pre_review.astimezone(ZoneInfo("Asia/Shanghai"))
    assert world.app.queries.nomination_as_of(commended, beijing).state == "admitted"


def test_nomination_as_of_before_its_declaration_not_found(world: World, commended: str) -> None:
    with pytest.raises(NominationNotFoundError):
        world.app.queries.nomination_as_of(commended, FIVE_GOOD_2022.declaration - timedelta(seconds=1))


def test_nomination_as_of_an_earlier_instant_keeps_the_earlier_score(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.inspected(five_good, VILLAGE, 90)
    world.inspect(five_good, nomination_id, 70, at=FIVE_GOOD_2022.inspection + timedelta(days=2))
    assert (
        world.app.queries.nomination_as_of(nomination_id, FIVE_GOOD_2022.inspection + HOUR).score == 90.0
    )
    assert world.app.get_nomination(nomination_id).score == 80.0


def test_history_lists_every_event_with_its_type_time_and_actor(world: World, commended: str) -> None:
    history = world.app.queries.history(commended)
    assert [e["type"] for e in history] == [
        "nomination.declared",
        "nomination.pre_reviewed",
        "nomination.inspected",
        "nomination.commended",
    ]
    assert [e["version"] for e in history] == [1, 2, 3, 4]
    assert [e["occurred_at"] for e in history] == [
        t.isoformat()
        for t in (
            FIVE_GOOD_2022.declaration,
            FIVE_GOOD_2022.pre_review,
            FIVE_GOOD_2022.inspection,
            FIVE_GOOD_2022.commendation,
        )
    ]
    assert [e["actor"] for e in history] == [
        a.as_dict() for a in (TOWNSHIP_DECLARER, CITY_REVIEWER, CITY_INSPECTOR, CITY_REVIEWER)
    ]
    assert history[1]["data"]["decision"] == "admit"
    assert history[3]["data"]["rank"] == 1


def test_history_names_withdrawal_and_lapse(world: World, five_good: CampaignRef) -> None:
    withdrawn = world.declare(five_good, VILLAGE)
    world.app.execute(
        Withdraw(nomination_id=withdrawn, reason="站点搬迁"),
        TOWNSHIP_DECLARER,
        at=FIVE_GOOD_2022.declaration + HOUR,
    )
    lapsed = world.declare(five_good, "houshuang-cun")
    world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="pre_review"), CITY_REVIEWER, at=utc(2022, 10, 25, 16)
    )
    assert [e["type"] for e in world.app.queries.history(withdrawn)][-1] == "nomination.withdrawn"
    assert [e["type"] for e in world.app.queries.history(lapsed)][-1] == "nomination.lapsed"


def test_event_type_names_follow_design_md() -> None:
    def name(cls: type) -> str:
        return event_type(cls.__new__(cls))

    assert [
        name(c)
        for c in (
            Nomination.Declared,
            Nomination.PreReviewed,
            Nomination.Inspected,
            Nomination.Commended,
            Nomination.Withdrawn,
            Nomination.Lapsed,
        )
    ] == [
        "nomination.declared",
        "nomination.pre_reviewed",
        "nomination.inspected",
        "nomination.commended",
        "nomination.withdrawn",
        "nomination.lapsed",
    ]
    assert [
        name(c)
        for c in (
            Nomination.ReinspectionDue,
            Nomination.Reinspected,
            Nomination.Revoked,
            Nomination.Forwarded,
        )
    ] == [
        "nomination.reinspection_due",
        "nomination.reinspected",
        "nomination.revoked",
        "nomination.forwarded",
    ]
    assert [
        name(c)
        for c in (
            Campaign.Created,
            Campaign.PhaseOpened,
            Campaign.PhaseClosed,
            Campaign.DeadlineExtended,
        )
    ] == [
        "campaign.created",
        "campaign.phase_opened",
        "campaign.phase_closed",
        "campaign.deadline_extended",
    ]


def test_campaign_nominations_filtered_by_category_state_and_unit(
    world: World, five_good: CampaignRef
) -> None:
    ours = world.declare(five_good, VILLAGE)
    theirs = world.declare(
        five_good, OTHER_TOWNSHIP_VILLAGE, declaring_unit=OTHER_TOWNSHIP, actor=OTHER_TOWNSHIP_DECLARER
    )
    world.admit(five_good, theirs)
    person = world.declare(five_good, VILLAGE, category="advanced_worker", name="李秀兰")

    def ids(found: Any) -> list[str]:
        return [str(n.id) for n in found]

    app = world.app
    assert ids(app.queries.campaign_nominations(five_good.id)) == [ours, theirs, person]
    assert ids(app.queries.campaign_nominations(five_good.id, category="five_good_site")) == [
        ours,
        theirs,
    ]
    assert ids(app.queries.campaign_nominations(five_good.id, state="admitted")) == [theirs]
    assert ids(app.queries.campaign_nominations(five_good.id, unit=TOWNSHIP)) == [ours, person]
    assert ids(app.queries.campaign_nominations(five_good.id, unit=COUNTY)) == [ours, theirs, person]
