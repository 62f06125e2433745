"""Corrections and appeals (issue 23, items 3-4): each correction at its boundary, each a new
event with actor and reason; appeals upheld, refused and out of period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.actors import SYSTEM
from domain.commands import (
    Amend,
    CancelCampaign,
    CloseReopenings,
    DecideAppeal,
    LodgeAppeal,
    PreReview,
    ReopenPhase,
    ReturnForAmendment,
    VoidInspection,
)
from domain.errors import (
    CorrectionInvalidError,
    CorrectionRefusedError,
    InvalidTransitionError,
    PhaseNotOpenError,
    RoleNotAllowedError,
)
from domain.nominations import Nomination
from tests.builders.actors import ADMIN, CITY_REVIEWER, TOWNSHIP_DECLARER, declarer_of
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.tree import OTHER_TOWNSHIP, OTHER_TOWNSHIP_VILLAGE, TOWNSHIP
from tests.builders.world import CampaignRef, World

HOUR = timedelta(hours=1)


def rule_of(excinfo: pytest.ExceptionInfo[Exception]) -> str:
    return str(excinfo.value.failures[0].rule)  # type: ignore[attr-defined]


def events(world: World, nid: str) -> list[str]:
    return [type(e).__name__ for e in world.app.events.get(world.app.get_nomination(nid).id)]


# --- void an inspection --------------------------------------------------------------------


def test_voiding_an_inspection_recomputes_the_score_and_keeps_it_in_history(
    world: World, five_good: CampaignRef
) -> None:
    nid = world.inspected(five_good, "qianshuang-cun", 90)
    world.inspect(five_good, nid, 40)  # a wrong score: fails
    n = world.app.get_nomination(nid)
    assert (n.score, n.passed) == (65.0, False)
    world.app.execute(
        VoidInspection(nomination_id=nid, inspection=2, reason="scores for another site"),
        CITY_REVIEWER,
        at=five_good.when.inspection + HOUR,
    )
    n = world.app.get_nomination(nid)
    assert (n.score, n.lowest_score, n.passed, n.state) == (90.0, 90.0, True, "inspected")
    shown = n.as_dict()
    assert [i["voided"] for i in shown["inspections"]] == [False, True]
    assert shown["score"] == 90.0 and shown["voided_inspections"] == [2]
    assert events(world, nid)[-1] == "InspectionVoided"
    with pytest.raises(CorrectionRefusedError) as again:
        world.app.execute(
            VoidInspection(nomination_id=nid, inspection=2, reason="twice"),
            CITY_REVIEWER,
            at=five_good.when.inspection + 2 * HOUR,
        )
    assert rule_of(again) == "inspection_already_voided"
    with pytest.raises(CorrectionInvalidError) as unknown:
        world.app.execute(
            VoidInspection(nomination_id=nid, inspection=3, reason="none such"),
            CITY_REVIEWER,
            at=five_good.when.inspection + 2 * HOUR,
        )
    assert rule_of(unknown) == "inspection_exists"


def test_voiding_the_last_valid_inspection_sends_it_back_to_admitted(
    world: World, five_good: CampaignRef
) -> None:
    nid = world.inspected(five_good, "qianshuang-cun", 90)
    world.app.execute(
        VoidInspection(nomination_id=nid, inspection=1, reason="inspected the wrong site"),
        CITY_REVIEWER,
        at=five_good.when.inspection + HOUR,
    )
    n = world.app.get_nomination(nid)
    assert (n.state, n.score, n.passed) == ("admitted", None, None)
    assert len(n.inspections) == 1  # kept, voided
    world.inspect(five_good, nid, 85, at=five_good.when.inspection + 2 * HOUR)
    n = world.app.get_nomination(nid)
    assert (n.state, n.score) == ("inspected", 85.0)


def test_voiding_after_commendation_is_refused(world: World, five_good: CampaignRef) -> None:
    nid = world.inspected(five_good, "qianshuang-cun", 90)
    world.commend(five_good)
    with pytest.raises(CorrectionRefusedError) as refused:
        world.app.execute(
            VoidInspection(nomination_id=nid, inspection=1, reason="too late"),
            CITY_REVIEWER,
            at=five_good.when.commendation + HOUR,
        )
    assert rule_of(refused) == "correction_after_commendation"


def test_a_declarer_may_not_void(world: World, five_good: CampaignRef) -> None:
    nid = world.inspected(five_good, "qianshuang-cun", 90)
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(
            VoidInspection(nomination_id=nid, inspection=1, reason="mine"),
            TOWNSHIP_DECLARER,
            at=five_good.when.inspection + HOUR,
        )


# --- return for amendment ------------------------------------------------------------------


def test_return_amend_admit_keeps_both_versions_in_history(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    old_material = world.app.get_nomination(nid).material
    world.app.execute(
        ReturnForAmendment(nomination_id=nid, reasons=["材料缺签到表"], fields=["material"]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    assert world.state(nid) == "returned"
    with pytest.raises(InvalidTransitionError):  # not pre-reviewed while returned
        world.admit(five_good, nid, at=five_good.when.pre_review + HOUR)
    new_material = old_material + "（补充：签到表已附）"
    world.app.execute(
        Amend(nomination_id=nid, material=new_material),
        TOWNSHIP_DECLARER,
        at=five_good.when.pre_review + HOUR,
    )
    assert world.state(nid) == "declared"
    world.admit(five_good, nid, at=five_good.when.pre_review + 2 * HOUR)
    n = world.app.get_nomination(nid)
    assert n.state == "admitted" and n.material == new_material
    stored = list(world.app.events.get(n.id))
    assert isinstance(stored[0], Nomination.Declared) and stored[0].material == old_material
    assert [type(e).__name__ for e in stored[1:3]] == ["ReturnedForAmendment", "Amended"]
    assert n.as_dict()["returns"][0]["amended_at"] is not None


def test_returning_after_pre_review_has_closed_is_refused(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    after = five_good.when.inspection  # pre-review closed on 25 Oct
    with pytest.raises(CorrectionRefusedError) as refused:
        world.app.execute(
            ReturnForAmendment(nomination_id=nid, reasons=["late"]), CITY_REVIEWER, at=after
        )
    assert rule_of(refused) == "return_phase_closed"


def test_returning_an_admitted_nomination_is_refused(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    world.admit(five_good, nid)
    with pytest.raises(CorrectionRefusedError) as refused:
        world.app.execute(
            ReturnForAmendment(nomination_id=nid, reasons=["x"]),
            CITY_REVIEWER,
            at=five_good.when.pre_review + HOUR,
        )
    assert rule_of(refused) == "return_after_pre_review"


# --- reopen a closed phase -----------------------------------------------------------------


def test_a_reopened_declaration_lets_one_unit_declare_late_and_closes_on_time(
    world: World, five_good: CampaignRef
) -> None:
    late = five_good.when.pre_review  # declaration closed on 20 Oct
    with pytest.raises(PhaseNotOpenError):
        world.declare(five_good, at=late)
    until = late + timedelta(days=1)
    world.app.execute(
        ReopenPhase(
            campaign_id=five_good.id,
            phase="declaration",
            scope="unit",
            target=TOWNSHIP,
            until=until,
            reason="彭镇因汛情未能按时申报",
        ),
        CITY_REVIEWER,
        at=late,
    )
    nid = world.declare(five_good, at=late + HOUR)
    assert world.state(nid) == "declared"
    with pytest.raises(PhaseNotOpenError):  # another unit: still closed
        world.declare(
            five_good,
            OTHER_TOWNSHIP_VILLAGE,
            declaring_unit=OTHER_TOWNSHIP,
            actor=declarer_of(OTHER_TOWNSHIP),
            at=late + HOUR,
        )
    with pytest.raises(PhaseNotOpenError):  # the window has ended
        world.declare(five_good, name="又一个站点", at=until)
    done = world.app.execute(CloseReopenings(campaign_id=five_good.id), SYSTEM, at=until)
    assert done["closed"] == [1]
    campaign = world.app.get_campaign(five_good.id)
    assert campaign.reopenings[0]["closed"] is True
    assert world.app.execute(CloseReopenings(campaign_id=five_good.id), SYSTEM, at=until)["closed"] == []


def test_a_reopened_pre_review_lapses_what_nobody_acted_on(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    late = five_good.when.inspection
    world.app.execute(
        ReopenPhase(
            campaign_id=five_good.id,
            phase="pre_review",
            scope="nomination",
            target=nid,
            until=late + timedelta(days=1),
            reason="初审遗漏",
        ),
        CITY_REVIEWER,
        at=late,
    )
    done = world.app.execute(
        CloseReopenings(campaign_id=five_good.id), SYSTEM, at=late + timedelta(days=1)
    )
    assert done["lapsed"] == [nid] and world.state(nid) == "lapsed"


def test_reopening_past_the_campaigns_end_is_refused(world: World, five_good: CampaignRef) -> None:
    campaign = world.app.get_campaign(five_good.id)
    end = campaign.ends_at
    for at, until in ((five_good.when.inspection, end + HOUR), (end, end + HOUR)):
        with pytest.raises(CorrectionRefusedError) as refused:
            world.app.execute(
                ReopenPhase(
                    campaign_id=five_good.id,
                    phase="declaration",
                    scope="unit",
                    target=TOWNSHIP,
                    until=until,
                    reason="too late",
                ),
                CITY_REVIEWER,
                at=at,
            )
        assert rule_of(refused) == "reopen_after_campaign_end"


def test_reopening_an_open_phase_is_refused(world: World, five_good: CampaignRef) -> None:
    with pytest.raises(CorrectionRefusedError) as refused:
        world.app.execute(
            ReopenPhase(
                campaign_id=five_good.id,
                phase="declaration",
                scope="unit",
                target=TOWNSHIP,
                until=five_good.when.declaration + HOUR,
                reason="open still",
            ),
            CITY_REVIEWER,
            at=five_good.when.declaration,
        )
    assert rule_of(refused) == "reopen_phase_not_closed"


# --- cancel a campaign ---------------------------------------------------------------------


def test_cancelling_a_campaign_with_titles_granted_is_refused(
    world: World, five_good: CampaignRef
) -> None:
    world.inspected(five_good, "qianshuang-cun", 90)
    world.commend(five_good)
    with pytest.raises(CorrectionRefusedError) as refused:
        world.app.execute(
            CancelCampaign(campaign_id=five_good.id, reason="no"),
            ADMIN,
            at=five_good.when.commendation + HOUR,
        )
    assert rule_of(refused) == "cancel_with_titles_granted"


def test_cancelling_closes_open_nominations_and_refuses_what_follows(
    world: World, five_good: CampaignRef
) -> None:
    declared = world.declare(five_good)
    inspected = world.inspected(
        five_good,
        OTHER_TOWNSHIP_VILLAGE,
        80,
        declaring_unit=OTHER_TOWNSHIP,
        actor=declarer_of(OTHER_TOWNSHIP),
    )
    done = world.app.execute(
        CancelCampaign(campaign_id=five_good.id, reason="上级通知停止本次评选"),
        ADMIN,
        at=five_good.when.inspection + HOUR,
    )
    assert sorted(done["closed"]) == sorted([declared, inspected])
    for nid in (declared, inspected):
        n = world.app.get_nomination(nid)
        assert n.state == "cancelled" and "上级通知停止本次评选" in (n.closing_reason or "")
    assert world.app.get_campaign(five_good.id).cancelled is not None
    with pytest.raises(CorrectionRefusedError) as refused:
        world.commend(five_good, at=five_good.when.commendation)
    assert rule_of(refused) == "campaign_cancelled"
    with pytest.raises(CorrectionRefusedError):
        world.app.execute(
            CancelCampaign(campaign_id=five_good.id, reason="twice"),
            ADMIN,
            at=five_good.when.inspection + 2 * HOUR,
        )


# --- appeals -------------------------------------------------------------------------------


def reject(world: World, five_good: CampaignRef, nid: str) -> None:
    world.app.execute(
        PreReview(
            nomination_id=nid, decision="reject", reasons=["材料不实"], checks=FIVE_PROTECTIONS_OK
        ),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )


def test_an_upheld_appeal_restores_a_rejection_to_pre_review_reopening_it(
    world: World, five_good: CampaignRef
) -> None:
    nid = world.declare(five_good)
    reject(world, five_good, nid)
    lodged_at = five_good.when.pre_review + timedelta(days=4)  # pre-review closed on 25 Oct
    world.app.execute(
        LodgeAppeal(nomination_id=nid, grounds="材料属实，附证明"), TOWNSHIP_DECLARER, at=lodged_at
    )
    with pytest.raises(CorrectionRefusedError) as second:
        world.app.execute(
            LodgeAppeal(nomination_id=nid, grounds="again"), TOWNSHIP_DECLARER, at=lodged_at
        )
    assert rule_of(second) == "appeal_already_open"
    with pytest.raises(CorrectionRefusedError) as no_until:
        world.app.execute(
            DecideAppeal(nomination_id=nid, outcome="upheld", findings="核实属实"),
            CITY_REVIEWER,
            at=lodged_at + HOUR,
        )
    assert rule_of(no_until) == "appeal_reopen_until_required"
    world.app.execute(
        DecideAppeal(
            nomination_id=nid,
            outcome="upheld",
            findings="核实属实",
            until=lodged_at + timedelta(days=2),
        ),
        CITY_REVIEWER,
        at=lodged_at + HOUR,
    )
    n = world.app.get_nomination(nid)
    assert n.state == "declared" and n.pre_review_result is None
    assert n.appeals[0]["outcome"] == "upheld"
    reopening = world.app.get_campaign(five_good.id).reopenings[0]
    assert (reopening["phase"], reopening["scope"], reopening["target"]) == (
        "pre_review",
        "nomination",
        nid,
    )
    world.admit(five_good, nid, at=lodged_at + 2 * HOUR)  # pre-review for it again
    assert world.state(nid) == "admitted"


def test_a_refused_appeal_changes_nothing(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    reject(world, five_good, nid)
    world.app.execute(
        LodgeAppeal(nomination_id=nid, grounds="不服"), TOWNSHIP_DECLARER, at=five_good.when.pre_review
    )
    world.app.execute(
        DecideAppeal(nomination_id=nid, outcome="refused", findings="经核实材料确不属实"),
        CITY_REVIEWER,
        at=five_good.when.pre_review + HOUR,
    )
    n = world.app.get_nomination(nid)
    assert n.state == "rejected" and n.appeals[0]["outcome"] == "refused"
    assert events(world, nid)[-2:] == ["AppealLodged", "AppealDecided"]
    with pytest.raises(CorrectionRefusedError) as again:
        world.app.execute(
            LodgeAppeal(nomination_id=nid, grounds="再次"),
            TOWNSHIP_DECLARER,
            at=five_good.when.pre_review + 2 * HOUR,
        )
    assert rule_of(again) == "appeal_already_decided"


def test_an_appeal_out_of_period_is_refused(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    reject(world, five_good, nid)
    with pytest.raises(CorrectionRefusedError) as late:
        world.app.execute(
            LodgeAppeal(nomination_id=nid, grounds="迟到的申诉"),
            TOWNSHIP_DECLARER,
            at=five_good.when.pre_review + timedelta(days=10),
        )
    assert rule_of(late) == "appeal_period_over"
    world.app.execute(  # the last second of the period still counts
        LodgeAppeal(nomination_id=nid, grounds="按时的申诉"),
        TOWNSHIP_DECLARER,
        at=five_good.when.pre_review + timedelta(days=10) - timedelta(seconds=1),
    )


def test_an_upheld_appeal_against_a_lapse_restores_the_state_it_lapsed_in(
    world: World, five_good: CampaignRef
) -> None:
    from domain.commands import ClosePhase

    nid = world.declare(five_good)
    world.admit(five_good, nid)
    closes = world.app.get_campaign(five_good.id).phase("inspection").closes_at
    world.app.execute(ClosePhase(campaign_id=five_good.id, phase="inspection"), SYSTEM, at=closes)
    assert world.state(nid) == "lapsed"
    world.app.execute(
        LodgeAppeal(nomination_id=nid, grounds="考核组未按时到场"),
        TOWNSHIP_DECLARER,
        at=closes + HOUR,
    )
    world.app.execute(
        DecideAppeal(
            nomination_id=nid, outcome="upheld", findings="属实", until=closes + timedelta(days=3)
        ),
        CITY_REVIEWER,
        at=closes + 2 * HOUR,
    )
    assert world.state(nid) == "admitted"
    world.inspect(five_good, nid, 88, at=closes + 3 * HOUR)  # inspection reopened for it
    assert world.state(nid) == "inspected"


def folded_state(world: World, nid: str) -> str | None:
    """The state a read model takes from the events' ``state_after`` and stored fields."""
    state = None
    for event in world.app.events.get(world.app.get_nomination(nid).id):
        state = type(event).state_after(state, vars(event))
    return state


def test_the_read_models_state_follows_each_correction_event(
    world: World, five_good: CampaignRef
) -> None:
    voided = world.inspected(five_good, "qianshuang-cun", 90)
    world.app.execute(
        VoidInspection(nomination_id=voided, inspection=1, reason="录错"),
        CITY_REVIEWER,
        at=five_good.when.inspection + HOUR,
    )
    returned = world.declare(five_good, name="退回的站点")
    world.app.execute(
        ReturnForAmendment(nomination_id=returned, reasons=["缺表"]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    appealed = world.declare(five_good, name="申诉的站点")
    reject(world, five_good, appealed)
    world.app.execute(
        LodgeAppeal(nomination_id=appealed, grounds="属实"),
        TOWNSHIP_DECLARER,
        at=five_good.when.pre_review,
    )
    world.app.execute(
        DecideAppeal(nomination_id=appealed, outcome="upheld", findings="属实"),
        CITY_REVIEWER,
        at=five_good.when.pre_review + HOUR,
    )
    for nid, expected in ((voided, "admitted"), (returned, "returned"), (appealed, "declared")):
        assert world.state(nid) == folded_state(world, nid) == expected
    world.app.execute(
        CancelCampaign(campaign_id=five_good.id, reason="停止"),
        ADMIN,
        at=five_good.when.inspection + 2 * HOUR,
    )
    for nid in (voided, returned, appealed):
        assert world.state(nid) == folded_state(world, nid) == "cancelled"


# --- after review (issue 23, items 3-4) --------------------------------------------------------


def test_an_amendment_meets_the_declaration_rules(world: World, five_good: CampaignRef) -> None:
    from domain.errors import DeclarationInvalidError

    nid = world.declare(five_good)
    world.app.execute(
        ReturnForAmendment(nomination_id=nid, reasons=["材料不全"], fields=["material"]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    with pytest.raises(DeclarationInvalidError) as short:
        world.app.execute(
            Amend(nomination_id=nid, material="短文"),
            TOWNSHIP_DECLARER,
            at=five_good.when.pre_review + HOUR,
        )
    assert rule_of(short) == "typical_material_min_length"
    assert world.state(nid) == "returned"  # nothing recorded: still to amend
    assert events(world, nid)[-1] == "ReturnedForAmendment"


def test_cancelling_closes_a_proposal_which_is_no_title(world: World) -> None:
    from domain.commands import ConfigurePublicity

    campaign = world.campaign("five-good-sites", quotas={"five_good_site": 2})
    world.app.execute(
        ConfigurePublicity(campaign_id=campaign.id, working_days=5, reason="公示五个工作日"),
        CITY_REVIEWER,
        at=campaign.when.inspection,
    )
    proposed = world.inspected(campaign, "qianshuang-cun", 90)
    world.commend(campaign)
    assert world.state(proposed) == "proposed"
    done = world.app.execute(
        CancelCampaign(campaign_id=campaign.id, reason="上级通知停止"),
        ADMIN,
        at=campaign.when.commendation + HOUR,
    )
    assert done["closed"] == [proposed]
    n = world.app.get_nomination(proposed)
    assert n.state == "cancelled" and n.title is None


def reopen(world: World, ref: CampaignRef, scope: str, target: str, until, at) -> None:
    world.app.execute(
        ReopenPhase(
            campaign_id=ref.id,
            phase="pre_review",
            scope=scope,
            target=target,
            until=until,
            reason="补初审",
        ),
        CITY_REVIEWER,
        at=at,
    )


def test_closing_a_window_spares_what_another_open_window_covers(
    world: World, five_good: CampaignRef
) -> None:
    covered = world.declare(five_good, name="另有申诉窗口的站点")
    other = world.declare(five_good, name="无人办理的站点")
    late = five_good.when.inspection  # pre-review closed
    reopen(world, five_good, "unit", TOWNSHIP, late + timedelta(days=1), late)
    reopen(world, five_good, "nomination", covered, late + timedelta(days=2), late)
    first = world.app.execute(
        CloseReopenings(campaign_id=five_good.id), SYSTEM, at=late + timedelta(days=1)
    )
    assert (first["closed"], first["lapsed"]) == ([1], [other])
    assert world.state(covered) == "declared"  # its own window is still open
    world.admit(five_good, covered, at=late + timedelta(days=1, hours=1))
    second = world.app.execute(
        CloseReopenings(campaign_id=five_good.id), SYSTEM, at=late + timedelta(days=2)
    )
    assert (second["closed"], second["lapsed"]) == ([2], [])
    assert world.state(covered) == "admitted"


def test_a_window_closes_only_once_every_page_has_lapsed(world: World, five_good: CampaignRef) -> None:
    ids = [world.declare(five_good, name=f"站点{i}") for i in range(3)]
    late = five_good.when.inspection
    until = late + timedelta(days=1)
    reopen(world, five_good, "unit", TOWNSHIP, until, late)
    runs = []
    while True:
        done = world.app.execute(CloseReopenings(campaign_id=five_good.id, limit=2), SYSTEM, at=until)
        runs.append((len(done["lapsed"]), done["closed"], done["more"]))
        if not done["more"]:
            break
        assert world.app.get_campaign(five_good.id).reopenings[0]["closed"] is False
    assert runs == [(2, [], True), (1, [1], False)]
    assert {world.state(n) for n in ids} == {"lapsed"}


# --- a granted title's nominee name corrected ------------------------------------------------


def test_correcting_a_nominee_name_after_commendation(world: World, five_good: CampaignRef) -> None:
    from domain.commands import CorrectNomineeName

    nid = world.inspected(five_good, "qianshuang-cun", 90, name="前双村远教站")
    with pytest.raises(CorrectionRefusedError) as early:  # no title yet
        world.app.execute(
            CorrectNomineeName(nomination_id=nid, name="前双村远教站点", reason="错字"),
            CITY_REVIEWER,
            at=five_good.when.inspection + HOUR,
        )
    assert rule_of(early) == "name_correction_needs_title"
    world.commend(five_good)
    after = five_good.when.commendation + HOUR
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(
            CorrectNomineeName(nomination_id=nid, name="前双村远教站点", reason="错字"),
            TOWNSHIP_DECLARER,
            at=after,
        )
    with pytest.raises(CorrectionInvalidError) as same:
        world.app.execute(
            CorrectNomineeName(nomination_id=nid, name="前双村远教站", reason="同名"),
            CITY_REVIEWER,
            at=after,
        )
    assert rule_of(same) == "name_correction_changes"
    done = world.app.execute(
        CorrectNomineeName(nomination_id=nid, name="  前双村远教站点 ", reason="名称少一字"),
        CITY_REVIEWER,
        at=after,
    )
    assert done["nominee_name"] == "前双村远教站点"
    n = world.app.get_nomination(nid)
    assert n.nominee.name == n.held_title().holder_name == "前双村远教站点"
    assert n.state == "commended" and n.title_active
    stored = list(world.app.events.get(n.id))
    assert stored[0].nominee.name == "前双村远教站"  # the history keeps the old name
    assert stored[-1].previous == "前双村远教站" and stored[-1].reason == "名称少一字"
    assert n.as_dict()["name_corrections"][0]["previous"] == "前双村远教站"
    assert folded_state(world, nid) == "commended"


def test_a_corrected_name_another_nomination_holds_is_refused(
    world: World, five_good: CampaignRef
) -> None:
    from domain.commands import CorrectNomineeName

    first = world.inspected(five_good, "qianshuang-cun", 90, name="一号站点")
    world.inspected(five_good, "qianshuang-cun", 85, name="二号站点")
    world.commend(five_good)
    with pytest.raises(CorrectionRefusedError) as taken:
        world.app.execute(
            CorrectNomineeName(nomination_id=first, name="二号站点", reason="合并"),
            CITY_REVIEWER,
            at=five_good.when.commendation + HOUR,
        )
    assert rule_of(taken) == "name_correction_unique"
    assert world.app.get_nomination(first).nominee.name == "一号站点"
