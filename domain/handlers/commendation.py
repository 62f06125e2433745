"""Commendation within quota (best score first, racing-safe) and forwarding a commended
nomination to the parent campaign. Who is eligible and in which order is decided by
``domain.rules.commendation`` and ``domain.rules.quotas``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.campaigns import Campaign
from domain.commands import Command, Commend, Forward, ForwardSelected, SetForwardingQuotas
from domain.errors import (
    CommendationRefusedError,
    ForwardingRefusedError,
    InvalidCampaignError,
    RuleFailure,
)
from domain.execution import StaleReadError, check_version
from domain.handlers.context import Context, Decision, Handler
from domain.handlers.nominations import refuse_duplicate
from domain.nominations import Nomination
from domain.publicity import publicity_holds_commendation
from domain.roster import nominee_key
from domain.rules.commendation import (
    candidate,
    cross_entity_eligibility_failures,
    passed_inspection,
    prerequisite_failures,
)
from domain.rules.jurisdiction import acting_units, authorize, authorize_any
from domain.rules.normalisation import normalised_scores
from domain.rules.quotas import Candidate, best_first_failures, rank, select_for_commendation
from domain.title_register import TitleRegister
from domain.units import Unit
from domain.vocabulary import ForwardedInspection, NominationState


def commend(command: Commend, ctx: Context) -> Decision:
    """Commend within quota, best score first (``nomination_ids``: a chosen list, which must be
    the top of the ranking). Saved with the campaign in one transaction: racing commendations
    conflict on the campaign's version and the loser re-decides."""
    requested = None if command.nomination_ids is None else [str(n) for n in command.nomination_ids]
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    category = campaign.category(command.category)
    organiser = ctx.load.organiser(campaign)
    authorize_any(
        ctx.actor,
        "commend",
        acting_units(organiser, campaign.delegates, category.nominee_levels, ctx.load.get_unit),
    )
    # The category's roster entries, not its nominations: only the chosen are loaded.
    entries = {
        e.nomination_id: e for e in ctx.roster.entries(str(campaign.id), category=category.code).entries
    }
    # A 公示 of the category still running (or a slot an upheld objection freed) keeps
    # commendation open for it: the organiser fills the slot (issue 23; domain/publicity.py).
    if publicity_holds_commendation(campaign, category.code, set(entries), ctx.at):
        campaign.require_not_cancelled()
    else:
        campaign.require_step_open("commendation", ctx.at)
    failures = prerequisite_failures(category.quota, entries, requested)
    if failures:
        raise CommendationRefusedError(failures)
    by_category = ctx.queries.entries_by_category(campaign.id) if category.cross_entity else {}
    titles = TitleRegister(ctx.load, ctx.roster)
    not_selected: list[dict[str, Any]] = []
    eligible: list[Candidate] = []
    for nid, entry in entries.items():
        if not passed_inspection(entry):
            continue
        subtree = ctx.queries.units_in_subtree(entry.nominee_unit_id) if category.cross_entity else []
        cross = cross_entity_eligibility_failures(category, subtree, by_category, titles.holding_units)
        if cross:
            not_selected.append({"id": nid, "failures": [f.as_dict() for f in cross]})
        else:
            eligible.append(candidate(entry))
    # Per-team normalisation (issue 22; domain/rules/normalisation.py): over every inspected
    # nomination of the category, when the campaign chose it; the eligible ranked by it.
    normalised = normalised_scores(
        str(campaign.score_normalisation),
        {nid: e.score or 0.0 for nid, e in entries.items() if e.inspected},
        lambda nid: ctx.load.get_nomination(nid).team_id,
    )
    if normalised is not None:
        eligible = [replace(c, score=normalised[c.nomination_id].score) for c in eligible]
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
    first_rank = campaign.ranks_proposed(category.code) + 1  # after withdrawn proposals too
    for place, chosen_one in enumerate(chosen, start=first_rank):
        nomination = ctx.load.get_nomination(chosen_one.nomination_id)
        if nomination.version != entries[chosen_one.nomination_id].version:
            raise StaleReadError(f"nomination {nomination.id} moved on since the roster was read")
        if campaign.publicity is not None:  # 公示 first (issue 23; domain/publicity.py)
            nomination.propose(place, ctx.actor, ctx.at)
        else:
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
            for place, c in enumerate(chosen, start=first_rank)
        ],
        "commended_total": start + len(chosen),
        "ranked_by": "raw" if normalised is None else str(campaign.score_normalisation),
        "not_selected": not_selected,
        "proposed": campaign.publicity is not None,  # on the proposed list, titles after the 公示
    }
    return Decision([campaign, *commended], result)


MAX_FORWARDED_AT_ONCE = 500  # one transaction; "all that passed" takes the best this many


def forward(command: Forward, ctx: Context) -> Decision:
    """A nomination that passed inspection (commended or not) becomes a nomination of the
    parent campaign, with provenance and its inspection record."""
    source = ctx.load.get_nomination(command.nomination_id)
    check_version(source, ctx.expected_version)
    campaign = ctx.load.get_campaign(source.campaign_id)
    organiser = ctx.load.organiser(campaign)
    authorize(ctx.actor, "forward", [organiser])
    parent = _parent_open_for_forwarding(ctx, campaign, organiser)
    target = _forward_one(ctx, source, campaign, organiser, parent, command.target_category)
    parent.receive_forwarded(
        organiser.code, target.category, [str(target.id)], [str(source.id)], ctx.actor, ctx.at
    )
    result = {
        "id": source.id,
        "state": source.state,
        "version": source.version,
        "forwarded_to": {"campaign_id": parent.id, "nomination_id": target.id},
    }
    return Decision([source, target, parent], result)


def forward_selected(command: ForwardSelected, ctx: Context) -> Decision:
    """Select and forward (择优上报) a category's best, within the parent's forwarding quota
    for this organiser: the chosen list, or every one that passed inspection best first. One
    transaction: all of them go up, or none."""
    campaign = ctx.load.get_campaign(command.campaign_id)
    organiser = ctx.load.organiser(campaign)
    authorize(ctx.actor, "forward", [organiser])
    category = campaign.category(command.category)
    parent = _parent_open_for_forwarding(ctx, campaign, organiser)
    entries = {
        e.nomination_id: e
        for e in ctx.roster.entries(str(campaign.id), category=category.code).entries
        if e.state == NominationState.COMMENDED or passed_inspection(e)
    }
    ranked = rank([candidate(e) for e in entries.values()])
    left = parent.forwarding_left(organiser.code, category.code)
    if command.nomination_ids is None:
        # The best first, passing over a nominee the parent holds already (declared there, or
        # gone up before): one of them would refuse the whole forwarding every time.
        size = MAX_FORWARDED_AT_ONCE if left is None else min(left, MAX_FORWARDED_AT_ONCE)
        chosen: list[str] = []
        for c in ranked:
            if len(chosen) == size:
                break
            if ctx.roster.claimant(str(parent.id), entries[c.nomination_id].nominee_key) is None:
                chosen.append(c.nomination_id)
    else:
        chosen = list(dict.fromkeys(str(n) for n in command.nomination_ids))
        failures = [
            RuleFailure(
                "forwarding_passed_inspection",
                f"nomination {nid} has not passed inspection in this category (or has gone up)",
                f"申报 {nid} 未在本类别通过考核（或已上报）",
                "nomination_ids",
                "passed inspection or commended",
                nid,
            )
            for nid in chosen
            if nid not in entries
        ]
        if len(chosen) > MAX_FORWARDED_AT_ONCE:
            failures.append(
                RuleFailure(
                    "forwarding_at_most",
                    f"forward at most {MAX_FORWARDED_AT_ONCE} at once",
                    f"一次最多上报 {MAX_FORWARDED_AT_ONCE} 个",
                    "nomination_ids",
                    MAX_FORWARDED_AT_ONCE,
                    len(chosen),
                )
            )
        if failures:
            raise ForwardingRefusedError(failures)
    sources, targets = [], []
    for nid in chosen:
        source = ctx.load.get_nomination(nid)
        if source.version != entries[nid].version:
            raise StaleReadError(f"nomination {nid} moved on since the roster was read")
        sources.append(source)
        targets.append(_forward_one(ctx, source, campaign, organiser, parent, None))
    if chosen:
        parent.receive_forwarded(
            organiser.code,
            category.code,
            [str(t.id) for t in targets],
            [str(s.id) for s in sources],
            ctx.actor,
            ctx.at,
        )
    result = {
        "campaign_id": campaign.id,
        "category": category.code,
        "parent_campaign_id": parent.id,
        "forwarding_quota_left": parent.forwarding_left(organiser.code, category.code),
        "forwarded": [
            {"id": s.id, "forwarded_to": t.id, "score": s.score}
            for s, t in zip(sources, targets, strict=True)
        ],
    }
    return Decision([*sources, *targets, parent] if chosen else [], result)


def set_forwarding_quotas(command: SetForwardingQuotas, ctx: Context) -> Decision:
    """The upper level's forwarding quotas, per child organiser unit and category."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    check_version(campaign, ctx.expected_version)
    organiser = ctx.load.organiser(campaign)
    authorize(ctx.actor, "forward", [organiser])
    for unit_id in command.quotas:
        unit = ctx.load.get_unit(str(unit_id))
        if unit.code == organiser.code or not unit.is_within(organiser.code):
            raise InvalidCampaignError(
                [
                    RuleFailure(
                        "forwarding_from_below",
                        f"'{unit.code}' is not a unit below the organiser '{organiser.code}'",
                        f"「{unit.name_zh or unit.code}」不是组织单位的下级单位",
                        f"quotas.{unit_id}",
                    )
                ]
            )
    campaign.set_forwarding_quotas(command.quotas, command.reason, ctx.actor, ctx.at)
    return Decision([campaign], campaign.summary(ctx.roster.counts(str(campaign.id))))


def _parent_open_for_forwarding(ctx: Context, campaign: Campaign, organiser: Unit) -> Campaign:
    if campaign.parent_campaign_id is None:
        raise ForwardingRefusedError(
            [
                RuleFailure(
                    "parent_campaign_required",
                    "this campaign has no parent campaign to forward to",
                    "本次评选没有可上报的上级评选活动",
                    "parent_campaign_id",
                )
            ]
        )
    parent = ctx.load.get_campaign(campaign.parent_campaign_id, for_update=True)
    if organiser.code == parent.organiser_unit_id or not organiser.is_within(parent.organiser_unit_id):
        raise ForwardingRefusedError(
            [
                RuleFailure(
                    "forward_to_superior",
                    "the parent campaign's organiser must be a superior unit",
                    "上级评选的组织单位须为本单位的上级",
                    "parent_campaign_id",
                )
            ]
        )
    parent.require_step_open("declaration", ctx.at)
    return parent


def _forward_one(
    ctx: Context,
    source: Nomination,
    campaign: Campaign,
    organiser: Unit,
    parent: Campaign,
    target_category: str | None,
) -> Nomination:
    """The parent's nomination for ``source`` (declared by this organiser, with provenance and
    the inspection record; inspected already where the parent accepts the lower level's)."""
    category = parent.category(target_category or source.category)
    nominee = source.nominee
    key = nominee_key(category.code, nominee.unit_id, nominee.person_id, nominee.name)
    refuse_duplicate(ctx, parent.id, key)
    provenance = {
        "campaign_id": str(campaign.id),
        "campaign_name_zh": campaign.name_zh,
        "campaign_name_en": campaign.name_en,
        "nomination_id": str(source.id),
        "category": source.category,
        "score": source.score,
        "passed": source.passed,
        "commended": source.title is not None,
        "organiser_unit_id": organiser.code,
        "inspections": [
            {
                "at": i.at.isoformat(),
                "inspector_unit_id": i.inspector.unit_id,
                "methods": [str(m) for m in i.methods],
                "scores": dict(i.scores),
                "weighted_score": i.weighted_score,
                "verdict": str(i.verdict),
                "notes": i.notes,
            }
            for i in source.inspections
        ],
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
    if parent.forwarded_inspection == ForwardedInspection.ACCEPT:
        target.accept_lower_inspection(source, ctx.actor, ctx.at)
    source.forward(parent.id, target.id, ctx.actor, ctx.at)
    return target


HANDLERS: dict[type[Command], Handler] = {
    Commend: commend,
    Forward: forward,
    ForwardSelected: forward_selected,
    SetForwardingQuotas: set_forwarding_quotas,
}
