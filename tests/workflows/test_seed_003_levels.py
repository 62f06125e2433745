"""Seed 003 across its levels, on the time-skipping server with both campaigns' workflows:
village sites, their township and the county declared to the county's 四创三评 campaign; the
county office's preliminary acceptance; the best selected and forwarded (择优上报) within the
city's forwarding quotas, without the county granting its own title first; the county's own
model-village titles; the city inspecting again and deciding the model township and the
advanced county from the titles its villages hold."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from domain.actors import Actor
from domain.commands import (
    Commend,
    CreateCampaign,
    Declare,
    ForwardSelected,
    Inspect,
    PreReview,
    SetForwardingQuotas,
)
from tests.builders.actors import (
    ADMIN,
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    declarer_of,
)
from tests.builders.forms import (
    ADVANCED_COUNTY_FORM,
    MODEL_TOWNSHIP_FORM,
    MODEL_VILLAGE_FORM,
    uniform_scores,
)
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import CITY, COUNTY, TOWNSHIP
from tests.workflows.harness import DAY, city, stage

MINUTE = timedelta(minutes=1)
# The county's phases (days): mobilisation, creation, self-inspection 1 each, declaration 2,
# preliminary acceptance 3, determination 4. The city's campaign, created with it, opens to
# receive when the county's acceptance opens: receiving, acceptance, decision 7 days each.
COUNTY_DURATIONS = {
    "mobilisation": DAY.total_seconds(),
    "creation": DAY.total_seconds(),
    "self_inspection": DAY.total_seconds(),
    "declaration": 2 * DAY.total_seconds(),
    "preliminary_acceptance": 3 * DAY.total_seconds(),
    "determination": 4 * DAY.total_seconds(),
}


def test_seed_003_village_to_city_with_select_and_forward(tmp_path: Any) -> None:
    asyncio.run(scenario(tmp_path))


async def scenario(tmp_path: Any) -> None:
    async with stage(tmp_path) as s:
        app = s.app
        tree = city(app, villages=2)
        villages = [v for t in tree.townships for v in tree.villages[t]]
        start = await s.now()
        created = app.execute(
            CreateCampaign(
                template="four-creations-three-selections",
                organiser_unit_id=COUNTY,
                starts_at=start,
                durations=COUNTY_DURATIONS,
                create_parent=True,
            ),
            ADMIN,
            at=start,
        )
        county, city_campaign = str(created["id"]), str(created["parent_campaign"]["id"])

        async def act(command: Any, actor: Actor) -> dict[str, Any]:
            return app.execute(command, actor, at=await s.now())

        def declare(category: str, unit: str, declaring: str, name: str, form: dict) -> Declare:
            kind = app.get_campaign(county).category(category).nominee_kind
            return Declare(
                campaign_id=county,
                category=category,
                declaring_unit_id=declaring,
                nominee={"kind": kind, "unit_id": unit, "name": name},
                form=form,
                material=TYPICAL_MATERIAL,
            )

        def inspect(nid: str, score: float) -> Inspect:
            nomination = app.get_nomination(nid)
            category = app.get_campaign(nomination.campaign_id).category(nomination.category)
            return Inspect(
                nomination_id=nid,
                methods=["document_review", "site_visit"],
                scores=uniform_scores(category, score),
                verdict="pass",
            )

        async with s.worker():
            county_run = await s.start(county)
            city_run = await s.start(city_campaign)
            await s.env.sleep(3 * DAY + MINUTE)  # the written declaration opens
            ids: dict[str, str] = {}
            for village in villages:
                township = app.get_unit(village).parent_code
                assert township is not None
                declared = await act(
                    declare("model_village", village, township, f"{village} 站点", MODEL_VILLAGE_FORM),
                    declarer_of(township),
                )
                ids[village] = str(declared["id"])
            ids[TOWNSHIP] = str(
                (
                    await act(
                        declare("model_township", TOWNSHIP, TOWNSHIP, "彭镇", MODEL_TOWNSHIP_FORM),
                        declarer_of(TOWNSHIP),
                    )
                )["id"]
            )
            ids[COUNTY] = str(
                (
                    await act(
                        declare("advanced_county", COUNTY, COUNTY, "宜君县", ADVANCED_COUNTY_FORM),
                        COUNTY_DECLARER,
                    )
                )["id"]
            )

            await s.env.sleep(2 * DAY)  # the county office's preliminary acceptance
            for n, nid in enumerate(ids.values()):
                await act(PreReview(nomination_id=nid, decision="admit"), COUNTY_REVIEWER)
                await act(inspect(nid, 80 + n), COUNTY_INSPECTOR)
            await act(
                SetForwardingQuotas(
                    campaign_id=city_campaign,
                    quotas={COUNTY: {"model_village": 2, "model_township": 1, "advanced_county": 1}},
                    reason="每县择优上报 / per county",
                ),
                CITY_REVIEWER,
            )
            up: dict[str, str] = {}
            for category in ("model_township", "advanced_county", "model_village"):
                result = await act(
                    ForwardSelected(campaign_id=county, category=category), COUNTY_REVIEWER
                )
                up.update({f["id"]: f["forwarded_to"] for f in result["forwarded"]})
            # the best two villages, the township and the county went up; nobody was commended
            best_villages = sorted(villages, key=lambda v: -app.get_nomination(ids[v]).score)[:2]
            assert set(up) == {ids[v] for v in best_villages} | {ids[TOWNSHIP], ids[COUNTY]}
            assert all(app.get_nomination(nid).title is None for nid in up)

            await s.env.sleep(3 * DAY)  # the county's determination: its own village titles
            county_titles = await act(
                Commend(campaign_id=county, category="model_village"), COUNTY_REVIEWER
            )
            assert len(county_titles["commended"]) == len(villages) - 2
            for nid in up.values():  # the city receives and admits
                await act(PreReview(nomination_id=nid, decision="admit"), CITY_REVIEWER)

            await s.env.sleep(4 * DAY + MINUTE)  # the city's acceptance: it inspects again
            for nid in up.values():
                await act(inspect(nid, 88), CITY_INSPECTOR)

            await s.env.sleep(7 * DAY)  # the city decides
            decided = {
                category: await act(Commend(campaign_id=city_campaign, category=category), CITY_REVIEWER)
                for category in ("model_village", "model_township", "advanced_county")
            }
            # the two forwarded villages passed the city's inspection, the others hold the
            # county's title: every site meets the model standard
            assert [c["id"] for c in decided["model_township"]["commended"]] == [up[ids[TOWNSHIP]]]
            assert [c["id"] for c in decided["advanced_county"]["commended"]] == [up[ids[COUNTY]]]
            assert len(decided["model_village"]["commended"]) == 2

            held = app.titles.held([COUNTY, *tree.townships, *villages])
            assert sorted((t.level, t.category) for t in held) == sorted(
                [("county", "model_village")] * (len(villages) - 2)
                + [("city", "model_village")] * 2
                + [("city", "model_township"), ("city", "advanced_county")]
            )
            await s.env.sleep(8 * DAY)  # both campaigns run to their end
            await county_run.result()
            await city_run.result()
            assert app.get_campaign(city_campaign).organiser_unit_id == CITY
