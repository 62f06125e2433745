"""Forwarding (上报): when a county campaign with a parent campaign closes commendation, its
commended nominations become declarations of the city's campaign, with provenance."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.workflows.harness import (
    ADMIN,
    DAY,
    DECLARER,
    INSPECTOR,
    REVIEWER,
    SITE_CHECKS,
    city,
    material,
    scores,
    stage,
)

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
        city(app, villages=2)
        start = await s.now()
        parent = app.create_campaign(
            "five-good-sites",
            "city-1",
            ADMIN,
            starts_at=start,
            durations={"declaration": 60 * 86400},
            at=start,
        )["id"]
        child = app.create_campaign(
            "five-good-sites",
            "county-1",
            ADMIN,
            starts_at=start,
            durations=SHORT,
            parent_campaign_id=parent,
            at=start,
        )["id"]
        async with s.worker():
            await s.start(parent)
            await s.start(child)
            ids = [
                app.declare(
                    child,
                    "five_good_site",
                    "town-1",
                    {"kind": "site", "unit_id": v, "name": f"{v} 站点"},
                    {},
                    material(),
                    DECLARER,
                    at=start,
                )["id"]
                for v in ("vil-1-01", "vil-1-02")
            ]
            await s.env.sleep(2 * DAY + MINUTE)
            for nid in ids:
                app.pre_review(nid, "admit", [], REVIEWER, checks=SITE_CHECKS, at=await s.now())
            await s.env.sleep(2 * DAY)
            app.inspect(ids[0], ["site_visit"], scores(90), "pass", INSPECTOR, at=await s.now())
            app.inspect(ids[1], ["site_visit"], scores(40), "fail", INSPECTOR, at=await s.now())
            await s.env.sleep(2 * DAY)
            assert [
                c["id"]
                for c in app.commend(child, "five_good_site", REVIEWER, at=await s.now())["commended"]
            ] == [ids[0]]
            await s.env.sleep(2 * DAY + MINUTE)  # commendation closes: forwarding
            source = app.get_nomination(ids[0])
            assert source.state == "forwarded"
            upstream = app.campaign_nominations(parent)
            assert (
                len(upstream) == 1
                and str(upstream[0].id) == source.forwarded_to["nomination_id"].__str__()
            )
            assert (
                upstream[0].forwarded_from["nomination_id"] == ids[0]
                and upstream[0].declaring_unit_id == "county-1"
            )
            assert upstream[0].state == "declared"
