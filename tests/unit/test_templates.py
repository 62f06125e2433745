"""Campaign templates (the seed campaigns shipped as YAML): they load, instantiate for their
seed year or from a start time with durations, and take deadline and quota overrides."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from domain.commands import CreateCampaign
from domain.errors import InvalidCampaignError, TemplateNotFoundError
from domain.templates import apply_quotas, get_template, instantiate, load_templates, parse_duration
from tests.builders.actors import ADMIN
from tests.builders.clock import SEED_YEARS, utc
from tests.builders.tree import CITY
from tests.builders.world import World

FIVE_GOOD = get_template("five-good-sites")


def spans(phases) -> list[tuple[str, object, object]]:
    return [(p.code, p.opens_at, p.closes_at) for p in phases]


def failure_rules(error: pytest.ExceptionInfo) -> list[str]:
    return [f.rule for f in error.value.failures]


def test_templates_every_seed_campaign_and_its_upper_levels_load() -> None:
    assert sorted(load_templates()) == [
        "city-four-creations",  # seed 003's upper level
        "double-strengthen",
        "five-good-sites",
        "four-creations-three-selections",
        "prefecture-double-strengthen",  # seed 001's upper level
    ]


@pytest.mark.parametrize("code", sorted(SEED_YEARS))
def test_template_instantiates_for_its_seed_year_with_ordered_phases(code: str) -> None:
    template = get_template(code)
    phases = instantiate(template, year=SEED_YEARS[code])
    assert [p.code for p in phases] == [p.code for p in template.phases]
    assert all(p.opens_at < p.closes_at for p in phases)
    assert all(a.closes_at <= b.opens_at for a, b in itertools.pairwise(phases))
    assert set(template.steps) == {"declaration", "pre_review", "inspection", "commendation"}
    assert set(template.steps.values()) <= {p.code for p in phases}
    assert all(p.status == "scheduled" and p.opens_at.utcoffset() == timedelta(0) for p in phases)


def test_five_good_sites_2022_dates_follow_seed_000_in_china_time() -> None:
    assert spans(instantiate(FIVE_GOOD, year=2022)) == [
        ("declaration", utc(2022, 10, 15, 16), utc(2022, 10, 20, 16)),
        ("pre_review", utc(2022, 10, 20, 16), utc(2022, 10, 25, 16)),
        ("inspection", utc(2022, 10, 25, 16), utc(2022, 11, 10, 16)),
        ("commendation", utc(2022, 11, 10, 16), utc(2022, 11, 30, 16)),
    ]


def test_double_strengthen_2011_runs_into_2012_as_seed_001() -> None:
    phases = {p.code: p for p in instantiate(get_template("double-strengthen"), year=2011)}
    assert (phases["creation"].opens_at, phases["creation"].closes_at) == (
        utc(2011, 7, 31, 16),
        utc(2011, 9, 30, 16),
    )
    assert (phases["assessment"].opens_at, phases["assessment"].closes_at) == (
        utc(2012, 7, 31, 16),
        utc(2012, 8, 31, 16),
    )
    assert (phases["commendation"].opens_at, phases["commendation"].closes_at) == (
        utc(2012, 9, 30, 16),
        utc(2012, 10, 31, 16),
    )
    assert get_template("double-strengthen").steps == {
        "declaration": "creation",
        "pre_review": "assessment",
        "inspection": "assessment",
        "commendation": "commendation",
    }


def test_four_creations_2017_assessment_month_holds_three_phases() -> None:
    phases = {p.code: p for p in instantiate(get_template("four-creations-three-selections"), year=2017)}
    assert (phases["declaration"].opens_at, phases["declaration"].closes_at) == (
        utc(2017, 10, 31, 16),
        utc(2017, 11, 10, 16),
    )
    assert (phases["preliminary_acceptance"].closes_at, phases["determination"].closes_at) == (
        utc(2017, 11, 20, 16),
        utc(2017, 11, 30, 16),
    )


def test_five_good_sites_categories_and_quotas_follow_seed_000() -> None:
    assert [(c.code, c.quota) for c in FIVE_GOOD.categories] == [
        ("five_good_site", 50),
        ("outstanding_administrator", 30),
        ("advanced_worker", 20),
    ]
    site = FIVE_GOOD.categories[0]
    assert site.yearly_reinspection and site.disqualifiers == ("five_protections",)
    assert [len(c.criteria) for c in FIVE_GOOD.categories] == [5, 5, 3]
    assert all(c.min_material_chars == 800 for c in FIVE_GOOD.categories)


def test_double_strengthen_quotas_follow_seed_001() -> None:
    quotas = {c.code: c.quota for c in get_template("double-strengthen").categories}
    assert quotas == {
        "advanced_teaching_platform": 5,
        "five_good_demo_site": 20,
        "outstanding_site_administrator": 20,
        "study_and_apply_model": 20,
        "agency_study_and_apply_model": None,
        "model_department": None,
    }


def test_four_creations_sets_no_quotas_and_carries_the_cross_entity_rules() -> None:
    categories = {c.code: c for c in get_template("four-creations-three-selections").categories}
    assert all(c.quota is None for c in categories.values())
    assert [(x.unit_level, x.category) for x in categories["model_township"].cross_entity] == [
        ("village", "model_village")
    ]
    assert [(x.unit_level, x.category) for x in categories["advanced_county"].cross_entity] == [
        ("village", "model_village")
    ]


def test_template_unknown_code_not_found() -> None:
    with pytest.raises(TemplateNotFoundError):
        get_template("three-stresses")


def test_template_instantiated_from_a_start_time_with_its_own_durations() -> None:
    start = utc(2026, 11, 23, 10)
    phases = instantiate(FIVE_GOOD, starts_at=start)
    assert phases[0].opens_at == start
    assert [p.closes_at - p.opens_at for p in phases] == [timedelta(days=d) for d in (14, 5, 16, 20)]
    assert all(a.closes_at == b.opens_at for a, b in itertools.pairwise(phases))


def test_template_durations_in_seconds_or_iso_8601_give_the_same_phases() -> None:
    start = utc(2026, 11, 23, 10)
    in_seconds = instantiate(
        FIVE_GOOD, starts_at=start, durations={"declaration": 300, "pre_review": 90.5}
    )
    in_iso = instantiate(
        FIVE_GOOD, starts_at=start, durations={"declaration": "PT5M", "pre_review": "PT1M30.5S"}
    )
    assert in_seconds == in_iso
    assert in_iso[0].closes_at == start + timedelta(minutes=5)
    assert in_iso[2].opens_at == start + timedelta(minutes=6, seconds=30.5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT5M", timedelta(minutes=5)),
        ("P1DT2H", timedelta(hours=26)),
        ("P3D", timedelta(days=3)),
        ("PT0.5S", timedelta(seconds=0.5)),
        (1, timedelta(seconds=1)),
    ],
)
def test_duration_parsed_from_seconds_or_iso_8601(text: object, expected: timedelta) -> None:
    assert parse_duration(text, "durations.x") == expected


@pytest.mark.parametrize("bad", ["5 minutes", "PT", "P", "P0D", "PT0S", 0, -60, True, "", None, "P1W"])
def test_duration_refused_unless_positive(bad: object) -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        parse_duration(bad, "durations.declaration")
    assert [(f.rule, f.field) for f in refused.value.failures] == [
        ("duration_format", "durations.declaration")
    ]


def test_template_deadline_override_moves_the_close_and_the_next_opening() -> None:
    phases = instantiate(FIVE_GOOD, year=2022, deadlines={"declaration": utc(2022, 10, 22, 16)})
    assert spans(phases)[:2] == [
        ("declaration", utc(2022, 10, 15, 16), utc(2022, 10, 22, 16)),
        ("pre_review", utc(2022, 10, 22, 16), utc(2022, 10, 25, 16)),
    ]


def test_template_deadline_override_on_a_start_time_phase_chains_the_next_phase_from_it() -> None:
    start = utc(2026, 11, 23, 10)
    phases = instantiate(
        FIVE_GOOD,
        starts_at=start,
        durations={"declaration": "PT5M", "pre_review": "PT5M"},
        deadlines={"declaration": start + timedelta(minutes=7)},
    )
    assert phases[0].closes_at == phases[1].opens_at == start + timedelta(minutes=7)
    assert phases[1].closes_at == start + timedelta(minutes=12)  # pre-review keeps its five minutes


def test_template_absolute_deadlines_for_every_phase_chain_the_phases_from_a_start_time() -> None:
    start = utc(2026, 11, 23, 10)
    deadlines = {
        code: start + timedelta(minutes=5 * (i + 1))
        for i, code in enumerate(["declaration", "pre_review", "inspection", "commendation"])
    }
    phases = instantiate(FIVE_GOOD, starts_at=start, deadlines=deadlines)
    assert spans(phases) == [
        ("declaration", start, deadlines["declaration"]),
        ("pre_review", deadlines["declaration"], deadlines["pre_review"]),
        ("inspection", deadlines["pre_review"], deadlines["inspection"]),
        ("commendation", deadlines["inspection"], deadlines["commendation"]),
    ]


def test_template_deadline_override_refused_when_phases_fall_out_of_order() -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(FIVE_GOOD, year=2022, deadlines={"declaration": utc(2022, 10, 26)})
    assert "phase_closes_after_opening" in failure_rules(refused)
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(FIVE_GOOD, year=2022, deadlines={"declaration": utc(2022, 10, 1)})
    assert failure_rules(refused) == ["phase_closes_after_opening"]


def test_template_deadline_override_needs_a_time_zone() -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(FIVE_GOOD, year=2022, deadlines={"declaration": datetime(2022, 10, 22)})
    assert failure_rules(refused) == ["timezone_required"]


def test_template_start_time_needs_a_time_zone() -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(FIVE_GOOD, starts_at=datetime(2026, 11, 23, 10))
    assert failure_rules(refused) == ["timezone_required"]


@pytest.mark.parametrize("kwargs", [{}, {"year": 2022, "starts_at": utc(2022, 1, 1)}])
def test_template_needs_either_a_year_or_a_start_time(kwargs: dict) -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(FIVE_GOOD, **kwargs)
    assert failure_rules(refused) == ["year_or_starts_at"]


def test_template_unknown_phases_in_overrides_all_named() -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        instantiate(
            FIVE_GOOD,
            starts_at=utc(2026, 1, 1),
            durations={"mobilisation": 60},
            deadlines={"assessment": utc(2026, 2, 1)},
        )
    assert [(f.rule, f.field) for f in refused.value.failures] == [
        ("phase_known", "durations.mobilisation"),
        ("phase_known", "deadlines.assessment"),
    ]


def test_quota_overrides_replace_only_the_named_categories() -> None:
    categories = apply_quotas(FIVE_GOOD.categories, {"five_good_site": 3, "advanced_worker": None})
    assert [(c.code, c.quota) for c in categories] == [
        ("five_good_site", 3),
        ("outstanding_administrator", 30),
        ("advanced_worker", None),
    ]
    assert FIVE_GOOD.categories[0].quota == 50  # the template itself is untouched


def test_quota_overrides_refused_naming_every_bad_entry() -> None:
    with pytest.raises(InvalidCampaignError) as refused:
        apply_quotas(
            FIVE_GOOD.categories,
            {
                "model_village": 5,
                "five_good_site": -1,
                "advanced_worker": 2.5,
                "outstanding_administrator": True,
            },
        )
    assert [(f.rule, f.field) for f in refused.value.failures] == [
        ("category_known", "quotas.model_village"),
        ("quota_non_negative_integer", "quotas.five_good_site"),
        ("quota_non_negative_integer", "quotas.advanced_worker"),
        ("quota_non_negative_integer", "quotas.outstanding_administrator"),
    ]


def test_campaign_created_from_a_start_time_takes_its_year_from_the_first_phase(world: World) -> None:
    summary = world.app.execute(
        CreateCampaign(
            template="five-good-sites",
            organiser_unit_id=CITY,
            starts_at=utc(2026, 11, 23, 10),
            durations={"declaration": "PT5M"},
            quotas={"five_good_site": 3},
        ),
        ADMIN,
        at=utc(2026, 11, 23, 9),
    )
    assert summary["year"] == 2026
    assert summary["phases"][0]["closes_at"] == utc(2026, 11, 23, 10, 5).isoformat()
    assert summary["categories"][0]["quota"] == 3
    assert summary["timezone"] == "Asia/Shanghai"


def test_campaign_creation_refused_for_an_invalid_instantiation(world: World) -> None:
    with pytest.raises(InvalidCampaignError):
        world.app.execute(
            CreateCampaign(
                template="five-good-sites",
                organiser_unit_id=CITY,
                starts_at=utc(2026, 11, 23),
                durations={"declaration": "five minutes"},
            ),
            ADMIN,
        )
    with pytest.raises(TemplateNotFoundError):
        world.app.execute(
            CreateCampaign(template="no-such-template", organiser_unit_id=CITY, year=2022), ADMIN
        )
