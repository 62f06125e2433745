"""A scripted seed-000 campaign that reaches every state of the year: declared, withdrawn,
rejected, admitted, inspected twice, failed, lapsed, commended and revoked. The read models'
tests compare what they show with the aggregates after it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.commands import ClosePhase, Commend, Inspect, OpenPhase, PreReview, Revoke, Withdraw
from infra.bootstrap import Services
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.tree import OTHER_TOWNSHIP
from tests.builders.world import World

LATER = FIVE_GOOD_2022.commendation + timedelta(days=5)
"""After every step of the script: a clock for the services that run it."""


def scripted_campaign(services: Services) -> dict[str, Any]:
    """Ten sites in two townships through every state the seed-000 year reaches."""
    app = services.app
    world = World(app)
    city = world.city(townships=2, villages=6)
    campaign = world.campaign(at=FIVE_GOOD_2022.declaration - timedelta(days=2))
    campaign_id = campaign.id
    app.execute(
        OpenPhase(campaign_id=campaign_id, phase="declaration"), ADMIN, at=FIVE_GOOD_2022.declaration
    )
    ids = [
        world.declare(campaign, declaring_unit=town, unit=city.villages[town][v])
        for town in city.townships
        for v in range(5)
    ]
    app.execute(
        Withdraw(nomination_id=ids[9], reason="站点搬迁 / the site moved"),
        declarer_of(OTHER_TOWNSHIP),
        at=FIVE_GOOD_2022.declaration + timedelta(hours=1),
    )
    app.execute(
        PreReview(nomination_id=ids[8], decision="reject", reasons=["材料不实 / material not true"]),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.pre_review,
    )
    for nid in ids[:8]:
        app.execute(
            PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
    for i, nid in enumerate(ids[:6]):
        app.execute(
            Inspect(
                nomination_id=nid,
                methods=["document_review", "site_visit"],
                scores=site_scores(95 - i * 3),
                checklist=SITE_CHECKLIST,
                verdict="pass" if i < 5 else "fail",
            ),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.inspection,
        )
    app.execute(
        Inspect(
            nomination_id=ids[1],
            methods=["site_visit"],
            scores=site_scores(99),
            checklist=SITE_CHECKLIST,
            verdict="pass",
        ),
        CITY_INSPECTOR,
        at=FIVE_GOOD_2022.inspection + timedelta(hours=1),
    )
    app.execute(
        ClosePhase(campaign_id=campaign_id, phase="inspection"),
        ADMIN,
        at=FIVE_GOOD_2022.inspection + timedelta(days=14),
    )  # ids[6], ids[7] lapse
    app.execute(
        Commend(campaign_id=campaign_id, category="five_good_site", nomination_ids=ids[:3]),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
    )
    app.execute(
        Revoke(nomination_id=ids[2], reason="弄虚作假 / false claims"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation + timedelta(days=3),
    )
    return {"campaign_id": campaign_id, "ids": ids, "world": world}
