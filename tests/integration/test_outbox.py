"""The notification outbox on the real event stores: a notice is written in the same transaction
as the event that causes it (a conflicting save leaves neither), read back whole, in id order,
page by page."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.commands import PreReview
from domain.nominations import Nomination
from domain.notifications.kinds import NoticeKind
from domain.notifications.notices import Audience
from domain.vocabulary import PreReviewDecision, Role
from infra.roster_store import outbox_of
from tests.builders.actors import CITY_REVIEWER
from tests.builders.backends import BACKENDS
from tests.builders.forms import FIVE_PROTECTIONS_OK, category
from tests.builders.services import running_services
from tests.builders.tree import PENG_ZHEN_VILLAGES, TOWNSHIP
from tests.builders.world import World


@BACKENDS
def test_a_notice_is_stored_with_its_event_and_read_back_whole(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        world.city(townships=1, villages=1)
        campaign = world.campaign()
        nid = world.declare(campaign)
        assert app.recorder.select_outbox(0, 10) == []  # a declaration tells nobody
        app.execute(
            PreReview(nomination_id=nid, decision="reject", reasons=["台账不全"]),
            CITY_REVIEWER,
            at=campaign.when.pre_review,
        )
        ((row_id, notice),) = outbox_of(app.recorder).select_outbox(0, 10)
        assert row_id >= 1 and notice.kind == NoticeKind.REJECTED
        assert notice.key == f"{nid}:2:rejected" and notice.subject_id == nid
        assert notice.campaign_id == campaign.id
        assert notice.occurred_at == campaign.when.pre_review
        assert notice.audience == (Audience(TOWNSHIP, (Role.ADMIN, Role.DECLARER)),)
        assert notice.facts["reasons"] == ["台账不全"]
        assert app.recorder.select_outbox(row_id, 10) == []
        with pytest.raises(TypeError, match="keeps no outbox"):
            outbox_of(object())


@BACKENDS
def test_a_conflicting_save_leaves_no_outbox_row(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        world.city(townships=1, villages=1)
        campaign = world.campaign()
        nid = world.declare(campaign)
        cat = category(campaign.template, "five_good_site")
        at = campaign.when.pre_review
        # two private copies of version 1: the second save conflicts on the events' version
        winner, loser = (app.load.find(UUID(nid), Nomination) for _ in range(2))
        assert winner is not None and loser is not None and winner is not loser
        winner.pre_review(cat, PreReviewDecision.REJECT, ["台账不全"], {}, CITY_REVIEWER, at)
        loser.pre_review(cat, PreReviewDecision.ADMIT, [], FIVE_PROTECTIONS_OK, CITY_REVIEWER, at)
        app.save(winner)
        with pytest.raises(IntegrityError):
            app.save(loser)
        kinds = [n.kind for _, n in app.recorder.select_outbox(0, 10)]
        assert kinds == [NoticeKind.REJECTED]  # the admitted notice went with its events
        assert app.get_nomination(nid).state == "rejected"


@BACKENDS
def test_the_outbox_pages_by_id_in_commit_order(database_url):
    with running_services(database_url) as services:
        app = services.app
        world = World(app)
        world.city(townships=1, villages=5)
        campaign = world.campaign()
        ids = [world.declare(campaign, unit=v) for v in list(PENG_ZHEN_VILLAGES)[:5]]
        for nid in ids:
            world.admit(campaign, nid)
        first = app.recorder.select_outbox(0, 2)
        rest = app.recorder.select_outbox(first[-1][0], 10)
        assert len(first) == 2 and len(rest) == 3
        rows = first + rest
        assert [r[0] for r in rows] == sorted(r[0] for r in rows)
        assert [n.subject_id for _, n in rows] == ids
        with pytest.raises(ValueError, match="at least one"):
            app.recorder.select_outbox(0, 0)
