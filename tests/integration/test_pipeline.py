"""A whole seed-000 pipeline on each event store, and as-of reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import Commend, Declare, Inspect, PreReview
from domain.errors import NominationNotFoundError, PhaseNotOpenError
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.forms import FIVE_PROTECTIONS_OK, SITE_CHECKLIST, site_scores
from tests.builders.material import material_of
from tests.builders.services import running_services
from tests.builders.tree import TOWNSHIP
from tests.builders.world import World


@BACKENDS
def test_seed_000_pipeline_commends_exactly_the_quota_best_scores_first(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        city = world.city(townships=2, villages=40)
        campaign = world.campaign()
        campaign_id = campaign.id
        nominations = []
        for i in range(80):
            town = city.townships[i % 2]
            village = city.villages[town][i // 2]
            result = app.execute(
                Declare(
                    campaign_id=campaign_id,
                    category="five_good_site",
                    declaring_unit_id=town,
                    nominee={"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                    form={},
                    material=material_of(),
                ),
                declarer_of(town),
                at=FIVE_GOOD_2022.declaration + timedelta(minutes=i),
            )
            nominations.append(result["id"])
        for i, nid in enumerate(nominations):
            app.execute(
                PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
                CITY_REVIEWER,
                at=FIVE_GOOD_2022.pre_review,
            )
            # 70 pass with distinct scores 61..95.5, 10 fail; two share a score (tie-break by time).
            score = 61 + (i % 70) * 0.5 if i < 70 else 40
            app.execute(
                Inspect(
                    nomination_id=nid,
                    methods=["document_review", "site_visit"],
                    scores=site_scores(score),
                    checklist=SITE_CHECKLIST,
                    verdict="pass" if i < 70 else "fail",
                ),
                CITY_INSPECTOR,
                at=FIVE_GOOD_2022.inspection,
            )

        result = app.execute(
            Commend(campaign_id=campaign_id, category="five_good_site"),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.commendation,
        )

        assert len(result["commended"]) == 50
        assert result["commended_total"] == 50
        commended = app.queries.campaign_nominations(
            campaign_id, category="five_good_site", state="commended"
        )
        assert len(commended) == 50
        scores = sorted((n.score for n in commended), reverse=True)
        all_passed = sorted(
            (
                n.score
                for n in app.queries.campaign_nominations(campaign_id, category="five_good_site")
                if n.passed
            ),
            reverse=True,
        )
        assert scores == all_passed[:50]
        assert [c["rank"] for c in result["commended"]] == list(range(1, 51))
        again = app.execute(
            Commend(campaign_id=campaign_id, category="five_good_site"),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.commendation,
        )
        assert again["commended"] == []
        assert app.get_campaign(campaign_id).commended_count("five_good_site") == 50


@BACKENDS
def test_declaration_after_the_deadline_is_refused_and_appends_nothing(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        city = world.city(townships=1, villages=2)
        campaign = world.campaign()
        campaign_id = campaign.id
        before = app.recorder.max_notification_id()
        with pytest.raises(PhaseNotOpenError):
            app.execute(
                Declare(
                    campaign_id=campaign_id,
                    category="five_good_site",
                    declaring_unit_id=TOWNSHIP,
                    nominee={"kind": "site", "unit_id": city.villages[TOWNSHIP][0], "name": "站点"},
                    form={},
                    material=material_of(),
                ),
                declarer_of(TOWNSHIP),
                at=FIVE_GOOD_2022.pre_review,
            )
        assert app.recorder.max_notification_id() == before


@BACKENDS
def test_as_of_reads_return_the_state_at_a_past_instant(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        city = world.city(townships=1, villages=2)
        campaign = world.campaign()
        nid = world.declare(
            campaign, declaring_unit=TOWNSHIP, unit=city.villages[TOWNSHIP][0], name="前双村站点"
        )
        app.execute(
            PreReview(nomination_id=nid, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
        )
        app.execute(
            Inspect(
                nomination_id=nid,
                methods=["site_visit"],
                scores=site_scores(88),
                checklist=SITE_CHECKLIST,
                verdict="pass",
            ),
            CITY_INSPECTOR,
            at=FIVE_GOOD_2022.inspection,
        )

        assert (
            app.queries.nomination_as_of(nid, FIVE_GOOD_2022.declaration + timedelta(hours=1)).state
            == "declared"
        )
        assert (
            app.queries.nomination_as_of(nid, FIVE_GOOD_2022.pre_review + timedelta(hours=1)).state
            == "admitted"
        )
        assert app.queries.nomination_as_of(nid, FIVE_GOOD_2022.inspection).state == "inspected"
        assert app.queries.nomination_as_of(nid, FIVE_GOOD_2022.inspection).score == 88
        assert app.get_nomination(nid, version=2).state == "admitted"
        with pytest.raises(NominationNotFoundError):
            app.queries.nomination_as_of(nid, FIVE_GOOD_2022.declaration - timedelta(seconds=1))
        types = [e["type"] for e in app.queries.history(nid)]
        assert types == ["nomination.declared", "nomination.pre_reviewed", "nomination.inspected"]
        assert app.queries.history(nid)[1]["actor"] == CITY_REVIEWER.as_dict()
