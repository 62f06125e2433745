"""Duties (issue 21, item 5): seed 001's implementation rules, self-check and reports, the
county office's spot checks and its circulars of criticism with a rectification deadline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import StoredEvent

from domain.actors import SYSTEM, Actor
from domain.campaigns import Campaign
from domain.commands import (
    AcceptDuty,
    IssueCircular,
    RecordOverdueDuties,
    RecordSpotCheck,
    ReturnDuty,
    SubmitDuty,
)
from domain.duties import Duty, DutyBook, duty_uuid
from domain.errors import (
    DutyInvalidError,
    DutyNotFoundError,
    DutyTransitionError,
    OutsideJurisdictionError,
    RoleNotAllowedError,
)
from domain.rules.duties import BODY_MAX
from domain.templates import DutySpec, get_template, instantiate, load_templates, seed_date
from domain.vocabulary import DutyKind, DutyState, Level, Role
from tests.builders.actors import (
    ADMIN,
    COUNTY_ADMIN,
    COUNTY_REVIEWER,
    OTHER_COUNTY_REVIEWER,
    OTHER_TOWNSHIP_DECLARER,
    TOWNSHIP_DECLARER,
    declarer_of,
)
from tests.builders.clock import TIMELINES, utc
from tests.builders.tree import AGENCY, COUNTY, OTHER_TOWNSHIP, TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World

RULES = "implementation_rules"  # 实施细则, due 20 July 2011 (Asia/Shanghai)
RULES_DUE = utc(2011, 7, 20, 16)  # 24:00 of 20 July in Asia/Shanghai
BEFORE = utc(2011, 7, 10, 2)
AFTER = utc(2011, 7, 25, 2)
TEXT = "本镇“双强双创双争”活动实施细则：一、目标任务；二、步骤安排；三、保障措施。"


@pytest.fixture
def seed001(world: World) -> CampaignRef:
    """Seed 001's county campaign (双强双创双争) for 2011, organised by 宜君县."""
    return world.campaign("double-strengthen", COUNTY)


def run(world: World, command, actor: Actor, at):
    return world.app.execute(command, actor, at=at)


def submit(world, c, unit=TOWNSHIP, duty=RULES, at=BEFORE, actor=None, title="实施细则", body=TEXT):
    command = SubmitDuty(campaign_id=c.id, duty=duty, unit_id=unit, title=title, body=body)
    return run(world, command, actor or declarer_of(unit), at)


def book(world: World, c: CampaignRef) -> DutyBook:
    return DutyBook(world.app.load, world.app.queries, world.app.get_campaign(c.id))


def state_of(world, c, unit, duty=RULES) -> str:
    found = {(o.item.code, o.item.unit_id): o for o in book(world, c).all()}
    return str(found[(duty, unit)].state)


def test_the_template_declares_duties_per_phase_with_deadlines(world, seed001):
    template = get_template("double-strengthen")
    codes = {d.code: d for d in template.duties}
    assert codes[RULES].due == "Y-07-20" and codes[RULES].owed_by == ("township", "agency")
    assert {d.kind for d in template.duties} == {"document", "spot_check", "circular"}
    assert template.as_dict()["duties"][0]["code"] == RULES
    owed = book(world, seed001).all()
    rules = [o for o in owed if o.item.code == RULES]
    assert {o.item.unit_id for o in rules} == {TOWNSHIP, OTHER_TOWNSHIP, AGENCY}
    assert {o.due_at for o in rules} == {RULES_DUE}
    assert all(o.state == DutyState.DUE for o in owed)
    # no due date: the phase's close; the organiser owes its spot checks and circulars
    targets = next(o for o in owed if o.item.code == "creation_targets")
    assert targets.due_at == world.app.get_campaign(seed001.id).phase("mobilisation").closes_at
    checks = [o for o in owed if o.item.code == "supervision_checks"]
    assert [o.item.unit_id for o in checks] == [COUNTY]
    for template_code in ("five-good-sites", "four-creations-three-selections"):
        assert get_template(template_code).duties


def test_the_duty_lifecycle_submitted_returned_resubmitted_accepted(world, seed001):
    first = submit(world, seed001)
    assert first["state"] == "submitted" and not first["late"]
    again = submit(world, seed001)  # a retried submit: one aggregate, nothing appended
    assert again["changed"] is False and again["version"] == first["version"]

    returned = run(
        world,
        ReturnDuty(campaign_id=seed001.id, duty=RULES, unit_id=TOWNSHIP, reason="缺少保障措施"),
        COUNTY_REVIEWER,
        BEFORE + timedelta(days=1),
    )
    assert returned["state"] == "returned" and returned["note"] == "缺少保障措施"
    resubmitted = submit(world, seed001, at=BEFORE + timedelta(days=2), body=TEXT + "四、督查考核。")
    assert resubmitted["state"] == "submitted"
    accepted = run(
        world,
        AcceptDuty(campaign_id=seed001.id, duty=RULES, unit_id=TOWNSHIP, note="同意"),
        COUNTY_REVIEWER,
        BEFORE + timedelta(days=3),
    )
    assert accepted["state"] == "accepted"
    duty = world.app.load.find(duty_uuid(seed001.id, RULES, TOWNSHIP), Duty)
    assert duty is not None and "四、督查考核" in duty.body
    assert [h["event"] for h in duty.history] == ["submitted", "returned", "submitted", "accepted"]
    assert duty.history[1]["actor"]["token_id"] == COUNTY_REVIEWER.token_id
    with pytest.raises(DutyTransitionError):  # accepted: nothing more to submit
        submit(world, seed001, at=BEFORE + timedelta(days=4), body="另一稿")


def test_a_submission_after_the_deadline_is_marked_late(world, seed001):
    late = submit(world, seed001, unit=OTHER_TOWNSHIP, at=AFTER)
    assert late["state"] == "late" and late["late"] is True
    accepted = run(
        world,
        AcceptDuty(campaign_id=seed001.id, duty=RULES, unit_id=OTHER_TOWNSHIP),
        COUNTY_REVIEWER,
        AFTER,
    )
    assert accepted["state"] == "accepted" and accepted["late"] is True


def test_a_return_can_set_a_new_deadline(world, seed001):
    submit(world, seed001)
    new_deadline = utc(2011, 7, 28, 16)
    run(
        world,
        ReturnDuty(
            campaign_id=seed001.id,
            duty=RULES,
            unit_id=TOWNSHIP,
            reason="请补充",
            resubmit_by=new_deadline,
        ),
        COUNTY_REVIEWER,
        BEFORE,
    )
    assert submit(world, seed001, at=AFTER, body=TEXT + "补充")["state"] == "submitted"


def test_overdue_duties_are_recorded_once_in_batches(world, seed001):
    submit(world, seed001)  # 彭镇 on time; 棋盘镇 and the agency are not
    at = RULES_DUE + timedelta(minutes=1)
    first = run(world, RecordOverdueDuties(campaign_id=seed001.id, limit=1), SYSTEM, at)
    assert len(first["recorded"]) == 1 and first["more"] is True
    second = run(world, RecordOverdueDuties(campaign_id=seed001.id), SYSTEM, at)
    recorded = {(r["duty"], r["unit_id"]) for r in first["recorded"] + second["recorded"]}
    assert recorded == {(RULES, OTHER_TOWNSHIP), (RULES, AGENCY)}
    assert second["more"] is False
    again = run(world, RecordOverdueDuties(campaign_id=seed001.id), SYSTEM, at)
    assert again["recorded"] == []  # idempotent
    assert state_of(world, seed001, OTHER_TOWNSHIP) == "overdue"
    assert state_of(world, seed001, TOWNSHIP) == "submitted"
    # an overdue duty may still be submitted: late
    assert submit(world, seed001, unit=OTHER_TOWNSHIP, at=AFTER)["state"] == "late"
    with pytest.raises(RoleNotAllowedError):
        run(world, RecordOverdueDuties(campaign_id=seed001.id), COUNTY_REVIEWER, at)


def test_a_circular_of_criticism_with_a_rectification_deadline_is_followed_up(world, seed001):
    at = utc(2011, 11, 1, 2)
    rectify_by = utc(2011, 11, 30, 16)

    def criticise(unit: str) -> dict:
        command = IssueCircular(
            campaign_id=seed001.id,
            duty="supervision_circular",
            kind="criticism",
            title=f"关于{unit}活动开展不积极的通报",
            body="活动开展不积极、走过场，限期整改落实。",
            unit_id=unit,
            rectify_by=rectify_by,
        )
        return run(world, command, COUNTY_REVIEWER, at)

    first = criticise(TOWNSHIP)
    second = criticise(OTHER_TOWNSHIP)
    assert first["circular"]["rectification"] == "supervision_circular.1"
    assert second["circular"]["rectification"] == "supervision_circular.2"
    assert first["state"] == "accepted"  # the organiser's circular duty is done
    owed = {(o.item.code, o.item.unit_id): o for o in book(world, seed001).all()}
    assert owed[("supervision_circular.1", TOWNSHIP)].due_at == rectify_by
    assert owed[("supervision_circular.2", OTHER_TOWNSHIP)].state == DutyState.DUE
    # 彭镇 rectifies in time and the county office accepts
    report = submit(
        world, seed001, duty="supervision_circular.1", at=utc(2011, 11, 20, 2), body="整改报告……"
    )
    assert report["state"] == "submitted" and report["kind"] == "rectification"
    with pytest.raises(OutsideJurisdictionError):  # 棋盘镇 cannot answer for 彭镇
        submit(world, seed001, duty="supervision_circular.1", actor=OTHER_TOWNSHIP_DECLARER)
    with pytest.raises(DutyNotFoundError):  # the rectification is 彭镇's, not 棋盘镇's
        submit(world, seed001, unit=OTHER_TOWNSHIP, duty="supervision_circular.1")
    run(
        world,
        AcceptDuty(campaign_id=seed001.id, duty="supervision_circular.1", unit_id=TOWNSHIP),
        COUNTY_REVIEWER,
        utc(2011, 11, 21, 2),
    )
    # 棋盘镇 does nothing: overdue once the deadline passes
    before = run(
        world, RecordOverdueDuties(campaign_id=seed001.id), SYSTEM, rectify_by - timedelta(hours=1)
    )
    assert ("supervision_circular.2", OTHER_TOWNSHIP) not in {
        (r["duty"], r["unit_id"]) for r in before["recorded"]
    }
    after = run(world, RecordOverdueDuties(campaign_id=seed001.id), SYSTEM, rectify_by)
    assert {"duty": "supervision_circular.2", "unit_id": OTHER_TOWNSHIP} in after["recorded"]
    assert state_of(world, seed001, TOWNSHIP, "supervision_circular.1") == "accepted"
    assert state_of(world, seed001, OTHER_TOWNSHIP, "supervision_circular.2") == "overdue"


def test_a_circular_of_criticism_needs_a_unit_below_and_a_deadline(world, seed001):
    at = utc(2011, 11, 1, 2)
    with pytest.raises(DutyInvalidError) as refused:
        run(
            world,
            IssueCircular(
                campaign_id=seed001.id,
                duty="supervision_circular",
                kind="criticism",
                title="通报",
                body="x",
            ),
            COUNTY_REVIEWER,
            at,
        )
    assert {f.rule for f in refused.value.failures} == {
        "criticised_unit_required",
        "rectify_by_required",
    }
    with pytest.raises(DutyInvalidError) as refused:
        run(
            world,
            IssueCircular(
                campaign_id=seed001.id,
                duty="supervision_circular",
                kind="criticism",
                title="通报",
                body="x",
                unit_id=TOWNSHIP,
                rectify_by=at - timedelta(days=1),
            ),
            COUNTY_REVIEWER,
            at,
        )
    assert [f.field for f in refused.value.failures] == ["rectify_by"]
    notice = IssueCircular(
        campaign_id=seed001.id,
        duty="supervision_circular",
        title="站点运行情况通报",
        body="全县站点运行正常。",
    )
    assert run(world, notice, COUNTY_REVIEWER, at)["records"] == 1


def test_spot_checks_record_who_when_how_and_what_was_found(world, seed001):
    at = utc(2011, 11, 5, 2)
    command = RecordSpotCheck(
        campaign_id=seed001.id,
        duty="supervision_checks",
        unit_id=VILLAGE,
        method="on_site",
        checked_on="2011-11-04",
        checker="王明",
        findings="设备完好，签到簿记录齐全。",
    )
    done = run(world, command, COUNTY_REVIEWER, at)
    assert done["state"] == "accepted" and done["check"]["method"] == "on_site"
    assert done["check"]["unit_name_zh"] == "前双村"
    bad = RecordSpotCheck(
        campaign_id=seed001.id,
        duty="supervision_checks",
        unit_id=VILLAGE,
        method="by_pigeon",
        checked_on="2011-13-40",
        checker=" ",
        findings="",
    )
    with pytest.raises(DutyInvalidError) as refused:
        run(world, bad, COUNTY_REVIEWER, at)
    assert {f.field for f in refused.value.failures} == {"method", "checked_on", "checker", "findings"}
    wrong = IssueCircular(campaign_id=seed001.id, duty="supervision_checks", title="t", body="b")
    with pytest.raises(DutyInvalidError):  # a spot check is not a circular
        run(world, wrong, COUNTY_REVIEWER, at)


def test_who_may_do_what(world, seed001):
    with pytest.raises(OutsideJurisdictionError):
        submit(world, seed001, actor=OTHER_TOWNSHIP_DECLARER)
    with pytest.raises(RoleNotAllowedError):
        submit(world, seed001, actor=COUNTY_REVIEWER)
    assert submit(world, seed001, actor=COUNTY_ADMIN)["state"] == "submitted"  # an admin above
    accept = AcceptDuty(campaign_id=seed001.id, duty=RULES, unit_id=TOWNSHIP)
    with pytest.raises(RoleNotAllowedError):
        run(world, accept, TOWNSHIP_DECLARER, BEFORE)
    with pytest.raises(OutsideJurisdictionError):
        run(world, accept, OTHER_COUNTY_REVIEWER, BEFORE)
    with pytest.raises(RoleNotAllowedError):
        run(world, accept, Actor("tok-i", Role.INSPECTOR, COUNTY), BEFORE)
    with pytest.raises(DutyNotFoundError):  # a village owes no implementation rules
        submit(world, seed001, unit=VILLAGE)
    with pytest.raises(DutyNotFoundError):
        submit(world, seed001, duty="no_such_duty")
    with pytest.raises(DutyTransitionError):  # nothing submitted by the agency to accept
        run(
            world,
            AcceptDuty(campaign_id=seed001.id, duty=RULES, unit_id=AGENCY),
            COUNTY_REVIEWER,
            BEFORE,
        )


def test_sizes_are_limited(world, seed001):
    with pytest.raises(DutyInvalidError) as refused:
        submit(world, seed001, title="x" * 201, body="y" * (BODY_MAX + 1))
    failures = {f.field: f for f in refused.value.failures}
    assert set(failures) == {"title", "body"}
    assert failures["body"].expected == BODY_MAX and "100000" in failures["body"].message_en
    assert "正文" in failures["body"].message_zh
    with pytest.raises(DutyInvalidError):
        submit(world, seed001, body="   ")
    assert submit(world, seed001, body="y" * BODY_MAX)["state"] == "submitted"
    with pytest.raises(DutyInvalidError):
        run(
            world,
            ReturnDuty(campaign_id=seed001.id, duty=RULES, unit_id=TOWNSHIP, reason="r" * 2001),
            COUNTY_REVIEWER,
            BEFORE,
        )
    assert world.app.load.find(duty_uuid(seed001.id, RULES, TOWNSHIP), Duty).state == "submitted"


@pytest.mark.parametrize("code", sorted(load_templates()))
def test_every_templates_duties_name_its_phases_known_kinds_and_levels(code):
    template = load_templates()[code]
    phases = {p.code for p in template.phases}
    for duty in template.duties:
        assert duty.phase in phases, duty
        assert DutyKind.parse(duty.kind) in (DutyKind.DOCUMENT, DutyKind.SPOT_CHECK, DutyKind.CIRCULAR)
        assert set(duty.owed_by) <= {*Level.codes(), "organiser"} and duty.owed_by, duty
        assert "." not in duty.code and duty.min_count >= 1
        if duty.kind != DutyKind.DOCUMENT:
            assert duty.owed_by == ("organiser",), duty
        if duty.due:
            seed_date(duty.due, 2020, ZoneInfo(template.timezone), end_of_day=True)
    assert len({d.code for d in template.duties}) == len(template.duties)


def test_compressed_phases_move_a_dated_duty_to_its_phases_close(world):
    start = utc(2030, 1, 5)
    c = world.campaign("double-strengthen", COUNTY, starts_at=start)
    rules = next(o for o in book(world, c).all() if o.item.code == RULES)
    assert rules.due_at == world.app.get_campaign(c.id).phase("mobilisation").closes_at


# --- a campaign's duties are its own, as stored when it was created ----------------------------


def _without_duties_in_its_created_event(world: World, campaign_id: str) -> Campaign:
    """The campaign as a store written before duties existed holds it: its Created event, as
    stored, has no ``duties`` (decoded through the application's own mapper)."""
    mapper = world.app.mapper
    [stored] = world.app.recorder.select_events(UUID(campaign_id), limit=1)
    state = json.loads(stored.state)
    assert state.pop("duties")  # the seed-001 template declares duties: they were stored
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )
    created = mapper.to_domain_event(old)
    assert isinstance(created, Campaign.Created)
    campaign = created.mutate(None)
    assert isinstance(campaign, Campaign)
    return campaign


def test_a_campaign_created_before_duties_existed_owes_none(world, seed001):
    stored = world.app.get_campaign(seed001.id)
    assert {d.code for d in stored.duties} == {d.code for d in get_template("double-strengthen").duties}
    campaign = _without_duties_in_its_created_event(world, seed001.id)
    old = DutyBook(world.app.load, world.app.queries, campaign)
    assert old.specs == {} and old.all() == [] and old.expected() == []
    with pytest.raises(DutyNotFoundError):
        old.owed(RULES, TOWNSHIP)


def test_a_campaign_keeps_the_duties_it_was_created_with(world):
    """The template as it reads today does not matter: the campaign's stored list does."""
    template = get_template("double-strengthen")
    rules = next(d for d in template.duties if d.code == RULES)
    edited = replace(
        template, duties=(replace(rules, due="Y-07-25", owed_by=("township",)),)
    )  # the template as it was then: one duty, another date, townships only
    campaign = Campaign.create(
        edited,
        organiser_unit_id=COUNTY,
        year=2011,
        parent_campaign_id=None,
        categories=template.categories,
        phases=instantiate(template, year=2011),
        actor=ADMIN,
        at=utc(2011, 6, 1),
    )
    world.app.save(campaign)
    stored = world.app.get_campaign(campaign.id)
    assert [d.code for d in stored.duties] == [RULES]
    assert isinstance(stored.duties[0], DutySpec) and stored.duties[0].owed_by == ("township",)
    owed = DutyBook(world.app.load, world.app.queries, stored).all()
    assert {(o.item.code, o.item.unit_id) for o in owed} == {(RULES, TOWNSHIP), (RULES, OTHER_TOWNSHIP)}
    assert {o.due_at for o in owed} == {utc(2011, 7, 25, 16)}  # its own date, not 20 July
    ref = CampaignRef(str(campaign.id), "double-strengthen", TIMELINES["double-strengthen"])
    with pytest.raises(DutyNotFoundError):  # the template's self-check is not this campaign's
        submit(world, ref, duty="self_check_report")
    with pytest.raises(DutyNotFoundError):  # nor does the agency owe it here
        submit(world, ref, unit=AGENCY)
    assert submit(world, ref, at=utc(2011, 7, 22, 2))["state"] == "submitted"  # by 25 July


def test_one_units_duties_are_the_same_read_alone(world, seed001):
    rectify_by = utc(2011, 11, 30, 16)
    criticism = IssueCircular(
        campaign_id=seed001.id,
        duty="supervision_circular",
        kind="criticism",
        title="关于棋盘镇的通报",
        body="走过场。",
        unit_id=OTHER_TOWNSHIP,
        rectify_by=rectify_by,
    )
    run(world, criticism, COUNTY_REVIEWER, utc(2011, 11, 1, 2))
    every = book(world, seed001).all()
    for unit in (TOWNSHIP, OTHER_TOWNSHIP, COUNTY):
        alone = book(world, seed001).all(unit_id=unit)
        assert [(o.item, o.state) for o in alone] == [
            (o.item, o.state) for o in every if o.item.unit_id == unit
        ]
    assert "supervision_circular.1" in {
        o.item.code for o in book(world, seed001).all(unit_id=OTHER_TOWNSHIP)
    }


def test_a_spot_check_naming_no_unit_is_refused_naming_the_field(world, seed001):
    command = RecordSpotCheck(
        campaign_id=seed001.id,
        duty="supervision_checks",
        unit_id=" ",
        method="phone",
        checked_on="2011-11-04",
        checker="王明",
        findings="电话无人接听。",
    )
    with pytest.raises(DutyInvalidError) as refused:
        run(world, command, COUNTY_REVIEWER, utc(2011, 11, 5, 2))
    [failure] = refused.value.failures
    assert (failure.rule, failure.field) == ("unit_id_required", "unit_id")
    assert "被检查单位" in failure.message_zh
