"""Campaigns across levels over HTTP: a county campaign created with its city parent, the
city's forwarding quotas, select and forward (择优上报), the title register of a unit, next
year's campaign; refusals as problems naming the field or rule."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx

from domain.commands import IssueToken
from tests.api.page_session import login
from tests.builders.actors import ADMIN, CITY_INSPECTOR, CITY_REVIEWER, COUNTY_DECLARER, COUNTY_REVIEWER
from tests.builders.clock import DOUBLE_STRENGTHEN_2011, FIVE_GOOD_2022, FOUR_CREATIONS_2017, Clock, utc
from tests.builders.forms import MODEL_VILLAGE_FORM
from tests.builders.http import problem, serve_in_process
from tests.builders.material import material_of
from tests.builders.tree import (
    AGENCY,
    CITY,
    COUNTY,
    OTHER_TOWNSHIP,
    OTHER_TOWNSHIP_VILLAGE,
    TOWNSHIP,
    UNIT_TREE,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World

VILLAGES = ["vil-3-01", "vil-3-02", "vil-3-03"]


def tree(admin: httpx.Client) -> None:
    for unit in [
        {"id": "city-1", "name_zh": "示范市", "level": "city"},
        {"id": "county-1", "name_zh": "宜君县", "level": "county", "parent_id": "city-1"},
        {"id": "town-3", "name_zh": "彭镇", "level": "township", "parent_id": "county-1"},
        *(
            {"id": v, "name_zh": f"{i + 1}村", "level": "village", "parent_id": "town-3"}
            for i, v in enumerate(VILLAGES)
        ),
    ]:
        assert admin.post("/v1/units", json=unit).status_code == 201


def token(admin: httpx.Client, role: str, unit: str) -> str:
    body = {"role": role, "unit_id": unit, "expires_at": "2018-01-01T00:00:00Z"}
    response = admin.post("/v1/tokens", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def test_a_county_forwards_its_best_to_the_city_it_created_within_quota(tmp_path: Path) -> None:
    clock = Clock(utc(2017, 1, 1))
    with serve_in_process(f"sqlite:///{tmp_path / 'levels.sqlite3'}", clock) as server:
        admin = server.client()
        tree(admin)
        county_admin = server.client(token(admin, "admin", "county-1"))
        refused = county_admin.post(
            "/v1/campaigns",
            json={
                "template": "four-creations-three-selections",
                "organiser_unit_id": "county-1",
                "year": 2017,
                "create_parent": True,
            },
        )
        assert problem(refused, 403)["unit"] == "city-1"
        created = admin.post(
            "/v1/campaigns",
            json={
                "template": "four-creations-three-selections",
                "organiser_unit_id": "county-1",
                "year": 2017,
                "create_parent": True,
            },
        )
        assert created.status_code == 201, created.text
        county_id = created.json()["id"]
        city = created.json()["parent_campaign"]
        assert (city["template"], city["organiser_unit_id"]) == ("city-four-creations", "city-1")
        assert created.json()["parent_campaign_id"] == city["id"]

        city_reviewer = server.client(token(admin, "reviewer", "city-1"))
        bad = city_reviewer.put(
            f"/v1/campaigns/{city['id']}/forwarding-quotas",
            json={"quotas": {"county-1": {"model_village": "two"}}},
        )
        assert problem(bad, 422)
        quotas = city_reviewer.put(
            f"/v1/campaigns/{city['id']}/forwarding-quotas",
            json={"quotas": {"county-1": {"model_village": 2}}, "reason": "每县至多2个"},
        )
        assert quotas.status_code == 200, quotas.text
        assert quotas.json()["forwarding_quotas"] == {"county-1": {"model_village": 2}}

        declarer = server.client(token(admin, "declarer", "town-3"))
        reviewer = server.client(token(admin, "reviewer", "county-1"))
        inspector = server.client(token(admin, "inspector", "county-1"))
        ids = []
        for i, village in enumerate(VILLAGES):
            clock.now = FOUR_CREATIONS_2017.declaration
            declared = declarer.post(
                f"/v1/campaigns/{county_id}/nominations",
                json={
                    "category": "model_village",
                    "declaring_unit_id": "town-3",
                    "nominee": {"kind": "site", "unit_id": village, "name": f"{i + 1}村站点"},
                    "form": MODEL_VILLAGE_FORM,
                    "material": material_of(900),
                },
            )
            assert declared.status_code == 201, declared.text
            nid = declared.json()["id"]
            ids.append(nid)
            clock.now = FOUR_CREATIONS_2017.pre_review
            admitted = reviewer.post(f"/v1/nominations/{nid}/pre-review", json={"decision": "admit"})
            assert admitted.status_code == 200, admitted.text
            clock.now = FOUR_CREATIONS_2017.inspection
            scores = {"facilities": 80 + i, "management": 80 + i, "applied_learning": 80 + i}
            inspected = inspector.post(
                f"/v1/nominations/{nid}/inspections",
                json={"methods": ["site_visit"], "scores": scores, "verdict": "pass"},
            )
            assert inspected.status_code == 200, inspected.text

        clock.now = FOUR_CREATIONS_2017.inspection + timedelta(hours=2)
        over = reviewer.post(
            f"/v1/campaigns/{county_id}/forwardings",
            json={"category": "model_village", "nomination_ids": ids},
        )
        assert [f["rule"] for f in problem(over, 422, "forwarding-refused")["failures"]] == [
            "forwarding_quota"
        ]
        forwarded = reviewer.post(
            f"/v1/campaigns/{county_id}/forwardings", json={"category": "model_village"}
        )
        assert forwarded.status_code == 200, forwarded.text
        body = forwarded.json()
        assert [f["id"] for f in body["forwarded"]] == [ids[2], ids[1]]
        assert body["forwarding_quota_left"] == 0
        arrived = admin.get(f"/v1/nominations/{body['forwarded'][0]['forwarded_to']}").json()
        assert (arrived["campaign_id"], arrived["state"]) == (city["id"], "declared")
        city_now = admin.get(f"/v1/campaigns/{city['id']}").json()
        assert city_now["forwarded"] == [
            {"from_unit_id": "county-1", "category": "model_village", "count": 2}
        ]

        clock.now = FOUR_CREATIONS_2017.commendation
        commended = reviewer.post(
            f"/v1/campaigns/{county_id}/commendations", json={"category": "model_village"}
        )
        assert [c["id"] for c in commended.json()["commended"]] == [ids[0]]
        held = declarer.get("/v1/units/town-3/titles")
        assert held.status_code == 200, held.text
        assert [(t["holder_unit_id"], t["level"], t["category"]) for t in held.json()] == [
            ("vil-3-01", "county", "model_village")
        ]
        outsider = server.client(token(admin, "declarer", "vil-3-02"))
        assert problem(outsider.get("/v1/units/town-3/titles"), 403)

        clock.now = utc(2017, 12, 31)
        following = admin.post(f"/v1/campaigns/{county_id}/next-year", json={})
        assert following.status_code == 201, following.text
        assert (following.json()["year"], following.json()["previous_campaign_id"]) == (2018, county_id)


def test_a_township_inspector_finds_its_own_village_sites_in_the_county_campaign(tmp_path: Path) -> None:
    """Seed 001's assessment by the level below, through the inspector's pages: the county's
    campaign appears on the township inspector's desk with only its own village sites."""
    clock = Clock(DOUBLE_STRENGTHEN_2011.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'local.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        county = world.campaign("double-strengthen", COUNTY)
        form = {"county_acceptance_passed": True, "satisfaction_rate": 95}
        mine = world.declare(county, VILLAGE, category="five_good_demo_site", form=form)
        theirs = world.declare(
            county,
            OTHER_TOWNSHIP_VILLAGE,
            category="five_good_demo_site",
            form=form,
            declaring_unit=OTHER_TOWNSHIP,
        )
        for nid in (mine, theirs):
            world.admit(county, nid, actor=COUNTY_REVIEWER, at=DOUBLE_STRENGTHEN_2011.pre_review)
        clock.now = DOUBLE_STRENGTHEN_2011.inspection
        issue = IssueToken(role="inspector", unit_id=TOWNSHIP, label="彭镇考核组")
        secret = app.execute(issue, ADMIN)["token"]
        with server.client(None) as browser:
            assert login(browser, secret).status_code == 303
            queue = browser.get("/ui/inspect")
            assert queue.status_code == 200, queue.text
            assert re.findall(r'<tr data-nomination-id="([^"]+)"', queue.text) == [mine]
            assert browser.get(f"/ui/inspect/nominations/{mine}").status_code == 200
            assert browser.get(f"/ui/inspect/nominations/{theirs}").status_code == 403
        api = server.client(secret)
        assert api.get(f"/v1/nominations/{mine}").status_code == 200
        assert problem(api.get(f"/v1/nominations/{theirs}"), 403)
        # the campaign as a whole stays the county's: its lists, ranking and board
        for path in ("nominations", "ranking?category=five_good_demo_site", "dashboard"):
            assert problem(api.get(f"/v1/campaigns/{county.id}/{path}"), 403)


def test_the_agencies_working_committee_finds_only_the_agencies_on_its_desk(tmp_path: Path) -> None:
    """Seed 001: 县直机关工委 reviews the agencies of a county campaign that delegates them."""
    clock = Clock(DOUBLE_STRENGTHEN_2011.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'committee.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        committee = "yijun-jiguan-gongwei"
        admin = server.client()
        assert (
            admin.post(
                "/v1/units",
                json={
                    "id": committee,
                    "name_zh": "县直机关工委",
                    "level": "agency",
                    "parent_id": COUNTY,
                },
            ).status_code
            == 201
        )
        created = admin.post(
            "/v1/campaigns",
            json={
                "template": "double-strengthen",
                "organiser_unit_id": COUNTY,
                "year": 2011,
                "delegates": {"agency": committee},
            },
        )
        assert created.status_code == 201, created.text
        assert created.json()["delegates"] == {"agency": committee}
        county = CampaignRef(created.json()["id"], "double-strengthen", DOUBLE_STRENGTHEN_2011)
        site_form = {
            "satisfaction_rate": 95,
            "monthly_sessions": 2,
            "yearly_hours": 48,
            "monthly_tutoring": 1,
        }
        agency_site = world.declare(
            county,
            AGENCY,
            category="five_good_demo_site",
            form=site_form,
            declaring_unit=COUNTY,
            actor=COUNTY_DECLARER,
            name="农业局远教站点",
        )
        village_site = world.declare(
            county,
            VILLAGE,
            category="five_good_demo_site",
            form={"county_acceptance_passed": True, "satisfaction_rate": 95},
        )
        clock.now = DOUBLE_STRENGTHEN_2011.pre_review
        secret = app.execute(IssueToken(role="reviewer", unit_id=committee, label="机关工委"), ADMIN)[
            "token"
        ]
        with server.client(None) as browser:
            assert login(browser, secret).status_code == 303
            queue = browser.get("/ui/review")
            assert queue.status_code == 200, queue.text
            assert re.findall(r'<tr data-nomination-id="([^"]+)"', queue.text) == [agency_site]
        api = server.client(secret)
        assert api.get(f"/v1/nominations/{agency_site}").status_code == 200
        assert problem(api.get(f"/v1/nominations/{village_site}"), 403)
        admitted = api.post(f"/v1/nominations/{agency_site}/pre-review", json={"decision": "admit"})
        assert admitted.status_code == 200, admitted.text
        assert problem(
            api.post(f"/v1/nominations/{village_site}/pre-review", json={"decision": "admit"}), 403
        )


def test_an_inspector_reads_no_other_score_before_its_own_inspection(tmp_path: Path) -> None:
    """Judging on its own (as the pages already did): over the API too, an inspector who has
    not inspected a nomination sees no other inspection, no score, and no lower level's
    scores in its provenance."""
    clock = Clock(FOUR_CREATIONS_2017.declaration)
    with serve_in_process(f"sqlite:///{tmp_path / 'blind.sqlite3'}", clock) as server:
        app = server.services.app
        world = World(app)
        world.register(UNIT_TREE)
        nid = world.inspected(
            world.campaign("five-good-sites"),
            VILLAGE,
            85,
            reviewer=CITY_REVIEWER,
            inspector=CITY_INSPECTOR,
        )
        clock.now = FIVE_GOOD_2022.inspection
        second = app.execute(IssueToken(role="inspector", unit_id=CITY, label="第二考核组"), ADMIN)[
            "token"
        ]
        api = server.client(second)
        read = api.get(f"/v1/nominations/{nid}").json()
        assert (read["inspections"], read["score"], read["passed"]) == ([], None, None)
        history = api.get(f"/v1/nominations/{nid}/history").json()
        assert "nomination.inspected" not in [e["type"] for e in history]
        listed = api.get(f"/v1/campaigns/{read['campaign_id']}/nominations").json()["items"]
        assert [(n["score"], n["inspections"]) for n in listed] == [(None, [])]
        assert server.client().get(f"/v1/nominations/{nid}").json()["score"] == 85
