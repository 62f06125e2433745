"""Dynamic management (动态管理, seed 000): five-good titles are re-inspected every year; a
pass keeps the title and moves its anniversary a year on, a fail revokes it (取消荣誉)."""

from __future__ import annotations

import pytest

from domain.commands import Commend, MarkReinspectionDue, Reinspect, Revoke
from domain.errors import InspectionInvalidError, InvalidTransitionError, RoleNotAllowedError
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.forms import SITE_CHECKLIST, uniform_scores
from tests.builders.tree import VILLAGE
from tests.builders.world import CampaignRef, World

GRANTED_AT = FIVE_GOOD_2022.commendation  # 2022-11-15T02:00Z
NEXT_YEAR = utc(2023, 10, 28, 2)
METHODS = ["site_visit", "live_operation"]


@pytest.fixture
def titled(world: World, five_good: CampaignRef) -> str:
    """A commended five-good site (前双村) holding its title."""
    nomination_id = world.inspected(five_good, VILLAGE, 86)
    world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"), CITY_REVIEWER, at=GRANTED_AT
    )
    return nomination_id


def reinspect(
    world: World,
    campaign: CampaignRef,
    nomination_id: str,
    score: float,
    verdict: str,
    at=NEXT_YEAR,
    notes: str = "",
) -> dict:
    command = Reinspect(
        nomination_id=nomination_id,
        methods=METHODS,
        scores=uniform_scores(campaign.category("five_good_site"), score),
        checklist=SITE_CHECKLIST,
        verdict=verdict,
        notes=notes,
    )
    return world.app.execute(command, CITY_INSPECTOR, at=at)


def test_commended_five_good_site_holds_a_title_due_for_yearly_reinspection(
    world: World, titled: str
) -> None:
    title = world.app.get_nomination(titled).title
    assert title.active is True and title.yearly_reinspection is True
    assert title.anniversary == utc(2023, 11, 30, 16)


def test_reinspection_pass_keeps_the_title_and_moves_the_anniversary_a_year(
    world: World, five_good: CampaignRef, titled: str
) -> None:
    reinspect(world, five_good, titled, 82, "pass")
    nomination = world.app.get_nomination(titled)
    assert nomination.state == "commended" and nomination.title_active
    assert nomination.title.anniversary == utc(2024, 11, 30, 16)
    assert [(i.kind, i.verdict) for i in nomination.reinspections] == [("re-inspection", "pass")]
    assert len(nomination.inspections) == 1  # the original inspection is untouched


def test_reinspection_passed_twice_moves_the_anniversary_two_years(
    world: World, five_good: CampaignRef, titled: str
) -> None:
    reinspect(world, five_good, titled, 82, "pass")
    reinspect(world, five_good, titled, 79, "pass", at=utc(2024, 10, 28))
    assert world.app.get_nomination(titled).title.anniversary == utc(2025, 11, 30, 16)


def test_reinspection_fail_revokes_the_title(world: World, five_good: CampaignRef, titled: str) -> None:
    reinspect(world, five_good, titled, 48, "fail", notes="设备长期无法运行")
    nomination = world.app.get_nomination(titled)
    assert nomination.state == "revoked"
    assert nomination.title.active is False and nomination.title.revoked_at == NEXT_YEAR
    assert nomination.title.anniversary == utc(2023, 11, 30, 16)
    assert "设备长期无法运行" in nomination.closing_reason
    types = [e["type"] for e in world.app.queries.history(titled)][-2:]
    assert types == ["nomination.reinspected", "nomination.revoked"]
    assert world.app.queries.history(titled)[-1]["data"]["cause"] == "reinspection_failed"


def test_reinspection_refused_once_the_title_is_revoked(
    world: World, five_good: CampaignRef, titled: str
) -> None:
    reinspect(world, five_good, titled, 48, "fail")
    with pytest.raises(InvalidTransitionError):
        reinspect(world, five_good, titled, 90, "pass", at=utc(2024, 10, 28))


def test_reinspection_refused_for_a_nomination_without_a_title(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = world.inspected(five_good, VILLAGE, 86)
    with pytest.raises(InvalidTransitionError):
        reinspect(world, five_good, nomination_id, 90, "pass")


def test_reinspection_follows_the_inspection_rules(
    world: World, five_good: CampaignRef, titled: str
) -> None:
    with pytest.raises(InspectionInvalidError) as refused:
        reinspect(world, five_good, titled, 55, "pass")
    assert [f.rule for f in refused.value.failures] == ["verdict_consistent_with_scores"]
    assert world.app.get_nomination(titled).reinspections == []


def test_reinspection_refused_for_a_reviewer(world: World, five_good: CampaignRef, titled: str) -> None:
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(
            Reinspect(
                nomination_id=titled,
                methods=METHODS,
                scores=uniform_scores(five_good.category("five_good_site"), 90),
                checklist=SITE_CHECKLIST,
                verdict="pass",
            ),
            CITY_REVIEWER,
            at=NEXT_YEAR,
        )


def test_reinspection_due_is_marked_once_and_cleared_by_the_reinspection(
    world: World, five_good: CampaignRef, titled: str
) -> None:
    due_by = utc(2023, 11, 15, 2)
    world.app.execute(
        MarkReinspectionDue(nomination_id=titled, due_by=due_by), CITY_INSPECTOR, at=utc(2023, 10, 1)
    )
    version = world.app.get_nomination(titled).version
    world.app.execute(
        MarkReinspectionDue(nomination_id=titled, due_by=due_by), CITY_INSPECTOR, at=utc(2023, 10, 2)
    )  # same due date: nothing new
    nomination = world.app.get_nomination(titled)
    assert nomination.version == version and nomination.title.reinspection_due_by == due_by
    reinspect(world, five_good, titled, 88, "pass")
    assert world.app.get_nomination(titled).title.reinspection_due_by is None


def test_revocation_by_decision_needs_a_reviewer_and_a_reason(world: World, titled: str) -> None:
    with pytest.raises(RoleNotAllowedError):
        world.app.execute(Revoke(nomination_id=titled, reason="弄虚作假"), CITY_INSPECTOR, at=NEXT_YEAR)
    world.app.execute(
        Revoke(nomination_id=titled, reason="申报材料弄虚作假"), CITY_REVIEWER, at=NEXT_YEAR
    )
    assert world.state(titled) == "revoked"
    revoked = world.app.queries.history(titled)[-1]
    assert (revoked["type"], revoked["data"]["reason"], revoked["data"]["cause"]) == (
        "nomination.revoked",
        "申报材料弄虚作假",
        "decision",
    )
    assert revoked["actor"] == CITY_REVIEWER.as_dict()
