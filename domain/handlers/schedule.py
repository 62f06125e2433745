"""What the campaign workflows do on schedule. Each is idempotent by the facts it records: a
reminder once per (phase, deadline, offset), silent units once per campaign, a re-inspection
falling due once per title and deadline, a revocation once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.commands import (
    Command,
    Forward,
    ForwardCommended,
    Id,
    MarkReinspectionsDue,
    RecordSilentUnits,
    RemindDeadline,
    RevokeUnreinspected,
)
from domain.errors import DomainError
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.nominations import Nomination
from domain.rules.jurisdiction import authorize
from domain.vocabulary import NominationState, RevocationCause

NOT_REINSPECTED = "not re-inspected by the anniversary / 周年前未复查"


def remind_deadline(command: RemindDeadline, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    pending = (
        ctx.queries.silent_townships(command.campaign_id)
        if "declaration" in campaign.steps_of(command.phase)
        else []
    )
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
    MarkReinspectionsDue: mark_reinspections_due,
    RevokeUnreinspected: revoke_unreinspected,
    ForwardCommended: forward_commended,
}
