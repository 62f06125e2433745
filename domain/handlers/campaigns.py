"""Campaigns and their phases: create one from a template, extend a deadline, open and close
a phase (closing lapses every nomination still waiting on one of its steps)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    ClosePhase,
    Command,
    CreateCampaign,
    CreateNextYearCampaign,
    ExtendDeadline,
    LapseWaiting,
    OpenPhase,
)
from domain.errors import InvalidCampaignError, RuleFailure
from domain.execution import check_version
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.nominations import LAPSABLE, one_year_later
from domain.rules.jurisdiction import authorize
from domain.rules.organisers import organiser_level_failures
from domain.rules.quotas import proportional_quota
from domain.templates import Template, apply_quotas, get_template, instantiate
from domain.units import Unit
from domain.values import Category, Phase
from domain.vocabulary import PhaseStatus, Step


def create_campaign(command: CreateCampaign, ctx: Context) -> Decision:
    """A campaign from a template; its parent named (a campaign of a superior organiser) or,
    with ``create_parent``, created with it from the template's upper-level template."""
    template = get_template(command.template)
    organiser = ctx.load.get_unit(command.organiser_unit_id)
    authorize(ctx.actor, "manage_campaigns", [organiser])
    failures = organiser_level_failures(organiser.level)
    if failures:
        raise InvalidCampaignError(failures)
    phases = instantiate(
        template,
        year=command.year,
        starts_at=command.starts_at,
        durations=command.durations,
        deadlines=command.deadlines,
    )
    categories = by_proportion(
        ctx, organiser, apply_quotas(template.categories, command.quotas), command.quotas
    )
    parent: Campaign | None = None
    created_parent = False
    if command.create_parent:
        if command.parent_campaign_id:
            raise InvalidCampaignError([_one_parent_failure()])
        parent = _new_parent(ctx, template, organiser, command, phases)
        created_parent = True
    elif command.parent_campaign_id:
        parent = ctx.load.get_campaign(command.parent_campaign_id)
        if organiser.code == parent.organiser_unit_id or not organiser.is_within(
            parent.organiser_unit_id
        ):
            raise InvalidCampaignError([_superior_failure()])
    campaign = Campaign.create(
        template,
        organiser_unit_id=organiser.code,
        year=command.year,
        parent_campaign_id=parent.id if parent else None,
        categories=categories,
        phases=phases,
        actor=ctx.actor,
        at=ctx.at,
        delegates=_delegates(ctx, template, organiser, command.delegates or {}),
    )
    directory = ctx.load.campaign_directory(ctx.at)
    if created_parent:
        assert parent is not None
        directory.list_campaign(
            parent.id, parent.organiser_unit_id, parent.template_code, parent.year, ctx.at
        )
    directory.list_campaign(campaign.id, organiser.code, template.code, campaign.year, ctx.at)
    result = campaign.summary({})
    if created_parent:
        assert parent is not None
        result["parent_campaign"] = parent.summary({})
    return Decision([*([parent] if created_parent and parent else []), campaign, directory], result)


def _delegates(
    ctx: Context, template: Template, organiser: Unit, delegates: Mapping[str, str]
) -> dict[str, str]:
    """The levels the organiser delegates (seed 001: the agencies, to 县直机关工委): only those
    the template allows, each to a unit below the organiser."""
    failures = []
    for level, code in delegates.items():
        field = f"delegates.{level}"
        if level not in template.delegable_levels:
            failures.append(
                RuleFailure(
                    "delegable_level",
                    f"template {template.code} does not delegate the nominees of level '{level}'",
                    f"模板「{template.code}」不允许委托「{level}」级对象的评审",
                    field,
                    [str(v) for v in template.delegable_levels],
                    level,
                )
            )
            continue
        unit = ctx.load.get_unit(str(code))
        if unit.code == organiser.code or not unit.is_within(organiser.code):
            failures.append(
                RuleFailure(
                    "delegate_below_organiser",
                    f"'{unit.code}' is not a unit below the organiser '{organiser.code}'",
                    f"「{unit.name_zh or unit.code}」不是组织单位的下级单位",
                    field,
                    None,
                    unit.code,
                )
            )
    if failures:
        raise InvalidCampaignError(failures)
    return {str(level): str(code) for level, code in delegates.items()}


def _new_parent(
    ctx: Context,
    template: Template,
    organiser: Unit,
    command: CreateCampaign,
    phases: list[Phase],
) -> Campaign:
    """The upper level's campaign for ``template``'s campaign: the template's parent template,
    run by the organiser's superior at that template's level, for the same year (its own
    seed dates) or, without a year, opening to receive forwardings when the child's
    inspection opens."""
    if template.parent_template is None:
        raise InvalidCampaignError(
            [
                RuleFailure(
                    "parent_template_known",
                    f"template {template.code} names no upper-level template to create",
                    f"模板「{template.code}」未指定上级评选模板，无法一并创建上级评选",
                    "create_parent",
                )
            ]
        )
    upper = get_template(template.parent_template)
    superior = next(
        (
            unit
            for code in reversed(organiser.path)
            if (unit := ctx.load.get_unit(code)).level == upper.organiser_level
        ),
        None,
    )
    if superior is None:
        raise InvalidCampaignError(
            [
                RuleFailure(
                    "parent_organiser_found",
                    f"no unit of level '{upper.organiser_level}' above {organiser.code} to run "
                    f"{upper.code}",
                    f"「{organiser.name_zh or organiser.code}」之上没有"
                    f"{upper.organiser_level.zh}级单位来组织上级评选",
                    "create_parent",
                    str(upper.organiser_level),
                )
            ]
        )
    authorize(ctx.actor, "manage_campaigns", [superior])
    if command.year is not None:
        parent_phases = instantiate(upper, year=command.year)
    else:
        inspection = phases[[p.code for p in phases].index(template.steps["inspection"])]
        parent_phases = instantiate(upper, starts_at=inspection.opens_at)
    return Campaign.create(
        upper,
        organiser_unit_id=superior.code,
        year=command.year,
        parent_campaign_id=None,
        categories=by_proportion(ctx, superior, list(upper.categories), None),
        phases=parent_phases,
        actor=ctx.actor,
        at=ctx.at,
    )


def by_proportion(
    ctx: Context, organiser: Unit, categories: list[Category], explicit: Mapping[str, Any] | None
) -> list[Category]:
    """A category commended "by proportion" (``quota_proportion``; seed 001's model
    departments, 县直机关工委按照一定比例) and given no quota at creation gets
    ``ceil(proportion × units)``, counting the organiser's units at its nominee levels."""
    proportional = [
        c for c in categories if c.quota_proportion is not None and c.code not in (explicit or {})
    ]
    if not proportional:
        return categories
    subtree = ctx.queries.units_in_subtree(organiser.code)
    quotas = {
        c.code: proportional_quota(
            c.quota_proportion or 0, sum(1 for u in subtree if u.level in c.nominee_levels)
        )
        for c in proportional
    }
    return [replace(c, quota=quotas[c.code]) if c.code in quotas else c for c in categories]


def create_next_year_campaign(command: CreateNextYearCampaign, ctx: Context) -> Decision:
    """Next year's campaign from this year's: the same template, organiser and categories
    (quotas overridable), every phase a year later than this year's ran; this year's titles
    that are re-inspected yearly (每年一评) fall due by the new inspection deadline. One
    transaction: the new campaign, this one's record of it (a second is refused, 409) and
    every title falling due."""
    previous = ctx.load.get_campaign(command.previous_campaign_id, for_update=True)
    template = get_template(previous.template_code)
    organiser = ctx.load.organiser(previous)
    authorize(ctx.actor, "manage_campaigns", [organiser])
    parent = ctx.load.get_campaign(command.parent_campaign_id) if command.parent_campaign_id else None
    if parent is not None and (
        organiser.code == parent.organiser_unit_id or not organiser.is_within(parent.organiser_unit_id)
    ):
        raise InvalidCampaignError([_superior_failure()])
    phases = [
        replace(
            p,
            opens_at=one_year_later(p.opens_at),
            closes_at=one_year_later(p.closes_at),
            status=PhaseStatus.SCHEDULED,
        )
        for p in previous.phases
    ]
    campaign = Campaign.create(
        template,
        organiser_unit_id=organiser.code,
        year=(previous.year + 1) if previous.year is not None else None,
        parent_campaign_id=parent.id if parent else None,
        categories=apply_quotas(tuple(previous.categories), command.quotas),
        phases=phases,
        actor=ctx.actor,
        at=ctx.at,
        previous_campaign_id=previous.id,
        delegates=previous.delegates,
    )
    previous.made_next_year(campaign.id, ctx.actor, ctx.at)
    directory = ctx.load.campaign_directory(ctx.at)
    directory.list_campaign(campaign.id, organiser.code, template.code, campaign.year, ctx.at)
    due_by = campaign.phase_for(Step.INSPECTION).closes_at
    marked: dict[str, int] = {}
    titles = []
    for category in (c for c in previous.categories if c.yearly_reinspection):
        ids = ctx.queries.titles(previous.id, category.code)
        held = [n for n in ctx.load.rebuilt_nominations(ids) if n.title_active]
        titles += [n for n in held if n.mark_reinspection_due(due_by, ctx.actor, ctx.at)]
        marked[category.code] = len(held)
    result = {
        **campaign.summary({}),
        "reinspections_due": {"due_by": due_by.isoformat(), "marked": marked},
    }
    return Decision([campaign, previous, directory, *titles], result)


def _superior_failure() -> RuleFailure:
    return RuleFailure(
        "parent_campaign_superior",
        "the parent campaign must be run by a unit above this campaign's organiser",
        "上级评选须由本评选组织单位的上级单位组织",
        "parent_campaign_id",
    )


def _one_parent_failure() -> RuleFailure:
    return RuleFailure(
        "parent_named_or_created",
        "name a parent campaign or ask for one to be created, not both",
        "上级评选只能指定或新建其一",
        "create_parent",
    )


def extend_deadline(command: ExtendDeadline, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    check_version(campaign, ctx.expected_version)
    authorize(ctx.actor, "extend_deadline", [ctx.load.organiser(campaign)])
    closes_at = command.closes_at.astimezone(UTC)
    campaign.extend_deadline(command.phase, closes_at, command.reason, ctx.actor, ctx.at)
    return Decision([campaign], campaign.summary(ctx.roster.counts(str(campaign.id))))


def open_phase(command: OpenPhase, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    opened = campaign.open_phase(command.phase, ctx.actor, ctx.at)
    return Decision([campaign], {"phase": command.phase, "opened": opened})


def close_phase(command: ClosePhase, ctx: Context) -> Decision:
    """Closes the phase, then (``lapse_waiting``) lapses the nominations still waiting on one
    of its steps, a bounded batch per transaction. Safe to repeat: a closed phase stays closed
    and a lapsed nomination is not lapsed again."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    closed = campaign.close_phase(command.phase, command.reason, ctx.actor, ctx.at)
    batch = LapseWaiting(campaign_id=command.campaign_id, phase=command.phase)

    def lapse_the_waiting(follow: FollowUp) -> Mapping[str, Any]:
        lapsed: list[str] = []
        while True:
            done = follow(batch)
            lapsed += done["lapsed"]
            if not (done["more"] and done["lapsed"]):
                return {"lapsed": lapsed}

    result = {"phase": command.phase, "closed": closed}
    return Decision([campaign], result, then=lapse_the_waiting if command.lapse_waiting else None)


def lapse_waiting(command: LapseWaiting, ctx: Context) -> Decision:
    """Up to ``limit`` nominations waiting on a step of a closed phase lapse, found through the
    roster (not by loading the campaign's every nomination), saved in one transaction."""
    campaign = ctx.load.get_campaign(command.campaign_id)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    phase = campaign.phase(command.phase)
    if phase.status != PhaseStatus.CLOSED:
        return Decision([], {"lapsed": [], "more": False})
    waiting_on = {
        state: step for step in campaign.steps_of(phase.code) for state in LAPSABLE.get(step, ())
    }
    limit = max(command.limit, 1)  # an internal command: a batch holds at least one
    page = ctx.roster.entries(str(campaign.id), states=list(waiting_on), limit=limit)
    lapsed = []
    for nomination in ctx.load.rebuilt_nominations([e.nomination_id for e in page.entries]):
        step = waiting_on.get(nomination.state)
        reason = (
            f"phase '{phase.code}' closed before {str(step).replace('_', '-')} / "
            f"阶段「{phase.name_zh}」截止时仍未办理"
        )
        if step is not None and nomination.lapse(step, phase.code, reason, ctx.actor, ctx.at):
            lapsed.append(nomination)
    result = {"lapsed": [str(n.id) for n in lapsed], "more": page.following is not None}
    return Decision(lapsed, result)


HANDLERS: dict[type[Command], Handler] = {
    CreateCampaign: create_campaign,
    CreateNextYearCampaign: create_next_year_campaign,
    ExtendDeadline: extend_deadline,
    OpenPhase: open_phase,
    ClosePhase: close_phase,
    LapseWaiting: lapse_waiting,
}
