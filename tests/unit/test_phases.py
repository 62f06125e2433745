"""Phase gating (each step only inside its phase's window [opens_at, closes_at)), deadline
extensions, and closing a phase (lapses whatever still waits on it)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.commands import ClosePhase, Commend, ExtendDeadline, Inspect, Withdraw
from domain.errors import DeadlineExtensionRefusedError, PhaseNotOpenError, PhaseUnknownError
from domain.rules.phases import extension_failures, move_close, require_open
from domain.templates import get_template, instantiate
from domain.values import Phase
from tests.builders.actors import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_REVIEWER,
    SYSTEM,
    TOWNSHIP_DECLARER,
)
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.forms import MODEL_VILLAGE_FORM
from tests.builders.tree import COUNTY, VILLAGE
from tests.builders.world import CampaignRef, World

DECLARATION_OPENS = utc(2022, 10, 15, 16)
DECLARATION_CLOSES = utc(2022, 10, 20, 16)
PRE_REVIEW_CLOSES = utc(2022, 10, 25, 16)
INSPECTION_CLOSES = utc(2022, 11, 10, 16)
COMMENDATION_CLOSES = utc(2022, 11, 30, 16)
SECOND = timedelta(seconds=1)


def five_good_phases() -> list[Phase]:
    return instantiate(get_template("five-good-sites"), year=2022)


# --- pure rules ---------------------------------------------------------------------------------


def test_phase_window_includes_its_opening_and_excludes_its_close() -> None:
    declaration = five_good_phases()[0]
    assert not declaration.is_open_at(DECLARATION_OPENS - SECOND)
    assert declaration.is_open_at(DECLARATION_OPENS)
    assert declaration.is_open_at(DECLARATION_CLOSES - SECOND)
    assert not declaration.is_open_at(DECLARATION_CLOSES)


def test_require_open_says_when_the_phase_opens_before_it_opens() -> None:
    with pytest.raises(PhaseNotOpenError) as refused:
        require_open(five_good_phases()[0], "declaration", DECLARATION_OPENS - SECOND)
    assert "opens at" in refused.value.message_en
    assert refused.value.details["phase"] == "declaration"


def test_require_open_says_when_the_phase_closed_after_it_closes() -> None:
    with pytest.raises(PhaseNotOpenError) as refused:
        require_open(five_good_phases()[0], "declaration", DECLARATION_CLOSES)
    assert "closed at" in refused.value.message_en and "截止" in refused.value.message_zh


# --- gating through the application ---------------------------------------------------------------


def test_declaration_refused_before_the_declaration_phase_opens(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(PhaseNotOpenError):
        world.declare(five_good, VILLAGE, at=DECLARATION_OPENS - SECOND)


def test_declaration_accepted_from_the_first_second_of_the_phase(
    world: World, five_good: CampaignRef
) -> None:
    assert world.state(world.declare(five_good, VILLAGE, at=DECLARATION_OPENS)) == "declared"


def test_declaration_accepted_until_the_last_second_before_the_deadline(
    world: World, five_good: CampaignRef
) -> None:
    assert world.state(world.declare(five_good, VILLAGE, at=DECLARATION_CLOSES - SECOND)) == "declared"


def test_declaration_refused_after_the_declaration_deadline(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(PhaseNotOpenError) as refused:
        world.declare(five_good, VILLAGE, at=DECLARATION_CLOSES)
    assert refused.value.code == "phase-not-open"


def test_pre_review_refused_during_the_declaration_phase(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    with pytest.raises(PhaseNotOpenError):
        world.admit(five_good, nomination_id, at=FIVE_GOOD_2022.declaration)
    assert world.state(nomination_id) == "declared"


@pytest.mark.parametrize("at", [PRE_REVIEW_CLOSES - SECOND, INSPECTION_CLOSES])
def test_inspection_refused_outside_the_inspection_window(
    world: World, five_good: CampaignRef, at
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    with pytest.raises(PhaseNotOpenError):
        world.inspect(five_good, nomination_id, 80, at=at)
    assert world.state(nomination_id) == "admitted"


@pytest.mark.parametrize("at", [PRE_REVIEW_CLOSES, INSPECTION_CLOSES - SECOND])
def test_inspection_accepted_inside_the_inspection_window(
    world: World, five_good: CampaignRef, at
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    assert world.inspect(five_good, nomination_id, 80, at=at)["state"] == "inspected"


@pytest.mark.parametrize("at", [INSPECTION_CLOSES - SECOND, COMMENDATION_CLOSES])
def test_commendation_refused_outside_the_commendation_window(
    world: World, five_good: CampaignRef, at
) -> None:
    nomination_id = world.inspected(five_good, VILLAGE, 85)
    with pytest.raises(PhaseNotOpenError):
        world.app.execute(
            Commend(campaign_id=five_good.id, category="five_good_site"), CITY_REVIEWER, at=at
        )
    assert world.state(nomination_id) == "inspected"


def test_commendation_accepted_inside_the_commendation_window(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.inspected(five_good, VILLAGE, 85)
    result = world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"), CITY_REVIEWER, at=INSPECTION_CLOSES
    )
    assert [c["id"] for c in result["commended"]] == [nomination_id]


def test_declaration_refused_inside_the_window_once_the_phase_was_closed_early(
    world: World, five_good: CampaignRef
) -> None:
    world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="declaration", reason="提前截止"),
        CITY_REVIEWER,
        at=utc(2022, 10, 18),
    )
    with pytest.raises(PhaseNotOpenError):
        world.declare(five_good, VILLAGE, at=utc(2022, 10, 19))
    phase = world.app.get_campaign(five_good.id).phase("declaration")
    assert (phase.status, phase.closes_at) == ("closed", utc(2022, 10, 18))


# --- deadline extension ---------------------------------------------------------------------------


def extension_rules(
    new_close, reason: str = "因防汛工作推迟申报", at=FIVE_GOOD_2022.declaration, index: int = 0
) -> list[str]:
    return [f.rule for f in extension_failures(five_good_phases(), index, new_close, reason, at)]


def test_deadline_extension_allowed_later_with_a_reason_before_the_next_phase_closes() -> None:
    assert extension_rules(utc(2022, 10, 22, 16)) == []


@pytest.mark.parametrize("reason", ["", "   "])
def test_deadline_extension_refused_without_a_reason(reason: str) -> None:
    assert extension_rules(utc(2022, 10, 22, 16), reason) == ["extension_reason_required"]


def test_deadline_extension_refused_when_it_does_not_move_the_deadline_later() -> None:
    assert extension_rules(DECLARATION_CLOSES) == ["extension_moves_later"]
    assert extension_rules(DECLARATION_CLOSES - SECOND) == ["extension_moves_later"]


def test_deadline_extension_refused_into_the_past() -> None:
    at = utc(2022, 10, 19)
    assert extension_rules(utc(2022, 10, 18), at=at) == [
        "extension_not_in_past",
        "extension_moves_later",
    ]


def test_deadline_extension_refused_once_the_phase_has_closed() -> None:
    assert "extension_phase_not_closed" in extension_rules(utc(2022, 10, 22), at=DECLARATION_CLOSES)


def test_deadline_extension_refused_at_or_beyond_the_next_phases_close() -> None:
    assert extension_rules(PRE_REVIEW_CLOSES) == ["extension_before_next_phase_closes"]
    assert extension_rules(PRE_REVIEW_CLOSES - SECOND) == []


def test_deadline_extension_of_the_last_phase_has_no_next_phase_limit() -> None:
    assert extension_rules(utc(2023, 3, 1), index=3) == []


def test_deadline_extension_names_every_failed_rule() -> None:
    assert extension_rules(utc(2022, 10, 1), reason="", at=utc(2022, 10, 19)) == [
        "extension_reason_required",
        "extension_not_in_past",
        "extension_moves_later",
    ]


def test_move_close_moves_the_next_phases_opening_with_it() -> None:
    phases = move_close(five_good_phases(), 0, utc(2022, 10, 22, 16))
    assert phases[0].closes_at == utc(2022, 10, 22, 16)
    assert (phases[1].opens_at, phases[1].closes_at) == (utc(2022, 10, 22, 16), PRE_REVIEW_CLOSES)
    assert phases[2:] == five_good_phases()[2:]


def test_move_close_leaves_a_later_next_phase_alone() -> None:
    phases = instantiate(
        get_template("double-strengthen"), year=2011
    )  # assessment closes 31 Aug, commendation opens 1 Oct
    moved = move_close(phases, 3, utc(2012, 9, 15))
    assert moved[4].opens_at == phases[4].opens_at


def test_deadline_extension_lets_declarations_in_and_holds_pre_review_back(
    world: World, five_good: CampaignRef
) -> None:
    new_close = utc(2022, 10, 22, 16)
    summary = world.app.execute(
        ExtendDeadline(
            campaign_id=five_good.id,
            phase="declaration",
            closes_at=new_close,
            reason="因防汛工作推迟申报",
        ),
        CITY_REVIEWER,
        at=utc(2022, 10, 19),
    )
    assert [(p["code"], p["closes_at"]) for p in summary["phases"][:1]] == [
        ("declaration", new_close.isoformat())
    ]
    assert summary["phases"][1]["opens_at"] == new_close.isoformat()
    nomination_id = world.declare(five_good, VILLAGE, at=utc(2022, 10, 21))
    with pytest.raises(PhaseNotOpenError):
        world.admit(five_good, nomination_id, at=utc(2022, 10, 22))
    assert world.admit(five_good, nomination_id, at=new_close)["state"] == "admitted"


def test_deadline_extension_recorded_with_previous_deadline_and_trimmed_reason(
    world: World, five_good: CampaignRef
) -> None:
    world.app.execute(
        ExtendDeadline(
            campaign_id=five_good.id,
            phase="declaration",
            closes_at=utc(2022, 10, 22, 16),
            reason="  因防汛工作推迟申报 ",
        ),
        CITY_REVIEWER,
        at=utc(2022, 10, 19),
    )
    campaign = world.app.get_campaign(five_good.id)
    (event,) = [e for e in world.app.events.get(campaign.id) if type(e).__name__ == "DeadlineExtended"]
    assert (event.previous_closes_at, event.closes_at, event.reason) == (
        DECLARATION_CLOSES,
        utc(2022, 10, 22, 16),
        "因防汛工作推迟申报",
    )


def test_deadline_extension_refused_through_the_application_beyond_the_next_close(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(DeadlineExtensionRefusedError) as refused:
        world.app.execute(
            ExtendDeadline(
                campaign_id=five_good.id,
                phase="declaration",
                closes_at=utc(2022, 10, 26),
                reason="再延期",
            ),
            CITY_REVIEWER,
            at=utc(2022, 10, 19),
        )
    assert [f.rule for f in refused.value.failures] == ["extension_before_next_phase_closes"]


def test_deadline_extension_refused_for_an_unknown_phase(world: World, five_good: CampaignRef) -> None:
    with pytest.raises(PhaseUnknownError) as refused:
        world.app.execute(
            ExtendDeadline(
                campaign_id=five_good.id,
                phase="mobilisation",
                closes_at=utc(2022, 10, 26),
                reason="延期",
            ),
            CITY_REVIEWER,
            at=utc(2022, 10, 19),
        )
    assert [f.rule for f in refused.value.failures] == ["phase_known"]


# --- closing a phase lapses what still waits on it ---------------------------------------------


def test_close_phase_lapses_nominations_still_waiting_for_pre_review(
    world: World, five_good: CampaignRef
) -> None:
    waiting = world.declare(five_good, VILLAGE)
    admitted = world.declare(five_good, "houshuang-cun")
    world.admit(five_good, admitted)
    withdrawn = world.declare(five_good, "yangliu-cun")
    world.app.execute(
        Withdraw(nomination_id=withdrawn, reason="站点搬迁"),
        TOWNSHIP_DECLARER,
        at=FIVE_GOOD_2022.declaration,
    )
    result = world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="pre_review"), SYSTEM, at=PRE_REVIEW_CLOSES
    )
    assert result["closed"] is True
    assert result["lapsed"] == [waiting]
    assert [world.state(n) for n in (waiting, admitted, withdrawn)] == [
        "lapsed",
        "admitted",
        "withdrawn",
    ]
    assert "pre-review" in world.app.get_nomination(waiting).closing_reason


def test_close_phase_lapses_admitted_nominations_never_inspected(
    world: World, five_good: CampaignRef
) -> None:
    admitted = world.declare(five_good, VILLAGE)
    world.admit(five_good, admitted)
    inspected = world.inspected(five_good, "houshuang-cun", 75)
    result = world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="inspection"), CITY_REVIEWER, at=INSPECTION_CLOSES
    )
    assert result["lapsed"] == [admitted]
    assert (world.state(admitted), world.state(inspected)) == ("lapsed", "inspected")


def test_close_phase_is_idempotent_and_a_repeat_appends_nothing(
    world: World, five_good: CampaignRef
) -> None:
    world.declare(five_good, VILLAGE)
    world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="pre_review"), SYSTEM, at=PRE_REVIEW_CLOSES
    )
    recorded = world.events_recorded()
    again = world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="pre_review"),
        SYSTEM,
        at=PRE_REVIEW_CLOSES + timedelta(hours=1),
    )
    assert (again["closed"], again["lapsed"]) == (False, [])
    assert world.events_recorded() == recorded


def test_close_phase_lapses_both_waiting_steps_when_one_phase_holds_pre_review_and_inspection(
    world: World,
) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    declared = world.declare(campaign, VILLAGE, category="model_village", form=MODEL_VILLAGE_FORM)
    admitted = world.declare(
        campaign, "houshuang-cun", category="model_village", form=MODEL_VILLAGE_FORM
    )
    world.admit(campaign, admitted, actor=COUNTY_REVIEWER)
    result = world.app.execute(
        ClosePhase(campaign_id=campaign.id, phase="preliminary_acceptance"),
        COUNTY_REVIEWER,
        at=utc(2017, 11, 20, 16),
    )
    assert sorted(result["lapsed"]) == sorted([declared, admitted])
    assert world.state(declared) == world.state(admitted) == "lapsed"


def test_inspection_refused_once_its_phase_is_closed(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    world.admit(five_good, nomination_id)
    world.app.execute(
        ClosePhase(campaign_id=five_good.id, phase="inspection"), SYSTEM, at=utc(2022, 11, 1)
    )
    with pytest.raises(PhaseNotOpenError):
        world.app.execute(
            Inspect(nomination_id=nomination_id, methods=["site_visit"], scores={}, verdict="fail"),
            CITY_INSPECTOR,
            at=utc(2022, 11, 2),
        )
