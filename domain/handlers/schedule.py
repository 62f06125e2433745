"""What the campaign workflows do on schedule. Each is idempotent by the facts it records: a
reminder once per (phase, deadline, offset), silent units once per campaign, each escalation
step once, a re-inspection falling due once per title and deadline, a revocation once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    Command,
    EscalateSilentUnits,
    Forward,
    ForwardCommended,
    Id,
    MarkReinspectionsDue,
    RecordSilentUnits,
    RemindDeadline,
    RevokeUnreinspected,
)
from domain.errors import ConflictError, DomainError, InvalidCampaignError, RuleFailure
from domain.escalation import notified_groups
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.nominations import Nomination
from domain.notifications.waiting_steps import waiting_states
from domain.rules.jurisdiction import acting_units, authorize
from domain.units import Unit
from domain.vocabulary import NominationState, PhaseStatus, RevocationCause, Step

NOT_REINSPECTED = "not re-inspected by the anniversary / 周年前未复查"
TIMER_SLACK = timedelta(seconds=1)


def pending_units(ctx: Context, campaign: Campaign, phase: str) -> list[str]:
    """The units that have not yet acted in ``phase``: the townships silent so far
    (declaration); the units acting for the nominees still waiting for pre-review or
    inspection — the organiser, or the unit the campaign delegated the nominee's level to, and
    for an inspection the nominee's ancestor at a level the campaign has assess it locally."""
    steps = campaign.steps_of(phase)
    pending: list[str] = []
    if Step.DECLARATION in steps:
        pending += ctx.queries.silent_townships(campaign.id)
    # which nominations wait for these steps: the one table (notifications/waiting_steps.py)
    waiting = [w for s in steps for w in waiting_states(s)]
    if not waiting:
        return pending
    organiser = ctx.load.organiser(campaign)
    entries = ctx.queries.roster.entries(str(campaign.id), states=[str(w) for w in waiting]).entries
    # each nominee unit once, whatever the number of its nominations waiting
    for unit_id, state in dict.fromkeys((e.nominee_unit_id, e.state) for e in entries):
        nominee = ctx.load.get_unit(unit_id)
        acting = acting_units(organiser, campaign.delegates, [str(nominee.level)], ctx.load.get_unit)
        pending.append(acting[-1].code)
        if state == NominationState.ADMITTED and campaign.local_inspection:
            pending += _local_assessors(ctx, campaign, organiser.code, nominee)
    return list(dict.fromkeys(pending))


def _local_assessors(ctx: Context, campaign: Campaign, organiser: str, nominee: Unit) -> list[str]:
    """The nominee's ancestors below the organiser whose level assesses its level locally."""
    path = nominee.path
    below = path[path.index(organiser) + 1 :] if organiser in path else []
    level = str(nominee.level)
    return [
        code
        for code in below
        if level in campaign.local_inspection.get(str(ctx.load.get_unit(code).level), [])
    ]


def remind_deadline(command: RemindDeadline, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    pending = pending_units(ctx, campaign, command.phase)
    recorded = campaign.remind(command.phase, command.offset_seconds, pending, ctx.actor, ctx.at)
    result = {
        "phase": command.phase,
        "offset_seconds": command.offset_seconds,
        "recorded": recorded,
        "pending_units": pending,
    }
    return Decision([campaign], result)


def record_silent_units(command: RecordSilentUnits, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    silent = ctx.queries.silent_townships(command.campaign_id)
    declaration = campaign.steps["declaration"]
    recorded = campaign.record_silent_units(declaration, silent, ctx.actor, ctx.at)
    return Decision([campaign], {"units": campaign.silent_units, "recorded": recorded})


def escalate_silent_units(command: EscalateSilentUnits, ctx: Context) -> Decision:
    """One step of the campaign's escalation ladder (domain/escalation.py), once: the
    townships still silent, each reported to its unit ``levels_up`` above (never above the
    organiser), grouped per unit told. A repeat records nothing and answers the step as taken;
    nothing silent, or a cancelled campaign, records nothing."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    ladder = campaign.ladder
    step = command.step
    if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= len(ladder):
        raise InvalidCampaignError(
            [
                RuleFailure(
                    "escalation_step_known",
                    f"the campaign's escalation ladder has steps 1..{len(ladder)}",
                    f"本次评选的督办阶梯为第 1 至 {len(ladder)} 步",
                    "step",
                    f"1..{len(ladder)}",
                    step,
                )
            ]
        )
    answer = {"step": step, "recorded": False, "cancelled": campaign.cancelled is not None}
    taken = campaign.escalation_step(step)
    if taken is not None:
        return Decision([], answer | {"units": taken["units"], "notified": taken["notified"]})
    if campaign.cancelled is not None:
        return Decision([], answer | {"units": [], "notified": []})
    declaration = campaign.phase_for(Step.DECLARATION)
    if declaration.status != PhaseStatus.CLOSED:
        raise ConflictError(
            "silent townships are escalated once declaration has closed",
            "申报截止后方可督办未申报的乡镇",
            rule="escalation_after_declaration",
            phase=declaration.code,
        )
    due = declaration.closes_at + timedelta(days=ladder[step - 1].grace_days)
    # the workflow never asks early (its clock is in milliseconds: a second of slack)
    if ctx.at + TIMER_SLACK < due:
        raise ConflictError(
            f"escalation step {step} runs at {due.isoformat()} (declaration's close plus "
            f"{ladder[step - 1].grace_days} grace days), not before",
            f"第 {step} 步督办须在 {due.isoformat()}（申报截止后宽限 "
            f"{ladder[step - 1].grace_days} 天）之后进行",
            rule="escalation_step_due",
            due=due.isoformat(),
        )
    # a township whose declaration window was reopened is not silent while it may still declare
    silent = [
        code
        for code in ctx.queries.silent_townships(campaign.id)
        if not campaign.reopened_for(declaration.code, ctx.at, [code])
    ]
    if not silent:  # nothing to tell: no event
        return Decision([], answer | {"units": [], "notified": []})
    townships = [(code, ctx.load.get_unit(code).path) for code in silent]
    notified = notified_groups(townships, ladder[step - 1], campaign.organiser_unit_id)
    campaign.escalate(step, silent, notified, ctx.actor, ctx.at)
    return Decision([campaign], answer | {"recorded": True, "units": silent, "notified": notified})


def _title_batch(
    ctx: Context, campaign_id: Id, category: str, offset: int, limit: int
) -> tuple[list[Nomination], int | None]:
    """The batch of a category's titles at ``offset`` and where the next batch starts."""
    ids = ctx.queries.titles(campaign_id, category)
    batch = ctx.load.rebuilt_nominations(ids[offset : offset + limit])
    return batch, (offset + limit if offset + limit < len(ids) else None)


def mark_reinspections_due(command: MarkReinspectionsDue, ctx: Context) -> Decision:
    """One batch of titles: each still active falls due for re-inspection by ``due_by`` (one
    transaction per batch; repeating the batch appends nothing)."""
    batch, following = _title_batch(
        ctx, command.campaign_id, command.category, command.offset, command.limit
    )
    changed = [
        n for n in batch if n.title_active and n.mark_reinspection_due(command.due_by, ctx.actor, ctx.at)
    ]
    return Decision(changed, {"marked": len(changed), "next_offset": following})


def revoke_unreinspected(command: RevokeUnreinspected, ctx: Context) -> Decision:
    """One batch: every title still waiting for its due re-inspection is revoked as lapsed."""
    batch, following = _title_batch(
        ctx, command.campaign_id, command.category, command.offset, command.limit
    )
    changed = []
    for n in batch:
        if n.title_active and n.held_title().reinspection_due_by is not None:
            n.revoke(NOT_REINSPECTED, RevocationCause.NOT_REINSPECTED, ctx.actor, ctx.at)
            changed.append(n)
    return Decision(changed, {"revoked": [str(n.id) for n in changed], "next_offset": following})


def forward_commended(command: ForwardCommended, ctx: Context) -> Decision:
    """Every commended nomination of a campaign with a parent goes up as a declaration there,
    each in its own transaction (its key makes a repeat answer with the first forwarding); one
    the rules refuse (over the parent's forwarding quota, the parent no longer receiving) is
    answered under ``not_forwarded`` and the rest still go up."""
    campaign = ctx.load.get_campaign(command.campaign_id)
    if not campaign.forwards_commended:  # its level selects what goes up (择优上报)
        return Decision([], {"forwarded": [], "not_forwarded": []})

    def forward_each(follow: FollowUp) -> Mapping[str, Any]:
        forwarded, refused = [], []
        for ids in campaign.commended.values():
            for nid in ids:
                if ctx.load.get_nomination(nid).state == NominationState.COMMENDED:
                    try:
                        follow(Forward(nomination_id=nid), idempotency_key=f"{nid}:forwarded")
                    except DomainError as refusal:
                        # Over the parent's quota, or the parent no longer receives: the
                        # others still go up; what did not is answered, with why.
                        refused.append(
                            {
                                "id": nid,
                                "problem": refusal.code,
                                "message_en": refusal.message_en,
                                "message_zh": refusal.message_zh,
                            }
                        )
                        continue
                    forwarded.append(nid)
        return {"forwarded": forwarded, "not_forwarded": refused}

    return Decision([], {}, then=forward_each)


HANDLERS: dict[type[Command], Handler] = {
    RemindDeadline: remind_deadline,
    RecordSilentUnits: record_silent_units,
    EscalateSilentUnits: escalate_silent_units,
    MarkReinspectionsDue: mark_reinspections_due,
    RevokeUnreinspected: revoke_unreinspected,
    ForwardCommended: forward_commended,
}
