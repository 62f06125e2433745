"""Campaigns and their phases: create one from a template, extend a deadline, open and close
a phase (closing lapses every nomination still waiting on one of its steps)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    ClosePhase,
    Command,
    CreateCampaign,
    ExtendDeadline,
    LapseWaiting,
    OpenPhase,
)
from domain.errors import InvalidCampaignError
from domain.execution import check_version
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.nominations import LAPSABLE
from domain.rules.jurisdiction import authorize
from domain.rules.organisers import organiser_level_failures
from domain.templates import apply_quotas, get_template, instantiate
from domain.vocabulary import PhaseStatus


def create_campaign(command: CreateCampaign, ctx: Context) -> Decision:
    template = get_template(command.template)
    organiser = ctx.load.get_unit(command.organiser_unit_id)
    authorize(ctx.actor, "manage_campaigns", [organiser])
    failures = organiser_level_failures(organiser.level)
    if failures:
        raise InvalidCampaignError(failures)
    parent_id = command.parent_campaign_id
    parent = ctx.load.get_campaign(parent_id) if parent_id else None
    phases = instantiate(
        template,
        year=command.year,
        starts_at=command.starts_at,
        durations=command.durations,
        deadlines=command.deadlines,
    )
    campaign = Campaign.create(
        template,
        organiser_unit_id=organiser.code,
        year=command.year,
        parent_campaign_id=parent.id if parent else None,
        categories=apply_quotas(template.categories, command.quotas),
        phases=phases,
        actor=ctx.actor,
        at=ctx.at,
    )
    directory = ctx.load.campaign_directory(ctx.at)
    directory.list_campaign(campaign.id, organiser.code, template.code, campaign.year, ctx.at)
    return Decision([campaign, directory], campaign.summary({}))


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
    ExtendDeadline: extend_deadline,
    OpenPhase: open_phase,
    ClosePhase: close_phase,
    LapseWaiting: lapse_waiting,
}
