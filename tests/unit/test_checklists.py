"""Checklists at inspection (持证上岗, 三簿一册, 五防, 八有四防): recorded item by item, met or
not with a note, beside the score and never in it; a missing item refused and named; a
required checklist's unmet item refuses a pass verdict; asked only at the levels a checklist
names; kept on the inspection and its event, which still loads when stored before checklists."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, StoredEvent

from domain.commands import Commend, Inspect, Reinspect
from domain.errors import InspectionInvalidError
from domain.nominations import Nomination
from domain.rules.inspection import (
    MAX_CHECKLIST_NOTE,
    all_met,
    checklist_failures,
    checklist_marks,
    inspection_failures,
    weighted_score,
)
from domain.templates import category_as_dict
from domain.transcodings import all_transcodings
from domain.values import ChecklistMark
from infra.settings import Settings, eventsourcing_env
from tests.builders.actors import (
    CITY_INSPECTOR,
    CITY_REVIEWER,
    COUNTY_DECLARER,
    COUNTY_INSPECTOR,
    COUNTY_REVIEWER,
)
from tests.builders.clock import utc
from tests.builders.forms import ALL_METHODS, category, uniform_scores
from tests.builders.tree import AGENCY, COUNTY, VILLAGE
from tests.builders.world import CampaignRef, World

SITE = category("five-good-sites", "five_good_site")
DEMO_SITE = category("double-strengthen", "five_good_demo_site")
METHODS = [str(m) for m in ALL_METHODS]


def with_item(checklist: str, item: str, value: Any, cat=SITE, level: str = "") -> dict[str, Any]:
    """Every item met, but ``checklist.item`` set to ``value``."""
    marks: dict[str, Any] = {k: dict(v) for k, v in all_met(cat, level).items()}
    marks[checklist][item] = value
    return marks


def without_item(checklist: str, item: str) -> dict[str, Any]:
    marks: dict[str, Any] = {k: dict(v) for k, v in all_met(SITE).items()}
    del marks[checklist][item]
    return marks


# --- the seeds' checklists --------------------------------------------------------------------


def test_seed_000_five_good_site_records_three_checklists_item_by_item() -> None:
    assert [(c.code, c.required, len(c.items)) for c in SITE.checklists] == [
        ("certified_administrator", True, 2),
        ("three_registers_one_book", True, 4),
        ("five_protections", True, 5),
    ]
    five = SITE.checklists[2]
    assert [i.name_zh for i in five.items] == ["防火", "防盗", "防潮", "防雷", "防尘"]
    assert not any(c.levels for c in SITE.checklists)  # every five-good site, township or village


def test_seed_001_eight_haves_four_protections_asked_of_agency_sites_only() -> None:
    (eight,) = DEMO_SITE.checklists
    assert (eight.code, eight.required, eight.levels) == (
        "eight_haves_four_protections",
        True,
        ("agency",),
    )
    assert [i.name_zh for i in eight.items] == [
        "有固定场所",
        "有标志牌",
        "有遮光窗帘",
        "有稳定交流电源",
        "有桌椅",
        "有声像资料保管柜",
        "有制度",
        "有活动记录簿",
        "防火",
        "防盗",
        "防潮",
        "防尘",
    ]
    assert DEMO_SITE.checklists_for("agency") == (eight,)
    assert DEMO_SITE.checklists_for("village") == ()


def test_the_template_shows_its_checklists() -> None:
    shown = category_as_dict(SITE)["checklists"]
    assert shown[2]["code"] == "five_protections" and shown[2]["required"] is True
    assert shown[2]["items"][0] == {"code": "fire", "name_zh": "防火", "name_en": "Fire"}


# --- the rule -----------------------------------------------------------------------------------


def test_every_item_met_breaks_no_rule() -> None:
    assert checklist_failures(SITE, all_met(SITE), "pass") == []


def test_a_missing_item_is_refused_and_named_in_both_languages() -> None:
    (failure,) = checklist_failures(SITE, without_item("five_protections", "damp"), "pass")
    assert (failure.rule, failure.field) == (
        "checklist_item_recorded",
        "checklist.five_protections.damp",
    )
    assert "防潮" in failure.message_zh and "五防" in failure.message_zh
    assert "Damp" in failure.message_en and "Five protections" in failure.message_en


def test_no_checklist_at_all_names_every_item() -> None:
    failures = checklist_failures(SITE, None, "fail")
    assert {f.rule for f in failures} == {"checklist_item_recorded"}
    assert len(failures) == sum(len(c.items) for c in SITE.checklists) == 11


def test_unknown_checklists_and_items_are_refused() -> None:
    marks = dict(all_met(SITE), eight_haves_four_protections={"sign": True})
    marks["five_protections"] = dict(marks["five_protections"], flood=True)
    assert [(f.rule, f.field) for f in checklist_failures(SITE, marks, "pass")] == [
        ("checklist_known", "checklist.eight_haves_four_protections"),
        ("checklist_item_known", "checklist.five_protections.flood"),
    ]


@pytest.mark.parametrize("bad", ["yes", 1, None, {"note": "no finding"}])
def test_an_item_is_met_or_not_met_nothing_else(bad: object) -> None:
    (failure,) = checklist_failures(SITE, with_item("five_protections", "fire", bad), "fail")
    assert (failure.rule, failure.field) == ("checklist_item_value", "checklist.five_protections.fire")


def test_a_note_is_kept_to_its_limit() -> None:
    at_limit = {"met": True, "note": "灭" * MAX_CHECKLIST_NOTE}
    assert checklist_failures(SITE, with_item("five_protections", "fire", at_limit), "pass") == []
    beyond = {"met": True, "note": "灭" * (MAX_CHECKLIST_NOTE + 1)}
    (failure,) = checklist_failures(SITE, with_item("five_protections", "fire", beyond), "pass")
    assert (failure.rule, failure.actual) == ("checklist_note_length", MAX_CHECKLIST_NOTE + 1)


def test_a_required_checklists_unmet_item_refuses_a_pass_and_names_the_item() -> None:
    marks = with_item("five_protections", "lightning", {"met": False, "note": "避雷针缺失"})
    (failure,) = checklist_failures(SITE, marks, "pass")
    assert (failure.rule, failure.field) == (
        "checklist_required_met",
        "checklist.five_protections.lightning",
    )
    assert "防雷" in failure.message_zh and "Lightning" in failure.message_en


def test_a_required_checklists_unmet_item_allows_a_fail_verdict() -> None:
    marks = with_item("five_protections", "lightning", False)
    assert checklist_failures(SITE, marks, "fail") == []


def test_an_unmet_item_of_a_checklist_not_required_is_recorded_and_allows_a_pass() -> None:
    relaxed = replace(SITE, checklists=tuple(replace(c, required=False) for c in SITE.checklists))
    marks = with_item("three_registers_one_book", "to_standard", False, cat=relaxed)
    assert checklist_failures(relaxed, marks, "pass") == []
    recorded = checklist_marks(relaxed, marks)
    assert ChecklistMark("three_registers_one_book", "to_standard", False) in recorded


def test_checklists_are_not_folded_into_the_score() -> None:
    scores = uniform_scores(SITE, 80)
    unmet = with_item("five_protections", "dust", False)
    assert inspection_failures(SITE, METHODS, scores, "fail", unmet) == []
    assert weighted_score(SITE, scores) == 80.0  # whatever the checklists say


def test_a_village_site_is_not_asked_the_agency_checklist() -> None:
    marks = {"eight_haves_four_protections": {"sign": True}}
    (failure,) = checklist_failures(DEMO_SITE, marks, "pass", "village")
    assert failure.rule == "checklist_known"
    assert checklist_failures(DEMO_SITE, None, "pass", "village") == []
    assert len(checklist_failures(DEMO_SITE, None, "pass", "agency")) == 12


def test_marks_follow_the_templates_order_with_their_notes() -> None:
    marks = with_item("five_protections", "theft", {"met": False, "note": " 门锁损坏 "})
    recorded = checklist_marks(SITE, marks)
    assert [(m.checklist, m.item) for m in recorded][:2] == [
        ("certified_administrator", "certificate_held"),
        ("certified_administrator", "operates_equipment"),
    ]
    assert ChecklistMark("five_protections", "theft", False, "门锁损坏") in recorded


# --- through the application --------------------------------------------------------------------


def admitted(world: World, campaign: CampaignRef) -> str:
    nomination_id = world.declare(campaign, VILLAGE)
    world.admit(campaign, nomination_id)
    return nomination_id


def inspect(world: World, campaign: CampaignRef, nomination_id: str, **changes: Any) -> dict[str, Any]:
    command = Inspect(
        nomination_id=nomination_id,
        methods=METHODS,
        scores=uniform_scores(SITE, 85),
        verdict="pass",
        checklist=all_met(SITE),
    )
    return world.app.execute(replace(command, **changes), CITY_INSPECTOR, at=campaign.when.inspection)


def test_the_inspection_keeps_its_checklist_on_the_nomination_and_in_its_history(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = admitted(world, five_good)
    marks = with_item("five_protections", "damp", {"met": False, "note": "机房返潮"})
    inspect(world, five_good, nomination_id, verdict="fail", checklist=marks)
    nomination = world.app.get_nomination(nomination_id)
    (inspection,) = nomination.inspections
    assert inspection.marks_of("five_protections")["damp"] == ChecklistMark(
        "five_protections", "damp", False, "机房返潮"
    )
    assert len(inspection.checklist) == 11
    shown = nomination.as_dict()["inspections"][0]["checklist"]
    assert {"checklist": "five_protections", "item": "damp", "met": False, "note": "机房返潮"} in shown
    (event,) = [
        e for e in world.app.queries.history(nomination.id) if e["type"] == "nomination.inspected"
    ]
    assert len(event["data"]["inspection"]["checklist"]) == 11


def test_an_inspection_missing_an_item_is_refused_and_appends_nothing(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = admitted(world, five_good)
    with pytest.raises(InspectionInvalidError) as refused:
        inspect(
            world,
            five_good,
            nomination_id,
            checklist=without_item("certified_administrator", "certificate_held"),
        )
    assert [f.field for f in refused.value.failures] == [
        "checklist.certified_administrator.certificate_held"
    ]
    assert world.app.get_nomination(nomination_id).state == "admitted"


def test_a_pass_with_an_unmet_required_item_is_refused(world: World, five_good: CampaignRef) -> None:
    nomination_id = admitted(world, five_good)
    with pytest.raises(InspectionInvalidError) as refused:
        inspect(world, five_good, nomination_id, checklist=with_item("five_protections", "fire", False))
    assert [f.rule for f in refused.value.failures] == ["checklist_required_met"]


def test_an_agency_demonstration_site_records_the_eight_haves_and_four_protections(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    form = {"satisfaction_rate": 95, "monthly_sessions": 2, "yearly_hours": 48, "monthly_tutoring": 1}
    nomination_id = world.declare(
        campaign,
        AGENCY,
        category="five_good_demo_site",
        form=form,
        declaring_unit=COUNTY,
        actor=COUNTY_DECLARER,
    )
    world.admit(campaign, nomination_id, actor=COUNTY_REVIEWER)
    command = Inspect(
        nomination_id=nomination_id,
        methods=METHODS,
        scores=uniform_scores(DEMO_SITE, 90),
        verdict="pass",
    )
    with pytest.raises(InspectionInvalidError) as refused:
        world.app.execute(command, COUNTY_INSPECTOR, at=campaign.when.inspection)
    assert len(refused.value.failures) == 12
    world.app.execute(
        replace(command, checklist=all_met(DEMO_SITE, "agency")),
        COUNTY_INSPECTOR,
        at=campaign.when.inspection,
    )
    (inspection,) = world.app.get_nomination(nomination_id).inspections
    assert {m.item for m in inspection.checklist} >= {"fixed_venue", "activity_register", "dust"}


def test_a_yearly_reinspection_records_the_checklists_and_an_unmet_item_revokes(
    world: World, five_good: CampaignRef
) -> None:
    nomination_id = admitted(world, five_good)
    inspect(world, five_good, nomination_id)
    world.app.execute(
        Commend(campaign_id=five_good.id, category="five_good_site"),
        CITY_REVIEWER,
        at=five_good.when.commendation,
    )
    next_year = utc(2023, 10, 28, 2)
    command = Reinspect(
        nomination_id=nomination_id,
        methods=METHODS,
        scores=uniform_scores(SITE, 90),
        verdict="pass",
        checklist=with_item("five_protections", "theft", {"met": False, "note": "防盗门损坏"}),
    )
    with pytest.raises(InspectionInvalidError) as refused:
        world.app.execute(command, CITY_INSPECTOR, at=next_year)
    assert [f.field for f in refused.value.failures] == ["checklist.five_protections.theft"]
    world.app.execute(replace(command, verdict="fail"), CITY_INSPECTOR, at=next_year)
    nomination = world.app.get_nomination(nomination_id)
    (reinspection,) = nomination.reinspections
    assert reinspection.marks_of("five_protections")["theft"].note == "防盗门损坏"
    assert nomination.state == "revoked"
    assert nomination.as_dict()["reinspections"][0]["checklist"][0]["item"] == "certificate_held"


# --- stored before checklists -------------------------------------------------------------------


class Store(Application[UUID]):
    """An event store with Laurel's transcodings, nothing else."""

    name = "Laurel"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)


def as_version_2(row: StoredEvent) -> StoredEvent:
    """The event as version 2 stored it: no class_version 3, no checklist in the inspection."""
    state = json.loads(row.state)
    state["class_version"] = 2
    del state["inspection"]["_data_"]["checklist"]
    return StoredEvent(row.originator_id, row.originator_version, row.topic, json.dumps(state).encode())


def test_an_inspected_event_stored_before_checklists_still_loads(
    world: World, five_good: CampaignRef, tmp_path: Path
) -> None:
    nomination_id = admitted(world, five_good)
    inspect(world, five_good, nomination_id)
    nomination = world.app.get_nomination(nomination_id)
    store = Store(
        env=eventsourcing_env(
            Settings(database_url=f"sqlite:///{tmp_path / 'v2.db'}", home_dir=tmp_path)
        )
    )
    events = [
        store.mapper.to_stored_event(e) for e in world.app.repository.event_store.get(nomination.id)
    ]
    old = [as_version_2(e) if e.topic.endswith("Nomination.Inspected") else e for e in events]
    assert any(b'"class_version": 2' in e.state for e in old)
    store.recorder.insert_events(old)
    loaded = store.repository.get(nomination.id)
    assert isinstance(loaded, Nomination)
    (inspection,) = loaded.inspections
    assert (inspection.checklist, inspection.weighted_score, loaded.state) == ((), 85.0, "inspected")
