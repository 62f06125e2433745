"""Corrections and appeals (issue 23, items 3-4; rules in ``domain/corrections.py``): void an
inspection, return a declaration for amendment and amend it, reopen a closed phase for a unit
or a nomination (and close the window on time), cancel a campaign (and close its open
nominations in batches), lodge and decide an appeal."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    Amend,
    CancelCampaign,
    CloseCancelled,
    CloseReopenings,
    Command,
    CorrectNomineeName,
    DecideAppeal,
    Id,
    LodgeAppeal,
    ReopenPhase,
    ReturnForAmendment,
    VoidInspection,
)
from domain.corrections import CANCELLED_REASON, refused, reopened_reason
from domain.errors import DeclarationInvalidError, NominationNotFoundError
from domain.execution import check_version
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.handlers.nominations import acting_candidates, state_of
from domain.nominations import CANCELLABLE, LAPSABLE, Nomination
from domain.roster import nominee_key
from domain.rules.declaration import declaration_failures
from domain.rules.jurisdiction import authorize, authorize_any
from domain.templates import get_template
from domain.vocabulary import NominationState, PhaseStatus, ReopenScope, Step


def _load(ctx: Context, nomination_id: Id) -> tuple[Nomination, Campaign]:
    nomination = ctx.load.get_nomination(nomination_id)
    check_version(nomination, ctx.expected_version)
    return nomination, ctx.load.get_campaign(nomination.campaign_id)


def _scope(nomination: Nomination) -> dict[str, Any]:
    return {
        "units": [nomination.declaring_unit_id, nomination.nominee.unit_id],
        "nomination_id": str(nomination.id),
    }


def _result(nomination: Nomination) -> dict[str, Any]:
    return dict(state_of(nomination), **nomination.corrections_dict(), score=nomination.score)


def void_inspection(command: VoidInspection, ctx: Context) -> Decision:
    """Before commendation, whatever the phase (the organiser reopens inspection for the
    nomination to have it inspected again once its phase has closed)."""
    nomination, campaign = _load(ctx, command.nomination_id)
    authorize_any(ctx.actor, "correct", acting_candidates(ctx, nomination, campaign, "correct"))
    campaign.require_not_cancelled()
    nomination.void_inspection(int(command.inspection), command.reason, ctx.actor, ctx.at)
    return Decision([nomination], _result(nomination))


def _pre_review_open(campaign: Campaign, nomination: Nomination, at: Any) -> bool:
    """Pre-review has not closed for this nomination: its phase not closed yet (or not yet
    open: the declaration may still be running), or reopened for it."""
    phase = campaign.phase_for(Step.PRE_REVIEW)
    if phase.status != PhaseStatus.CLOSED and at < phase.closes_at:
        return True
    scope = _scope(nomination)
    return campaign.reopened_for(phase.code, at, scope["units"], scope["nomination_id"])


def return_for_amendment(command: ReturnForAmendment, ctx: Context) -> Decision:
    nomination, campaign = _load(ctx, command.nomination_id)
    authorize_any(ctx.actor, "correct", acting_candidates(ctx, nomination, campaign, "correct"))
    campaign.require_not_cancelled()
    if not _pre_review_open(campaign, nomination, ctx.at):
        phase = campaign.phase_for(Step.PRE_REVIEW)
        raise refused(
            "return_phase_closed",
            f"pre-review (phase '{phase.code}') has closed: the declaration can no longer be "
            "returned for amendment",
            f"初审（阶段「{phase.name_zh}」）已截止，不能再退回修改",
            "phase",
            None,
            phase.closes_at.isoformat(),
        )
    nomination.return_for_amendment(list(command.reasons), list(command.fields), ctx.actor, ctx.at)
    return Decision([nomination], _result(nomination))


def amend(command: Amend, ctx: Context) -> Decision:
    nomination, campaign = _load(ctx, command.nomination_id)
    authorize(ctx.actor, "amend", [ctx.load.get_unit(nomination.declaring_unit_id)])
    campaign.require_not_cancelled()
    if not _pre_review_open(campaign, nomination, ctx.at):
        raise refused(
            "return_phase_closed",
            "pre-review has closed: the returned declaration can no longer be amended",
            "初审已截止，退回的申报不能再修改",
            "phase",
        )
    form = dict(command.form) if command.form is not None else None
    # The amended declaration meets the rules a declaration meets (what Declare checks): the
    # form as amended and the material as amended, each in place of the old (422 naming them).
    declaring_unit = ctx.load.get_unit(nomination.declaring_unit_id)
    nominee_unit = ctx.load.get_unit(nomination.nominee.unit_id)
    failures = declaration_failures(
        campaign.category(nomination.category),
        nomination.nominee,
        nominee_unit,
        declaring_unit,
        campaign.organiser_unit_id,
        form if form is not None else nomination.form,
        command.material if command.material is not None else nomination.material,
    )
    if failures and (form is not None or command.material is not None):
        raise DeclarationInvalidError(failures)
    nomination.amend(form, command.material, ctx.actor, ctx.at)
    return Decision([nomination], _result(nomination))


def reopen_phase(command: ReopenPhase, ctx: Context) -> Decision:
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    check_version(campaign, ctx.expected_version)
    authorize(ctx.actor, "correct", [ctx.load.organiser(campaign)])
    target = str(command.target)
    if command.scope == ReopenScope.UNIT:
        unit = ctx.load.get_unit(target)  # not found: 404
        organiser = ctx.load.organiser(campaign)
        if not unit.is_within(organiser.code):
            raise refused(
                "reopen_unit_in_campaign",
                f"unit '{target}' is not under the organiser '{organiser.code}'",
                f"单位「{unit.name_zh or target}」不在组织单位「{organiser.name_zh}」之下",
                "target",
                organiser.code,
                target,
            )
    elif command.scope == ReopenScope.NOMINATION:
        nomination = ctx.load.get_nomination(target)
        if nomination.campaign_id != campaign.id:
            raise NominationNotFoundError(
                f"nomination {target} is not in this campaign",
                f"申报 {target} 不属于本次评选",
                nomination=target,
            )
        target = str(nomination.id)
    number = campaign.reopen(
        command.phase,
        command.scope,
        target,
        command.until.astimezone(UTC),
        command.reason,
        ctx.actor,
        ctx.at,
    )
    result = {
        "id": campaign.id,
        "version": campaign.version,
        "reopening": dict(campaign.reopenings[number - 1]),
    }
    return Decision([campaign], result)


def _in_scope(nomination: Nomination, reopening: Mapping[str, Any]) -> bool:
    if reopening["scope"] == ReopenScope.NOMINATION:
        return str(nomination.id) == str(reopening["target"])
    return str(reopening["target"]) in (nomination.declaring_unit_id, nomination.nominee.unit_id)


def close_reopenings(command: CloseReopenings, ctx: Context) -> Decision:
    """Every reopened window whose deadline has come closes; the nominations in its scope still
    waiting on a step of its phase lapse (the phase itself closed long ago) — unless another
    window of that phase still open lets them act (an appeal's own window, say). At most
    ``limit`` lapse per run: a window with more left in scope stays open for the next run
    (``more``), so none is left behind. Idempotent: a closed window is not closed again."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    budget = max(command.limit, 1)
    changed: list[Any] = []
    closed = []
    more = False
    for reopening in campaign.due_reopenings(ctx.at):
        phase = campaign.phase(reopening["phase"])
        waiting_on = {
            state: step for step in campaign.steps_of(phase.code) for state in LAPSABLE.get(step, ())
        }
        ids: list[str] = []
        if waiting_on:
            page = ctx.roster.entries(str(campaign.id), states=list(waiting_on))
            ids = [
                e.nomination_id
                for e in page.entries
                if (
                    e.nomination_id == reopening["target"]
                    if reopening["scope"] == ReopenScope.NOMINATION
                    else reopening["target"] in (e.declaring_unit_id, e.nominee_unit_id)
                )
                # another window of the phase still open lets it act (an appeal's own window)
                and not campaign.reopened_for(
                    phase.code, ctx.at, [e.declaring_unit_id, e.nominee_unit_id], e.nomination_id
                )
            ]
        batch, rest = ids[:budget], ids[budget:]
        lapsed = []
        for n in ctx.load.rebuilt_nominations(batch):
            step = waiting_on.get(n.state)
            reason = reopened_reason(reopening["number"])
            if (
                step is not None
                and _in_scope(n, reopening)
                and n.lapse(step, phase.code, reason, ctx.actor, ctx.at)
            ):
                lapsed.append(n)
        budget -= len(batch)
        changed += lapsed
        if rest:  # the rest lapse at the next run; the window closes once none is left
            more = True
            break
        campaign.close_reopening(reopening["number"], [str(n.id) for n in lapsed], ctx.actor, ctx.at)
        closed.append(reopening["number"])
        if budget <= 0:
            more = more or len(campaign.due_reopenings(ctx.at)) > 0
            break
    return Decision(
        [campaign, *changed] if closed or changed else [],
        {"closed": closed, "lapsed": [str(n.id) for n in changed], "more": more},
    )


def cancel_campaign(command: CancelCampaign, ctx: Context) -> Decision:
    """Records the cancellation, then closes the open nominations a batch per transaction."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    check_version(campaign, ctx.expected_version)
    authorize(ctx.actor, "manage_campaigns", [ctx.load.organiser(campaign)])
    campaign.require_not_cancelled()  # before reading the commended
    listed = [nid for ids in campaign.commended.values() for nid in ids]
    granted = [  # a proposal (拟表彰, 公示 under way) is no title: it closes with the rest
        n
        for n in ctx.load.rebuilt_nominations(listed)
        if n.state == NominationState.COMMENDED or n.title is not None
    ]
    campaign.cancel(command.reason, ctx.actor, ctx.at, granted=len(granted))
    batch = CloseCancelled(campaign_id=command.campaign_id)

    def close_open(follow: FollowUp) -> Mapping[str, Any]:
        closed: list[str] = []
        while True:
            done = follow(batch)
            closed += done["closed"]
            if not (done["more"] and done["closed"]):
                return {"closed": closed}

    result = {
        "id": campaign.id,
        "version": campaign.version,
        "cancelled": dict(campaign.cancelled or {}),
    }
    return Decision([campaign], result, then=close_open)


def close_cancelled(command: CloseCancelled, ctx: Context) -> Decision:
    """Up to ``limit`` open nominations of a cancelled campaign close with its reason."""
    campaign = ctx.load.get_campaign(command.campaign_id)
    authorize(ctx.actor, "manage_campaigns", [ctx.load.organiser(campaign)])
    if campaign.cancelled is None:
        return Decision([], {"closed": [], "more": False})
    limit = max(command.limit, 1)
    page = ctx.roster.entries(str(campaign.id), states=list(CANCELLABLE), limit=limit)
    reason = f"{CANCELLED_REASON}: {campaign.cancelled['reason']}"
    closed = [
        n
        for n in ctx.load.rebuilt_nominations([e.nomination_id for e in page.entries])
        if n.close_by_cancellation(reason, ctx.actor, ctx.at)
    ]
    return Decision(closed, {"closed": [str(n.id) for n in closed], "more": page.following is not None})


def lodge_appeal(command: LodgeAppeal, ctx: Context) -> Decision:
    nomination, campaign = _load(ctx, command.nomination_id)
    authorize(ctx.actor, "appeal", [ctx.load.get_unit(nomination.declaring_unit_id)])
    campaign.require_not_cancelled()
    days = get_template(campaign.template_code).appeal_days
    nomination.lodge_appeal(command.grounds, days, ctx.actor, ctx.at)
    return Decision([nomination], _result(nomination))


RESTORED_STEP = {
    NominationState.DECLARED: Step.PRE_REVIEW,
    NominationState.ADMITTED: Step.INSPECTION,
    NominationState.INSPECTED: Step.COMMENDATION,
}


def decide_appeal(command: DecideAppeal, ctx: Context) -> Decision:
    """Upheld: the nomination goes back to the step it was refused at; where that step's phase
    is no longer open, it is reopened for the nomination until ``until`` (required then)."""
    nomination = ctx.load.get_nomination(command.nomination_id)
    check_version(nomination, ctx.expected_version)
    campaign = ctx.load.get_campaign(nomination.campaign_id, for_update=True)
    authorize_any(ctx.actor, "correct", acting_candidates(ctx, nomination, campaign, "correct"))
    campaign.require_not_cancelled()
    until = command.until.astimezone(UTC) if command.until is not None else None
    restored = nomination.decide_appeal(command.outcome, command.findings, until, ctx.actor, ctx.at)
    save: list[Any] = [nomination]
    if restored is not None:
        phase = campaign.phase_for(RESTORED_STEP[restored])
        if phase.status == PhaseStatus.CLOSED or phase.closes_at <= ctx.at:
            if until is None:
                raise refused(
                    "appeal_reopen_until_required",
                    f"phase '{phase.code}' has closed: an upheld appeal names until when the "
                    "nomination may be dealt with (until)",
                    f"阶段「{phase.name_zh}」已截止：申诉成立须写明重新办理的截止时间",
                    "until",
                )
            campaign.reopen(
                phase.code,
                ReopenScope.NOMINATION,
                str(nomination.id),
                until,
                f"appeal upheld / 申诉成立: {command.findings.strip()}",
                ctx.actor,
                ctx.at,
            )
            save.append(campaign)
    return Decision(save, _result(nomination))


def correct_nominee_name(command: CorrectNomineeName, ctx: Context) -> Decision:
    """A granted title's nominee name corrected by the organiser's reviewer (or the
    delegate's); the roster's claim follows the name, so a name another nomination of the
    category holds is refused here (the store's unique claim would refuse it at the save)."""
    nomination, campaign = _load(ctx, command.nomination_id)
    authorize_any(ctx.actor, "correct", acting_candidates(ctx, nomination, campaign, "correct"))
    nomination.correct_nominee_name(command.name, command.reason, ctx.actor, ctx.at)
    who = nomination.nominee
    key = nominee_key(nomination.category, who.unit_id, who.person_id, who.name)
    holder = ctx.roster.claimant(str(campaign.id), key)
    if holder is not None and holder != str(nomination.id):
        raise refused(
            "name_correction_unique",
            f"nomination {holder} of this category already names '{who.name}' in that unit",
            f"本类别已有申报（{holder}）以「{who.name}」为被推荐对象",
            "name",
            None,
            who.name,
        )
    return Decision([nomination], dict(_result(nomination), nominee_name=who.name))


HANDLERS: dict[type[Command], Handler] = {
    CorrectNomineeName: correct_nominee_name,
    VoidInspection: void_inspection,
    ReturnForAmendment: return_for_amendment,
    Amend: amend,
    ReopenPhase: reopen_phase,
    CloseReopenings: close_reopenings,
    CancelCampaign: cancel_campaign,
    CloseCancelled: close_cancelled,
    LodgeAppeal: lodge_appeal,
    DecideAppeal: decide_appeal,
}
