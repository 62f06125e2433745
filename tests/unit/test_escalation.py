"""Escalation of silent townships (issue 24, item 4; domain/escalation.py) and deadline
reminders to the units that have not acted: the ladder as a template writes it (default,
``[]``, every rule broken named by its field), who is told (the ancestor ``levels_up`` above,
never above the organiser), ``EscalateSilentUnits`` once per step on both event stores, the
ladder kept with the campaign (and the default for a campaign created before it), and
``RemindDeadline``'s pending units for pre-review and inspection."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.actors import SYSTEM
from domain.campaigns import Campaign
from domain.commands import (
    CancelCampaign,
    ClosePhase,
    EscalateSilentUnits,
    RemindDeadline,
    ReopenPhase,
)
from domain.errors import AuthorizationError, ConflictError, InvalidCampaignError
from domain.escalation import (
    DEFAULT_LADDER,
    MAX_STEPS,
    EscalationStep,
    ladder_dicts,
    ladder_failures,
    notified_groups,
    notified_unit,
    parse_ladder,
)
from domain.notifications.kinds import NoticeKind
from domain.notifications.rules import notices_of
from domain.templates import get_template, instantiate, parse_template
from domain.vocabulary import Level, Role, Step
from tests.builders.actors import ADMIN, CITY_REVIEWER, COUNTY_REVIEWER, declarer_of
from tests.builders.backends import BACKENDS
from tests.builders.clock import utc
from tests.builders.services import running_services
from tests.builders.tree import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_COUNTY_TOWNSHIP,
    OTHER_TOWNSHIP,
    TOWNSHIP,
    UNIT_TREE,
    VILLAGE,
)
from tests.builders.world import CampaignRef, World

# --- the ladder as a template writes it ---------------------------------------------------------


def test_without_the_key_the_ladder_is_the_default_and_an_empty_list_turns_it_off():
    assert parse_ladder(None) == DEFAULT_LADDER
    assert ladder_dicts(DEFAULT_LADDER) == [
        {"grace_days": 0, "levels_up": 1, "roles": ["reviewer"]},
        {"grace_days": 3, "levels_up": 2, "roles": ["reviewer", "admin"]},
    ]
    assert parse_ladder([]) == ()
    assert get_template("five-good-sites").escalation == DEFAULT_LADDER
    assert get_template("five-good-sites").as_dict()["escalation"] == ladder_dicts(DEFAULT_LADDER)


def test_a_template_names_its_own_ladder():
    raw = {
        **_raw_template(),
        "escalation": [
            {"grace_days": 1, "levels_up": 1, "roles": ["reviewer", "admin", "reviewer"]},
            {"grace_days": 5, "levels_up": 3, "roles": ["inspector"]},
        ],
    }
    template = parse_template(raw)
    assert template.escalation == (
        EscalationStep(1, 1, (Role.REVIEWER, Role.ADMIN)),
        EscalationStep(5, 3, (Role.INSPECTOR,)),
    )
    assert parse_template({**raw, "escalation": []}).escalation == ()


def step(**fields):
    return [{"grace_days": 0, "levels_up": 1, "roles": ["reviewer"], **fields}]


GRACE, LEVELS, ROLES = "escalation[0].grace_days", "escalation[0].levels_up", "escalation[0].roles"
SECOND_GRACE = "escalation[1].grace_days"


@pytest.mark.parametrize(
    ("ladder", "rule", "field"),
    [
        ({"grace_days": 0}, "escalation_list", "escalation"),
        (step(grace_days=61), "escalation_grace_days", GRACE),
        (step(grace_days=-1), "escalation_grace_days", GRACE),
        (step(grace_days=True), "escalation_grace_days", GRACE),
        (step(levels_up=0), "escalation_levels_up", LEVELS),
        (step(levels_up=4), "escalation_levels_up", LEVELS),
        (step(levels_up=None), "escalation_levels_up", LEVELS),
        (step(roles=["auditor"]), "escalation_roles", ROLES),
        (step(roles=[]), "escalation_roles", ROLES),
        (step(roles="reviewer"), "escalation_roles", ROLES),
        (step(to="x"), "escalation_step_keys", "escalation[0]"),
        (["reviewer"], "escalation_step_shape", "escalation[0]"),
        (
            step(grace_days=3) + step(grace_days=1),
            "escalation_steps_in_order",
            "escalation[1].grace_days",
        ),
        (step() * (MAX_STEPS + 1), "escalation_steps_at_most", "escalation"),
    ],
)
def test_a_bad_ladder_names_the_rule_and_the_field(ladder, rule, field):
    failures = ladder_failures(ladder)
    assert [(f.rule, f.field) for f in failures] == [(rule, field)]
    with pytest.raises(ValueError, match=re.escape(field)):
        parse_ladder(ladder)
    with pytest.raises(ValueError, match=re.escape(field)):  # a template with it fails to load
        parse_template({**_raw_template(), "escalation": ladder})


def _raw_template() -> dict:
    from importlib import resources

    import yaml

    text = resources.files("domain.templates").joinpath("five-good-sites.yaml").read_text("utf-8")
    return yaml.safe_load(text)


# --- who is told -----------------------------------------------------------------------------------

PATH = [CITY, COUNTY]  # 彭镇's ancestors, root first


def test_the_ancestor_levels_up_above_never_above_the_organiser():
    assert notified_unit(TOWNSHIP, PATH, 1, CITY) == COUNTY
    assert notified_unit(TOWNSHIP, PATH, 2, CITY) == CITY
    assert notified_unit(TOWNSHIP, PATH, 3, CITY) == CITY  # the topmost it has
    assert notified_unit(TOWNSHIP, PATH, 2, COUNTY) == COUNTY  # not above the county's campaign
    assert notified_unit(TOWNSHIP, PATH, 1, TOWNSHIP) == TOWNSHIP  # a township's own campaign
    assert notified_unit("lone-zhen", [], 1, "lone-zhen") == "lone-zhen"


def test_the_notified_are_grouped_per_unit_in_the_order_first_reached():
    townships = [
        (TOWNSHIP, [CITY, COUNTY]),
        (OTHER_COUNTY_TOWNSHIP, [CITY, OTHER_COUNTY]),
        (OTHER_TOWNSHIP, [CITY, COUNTY]),
    ]
    first, second = DEFAULT_LADDER
    assert notified_groups(townships, first, CITY) == [
        {"unit_id": COUNTY, "roles": ["reviewer"], "units": [TOWNSHIP, OTHER_TOWNSHIP]},
        {"unit_id": OTHER_COUNTY, "roles": ["reviewer"], "units": [OTHER_COUNTY_TOWNSHIP]},
    ]
    assert notified_groups(townships, second, CITY) == [
        {
            "unit_id": CITY,
            "roles": ["reviewer", "admin"],
            "units": [TOWNSHIP, OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP],
        }
    ]


# --- EscalateSilentUnits, on both event stores --------------------------------------------------------


@pytest.fixture
def stored(database_url: str) -> Iterator[World]:
    with running_services(database_url) as services:
        world = World(services.app)
        world.register(UNIT_TREE)
        yield world


def close_declaration(world: World, campaign: CampaignRef) -> None:
    command = ClosePhase(campaign_id=campaign.id, phase="declaration")
    world.app.execute(command, SYSTEM, at=campaign.when.pre_review)


def due_at(world: World, campaign: CampaignRef, step: int):
    """When the workflow runs ``step``: the declaration's close plus the step's grace days (and
    not before the close was recorded)."""
    loaded = world.app.get_campaign(campaign.id)
    grace = loaded.ladder[step - 1].grace_days if 1 <= step <= len(loaded.ladder) else 0
    closes = loaded.phase_for(Step.DECLARATION).closes_at
    return max(campaign.when.pre_review, closes + timedelta(days=grace))


def escalate(world: World, campaign: CampaignRef, step: int, actor=SYSTEM, at=None) -> dict:
    command = EscalateSilentUnits(campaign_id=campaign.id, step=step)
    return world.app.execute(command, actor, at=at or due_at(world, campaign, step))


@BACKENDS
def test_each_step_tells_the_unit_above_each_silent_township_once(stored: World):
    world = stored
    campaign = world.campaign("five-good-sites", CITY)
    world.declare(campaign, VILLAGE)  # 彭镇 declared: not silent
    with pytest.raises(ConflictError):  # declaration still open
        escalate(world, campaign, 1)
    close_declaration(world, campaign)

    first = escalate(world, campaign, 1)
    assert first["recorded"] is True
    # breadth first below the organiser, children by code: 黎阳县 (liyang) before 宜君县
    assert first["units"] == [OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP]
    assert first["notified"] == [
        {"unit_id": OTHER_COUNTY, "roles": ["reviewer"], "units": [OTHER_COUNTY_TOWNSHIP]},
        {"unit_id": COUNTY, "roles": ["reviewer"], "units": [OTHER_TOWNSHIP]},
    ]
    again = escalate(world, campaign, 1)  # a repeat records nothing, answers the first
    assert again["recorded"] is False and again["units"] == first["units"]
    assert again["notified"] == first["notified"]

    second = escalate(world, campaign, 2)
    assert second["notified"] == [
        {
            "unit_id": CITY,
            "roles": ["reviewer", "admin"],
            "units": [OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP],
        }
    ]
    loaded = world.app.get_campaign(campaign.id)
    events = [e for e in world.app.events.get(loaded.id) if isinstance(e, Campaign.SilentUnitsEscalated)]
    assert [(e.step, e.grace_days) for e in events] == [(1, 0), (2, 3)]
    shown = loaded.summary({})
    assert shown["escalation"] == ladder_dicts(DEFAULT_LADDER)
    assert [(e["step"], e["units"]) for e in shown["escalated"]] == [
        (1, [OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP]),
        (2, [OTHER_COUNTY_TOWNSHIP, OTHER_TOWNSHIP]),
    ]
    with pytest.raises(InvalidCampaignError) as refused:  # the ladder has two steps
        escalate(world, campaign, 3)
    assert [(f.rule, f.field) for f in refused.value.failures] == [("escalation_step_known", "step")]
    with pytest.raises(AuthorizationError):  # manage_phases: not a declarer's
        escalate(world, campaign, 1, actor=declarer_of(TOWNSHIP))


def test_each_step_sends_one_notice_to_the_units_it_names(world: World):
    campaign = world.campaign("five-good-sites", CITY)
    close_declaration(world, campaign)
    loaded = world.app.get_campaign(campaign.id)
    loaded.escalate(
        1,
        [TOWNSHIP],
        [{"unit_id": COUNTY, "roles": ["reviewer"], "units": [TOWNSHIP]}],
        SYSTEM,
        campaign.when.pre_review,
    )
    (event,) = loaded.pending_events
    (notice,) = notices_of(loaded, event)
    assert notice.kind == NoticeKind.SILENT_ESCALATION
    assert [(a.unit_id, a.roles) for a in notice.audience] == [(COUNTY, (Role.REVIEWER,))]
    assert notice.facts["step"] == 1 and notice.facts["units"] == [TOWNSHIP]


def test_each_unit_told_gets_its_own_notice_of_its_own_townships(world: World):
    campaign = world.campaign("five-good-sites", CITY)
    close_declaration(world, campaign)
    escalate(world, campaign, 1)
    loaded = world.app.get_campaign(campaign.id)
    (event,) = [
        e for e in world.app.events.get(loaded.id) if isinstance(e, Campaign.SilentUnitsEscalated)
    ]
    told = {n.audience[0].unit_id: n for n in notices_of(loaded, event)}
    assert set(told) == {COUNTY, OTHER_COUNTY}
    for unit_id, notice in told.items():
        (entry,) = [n for n in event.notified if n["unit_id"] == unit_id]
        assert len(notice.audience) == 1 and notice.facts["units"] == entry["units"]
        assert notice.facts["notified"] == [{"unit_id": unit_id, "units": entry["units"]}]
        assert notice.key.endswith(f":silent_escalation:{unit_id}")
    assert told[OTHER_COUNTY].facts["units"] == [OTHER_COUNTY_TOWNSHIP]


def test_a_step_before_its_time_is_refused(world: World):
    """The workflow asks at the declaration's close plus the step's grace days, never before;
    a caller asking early is refused (409) and nothing is recorded."""
    campaign = world.campaign("five-good-sites", CITY)
    close_declaration(world, campaign)
    due = due_at(world, campaign, 2)
    with pytest.raises(ConflictError) as early:
        escalate(world, campaign, 2, at=due - timedelta(minutes=1))
    assert early.value.details["rule"] == "escalation_step_due"
    assert world.app.get_campaign(campaign.id).escalation_step(2) is None
    assert escalate(world, campaign, 2, at=due)["recorded"] is True


def test_a_township_whose_window_is_reopened_is_not_escalated_while_it_is_open(world: World):
    campaign = world.campaign("five-good-sites", CITY)
    close_declaration(world, campaign)
    first_due, second_due = due_at(world, campaign, 1), due_at(world, campaign, 2)
    world.app.execute(
        ReopenPhase(
            campaign_id=campaign.id,
            phase="declaration",
            scope="unit",
            target=OTHER_TOWNSHIP,
            until=first_due + timedelta(days=1),
            reason="汛情延误",
        ),
        CITY_REVIEWER,
        at=first_due,
    )
    first = escalate(world, campaign, 1, at=first_due + timedelta(hours=1))
    assert OTHER_TOWNSHIP not in first["units"]  # it may still declare
    assert {TOWNSHIP, OTHER_COUNTY_TOWNSHIP} <= set(first["units"])
    # the window ended, still silent: the next step names it
    assert OTHER_TOWNSHIP in escalate(world, campaign, 2, at=second_due)["units"]


def test_a_county_campaign_escalates_to_the_county_at_most(world: World):
    campaign = world.campaign("five-good-sites", COUNTY)
    close_declaration(world, campaign)
    escalate(world, campaign, 1)
    second = escalate(world, campaign, 2)
    assert second["notified"] == [
        {"unit_id": COUNTY, "roles": ["reviewer", "admin"], "units": [TOWNSHIP, OTHER_TOWNSHIP]}
    ]


def test_nothing_silent_or_a_cancelled_campaign_records_nothing(world: World):
    campaign = world.campaign("five-good-sites", COUNTY)
    world.declare(campaign, VILLAGE)
    world.declare(campaign, "mazhuang-cun", declaring_unit=OTHER_TOWNSHIP)
    close_declaration(world, campaign)
    before = len(list(world.app.events.get(UUID(campaign.id))))
    assert escalate(world, campaign, 1) | {"replayed": False} == {
        "replayed": False,
        "step": 1,
        "recorded": False,
        "cancelled": False,
        "units": [],
        "notified": [],
    }
    other = world.campaign("five-good-sites", CITY, year=2023)
    close_declaration(world, replace(other, when=campaign.when))
    world.app.execute(CancelCampaign(campaign_id=other.id, reason="停止评选"), ADMIN)
    done = escalate(world, replace(other, when=campaign.when), 1)
    assert done["cancelled"] is True and done["recorded"] is False
    assert len(list(world.app.events.get(UUID(campaign.id)))) == before


def test_a_campaign_keeps_the_ladder_it_was_created_with(world: World):
    template = replace(
        get_template("five-good-sites"),
        escalation=(EscalationStep(2, 1, (Role.ADMIN,)),),
    )
    made = Campaign.create(
        template,
        organiser_unit_id=CITY,
        year=2022,
        parent_campaign_id=None,
        categories=template.categories,
        phases=instantiate(template, year=2022),
        actor=ADMIN,
        at=utc(2022, 9, 1),
    )
    world.app.save(made)
    kept = world.app.get_campaign(made.id)
    assert kept.ladder == (EscalationStep(2, 1, (Role.ADMIN,)),)
    off = replace(template, escalation=())
    made_off = Campaign.create(
        off,
        organiser_unit_id=CITY,
        year=2023,
        parent_campaign_id=None,
        categories=off.categories,
        phases=instantiate(off, year=2023),
        actor=ADMIN,
        at=utc(2022, 9, 1),
    )
    world.app.save(made_off)
    assert world.app.get_campaign(made_off.id).ladder == ()
    assert world.app.get_campaign(made_off.id).summary({})["escalation"] == []


def test_a_campaign_created_before_the_ladder_has_the_default(world: World):
    """Its Created event at class version 3 (no ``escalation``) is upcast to the default."""
    campaign = world.campaign("five-good-sites", CITY)
    [row] = world.app.recorder.select_events(UUID(campaign.id), limit=1)
    state = json.loads(row.state)
    assert state.pop("escalation") == ladder_dicts(DEFAULT_LADDER)
    state["class_version"] = 3
    old = StoredEvent(row.originator_id, row.originator_version, row.topic, json.dumps(state).encode())
    created = world.app.mapper.to_domain_event(old)
    assert isinstance(created, Campaign.Created)
    rebuilt = created.mutate(None)
    assert isinstance(rebuilt, Campaign) and rebuilt.ladder == DEFAULT_LADDER


# --- reminders tell the units that have not acted --------------------------------------------------


def remind(world: World, campaign: CampaignRef, phase: str, at) -> list[str]:
    command = RemindDeadline(campaign_id=campaign.id, phase=phase, offset_seconds=86400)
    return list(world.app.execute(command, SYSTEM, at=at)["pending_units"])


def test_pre_review_and_inspection_reminders_name_the_units_acting_for_the_waiting(world: World):
    campaign = world.campaign("five-good-sites", COUNTY)
    waiting = world.declare(campaign, VILLAGE)
    assert remind(world, campaign, "declaration", campaign.when.declaration) == [OTHER_TOWNSHIP]
    assert remind(world, campaign, "pre_review", campaign.when.pre_review) == [COUNTY]
    assert remind(world, campaign, "inspection", campaign.when.pre_review) == []  # none admitted
    world.admit(campaign, waiting, actor=COUNTY_REVIEWER)
    assert remind(world, campaign, "pre_review", campaign.when.declaration) == []
    assert remind(world, campaign, "inspection", campaign.when.inspection) == [COUNTY]


def test_an_inspection_reminder_names_the_level_below_where_it_assesses_locally(world: World):
    template = replace(
        get_template("five-good-sites"), local_inspection={Level.TOWNSHIP: (Level.VILLAGE,)}
    )
    made = Campaign.create(
        template,
        organiser_unit_id=CITY,
        year=2022,
        parent_campaign_id=None,
        categories=template.categories,
        phases=instantiate(template, year=2022),
        actor=ADMIN,
        at=utc(2022, 9, 1),
    )
    world.app.save(made)
    campaign = CampaignRef(str(made.id), "five-good-sites", world.campaign().when)
    nid = world.declare(campaign, VILLAGE)
    world.admit(campaign, nid)
    assert remind(world, campaign, "inspection", campaign.when.inspection) == [CITY, TOWNSHIP]
