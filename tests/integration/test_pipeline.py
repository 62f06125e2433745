"""A whole seed-000 pipeline on each event store, and as-of reads."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import NominationNotFoundError, PhaseNotOpenError
from tests.conftest import BACKENDS
from tests.integration.world import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COMMENDING,
    DECLARING,
    INSPECTING,
    PRE_REVIEWING,
    SITE_CHECKS,
    build_city,
    declare_site,
    declarer,
    five_good_campaign,
    material,
    running_services,
    scores_for,
)


@BACKENDS
def test_seed_000_pipeline_commends_exactly_the_quota_best_scores_first(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=2, villages=40)
        campaign_id = five_good_campaign(app)
        nominations = []
        for i in range(80):
            town = world.townships[i % 2]
            village = world.villages[town][i // 2]
            result = app.declare(
                campaign_id,
                "five_good_site",
                town,
                {"kind": "site", "unit_id": village, "name": f"{village} 站点"},
                {},
                material(),
                declarer(town),
                at=DECLARING + timedelta(minutes=i),
            )
            nominations.append(result["id"])
        for i, nid in enumerate(nominations):
            app.pre_review(nid, "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)
            # 70 pass with distinct scores 61..95.5, 10 fail; two share a score (tie-break by time).
            score = 61 + (i % 70) * 0.5 if i < 70 else 40
            app.inspect(
                nid,
                ["document_review", "site_visit"],
                scores_for(score),
                "pass" if i < 70 else "fail",
                CITY_INSPECTOR,
                at=INSPECTING,
            )

        result = app.commend(campaign_id, "five_good_site", CITY_REVIEWER, at=COMMENDING)

        assert len(result["commended"]) == 50
        assert result["commended_total"] == 50
        commended = app.campaign_nominations(campaign_id, category="five_good_site", state="commended")
        assert len(commended) == 50
        scores = sorted((n.score for n in commended), reverse=True)
        all_passed = sorted(
            (
                n.score
                for n in app.campaign_nominations(campaign_id, category="five_good_site")
                if n.passed
            ),
            reverse=True,
        )
        assert scores == all_passed[:50]
        assert [c["rank"] for c in result["commended"]] == list(range(1, 51))
        again = app.commend(campaign_id, "five_good_site", CITY_REVIEWER, at=COMMENDING)
        assert again["commended"] == []
        assert app.get_campaign(campaign_id).commended_count("five_good_site") == 50


@BACKENDS
def test_declaration_after_the_deadline_is_refused_and_appends_nothing(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=2)
        campaign_id = five_good_campaign(app)
        before = app.recorder.max_notification_id()
        with pytest.raises(PhaseNotOpenError):
            app.declare(
                campaign_id,
                "five_good_site",
                "town-1",
                {"kind": "site", "unit_id": world.villages["town-1"][0], "name": "站点"},
                {},
                material(),
                declarer("town-1"),
                at=PRE_REVIEWING,
            )
        assert app.recorder.max_notification_id() == before


@BACKENDS
def test_as_of_reads_return_the_state_at_a_past_instant(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = build_city(app, townships=1, villages=2)
        campaign_id = five_good_campaign(app)
        nid = declare_site(app, campaign_id, "town-1", world.villages["town-1"][0], name="前双村站点")
        app.pre_review(nid, "admit", [], CITY_REVIEWER, checks=SITE_CHECKS, at=PRE_REVIEWING)
        app.inspect(nid, ["site_visit"], scores_for(88), "pass", CITY_INSPECTOR, at=INSPECTING)

        assert app.nomination_as_of(nid, DECLARING + timedelta(hours=1)).state == "declared"
        assert app.nomination_as_of(nid, PRE_REVIEWING + timedelta(hours=1)).state == "admitted"
        assert app.nomination_as_of(nid, INSPECTING).state == "inspected"
        assert app.nomination_as_of(nid, INSPECTING).score == 88
        assert app.get_nomination(nid, version=2).state == "admitted"
        with pytest.raises(NominationNotFoundError):
            app.nomination_as_of(nid, DECLARING - timedelta(seconds=1))
        types = [e["type"] for e in app.history(nid)]
        assert types == ["nomination.declared", "nomination.pre_reviewed", "nomination.inspected"]
        assert app.history(nid)[1]["actor"] == CITY_REVIEWER.as_dict()
