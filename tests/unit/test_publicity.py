"""公示 (issue 23, items 1-2) in the domain: commend proposes, publishing sets the period in
working days, the step closes it and grants; objections hold a title until decided, an upheld
one withdraws the nomination and frees its slot without promoting the next best."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.actors import SYSTEM
from domain.commands import (
    AdvancePublicity,
    Commend,
    ConfigurePublicity,
    DecideObjection,
    InvestigateObjection,
    LodgeObjection,
    PublishProposedList,
)
from domain.errors import (
    AuthorizationError,
    CampaignNotFoundError,
    DomainError,
    PublicityInvalidError,
    PublicityRefusedError,
    QuotaExceededError,
)
from domain.nominations import Nomination
from domain.objections import PUBLIC, Objection, objection_uuid
from domain.publicity import publicity_view
from domain.rules.jurisdiction import require_unscoped
from domain.vocabulary import Role
from tests.builders.actors import CITY_REVIEWER, COUNTY_INSPECTOR, COUNTY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022
from tests.builders.tree import CITY, COUNTY, PENG_ZHEN_VILLAGES
from tests.builders.world import CampaignRef, World

SHANGHAI = ZoneInfo("Asia/Shanghai")
PUBLISHED = datetime(2024, 9, 27, 3, tzinfo=UTC)  # a Friday, 11:00 in Shanghai
CLOSES = datetime(2024, 10, 11, tzinfo=SHANGHAI)  # Sep 29 (worked Sunday), 30, Oct 8, 9, 10
CATEGORY = "five_good_site"


@pytest.fixture
def listed(world: World) -> tuple[CampaignRef, dict[float, str]]:
    campaign = world.campaign("five-good-sites", quotas={CATEGORY: 2})
    world.app.execute(
        ConfigurePublicity(campaign_id=campaign.id, working_days=5, reason="公示五个工作日"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.inspection,
    )
    passed = {
        score: world.inspected(campaign, unit, score)
        for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:3], [90, 80, 70], strict=True)
    }
    return campaign, passed


def execute(world: World, command, at: datetime, actor=CITY_REVIEWER) -> dict:
    return world.app.execute(command, actor, at=at)


def test_commend_proposes_within_quota_and_publishing_counts_working_days(world, listed):
    campaign, passed = listed
    result = world.commend(campaign)
    assert result["proposed"] is True
    assert [c["id"] for c in result["commended"]] == [passed[90], passed[80]]
    assert world.state(passed[90]) == "proposed" and world.state(passed[70]) == "inspected"
    with pytest.raises(QuotaExceededError):  # the proposed count in the quota
        world.app.get_campaign(campaign.id).award(CATEGORY, [passed[70]], CITY_REVIEWER, PUBLISHED)
    published = execute(world, PublishProposedList(campaign_id=campaign.id, reason="公示"), PUBLISHED)
    assert published["closes_at"] == CLOSES.isoformat() == "2024-10-11T00:00:00+08:00"
    assert published["nomination_ids"] == [passed[90], passed[80]]
    with pytest.raises(PublicityRefusedError):  # nothing left to publish
        execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)

    view = publicity_view(world.app.get_campaign(campaign.id), world.app.load, PUBLISHED)
    [period] = view["periods"]
    assert period["open"] and {e["name"] for e in period["entries"]} == {
        world.app.get_nomination(passed[90]).nominee.name,
        world.app.get_nomination(passed[80]).nominee.name,
    }
    assert set(period["entries"][0]) == {
        "nomination_id",
        "name",
        "unit_name_zh",
        "unit_name_en",
        "category",
        "category_name_zh",
        "category_name_en",
        "rank",
    }

    before = execute(
        world, AdvancePublicity(campaign_id=campaign.id), CLOSES - timedelta(minutes=1), SYSTEM
    )
    assert before["closed"] == [] and before["granted"] == [] and before["next"] == [CLOSES.isoformat()]
    done = execute(world, AdvancePublicity(campaign_id=campaign.id), CLOSES, SYSTEM)
    assert done["closed"] == [0] and set(done["granted"]) == {passed[90], passed[80]}
    assert world.state(passed[90]) == "commended"
    assert world.app.get_nomination(passed[90]).title is not None


def test_an_objection_holds_the_title_and_upheld_frees_the_slot(world, listed):
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)
    lodged = execute(
        world,
        LodgeObjection(
            campaign_id=campaign.id, nomination_id=passed[90], text="台账造假", contact="138 0000 0000"
        ),
        PUBLISHED + timedelta(days=2),
        PUBLIC,
    )
    receipt = lodged["receipt"]
    assert lodged["status"] == "open" and "contact" not in lodged and receipt.startswith("24-")
    with pytest.raises(PublicityRefusedError):  # the same text again
        execute(
            world,
            LodgeObjection(campaign_id=campaign.id, nomination_id=passed[90], text=" 台账造假 "),
            PUBLISHED + timedelta(days=2),
            PUBLIC,
        )
    with pytest.raises(PublicityInvalidError):
        execute(
            world,
            LodgeObjection(campaign_id=campaign.id, nomination_id=passed[90], text="x" * 2001),
            PUBLISHED + timedelta(days=2),
            PUBLIC,
        )
    closed = execute(world, AdvancePublicity(campaign_id=campaign.id), CLOSES, SYSTEM)
    assert closed["granted"] == [passed[80]] and closed["awaiting"] == [passed[90]]
    assert closed["reminded"] and closed["next"] == [
        (CLOSES + timedelta(days=1)).astimezone(UTC).isoformat()
    ]
    assert world.state(passed[90]) == "proposed"
    with pytest.raises(PublicityRefusedError):  # the period is over
        execute(
            world,
            LodgeObjection(campaign_id=campaign.id, nomination_id=passed[80], text="迟到的异议"),
            CLOSES + timedelta(hours=1),
            PUBLIC,
        )
    with pytest.raises(AuthorizationError):
        execute(
            world,
            InvestigateObjection(receipt=receipt),
            CLOSES,
            PUBLIC.__class__("x", "declarer", "peng-zhen"),
        )
    execute(world, InvestigateObjection(receipt=receipt, note="实地核查"), CLOSES + timedelta(hours=2))
    decided = execute(
        world,
        DecideObjection(receipt=receipt, outcome="uphold", findings="经核实台账不实"),
        CLOSES + timedelta(hours=3),
    )
    assert decided["withdrawn"] and world.state(passed[90]) == "not_commended"
    assert world.state(passed[70]) == "inspected"  # the next best is not promoted
    camp = world.app.get_campaign(campaign.id)
    assert camp.commended_count(CATEGORY) == 1  # the slot is free for the organiser
    again = execute(world, AdvancePublicity(campaign_id=campaign.id), CLOSES + timedelta(days=1), SYSTEM)
    assert again["awaiting"] == [] and again["next"] == []


def test_a_dismissed_objection_grants_the_title_after_the_period(world, listed):
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)
    receipt = execute(
        world,
        LodgeObjection(campaign_id=campaign.id, nomination_id=passed[80], text="名不副实"),
        PUBLISHED + timedelta(days=1),
        PUBLIC,
    )["receipt"]
    execute(world, AdvancePublicity(campaign_id=campaign.id), CLOSES, SYSTEM)
    decided = execute(
        world,
        DecideObjection(receipt=receipt, outcome="dismiss", findings="经核实情况属实"),
        CLOSES + timedelta(days=1),
    )
    assert decided["granted"] and world.state(passed[80]) == "commended"
    with pytest.raises(PublicityRefusedError):
        execute(
            world,
            DecideObjection(receipt=receipt, outcome="uphold", findings="再议"),
            CLOSES + timedelta(days=1),
        )


def test_without_publicity_commend_grants_at_once_and_objections_are_not_received(world, five_good):
    nid = world.inspected(five_good, next(iter(PENG_ZHEN_VILLAGES)), 90)
    result = world.commend(five_good)
    assert result["proposed"] is False and world.state(nid) == "commended"
    with pytest.raises(CampaignNotFoundError):
        execute(
            world,
            LodgeObjection(campaign_id=five_good.id, nomination_id=nid, text="异议"),
            FIVE_GOOD_2022.commendation,
            PUBLIC,
        )
    with pytest.raises(PublicityRefusedError):
        execute(world, PublishProposedList(campaign_id=five_good.id), FIVE_GOOD_2022.commendation)


def test_commend_after_a_withdrawal_fills_the_slot_within_quota(world, listed):
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), FIVE_GOOD_2022.commendation)
    receipt = execute(
        world,
        LodgeObjection(campaign_id=campaign.id, nomination_id=passed[90], text="举报"),
        FIVE_GOOD_2022.commendation + timedelta(hours=1),
        PUBLIC,
    )["receipt"]
    execute(
        world,
        DecideObjection(receipt=receipt, outcome="uphold", findings="属实"),
        FIVE_GOOD_2022.commendation + timedelta(hours=2),
    )
    refill = world.app.execute(
        Commend(campaign_id=campaign.id, category=CATEGORY),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation + timedelta(hours=3),
    )
    assert [c["id"] for c in refill["commended"]] == [passed[70]]
    assert world.state(passed[70]) == "proposed"


def test_a_template_with_publicity_gives_its_campaigns_the_publicity():
    from dataclasses import replace

    from domain.campaigns import Campaign
    from domain.templates import load_templates, parse_template

    raw = {**load_templates()["five-good-sites"].as_dict(), "publicity": {"working_days": 7}}
    assert parse_template({**raw, "phases": [], "categories": []}).publicity == {
        "working_days": 7,
        "public_page": True,
    }
    with pytest.raises(ValueError, match="working_days"):
        parse_template({**raw, "phases": [], "categories": [], "publicity": {"working_days": 0.5}})
    template = replace(
        load_templates()["five-good-sites"], publicity={"working_days": 7, "public_page": False}
    )
    shipped = load_templates()["five-good-sites"]
    campaign = Campaign.create(
        template,
        organiser_unit_id="shifan-shi",
        year=2024,
        parent_campaign_id=None,
        categories=shipped.categories,
        phases=[],
        actor=CITY_REVIEWER,
        at=PUBLISHED,
    )
    assert campaign.publicity == {"working_days": 7, "public_page": False}
    assert shipped.publicity is None  # no shipped template has a 公示: behaviour as before


# --- after review ------------------------------------------------------------------------------


def lodge(world: World, campaign: CampaignRef, nid: str, text: str, at: datetime, client: str = ""):
    command = LodgeObjection(campaign_id=campaign.id, nomination_id=nid, text=text, client=client)
    return execute(world, command, at, PUBLIC)


def test_after_the_period_an_upheld_objection_lets_the_organiser_fill_the_slot(world, listed):
    """The commendation step has closed long before (the 2022 campaign, a 2024 period): a slot
    freed by an upheld objection is still filled, ranked after every rank given; the findings
    stay on the objection, the nomination gets a fixed reason."""
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)
    receipt = lodge(world, campaign, passed[90], "台账造假", PUBLISHED + timedelta(days=1))["receipt"]
    execute(world, AdvancePublicity(campaign_id=campaign.id), CLOSES, SYSTEM)
    execute(
        world,
        DecideObjection(receipt=receipt, outcome="uphold", findings="举报人张三所述属实"),
        CLOSES + timedelta(hours=3),
    )
    withdrawn = world.app.get_nomination(passed[90])
    assert withdrawn.closing_reason == Nomination.WITHDRAWN_REASON
    stored = str([e.__dict__ for e in world.app.repository.event_store.get(withdrawn.id)])
    assert "张三" not in stored and receipt not in stored

    refill = world.app.execute(
        Commend(campaign_id=campaign.id, category=CATEGORY), CITY_REVIEWER, at=CLOSES + timedelta(days=1)
    )
    assert [(c["id"], c["rank"]) for c in refill["commended"]] == [(passed[70], 3)]  # not 2 again
    assert world.app.get_nomination(passed[70]).proposed_rank == 3
    with pytest.raises(DomainError):  # the quota is full again and the step closed: refused
        world.app.execute(
            Commend(campaign_id=campaign.id, category=CATEGORY),
            CITY_REVIEWER,
            at=CLOSES + timedelta(days=2),
        )


def test_the_same_objection_from_the_same_client_answers_its_receipt(world, listed):
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)
    at = PUBLISHED + timedelta(days=1)
    first = lodge(world, campaign, passed[90], "台账造假", at, client="c1")
    again = lodge(world, campaign, passed[90], " 台账造假", at + timedelta(seconds=3), client="c1")
    assert again["receipt"] == first["receipt"] and again["repeated"]
    assert len(world.app.get_campaign(campaign.id).objections) == 1
    with pytest.raises(PublicityRefusedError) as refused:  # another sender, the same text
        lodge(world, campaign, passed[90], "台账造假", at, client="c2")
    assert refused.value.failures[0].rule == "objection_duplicate"


def test_the_public_actor_may_do_nothing_but_lodge(world, listed):
    campaign, _ = listed
    assert PUBLIC.role == Role.PUBLIC != Role.SYSTEM
    for command in (
        AdvancePublicity(campaign_id=campaign.id),
        Commend(campaign_id=campaign.id, category=CATEGORY),
        PublishProposedList(campaign_id=campaign.id),
    ):
        with pytest.raises(AuthorizationError):
            execute(world, command, FIVE_GOOD_2022.commendation, PUBLIC)
    with pytest.raises(AuthorizationError):
        require_unscoped(PUBLIC, "register_unit")
    from domain.access import ISSUABLE_ROLES

    assert Role.PUBLIC not in ISSUABLE_ROLES


def test_titles_granted_after_the_period_go_up_to_the_parent(world):
    """The county's campaign forwards what it commends; its 公示 ends after the commendation
    step closed (when the workflow forwarded, the nominations were still proposed): the
    titles granted then go up to the city's campaign, declaring then."""
    city = world.campaign("five-good-sites", CITY, year=2024)
    county = world.campaign("five-good-sites", COUNTY, parent_campaign_id=city.id)
    world.app.execute(
        ConfigurePublicity(campaign_id=county.id, working_days=5, reason="公示"),
        COUNTY_REVIEWER,
        at=FIVE_GOOD_2022.inspection,
    )
    nid, held = (
        world.inspected(county, unit, score, reviewer=COUNTY_REVIEWER, inspector=COUNTY_INSPECTOR)
        for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:2], [90, 80], strict=True)
    )
    world.commend(county, actor=COUNTY_REVIEWER)
    execute(world, PublishProposedList(campaign_id=county.id), PUBLISHED, COUNTY_REVIEWER)
    receipt = lodge(world, county, held, "名不副实", PUBLISHED + timedelta(days=1))["receipt"]
    receiving = world.app.get_campaign(city.id).phase("declaration").opens_at + timedelta(hours=1)
    assert receiving > CLOSES
    done = execute(world, AdvancePublicity(campaign_id=county.id), receiving, SYSTEM)
    assert done["granted"] == [nid] and done["forwarded"] == [nid], done
    assert world.app.get_nomination(nid).forwarded_to is not None
    decided = execute(
        world,
        DecideObjection(receipt=receipt, outcome="dismiss", findings="经核实情况属实"),
        receiving + timedelta(hours=1),
        COUNTY_REVIEWER,
    )
    assert decided["granted"] and decided["forwarded"] == [held], decided
    assert world.app.get_nomination(held).forwarded_to is not None


def test_a_decision_with_if_match_re_decides_when_only_the_campaign_moved(world, listed, monkeypatch):
    """If-Match names the objection; another objection lodged meanwhile moves the campaign
    the decision also saves: the decision re-decides (the objection has not moved), no 409."""
    campaign, passed = listed
    world.commend(campaign)
    execute(world, PublishProposedList(campaign_id=campaign.id), PUBLISHED)
    at = PUBLISHED + timedelta(days=1)
    receipt = lodge(world, campaign, passed[90], "台账造假", at)["receipt"]
    version = world.app.load.find(objection_uuid(receipt), Objection, for_update=False).version
    save, raced = world.app.save, []

    def racing_save(*aggregates):
        if not raced:  # between this decision's read and its save, another objection arrives
            raced.append("")
            raced[0] = lodge(world, campaign, passed[80], "另一条异议", at)["receipt"]
        return save(*aggregates)

    monkeypatch.setattr(world.app, "save", racing_save)
    decided = world.app.execute(
        DecideObjection(receipt=receipt, outcome="dismiss", findings="不属实"),
        CITY_REVIEWER,
        at=at + timedelta(hours=1),
        expected_version=version,
    )
    assert raced and decided["status"] == "dismissed"
    with pytest.raises(DomainError):  # the objection itself moved: If-Match is stale
        world.app.execute(
            InvestigateObjection(receipt=raced[0], note="核查"),
            CITY_REVIEWER,
            at=at + timedelta(hours=2),
            expected_version=version + 5,
        )
