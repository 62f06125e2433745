"""What each event tells whom (domain/notifications/rules.py): each rule over the events the
commands record (read back from the in-memory store's outbox, written with the events) or
over an aggregate built on its own."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from domain.actors import SYSTEM
from domain.campaigns import Campaign
from domain.commands import (
    AdvancePublicity,
    ConfigurePublicity,
    DecideObjection,
    LodgeObjection,
    MarkReinspectionDue,
    PreReview,
    PublishProposedList,
    ReturnForAmendment,
    Revoke,
)
from domain.nominations import Nomination
from domain.notifications.kinds import MANDATORY, NoticeKind
from domain.notifications.notices import Audience, Notice
from domain.notifications.rules import (
    RULES,
    notices_of,
    notices_of_saved,
    rule_rows,
    silent_escalation,
)
from domain.notifications.waiting_steps import QUEUE_DESKS, acting_roles, waiting_states
from domain.objections import PUBLIC
from domain.vocabulary import NominationState, Role, Step
from tests.builders.actors import CITY_INSPECTOR, CITY_REVIEWER
from tests.builders.aggregates import declared_nomination
from tests.builders.clock import FIVE_GOOD_2022, utc
from tests.builders.tree import CITY, COUNTY, OTHER_TOWNSHIP, PENG_ZHEN_VILLAGES, TOWNSHIP, VILLAGE
from tests.builders.world import CampaignRef, World

UNIT_PEOPLE = (Role.ADMIN, Role.DECLARER)
DECLARING = Audience(TOWNSHIP, UNIT_PEOPLE)
PUBLISHED = utc(2024, 9, 27, 3)
CLOSES = utc(2024, 10, 10, 16)  # 11 Oct 2024 00:00 in Shanghai: five working days on


def outbox(world: World) -> list[Notice]:
    return [n for _, n in world.app.recorder.select_outbox(0, 10_000)]


def of_kind(world: World, kind: NoticeKind) -> list[Notice]:
    return [n for n in outbox(world) if n.kind == kind]


def test_a_declaration_tells_nobody_and_costs_one_lookup(world: World, five_good: CampaignRef) -> None:
    world.declare(five_good)
    assert outbox(world) == []
    assert notices_of_saved([declared_nomination()]) == []


def test_a_rejection_tells_the_declaring_unit_its_reasons(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    world.app.execute(
        PreReview(nomination_id=nid, decision="reject", reasons=["台账不全", "照片缺失"]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    (notice,) = outbox(world)
    nomination = world.app.get_nomination(nid)
    assert notice.kind == NoticeKind.REJECTED and notice.mandatory
    assert notice.key == f"{nid}:{nomination.version}:rejected"
    assert notice.subject_id == nid and notice.campaign_id == five_good.id
    assert notice.audience == (DECLARING,)
    assert notice.occurred_at == five_good.when.pre_review
    assert notice.facts["reasons"] == ["台账不全", "照片缺失"]
    assert notice.facts["nominee_name"] == nomination.nominee.name
    assert {"nomination_id", "campaign_id", "category"} <= set(notice.facts)


def test_a_conflicting_save_leaves_no_notice_in_memory(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    winner, loser = (world.app.load.find(UUID(nid), Nomination) for _ in range(2))
    assert winner is not None and loser is not None
    category = five_good.category("five_good_site")
    at = five_good.when.pre_review
    winner.pre_review(category, "reject", ["台账不全"], {}, CITY_REVIEWER, at)
    loser.pre_review(category, "reject", ["照片缺失"], {}, CITY_REVIEWER, at)  # the same key
    world.app.save(winner)
    with pytest.raises(IntegrityError):
        world.app.save(loser)
    (notice,) = outbox(world)
    assert notice.facts["reasons"] == ["台账不全"]


def test_an_admission_tells_the_declaring_unit(world: World, five_good: CampaignRef) -> None:
    nid = world.declare(five_good)
    world.admit(five_good, nid)
    (notice,) = outbox(world)
    assert notice.kind == NoticeKind.ADMITTED and not notice.mandatory
    assert notice.audience == (DECLARING,) and notice.facts["decision"] == "admit"


def test_a_return_for_amendment_is_mandatory_with_reasons_and_fields(
    world: World, five_good: CampaignRef
) -> None:
    nid = world.declare(five_good)
    world.app.execute(
        ReturnForAmendment(nomination_id=nid, reasons=["材料缺签到表"], fields=["material"]),
        CITY_REVIEWER,
        at=five_good.when.pre_review,
    )
    (notice,) = outbox(world)
    assert notice.kind == NoticeKind.RETURNED and notice.mandatory
    assert notice.audience == (DECLARING,)
    assert notice.facts["reasons"] == ["材料缺签到表"] and notice.facts["fields"] == ["material"]


def test_a_lapse_tells_the_declaring_unit_the_phase() -> None:
    nomination = declared_nomination()
    nomination.lapse("pre_review", "pre_review", "deadline reached", SYSTEM, FIVE_GOOD_2022.pre_review)
    event = nomination.pending_events[-1]
    (notice,) = notices_of(nomination, event)
    assert notice.kind == NoticeKind.LAPSED and notice.audience == (DECLARING,)
    assert notice.facts["phase"] == "pre_review" and notice.facts["reason"] == "deadline reached"


def test_a_team_assignment_tells_the_team_and_both_units() -> None:
    nomination = declared_nomination()
    nomination.assign_to_team("team-1", "", SYSTEM, FIVE_GOOD_2022.pre_review)
    (notice,) = notices_of(nomination, nomination.pending_events[-1])
    assert notice.kind == NoticeKind.INSPECTION_SCHEDULED
    assert notice.teams == ("team-1",)
    assert notice.audience == (Audience(VILLAGE, UNIT_PEOPLE), DECLARING)
    assert notice.facts["team_id"] == "team-1" and notice.facts["previous_team_id"] is None


def test_a_commendation_tells_the_nominee_unit_and_the_declaring_unit(
    world: World, five_good: CampaignRef
) -> None:
    nid = world.inspected(five_good, VILLAGE, 90)
    world.commend(five_good)
    (notice,) = of_kind(world, NoticeKind.COMMENDED)
    assert notice.subject_id == nid and notice.facts["rank"] == 1
    assert notice.audience == (Audience(VILLAGE, UNIT_PEOPLE), DECLARING)
    assert of_kind(world, NoticeKind.PUBLICITY_OUTCOME) == []  # no 公示 in this campaign


@pytest.fixture
def titled(world: World, five_good: CampaignRef) -> str:
    nid = world.inspected(five_good, VILLAGE, 90)
    world.commend(five_good)
    return nid


def test_a_revocation_is_mandatory_for_the_holder_and_the_declaring_unit(
    world: World, titled: str
) -> None:
    world.app.execute(
        Revoke(nomination_id=titled, reason="申报材料弄虚作假"), CITY_REVIEWER, at=utc(2023, 3, 1)
    )
    (notice,) = of_kind(world, NoticeKind.REVOKED)
    assert notice.mandatory and notice.facts["reason"] == "申报材料弄虚作假"
    assert notice.facts["cause"] == "decision"
    assert notice.audience == (Audience(VILLAGE, UNIT_PEOPLE), DECLARING)


def test_a_reinspection_due_tells_the_holder(world: World, titled: str) -> None:
    due_by = utc(2023, 11, 15)
    world.app.execute(
        MarkReinspectionDue(nomination_id=titled, due_by=due_by), CITY_INSPECTOR, at=utc(2023, 10, 1)
    )
    (notice,) = of_kind(world, NoticeKind.REINSPECTION_DUE)
    assert notice.audience == (Audience(VILLAGE, UNIT_PEOPLE),)
    assert notice.facts["due_by"] == due_by.isoformat()


def _remind(world: World, campaign: CampaignRef, phase: str, pending: list[str]) -> list[Notice]:
    camp = world.app.get_campaign(campaign.id, for_update=True)
    assert camp.remind(phase, 86_400, pending, SYSTEM, FIVE_GOOD_2022.declaration)
    return notices_of(camp, camp.pending_events[-1])


def test_a_reminder_tells_each_pending_unit_the_roles_of_the_phase(
    world: World, five_good: CampaignRef
) -> None:
    (declaring,) = _remind(world, five_good, "declaration", [TOWNSHIP, OTHER_TOWNSHIP])
    assert declaring.kind == NoticeKind.DEADLINE_APPROACHING
    assert declaring.audience == (
        Audience(TOWNSHIP, (Role.DECLARER, Role.ADMIN)),
        Audience(OTHER_TOWNSHIP, (Role.DECLARER, Role.ADMIN)),
    )
    assert declaring.facts["units"] == [TOWNSHIP, OTHER_TOWNSHIP]
    assert declaring.facts["steps"] == ["declaration"]
    closes_at = world.app.get_campaign(five_good.id).phase("declaration").closes_at
    assert declaring.facts["closes_at"] == closes_at.isoformat()
    (reviewing,) = _remind(world, five_good, "pre_review", [COUNTY])
    assert reviewing.audience == (Audience(COUNTY, (Role.REVIEWER,)),)
    (inspecting,) = _remind(world, five_good, "inspection", [COUNTY])
    assert inspecting.audience == (Audience(COUNTY, (Role.INSPECTOR,)),)


def test_a_reminder_with_nothing_pending_tells_nobody(world: World, five_good: CampaignRef) -> None:
    assert _remind(world, five_good, "declaration", []) == []


# --- 公示 and objections ------------------------------------------------------------------------


@pytest.fixture
def published(world: World) -> tuple[CampaignRef, dict[float, str]]:
    campaign = world.campaign("five-good-sites", quotas={"five_good_site": 2})
    world.app.execute(
        ConfigurePublicity(campaign_id=campaign.id, working_days=5, reason="公示五个工作日"),
        CITY_REVIEWER,
        at=FIVE_GOOD_2022.inspection,
    )
    passed = {
        score: world.inspected(campaign, unit, score)
        for unit, score in zip(list(PENG_ZHEN_VILLAGES)[:2], [90, 80], strict=True)
    }
    world.commend(campaign)
    world.app.execute(PublishProposedList(campaign_id=campaign.id), CITY_REVIEWER, at=PUBLISHED)
    return campaign, passed


def test_a_title_granted_after_the_publicity_is_its_outcome(world: World, published) -> None:
    campaign, passed = published
    assert of_kind(world, NoticeKind.COMMENDED) == []  # proposed, not yet granted
    world.app.execute(AdvancePublicity(campaign_id=campaign.id), SYSTEM, at=CLOSES)
    outcomes = of_kind(world, NoticeKind.PUBLICITY_OUTCOME)
    assert {n.subject_id for n in outcomes} == set(passed.values())
    assert {n.facts["outcome"] for n in outcomes} == {"granted"}
    assert all(n.audience == (DECLARING,) for n in outcomes)
    assert {n.subject_id for n in of_kind(world, NoticeKind.COMMENDED)} == set(passed.values())


def _objection(world: World, campaign: CampaignRef, nid: str, outcome: str) -> None:
    receipt = world.app.execute(
        LodgeObjection(
            campaign_id=campaign.id, nomination_id=nid, text="台账造假", contact="138 0000 0000"
        ),
        PUBLIC,
        at=PUBLISHED + timedelta(days=2),
    )["receipt"]
    world.app.execute(
        DecideObjection(receipt=receipt, outcome=outcome, findings="经核实，举报人张三所述属实"),
        CITY_REVIEWER,
        at=PUBLISHED + timedelta(days=3),
    )


def test_an_upheld_objection_tells_the_declaring_unit_and_the_reviewers_without_findings(
    world: World, published
) -> None:
    campaign, passed = published
    _objection(world, campaign, passed[90], "uphold")
    (decided,) = of_kind(world, NoticeKind.OBJECTION_OUTCOME)
    assert decided.audience == (DECLARING, Audience(CITY, (Role.REVIEWER,)))
    assert decided.facts["outcome"] == "uphold" and decided.facts["nomination_id"] == passed[90]
    assert decided.facts["nomination_state"] == "not_commended"
    (withdrawn,) = of_kind(world, NoticeKind.PUBLICITY_OUTCOME)
    assert withdrawn.subject_id == passed[90] and withdrawn.facts["outcome"] == "withdrawn"
    for notice in outbox(world):  # what the objector wrote and who they are stay on the objection
        body = notice.body()
        assert "张三" not in body and "138" not in body and "台账造假" not in body
        assert "receipt" not in json.loads(body)["facts"]


def test_a_dismissed_objection_is_told_too(world: World, published) -> None:
    campaign, passed = published
    _objection(world, campaign, passed[80], "dismiss")
    (decided,) = of_kind(world, NoticeKind.OBJECTION_OUTCOME)
    assert decided.facts["outcome"] == "dismiss" and decided.subject_id != passed[80]


# --- escalation and the table -------------------------------------------------------------------


def test_a_silent_unit_escalation_tells_each_notified_unit_of_its_own_townships(
    world: World, five_good: CampaignRef
) -> None:
    """One notice per unit told, keyed by it, holding that unit's townships only: a county
    is not told of another county's townships, and its subject's count is its own."""
    camp = world.app.get_campaign(five_good.id)
    event: Any = SimpleNamespace(
        originator_id=camp.id,
        originator_version=camp.version + 1,
        timestamp=utc(2022, 10, 21),
        step=1,
        grace_days=0,
        units=[TOWNSHIP, OTHER_TOWNSHIP, "liyang-zhen"],
        notified=[
            {"unit_id": COUNTY, "roles": ["reviewer"], "units": [TOWNSHIP, OTHER_TOWNSHIP]},
            {"unit_id": "liyang", "roles": ["reviewer", "admin"], "units": ["liyang-zhen"]},
        ],
        actor=SYSTEM,
    )
    county, other = silent_escalation(camp, event, {})
    assert {county.kind, other.kind} == {NoticeKind.SILENT_ESCALATION}
    assert county.key == f"{camp.id}:{camp.version + 1}:silent_escalation:{COUNTY}"
    assert other.key == f"{camp.id}:{camp.version + 1}:silent_escalation:liyang"
    assert county.audience == (Audience(COUNTY, (Role.REVIEWER,)),)
    assert other.audience == (Audience("liyang", (Role.REVIEWER, Role.ADMIN)),)
    assert county.facts["units"] == [TOWNSHIP, OTHER_TOWNSHIP] and county.facts["step"] == 1
    assert county.facts["notified"] == [{"unit_id": COUNTY, "units": [TOWNSHIP, OTHER_TOWNSHIP]}]
    assert other.facts["units"] == ["liyang-zhen"]
    assert other.facts["notified"] == [{"unit_id": "liyang", "units": ["liyang-zhen"]}]
    assert Campaign.SilentUnitsEscalated in RULES


def test_reminders_name_the_roles_of_the_one_step_table() -> None:
    """Who acts on a step is defined once (notifications/waiting_steps.py)."""
    assert acting_roles(Step.DECLARATION) == (Role.DECLARER, Role.ADMIN)
    assert acting_roles(Step.PRE_REVIEW) == (Role.REVIEWER,)
    assert waiting_states(Step.INSPECTION) == (NominationState.ADMITTED,)
    assert [d.step for d in QUEUE_DESKS] == [Step.PRE_REVIEW, Step.INSPECTION]


def test_the_table_lists_every_kind_with_its_texts_in_both_languages() -> None:
    rows = rule_rows()
    assert {r["kind"] for r in rows} == {k.value for k in NoticeKind}
    for row in rows:
        assert all(row[f] for f in ("who_zh", "who_en", "when_zh", "when_en", "event", "kind_zh"))
        assert (row["mandatory"] == "yes") == (NoticeKind(row["kind"]) in MANDATORY)
    assert rows[-1]["kind"] == "daily_digest"
