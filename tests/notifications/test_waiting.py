"""What waits for whom in the daily digest when a campaign delegates a level: the delegate's
reviewers count the delegated level's nominations; the organiser's do not count them."""

from __future__ import annotations

from domain.commands import AddContact, RegisterUnit
from domain.notifications.notices import contact_recipient
from infra.notifications.waiting import WorkWaiting
from tests.builders.actors import ADMIN, COUNTY_DECLARER
from tests.builders.backends import BACKENDS
from tests.builders.clock import DOUBLE_STRENGTHEN_2011, Clock
from tests.builders.tree import AGENCY, COUNTY, UNIT_TREE
from tests.builders.world import World
from tests.notifications.harness import services_for

COMMITTEE = "yijun-committee"


@BACKENDS
def test_a_delegated_level_waits_at_the_delegate_only(database_url: str) -> None:
    clock = Clock(DOUBLE_STRENGTHEN_2011.declaration)
    with services_for(database_url, clock=clock) as services:
        app = services.app
        world = World(app, clock)
        world.register(UNIT_TREE)
        app.execute(
            RegisterUnit(
                code=COMMITTEE,
                name="Committee",
                name_zh="县直机关工委",
                level="agency",
                parent_id=COUNTY,
            ),
            ADMIN,
        )
        campaign = world.campaign("double-strengthen", COUNTY, delegates={"agency": COMMITTEE})
        for name in ("宜君县农业局", "宜君县林业局"):
            world.declare(
                campaign,
                AGENCY,
                category="model_department",
                form={"demo_site_share": 40},
                declaring_unit=COUNTY,
                actor=COUNTY_DECLARER,
                name=name,
            )
        ids = {
            unit: str(
                app.execute(
                    AddContact(
                        unit_id=unit, name="审核员", role="reviewer", email=f"r@{unit}.example.cn"
                    ),
                    ADMIN,
                )["contact_id"]
            )
            for unit in (COUNTY, COMMITTEE)
        }
        clock.now = campaign.when.pre_review
        waiting = WorkWaiting(app, lambda: clock.now)
        committee = contact_recipient(ids[COMMITTEE])
        assert waiting.recipients() == [committee]  # the county's desk has nothing: delegated
        assert [line["count"] for line in waiting(committee)] == [2]
        assert waiting.unit_of(committee) == COMMITTEE
