"""Forwarding (上报): when a county campaign with a parent campaign closes commendation, its
commended nominations become declarations of the city's campaign, with provenance."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from domain.commands import Commend, CreateCampaign, Declare, Inspect, PreReview
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, TOWNSHIP_DECLARER
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, COUNTY, TOWNSHIP
from tests.workflows.harness import DAY, city, stage

MINUTE = timedelta(minutes=1)
SHORT = {
    "declaration": 2 * 86400,
    "pre_review": 2 * 86400,
    "inspection": 2 * 86400,
    "commendation": 2 * 86400,
}


def test_commended_nominations_go_up_to_the_parent_campaign_when_commendation_closes(tmp_path):
    asyncio.run(scenario(tmp_path))


async def scenario(tmp_path):
    async with stage(tmp_path) as s:
        app = s.app
        villages = city(app, villages=2).villages[TOWNSHIP]
        start = await s.now()
        parent = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=CITY,
                starts_at=start,
                durations={"declaration": 60 * 86400},
            ),
            ADMIN,
            at=start,
        )["id"]
        child = app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=COUNTY,
                starts_at=start,
                durations=SHORT,
                parent_campaign_id=parent,
            ),
            ADMIN,
            at=start,
        )["id"]
        async with s.worker():
            await s.start(parent)
            await s.start(child)
            ids = [
                app.execute(
                    Declare(
                        campaign_id=child,
                        category="five_good_site",
                        declaring_unit_id=TOWNSHIP,
                        nominee={"kind": "site", "unit_id": v, "name": f"{v} 站点"},
                        form={},
                        material=TYPICAL_MATERIAL,
                    ),
                    TOWNSHIP_DECLARER,
                    at=start,
                )["id"]
                for v in villages
            ]
            await s.env.sleep(2 * DAY + MINUTE)
            for nid in ids:
                app.execute(
                    PreReview(
                        nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK
                    ),
                    CITY_REVIEWER,
                    at=await s.now(),
                )
            await s.env.sleep(2 * DAY)
            app.execute(
                Inspect(
                    nomination_id=ids[0],
                    methods=["site_visit"],
                    scores=site_scores(90),
                    checklist=SITE_CHECKLIST,
                    verdict="pass",
                ),
                CITY_INSPECTOR,
                at=await s.now(),
            )
            app.execute(
                Inspect(
                    nomination_id=ids[1],
                    methods=["site_visit"],
                    scores=site_scores(40),
                    checklist=SITE_CHECKLIST,
                    verdict="fail",
                ),
                CITY_INSPECTOR,
                at=await s.now(),
            )
            await s.env.sleep(2 * DAY)
            commend = Commend(campaign_id=child, category="five_good_site")
            commended = app.execute(commend, CITY_REVIEWER, at=await s.now())["commended"]
            assert [c["id"] for c in commended] == [ids[0]]
            await s.env.sleep(2 * DAY + MINUTE)  # commendation closes: forwarding
            source = app.get_nomination(ids[0])
            assert source.state == "forwarded"
            upstream = app.queries.campaign_nominations(parent)
            assert len(upstream) == 1
            assert str(upstream[0].id) == str(source.forwarded_to["nomination_id"])
            assert (
                upstream[0].forwarded_from["nomination_id"] == ids[0]
                and upstream[0].declaring_unit_id == COUNTY
            )
            assert upstream[0].state == "declared"
