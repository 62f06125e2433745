"""Idempotency keys (a repeat returns the first result and appends nothing) and optimistic
concurrency (expected_version / If-Match)."""

from __future__ import annotations

import pytest

from domain.commands import Commend, Declare, ExtendDeadline, PreReview, Withdraw
from domain.errors import DeclarationInvalidError, IdempotencyKeyReusedError, StaleVersionError
from domain.execution import fingerprint
from tests.builders.actors import CITY_REVIEWER, TOWNSHIP_DECLARER
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.forms import FIVE_PROTECTIONS_OK
from tests.builders.material import TYPICAL_MATERIAL, material_of
from tests.builders.tree import TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World


def test_declaration_repeated_with_the_same_key_returns_the_first_result(
    world: World, five_good: CampaignRef
) -> None:
    nominee = {"kind": "site", "unit_id": VILLAGE, "name": "前双村远教站点"}

    def declare() -> dict:
        return world.app.execute(
            Declare(
                campaign_id=five_good.id,
                category="five_good_site",
                declaring_unit_id=TOWNSHIP,
                nominee=nominee,
                form={},
                material=TYPICAL_MATERIAL,
            ),
            TOWNSHIP_DECLARER,
            at=FIVE_GOOD_2022.declaration,
            idempotency_key="decl-qianshuang-2022",
        )

    first = declare()
    recorded = world.events_recorded()
    again = declare()
    assert first["replayed"] is False and again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    assert world.events_recorded() == recorded
    assert len(world.app.roster.entries(five_good.id).entries) == 1


def test_replay_answers_even_after_the_state_moved_on(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    first = world.app.execute(
        PreReview(nomination_id=nomination_id, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.pre_review,
        idempotency_key="pr-1",
    )
    world.inspect(five_good, nomination_id, 80)
    again = world.app.execute(
        PreReview(nomination_id=nomination_id, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.pre_review,
        idempotency_key="pr-1",
    )
    assert (again["state"], again["version"], again["replayed"]) == ("admitted", first["version"], True)
    assert world.state(nomination_id) == "inspected"


def test_idempotency_key_reused_with_different_arguments_refused(
    world: World, five_good: CampaignRef
) -> None:
    world.declare(five_good, VILLAGE, idempotency_key="decl-1")
    recorded = world.events_recorded()
    with pytest.raises(IdempotencyKeyReusedError) as refused:
        world.declare(five_good, VILLAGE, material=material_of(900), idempotency_key="decl-1")
    assert [f.rule for f in refused.value.failures] == ["idempotency_key_reused"]
    assert world.events_recorded() == recorded


def test_idempotency_key_reused_for_another_command_refused(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE, idempotency_key="shared-key")
    with pytest.raises(IdempotencyKeyReusedError):
        world.app.execute(
            Withdraw(nomination_id=nomination_id, reason="撤回"),
            TOWNSHIP_DECLARER,
            at=FIVE_GOOD_2022.declaration,
            idempotency_key="shared-key",
        )
    assert world.state(nomination_id) == "declared"


def test_idempotency_key_not_recorded_when_the_command_fails(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(DeclarationInvalidError):  # too short a material
        world.declare(five_good, VILLAGE, material="太短", idempotency_key="decl-retry")
    nomination_id = world.declare(
        five_good, VILLAGE, idempotency_key="decl-retry"
    )  # the corrected retry goes through
    assert world.state(nomination_id) == "declared"


def test_commendation_repeated_with_the_same_key_commends_once(
    world: World, five_good: CampaignRef
) -> None:
    world.inspected(five_good, VILLAGE, 90)
    first = world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
        idempotency_key="commend-2022",
    )
    recorded = world.events_recorded()
    again = world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.commendation,
        idempotency_key="commend-2022",
    )
    assert again["commended"] == first["commended"] and len(again["commended"]) == 1
    assert again["replayed"] is True and world.events_recorded() == recorded


def test_fingerprint_depends_on_command_and_arguments_not_on_key_order() -> None:
    assert fingerprint("declare", {"a": 1, "b": [utc(2022, 10, 17)]}) == fingerprint(
        "declare", {"b": [utc(2022, 10, 17)], "a": 1}
    )
    assert fingerprint("declare", {"a": 1}) != fingerprint("withdraw", {"a": 1})
    assert fingerprint("declare", {"a": 1}) != fingerprint("declare", {"a": 2})


def test_expected_version_mismatch_refused_as_stale(world: World, five_good: CampaignRef) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    recorded = world.events_recorded()
    with pytest.raises(StaleVersionError) as refused:
        world.app.execute(
            PreReview(
                nomination_id=nomination_id, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK
            ),
            CITY_REVIEWER,
            at=FIVE_GOOD_2022.pre_review,
            expected_version=2,
        )
    assert refused.value.details == {"expected": 2, "current": 1}
    assert refused.value.code == "stale-version"
    assert world.events_recorded() == recorded


def test_expected_version_matching_lets_the_command_through(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.declare(five_good, VILLAGE)
    result = world.app.execute(
        PreReview(nomination_id=nomination_id, decision="admit", reasons=[], checks=FIVE_PROTECTIONS_OK),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.pre_review,
        expected_version=1,
    )
    assert (result["state"], result["version"]) == ("admitted", 2)


def test_expected_version_checked_on_deadline_extension(world: World, five_good: CampaignRef) -> None:
    version = world.app.get_campaign(five_good.id).version
    with pytest.raises(StaleVersionError):
        world.app.execute(
            ExtendDeadline(
                campaign_id=five_good.id, phase="declaration", closes_at=utc(2022, 10, 22), reason="延期"
            ),
            CITY_REVIEWER,
            at=utc(2022, 10, 18),
            expected_version=version - 1,
        )
    summary = world.app.execute(
        ExtendDeadline(
            campaign_id=five_good.id, phase="declaration", closes_at=utc(2022, 10, 22), reason="延期"
        ),
        CITY_REVIEWER,
        at=utc(2022, 10, 18),
        expected_version=version,
    )
    assert summary["version"] == version + 1
