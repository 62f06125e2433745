"""Round trips to PostgreSQL per command, counted from libpq's protocol trace, so that what
issue 20 took out of the write path cannot creep back: declaring reads the campaign and the
two units (each fast-forwarded once) and writes in one pipelined transaction (the roster's
unique claim decides uniqueness); commending reads the roster, not every nomination, so its cost does
not grow with the category."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domain.application import Laurel
from infra.settings import Settings, eventsourcing_env
from tests.builders.backends import POSTGRES_URL, postgres_schema
from tests.builders.round_trips import ONE_CONNECTION, Trips, round_trips
from tests.builders.world import CampaignRef, World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("postgres_available")]

DECLARE = 8  # 3 reads (campaign, declaring unit, nominee unit) + the pipelined write
PRE_REVIEW = 11  # admission reads the activity register afresh (it may refuse on it): 2 reads
INSPECT = 9
COMMEND_AT_ANY_SIZE = 9  # campaign, organiser, roster, the chosen nomination, the write


@pytest.fixture
def world() -> Iterator[World]:
    with postgres_schema(POSTGRES_URL, "rt") as url:
        app = Laurel(env=eventsourcing_env(Settings(database_url=url + ONE_CONNECTION)))
        world = World(app)
        world.city(townships=1, villages=4)
        yield world
        app.close()


def declared(world: World, campaign: CampaignRef, n: int, first: int = 0) -> list[str]:
    return [world.declare(campaign, name=f"站点{first + i}") for i in range(n)]


def test_declaring_costs_the_same_few_round_trips_at_any_campaign_size(world: World) -> None:
    campaign = world.campaign()
    declared(world, campaign, 3)  # the campaign and units are cached from here on
    costs = []
    for size in (3, 40):
        declared(world, campaign, size - len(world.app.roster.entries(campaign.id).entries), 100)
        with round_trips(world.app) as trips:
            world.declare(campaign, name=f"新站点{size}")
        costs.append(trips.count)
    assert costs == [costs[0]] * 2 and costs[0] <= DECLARE, costs


def test_pre_review_and_inspection_cost_few_round_trips(world: World) -> None:
    campaign = world.campaign()
    first, second = declared(world, campaign, 2)
    world.admit(campaign, first)
    world.inspect(campaign, first, 90)
    with round_trips(world.app) as admitted:
        world.admit(campaign, second)
    with round_trips(world.app) as inspected:
        world.inspect(campaign, second, 90)
    assert admitted.count <= PRE_REVIEW and inspected.count <= INSPECT, (admitted, inspected)


def commend_cost(world: World, passed: int) -> Trips:
    campaign = world.campaign(quotas={"five_good_site": 1})
    for nid in declared(world, campaign, passed):
        world.admit(campaign, nid)
        world.inspect(campaign, nid, 90)
    with round_trips(world.app) as trips:
        assert len(world.commend(campaign)["commended"]) == 1
    return trips


def test_commending_reads_the_roster_not_every_nomination(world: World) -> None:
    few, many = commend_cost(world, 3), commend_cost(world, 30)
    assert few.count == many.count <= COMMEND_AT_ANY_SIZE, (few, many)
