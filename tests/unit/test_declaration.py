"""Declaration (申报): the form's required fields, who may be nominated, no double declarations."""

from __future__ import annotations

import pytest

from domain.commands import Declare, Withdraw
from domain.errors import CategoryUnknownError, DeclarationInvalidError, DuplicateNominationError
from domain.roster import nominee_key
from domain.rules.form import form_failures
from tests.builders.actors import COUNTY_DECLARER, TOWNSHIP_DECLARER, declarer_of
from tests.builders.forms import PLATFORM_FORM, category
from tests.builders.material import TYPICAL_MATERIAL
from tests.builders.tree import (
    AGENCY,
    COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_COUNTY_VILLAGE,
    OTHER_TOWNSHIP_VILLAGE,
    TOWNSHIP,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World

PLATFORM_FIELDS = [
    "operation_rate",
    "downtime_days",
    "trained_rate",
    "operation_bulletins",
    "utilisation_rate",
    "participation_rate",
    "satisfaction_rate",
    "feedback_rounds",
]


def test_form_required_fields_every_missing_field_named_for_advanced_teaching_platform() -> None:
    failures = form_failures(category("double-strengthen", "advanced_teaching_platform"), {})
    assert {f.rule for f in failures} == {"form_field_required"}
    assert [f.field for f in failures] == [f"form.{code}" for code in PLATFORM_FIELDS]


def test_form_required_fields_only_the_missing_ones_named() -> None:
    form = {k: v for k, v in PLATFORM_FORM.items() if k not in ("trained_rate", "feedback_rounds")}
    failures = form_failures(category("double-strengthen", "advanced_teaching_platform"), form)
    assert [f.field for f in failures] == ["form.trained_rate", "form.feedback_rounds"]


def test_form_required_fields_hold_when_form_is_complete() -> None:
    assert (
        form_failures(category("double-strengthen", "advanced_teaching_platform"), PLATFORM_FORM) == []
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("operation_rate", "96%"),  # percent must be a number
        ("operation_rate", 101),  # a percentage is 0-100
        ("operation_rate", True),  # a bool is not a number
        ("operation_bulletins", 2.5),  # integer
        ("downtime_days", None),  # None counts as missing
    ],
)
def test_form_field_type_checked_when_value_has_wrong_type(field: str, value: object) -> None:
    form = dict(PLATFORM_FORM, **{field: value})
    failures = form_failures(category("double-strengthen", "advanced_teaching_platform"), form)
    assert [f.field for f in failures] == [f"form.{field}"]
    assert failures[0].rule == ("form_field_required" if value is None else "form_field_type")


def test_form_optional_fields_may_be_left_out() -> None:
    form = {"county_acceptance_passed": True, "satisfaction_rate": 92}
    assert form_failures(category("double-strengthen", "five_good_demo_site"), form) == []


def test_declaration_refused_naming_every_missing_platform_field(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(campaign, TOWNSHIP, category="advanced_teaching_platform", form={})
    failures = refused.value.failures
    assert [(f.rule, f.field) for f in failures] == [
        ("form_field_required", f"form.{code}") for code in PLATFORM_FIELDS
    ]
    assert all(code in f.message_en for code, f in zip(PLATFORM_FIELDS, failures, strict=True))
    assert refused.value.message_en.startswith("8 rule(s) failed")


def test_declaration_accepted_when_platform_form_is_complete(world: World) -> None:
    campaign = world.campaign("double-strengthen", COUNTY)
    nomination_id = world.declare(
        campaign, TOWNSHIP, category="advanced_teaching_platform", form=PLATFORM_FORM
    )
    assert world.app.get_nomination(nomination_id).form == PLATFORM_FORM


def test_declaration_refused_naming_every_failed_rule_at_once(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(
            five_good,
            COUNTY,
            kind="person",
            name="  ",
            material="太短",
            declaring_unit=COUNTY,
            actor=COUNTY_DECLARER,
        )
    assert {f.rule for f in refused.value.failures} == {
        "nominee_kind",
        "nominee_level",
        "nominee_name_required",
        "typical_material_min_length",
    }


def test_declaration_nominee_level_refused_when_an_agency_is_nominated_as_five_good_site(
    world: World, five_good: CampaignRef
) -> None:
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(five_good, AGENCY, declaring_unit=COUNTY, actor=COUNTY_DECLARER)
    (failure,) = refused.value.failures
    assert (failure.rule, failure.actual) == ("nominee_level", "agency")


def test_declaration_nominee_refused_when_outside_the_declaring_units_jurisdiction(
    world: World, five_good: CampaignRef
) -> None:
    # 宜君县's declarer may act for both townships, but 棋盘镇's 马庄村 cannot be declared by 彭镇.
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(five_good, OTHER_TOWNSHIP_VILLAGE, declaring_unit=TOWNSHIP, actor=COUNTY_DECLARER)
    assert [f.rule for f in refused.value.failures] == ["nominee_in_declaring_jurisdiction"]


def test_declaration_refused_when_declaring_unit_is_outside_the_campaign_organiser(world: World) -> None:
    campaign = world.campaign("five-good-sites", COUNTY)  # organised by 宜君县
    with pytest.raises(DeclarationInvalidError) as refused:
        world.declare(
            campaign,
            OTHER_COUNTY_VILLAGE,
            declaring_unit=OTHER_COUNTY_TOWNSHIP,
            actor=declarer_of(OTHER_COUNTY_TOWNSHIP),  # 黎阳县白石镇
        )
    assert [f.rule for f in refused.value.failures] == ["declaring_unit_in_campaign"]


def test_declaration_category_must_be_one_of_the_campaign(world: World, five_good: CampaignRef) -> None:
    with pytest.raises(CategoryUnknownError) as refused:
        world.app.execute(
            Declare(
                campaign_id=five_good.id,
                category="model_village",
                declaring_unit_id=TOWNSHIP,
                nominee={"kind": "site", "unit_id": VILLAGE, "name": "前双村"},
                form={},
                material=TYPICAL_MATERIAL,
            ),
            TOWNSHIP_DECLARER,
            at=five_good.when.declaration,
        )
    (failure,) = refused.value.failures
    assert failure.rule == "category_known"
    assert failure.expected == ["five_good_site", "outstanding_administrator", "advanced_worker"]


def test_declaration_refused_as_duplicate_when_nominee_already_declared_in_category(
    world: World, five_good: CampaignRef
) -> None:
    first = world.declare(five_good, VILLAGE, name="前双村远教站点")
    with pytest.raises(DuplicateNominationError) as refused:
        world.declare(five_good, VILLAGE, name=" 前双村远教站点 ")
    assert refused.value.details["nomination"] == first


def test_declaration_same_nominee_allowed_again_after_withdrawal(
    world: World, five_good: CampaignRef
) -> None:
    first = world.declare(five_good, VILLAGE)
    world.app.execute(
        Withdraw(nomination_id=first, reason="材料需要补充"),
        TOWNSHIP_DECLARER,
        at=five_good.when.declaration,
    )
    second = world.declare(five_good, VILLAGE)
    assert second != first and world.state(second) == "declared"


def test_declaration_same_person_may_be_declared_in_two_categories(
    world: World, five_good: CampaignRef
) -> None:
    person = {"person_id": "610222198001010011"}
    administrator = world.declare(
        five_good, VILLAGE, category="outstanding_administrator", name="王建军", **person
    )
    worker = world.declare(five_good, VILLAGE, category="advanced_worker", name="王建军", **person)
    assert administrator != worker


# --- nominee identity (no double declarations) ---------------------------------------------------------


def test_nominee_key_identifies_a_person_by_person_id_whatever_the_name() -> None:
    assert nominee_key("advanced_worker", VILLAGE, "610222198001010011", "王建军") == nominee_key(
        "advanced_worker", VILLAGE, "610222198001010011", "王 建军"
    )
    assert nominee_key("advanced_worker", VILLAGE, "610222198001010011", "王建军") != nominee_key(
        "advanced_worker", VILLAGE, "610222198203030022", "王建军"
    )


def test_nominee_key_falls_back_to_the_trimmed_name_without_person_id() -> None:
    assert nominee_key("five_good_site", VILLAGE, None, " 前双村远教站点 ") == nominee_key(
        "five_good_site", VILLAGE, None, "前双村远教站点"
    )
    assert nominee_key("five_good_site", VILLAGE, None, "前双村远教站点") != nominee_key(
        "advanced_worker", VILLAGE, None, "前双村远教站点"
    )


def test_nominee_key_blank_person_id_falls_back_to_the_name(
    world: World, five_good: CampaignRef
) -> None:
    assert nominee_key("advanced_worker", VILLAGE, "", "王建军") != nominee_key(
        "advanced_worker", VILLAGE, "", "李秀兰"
    )
    world.declare(five_good, VILLAGE, category="advanced_worker", name="王建军", person_id="")
    world.declare(five_good, VILLAGE, category="advanced_worker", name="李秀兰", person_id="")


# --- seed 003: a model base (示范基地) is a cooperative or enterprise inside a township or village


def declare_base(world: World, campaign: CampaignRef, unit: str = VILLAGE, **nominee: object) -> str:
    command = Declare(
        campaign_id=campaign.id,
        category="model_base",
        declaring_unit_id=TOWNSHIP,
        nominee={"kind": "base", "unit_id": unit, "name": "前双村核桃专业合作社", **nominee},
        material=TYPICAL_MATERIAL,
    )
    return world.app.execute(command, TOWNSHIP_DECLARER, at=campaign.when.declaration)["id"]


def test_model_base_nominates_a_base_inside_a_township_or_village() -> None:
    base = category("four-creations-three-selections", "model_base")
    assert (base.nominee_kind, base.nominee_levels, base.collective) == (
        "base",
        ("township", "village"),
        False,  # not the party organisation: seed 004's activity-day bar is not its to carry
    )


@pytest.mark.parametrize("kind", ["cooperative", "enterprise", "other"])
def test_model_base_declared_with_its_kind_in_the_nominees_extra(world: World, kind: str) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    nomination_id = declare_base(world, campaign, base_kind=kind)
    nominee = world.app.get_nomination(nomination_id).nominee
    assert (nominee.kind, nominee.unit_id, nominee.extra, nominee.level) == (
        "base",
        VILLAGE,
        {"base_kind": kind},
        "village",
    )
    shown = world.app.get_nomination(nomination_id).as_dict()["nominee"]
    assert shown["extra"] == {"base_kind": kind}


def test_model_base_kind_may_come_in_extra(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    nomination_id = declare_base(world, campaign, TOWNSHIP, extra={"base_kind": "enterprise"})
    assert world.app.get_nomination(nomination_id).nominee.extra == {"base_kind": "enterprise"}


@pytest.mark.parametrize("sent", [{}, {"base_kind": "farm"}, {"base_kind": ""}])
def test_model_base_without_a_known_kind_refused(world: World, sent: dict[str, object]) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    with pytest.raises(DeclarationInvalidError) as refused:
        declare_base(world, campaign, **sent)
    (failure,) = refused.value.failures
    assert (failure.rule, failure.field) == ("base_kind_known", "nominee.base_kind")
    assert "合作社" in failure.message_zh and "cooperative" in failure.message_en


def test_model_base_must_be_named_and_of_the_kind_base(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    with pytest.raises(DeclarationInvalidError) as refused:
        declare_base(world, campaign, name=" ", base_kind="cooperative")
    assert [f.rule for f in refused.value.failures] == ["nominee_name_required"]
    with pytest.raises(DeclarationInvalidError) as refused:
        declare_base(world, campaign, kind="unit", base_kind="cooperative")
    assert [f.rule for f in refused.value.failures] == ["nominee_kind", "nominee_extra_known"]


def test_model_base_outside_a_township_or_village_refused(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    command = Declare(
        campaign_id=campaign.id,
        category="model_base",
        declaring_unit_id=COUNTY,
        nominee={"kind": "base", "unit_id": COUNTY, "name": "县龙头企业", "base_kind": "enterprise"},
        material=TYPICAL_MATERIAL,
    )
    with pytest.raises(DeclarationInvalidError) as refused:
        world.app.execute(command, COUNTY_DECLARER, at=campaign.when.declaration)
    assert [(f.rule, f.actual) for f in refused.value.failures] == [("nominee_level", "county")]


def test_two_bases_of_one_village_are_two_nominees(world: World) -> None:
    campaign = world.campaign("four-creations-three-selections", COUNTY)
    first = declare_base(world, campaign, base_kind="cooperative")
    second = declare_base(world, campaign, name="前双村养殖基地", base_kind="other")
    assert first != second
    with pytest.raises(DuplicateNominationError):
        declare_base(world, campaign, base_kind="cooperative")


def test_a_site_carries_no_base_kind(world: World, five_good: CampaignRef) -> None:
    command = Declare(
        campaign_id=five_good.id,
        category="five_good_site",
        declaring_unit_id=TOWNSHIP,
        nominee={
            "kind": "site",
            "unit_id": VILLAGE,
            "name": "前双村远教站点",
            "base_kind": "cooperative",
        },
        material=TYPICAL_MATERIAL,
    )
    with pytest.raises(DeclarationInvalidError) as refused:
        world.app.execute(command, TOWNSHIP_DECLARER, at=five_good.when.declaration)
    assert [(f.rule, f.field) for f in refused.value.failures] == [
        ("nominee_extra_known", "nominee.base_kind")
    ]
