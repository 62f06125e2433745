"""Seed 001 across its levels, on the time-skipping server with both campaigns' workflows:
the county's 双强双创双争 campaign with every category (the agency stream included), its
townships assessing their own village sites (乡镇负责抓好所属村队、社区站点的考核评议), the
county's commendation, and its advanced units declared to the prefecture's selection, which
takes the county's assessment as its own (向州党委组织部申报州级先进单位)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from domain.actors import Actor
from domain.commands import Commend, CreateCampaign, Declare, ForwardSelected, Inspect, PreReview
from domain.vocabulary import Role
from tests.builders.actors import (
    ADMIN,
    CITY_REVIEWER,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
    declarer_of,
)
from tests.builders.forms import FIVE_PROTECTIONS_OK, PLATFORM_FORM, uniform_scores
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import AGENCY, COUNTY, UNIT_TREE
from tests.builders.world import World
from tests.workflows.harness import DAY, city, stage

MINUTE = timedelta(minutes=1)
# The county's phases (days): mobilisation 1, creation 2 (declaration), consolidation 1,
# assessment 3 (pre-review and inspection), commendation 3. The prefecture's campaign, created
# with it, opens to receive when the assessment opens: declaration and selection 14 days each.
COUNTY_DURATIONS = {
    "mobilisation": DAY.total_seconds(),
    "creation": 2 * DAY.total_seconds(),
    "consolidation": DAY.total_seconds(),
    "assessment": 3 * DAY.total_seconds(),
    "commendation": 3 * DAY.total_seconds(),
}
SITE_FORM = {"county_acceptance_passed": True, "satisfaction_rate": 95}
AGENCY_SITE_FORM = {**SITE_FORM, "monthly_sessions": 2, "yearly_hours": 48, "monthly_tutoring": 1}
UNIT_CATEGORIES = ("advanced_teaching_platform", "five_good_demo_site", "model_department")


def test_seed_001_county_to_prefecture_with_township_assessment(tmp_path: Any) -> None:
    asyncio.run(scenario(tmp_path))


async def scenario(tmp_path: Any) -> None:
    async with stage(tmp_path) as s:
        app = s.app
        tree = city(app, villages=2)
        World(app).register([row for row in UNIT_TREE if row.code == AGENCY])
        start = await s.now()
        created = app.execute(
            CreateCampaign(
                template="double-strengthen",
                organiser_unit_id=COUNTY,
                starts_at=start,
                durations=COUNTY_DURATIONS,
                create_parent=True,
            ),
            ADMIN,
            at=start,
        )
        county, prefecture = str(created["id"]), str(created["parent_campaign"]["id"])
        campaign = app.get_campaign(county)
        assert campaign.category("model_department").quota == 1  # ceil(0.3 × 1 agency)

        async def act(command: Any, actor: Actor) -> dict[str, Any]:
            return app.execute(command, actor, at=await s.now())

        def declare(
            category: str, unit: str, declaring: str, name: str, form: dict, **who: Any
        ) -> Declare:
            kind = campaign.category(category).nominee_kind
            return Declare(
                campaign_id=county,
                category=category,
                declaring_unit_id=declaring,
                nominee={"kind": kind, "unit_id": unit, "name": name, **who},
                form=form,
                material=TYPICAL_MATERIAL,
            )

        def inspect(nid: str, score: float) -> Inspect:
            nomination = app.get_nomination(nid)
            category = app.get_campaign(nomination.campaign_id).category(nomination.category)
            level = str(app.get_unit(nomination.nominee.unit_id).level)
            checklist = {
                c.code: {item.code: True for item in c.items} for c in category.checklists_for(level)
            }
            return Inspect(
                nomination_id=nid,
                methods=["document_review", "site_visit", "questionnaire"],
                scores=uniform_scores(category, score),
                verdict="pass",
                checklist=checklist or None,
            )

        async with s.worker():
            county_run = await s.start(county)
            prefecture_run = await s.start(prefecture)
            await s.env.sleep(DAY + MINUTE)  # creation: townships and agencies report
            declared: dict[str, str] = {}

            async def put(key: str, command: Declare, actor: Actor) -> None:
                declared[key] = str((await act(command, actor))["id"])

            for township in tree.townships:
                await put(
                    f"platform:{township}",
                    declare(
                        "advanced_teaching_platform",
                        township,
                        township,
                        f"{township} 教学平台",
                        PLATFORM_FORM,
                    ),
                    declarer_of(township),
                )
                for village in tree.villages[township]:
                    await put(
                        f"site:{village}",
                        declare("five_good_demo_site", village, township, f"{village} 站点", SITE_FORM),
                        declarer_of(township),
                    )
            first = tree.villages[tree.townships[0]][0]
            await put(
                "administrator",
                declare(
                    "outstanding_site_administrator",
                    first,
                    tree.townships[0],
                    "王建国",
                    {},
                    person_id="p-1",
                ),
                declarer_of(tree.townships[0]),
            )
            await put(
                "model",
                declare(
                    "study_and_apply_model", first, tree.townships[0], "李学用", {}, person_id="p-2"
                ),
                declarer_of(tree.townships[0]),
            )
            # the agency stream, reported to the county's agencies working committee
            await put(
                "agency-site",
                declare("five_good_demo_site", AGENCY, COUNTY, "农业局远教站点", AGENCY_SITE_FORM),
                COUNTY_DECLARER,
            )
            await put(
                "agency-model",
                declare("agency_study_and_apply_model", AGENCY, COUNTY, "赵机关", {}, person_id="p-3"),
                COUNTY_DECLARER,
            )
            await put(
                "department",
                declare("model_department", AGENCY, COUNTY, "宜君县农业局", {"demo_site_share": 40}),
                COUNTY_DECLARER,
            )

            await s.env.sleep(3 * DAY)  # the assessment
            for n, (key, nid) in enumerate(declared.items()):
                await act(
                    PreReview(nomination_id=nid, decision="admit", checks=FIVE_PROTECTIONS_OK),
                    COUNTY_REVIEWER,
                )
                # each township assesses its own village sites; the county the rest
                village = key.startswith("site:")
                township = app.get_unit(key.removeprefix("site:")).parent_code if village else None
                inspector = (
                    Actor(f"tok-{township}-inspector", Role.INSPECTOR, township)
                    if township
                    else COUNTY_INSPECTOR
                )
                await act(inspect(nid, 80 + n), inspector)
            assessed = [
                app.get_nomination(nid).inspections[0].inspector.unit_id for nid in declared.values()
            ]
            assert set(assessed) == {COUNTY, *tree.townships}

            await s.env.sleep(3 * DAY)  # summary and commendation
            for category in {app.get_nomination(nid).category for nid in declared.values()}:
                commended = await act(Commend(campaign_id=county, category=category), COUNTY_REVIEWER)
                assert commended["commended"], category
            up: dict[str, str] = {}
            for category in UNIT_CATEGORIES:  # the advanced units go up to the prefecture
                forwarded = await act(
                    ForwardSelected(campaign_id=county, category=category), COUNTY_REVIEWER
                )
                up.update({f["id"]: f["forwarded_to"] for f in forwarded["forwarded"]})
            assert len(up) == len(tree.townships) + sum(map(len, tree.villages.values())) + 2
            for nid in up.values():  # the prefecture takes the county's assessment
                arrived = app.get_nomination(nid)
                assert arrived.state == "inspected" and arrived.passed

            await s.env.sleep(12 * DAY)  # the prefecture's selection
            for category in UNIT_CATEGORIES:
                chosen = await act(Commend(campaign_id=prefecture, category=category), CITY_REVIEWER)
                assert chosen["commended"], category
            held = app.titles.held([COUNTY, AGENCY, *tree.townships])
            assert {(t.category, t.level) for t in held} >= {
                ("advanced_teaching_platform", "county"),
                ("advanced_teaching_platform", "city"),
                ("model_department", "county"),
                ("model_department", "city"),
                ("five_good_demo_site", "city"),
            }
            await s.env.sleep(15 * DAY)  # both campaigns run to their end
            await county_run.result()
            await prefecture_run.result()
