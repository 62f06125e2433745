"""Commendation within quota (best score first, racing-safe) and forwarding a commended
nomination to the parent campaign. Who is eligible and in which order is decided by
``domain.rules.commendation`` and ``domain.rules.quotas``."""

from __future__ import annotations

from typing import Any

from domain.commands import Command, Commend, Forward
from domain.errors import CommendationRefusedError, RuleFailure
from domain.execution import StaleReadError, check_version
from domain.handlers.context import Context, Decision, Handler
from domain.handlers.nominations import refuse_duplicate
from domain.nominations import Nomination
from domain.roster import nominee_key
from domain.rules.commendation import (
    candidate,
    cross_entity_eligibility_failures,
    passed_inspection,
    prerequisite_failures,
)
from domain.rules.jurisdiction import authorize
from domain.rules.quotas import Candidate, best_first_failures, rank, select_for_commendation


def commend(command: Commend, ctx: Context) -> Decision:
    """Commend within quota, best score first (``nomination_ids``: a chosen list, which must be
    the top of the ranking). Saved with the campaign in one transaction: racing commendations
    conflict on the campaign's version and the loser re-decides."""
    requested = None if command.nomination_ids is None else [str(n) for n in command.nomination_ids]
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "commend", [ctx.load.organiser(campaign)])
    campaign.require_step_open("commendation", ctx.at)
    category = campaign.category(command.category)
    # The category's roster entries, not its nominations: only the chosen are loaded.
    entries = {
        e.nomination_id: e for e in ctx.roster.entries(str(campaign.id), category=category.code).entries
    }
    failures = prerequisite_failures(category.quota, entries, requested)
    if failures:
        raise CommendationRefusedError(failures)
    by_category = ctx.queries.entries_by_category(campaign.id) if category.cross_entity else {}
    not_selected: list[dict[str, Any]] = []
    eligible: list[Candidate] = []
    for nid, entry in entries.items():
        if not passed_inspection(entry):
            continue
        subtree = ctx.queries.units_in_subtree(entry.nominee_unit_id) if category.cross_entity else []
        cross = cross_entity_eligibility_failures(category, subtree, by_category)
        if cross:
            not_selected.append({"id": nid, "failures": [f.as_dict() for f in cross]})
        else:
            eligible.append(candidate(entry))
    ranked = rank(eligible)
    if requested is not None:
        failures = [
            RuleFailure(f["rule"], f["message_en"], f["message_zh"])
            for refused in not_selected
            if refused["id"] in requested
            for f in refused["failures"]
        ]
        failures += best_first_failures(ranked, requested)
        if failures:
            raise CommendationRefusedError(failures)
    start = campaign.commended_count(category.code)
    chosen = select_for_commendation(ranked, category.quota, start, requested)
    anniversary = campaign.title_anniversary()
    commended = []
    for place, chosen_one in enumerate(chosen, start=start + 1):
        nomination = ctx.load.get_nomination(chosen_one.nomination_id)
        if nomination.version != entries[chosen_one.nomination_id].version:
            raise StaleReadError(f"nomination {nomination.id} moved on since the roster was read")
        nomination.commend(place, category, ctx.actor, ctx.at, anniversary)
        commended.append(nomination)
    if chosen:
        campaign.award(category.code, [c.nomination_id for c in chosen], ctx.actor, ctx.at)
    result = {
        "campaign_id": campaign.id,
        "category": category.code,
        "quota": category.quota,
        "commended": [
            {"id": c.nomination_id, "rank": place, "score": c.score}
            for place, c in enumerate(chosen, start=start + 1)
        ],
        "commended_total": start + len(chosen),
        "not_selected": not_selected,
    }
    return Decision([campaign, *commended], result)


def forward(command: Forward, ctx: Context) -> Decision:
    """A commended nomination becomes a declaration of the parent campaign, with provenance."""
    source = ctx.load.get_nomination(command.nomination_id)
    check_version(source, ctx.expected_version)
    campaign = ctx.load.get_campaign(source.campaign_id)
    organiser = ctx.load.organiser(campaign)
    authorize(ctx.actor, "forward", [organiser])
    if campaign.parent_campaign_id is None:
        raise CommendationRefusedError(
            [
                RuleFailure(
                    "parent_campaign_required",
                    "this campaign has no parent campaign to forward to",
                    "本次评选没有可上报的上级评选活动",
                    "parent_campaign_id",
                )
            ]
        )
    parent = ctx.load.get_campaign(campaign.parent_campaign_id)
    parent.require_step_open("declaration", ctx.at)
    category = parent.category(command.target_category or source.category)
    nominee = source.nominee
    key = nominee_key(category.code, nominee.unit_id, nominee.person_id, nominee.name)
    refuse_duplicate(ctx, parent.id, key)
    if not organiser.is_within(parent.organiser_unit_id):
        raise CommendationRefusedError(
            [
                RuleFailure(
                    "forward_to_superior",
                    "the parent campaign's organiser must be a superior unit",
                    "上级评选的组织单位须为本单位的上级",
                    "parent_campaign_id",
                )
            ]
        )
    provenance = {
        "campaign_id": str(campaign.id),
        "nomination_id": str(source.id),
        "score": source.score,
        "organiser_unit_id": organiser.code,
    }
    target = Nomination.declare(
        parent.id,
        category.code,
        organiser.code,
        nominee,
        source.form,
        source.material,
        ctx.actor,
        ctx.at,
        forwarded_from=provenance,
    )
    source.forward(parent.id, target.id, ctx.actor, ctx.at)
    result = {
        "id": source.id,
        "state": source.state,
        "version": source.version,
        "forwarded_to": {"campaign_id": parent.id, "nomination_id": target.id},
    }
    return Decision([source, target], result)


HANDLERS: dict[type[Command], Handler] = {Commend: commend, Forward: forward}
