"""公示 and objections (issue 23, items 1-2): configure, publish, the workflow's step, lodge,
investigate and decide. The rules and reads are in ``domain/publicity.py``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    AdvancePublicity,
    Command,
    ConfigurePublicity,
    DecideObjection,
    Forward,
    InvestigateObjection,
    LodgeObjection,
    PublishProposedList,
    SetPublicPage,
)
from domain.errors import CampaignNotFoundError, DomainError, ObjectionNotFoundError
from domain.execution import check_version
from domain.handlers.context import Context, Decision, FollowUp, Handler
from domain.objections import (
    MAX_FINDINGS,
    Objection,
    new_receipt,
    normal_receipt,
    objection_uuid,
    text_digest,
)
from domain.publicity import (
    REMIND_EVERY,
    awaiting_decision,
    grant,
    grantable,
    invalid,
    next_wakeups,
    objection_text_failures,
    open_objections,
    period_of,
    proposed_ids,
    published_ids,
    refuse,
    require_publicity,
    require_valid,
    working_days_failures,
)
from domain.rules.jurisdiction import authorize
from domain.vocabulary import NominationState, ObjectionOutcome
from domain.working_days import shipped_calendar

_REMIND_AFTER = timedelta(hours=23, minutes=59)  # a day, give or take the timer


def _organiser_campaign(ctx: Context, campaign_id: Any) -> Campaign:
    campaign = ctx.load.get_campaign(campaign_id, for_update=True)
    authorize(ctx.actor, "commend", [ctx.load.organiser(campaign)])
    return campaign


def configure_publicity(command: ConfigurePublicity, ctx: Context) -> Decision:
    campaign = _organiser_campaign(ctx, command.campaign_id)
    check_version(campaign, ctx.expected_version)
    require_valid(working_days_failures(command.working_days))
    if proposed_ids(ctx.roster, campaign, [c.code for c in campaign.categories]):
        raise refuse(
            "publicity_before_proposals",
            "the 公示 is set before anything is proposed",
            "须在产生拟表彰名单之前设置公示",
            "working_days",
        )
    campaign.trigger_event(
        Campaign.PublicityConfigured,
        timestamp=ctx.at,
        working_days=command.working_days,
        public_page=bool(command.public_page),
        reason=command.reason.strip(),
        actor=ctx.actor,
    )
    return Decision([campaign], {"campaign_id": str(campaign.id), "publicity": campaign.publicity})


def set_public_page(command: SetPublicPage, ctx: Context) -> Decision:
    campaign = _organiser_campaign(ctx, command.campaign_id)
    check_version(campaign, ctx.expected_version)
    settings = require_publicity(campaign)
    if bool(settings["public_page"]) == bool(command.public_page):
        return Decision([], {"campaign_id": str(campaign.id), "publicity": settings})
    campaign.trigger_event(
        Campaign.PublicityConfigured,
        timestamp=ctx.at,
        working_days=settings["working_days"],
        public_page=bool(command.public_page),
        reason=command.reason.strip(),
        actor=ctx.actor,
    )
    return Decision([campaign], {"campaign_id": str(campaign.id), "publicity": campaign.publicity})


def publish(command: PublishProposedList, ctx: Context) -> Decision:
    campaign = _organiser_campaign(ctx, command.campaign_id)
    check_version(campaign, ctx.expected_version)
    settings = require_publicity(campaign)
    categories = (
        [campaign.category(command.category).code]
        if command.category
        else [c.code for c in campaign.categories]
    )
    already = published_ids(campaign)
    ids = [n for n in proposed_ids(ctx.roster, campaign, categories) if n not in already]
    if not ids:
        raise refuse(
            "nothing_proposed",
            "no proposed nomination waits to be published in this category",
            "该类别没有待公示的拟表彰对象",
            "category",
        )
    calendar = ctx.collaborators.holiday_calendar or shipped_calendar()
    closes_at = calendar.period_end(ctx.at, int(settings["working_days"]), campaign.timezone)
    campaign.trigger_event(
        Campaign.PublicityStarted,
        timestamp=ctx.at,
        categories=categories,
        nomination_ids=ids,
        published_at=ctx.at,
        closes_at=closes_at,
        working_days=int(settings["working_days"]),
        calendar=calendar.code,
        reason=command.reason.strip(),
        actor=ctx.actor,
    )
    return Decision(
        [campaign],
        {
            "campaign_id": str(campaign.id),
            "categories": categories,
            "nomination_ids": ids,
            "published_at": ctx.at,
            "closes_at": closes_at,
            "working_days": settings["working_days"],
            "calendar": calendar.code,
        },
    )


def advance(command: AdvancePublicity, ctx: Context) -> Decision:
    """Closes the periods due, grants what nothing holds, reminds daily of what waits."""
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    authorize(ctx.actor, "manage_phases", [ctx.load.organiser(campaign)])
    closed = []
    for period in campaign.publicity_periods:
        if not period["closed"] and period["closes_at"] <= ctx.at:
            campaign.trigger_event(
                Campaign.PublicityClosed,
                timestamp=ctx.at,
                period=period["index"],
                closes_at=period["closes_at"],
                actor=ctx.actor,
            )
            closed.append(period["index"])
    granted = []
    for nid in dict.fromkeys(grantable(campaign, ctx.at)):
        nomination = ctx.load.get_nomination(nid)
        if nomination.state == NominationState.PROPOSED and grant(
            nomination, campaign, ctx.actor, ctx.at
        ):
            granted.append(nomination)
    awaiting = awaiting_decision(campaign, ctx.load)
    reminded = False
    last = campaign.objections_reminded_at
    if awaiting and (last is None or ctx.at - last >= _REMIND_AFTER):
        campaign.trigger_event(
            Campaign.ObjectionsAwaitingDecision,
            timestamp=ctx.at,
            nomination_ids=awaiting,
            receipts=[r for n in awaiting for r in open_objections(campaign, n)],
            actor=ctx.actor,
        )
        reminded = True
    save = [*([campaign] if closed or reminded else []), *granted]
    return Decision(
        save,
        then=_forward_granted(campaign, [str(n.id) for n in granted]),
        result={
            "campaign_id": str(campaign.id),
            "closed": closed,
            "granted": [str(n.id) for n in granted],
            "awaiting": awaiting,
            "reminded": reminded,
            "next": sorted(
                [
                    *next_wakeups(campaign, ctx.load, ctx.at),
                    # proposed, not yet published: look again daily (publishing also signals)
                    *([ctx.at + REMIND_EVERY] if _unpublished(ctx, campaign) else []),
                ]
            ),
        },
    )


def _forward_granted(
    campaign: Campaign, granted: list[str]
) -> Callable[[FollowUp], Mapping[str, Any]] | None:
    """Titles granted after the 公示 go up to the parent campaign as ``ForwardCommended``
    sends those granted at once (the workflow's forwarding at the commendation step's close
    found them still proposed): each its own transaction, keyed as ``ForwardCommended`` keys
    it (a repeat answers with the first); one the rules refuse is answered, not raised."""
    if not granted or campaign.parent_campaign_id is None or not campaign.forwards_commended:
        return None

    def forward_each(follow: FollowUp) -> Mapping[str, Any]:
        forwarded, refused = [], []
        for nid in granted:
            try:
                follow(Forward(nomination_id=nid), idempotency_key=f"{nid}:forwarded")
            except DomainError as refusal:
                refused.append({"id": nid, "problem": refusal.code})
                continue
            forwarded.append(nid)
        return {"forwarded": forwarded, "not_forwarded": refused}

    return forward_each


def _unpublished(ctx: Context, campaign: Campaign) -> bool:
    if campaign.publicity is None:
        return False
    published = published_ids(campaign)
    return any(
        n not in published
        for n in proposed_ids(ctx.roster, campaign, [c.code for c in campaign.categories])
    )


def lodge(command: LodgeObjection, ctx: Context) -> Decision:
    """Anyone, during the nomination's period, on a campaign whose public page is on."""
    text, contact = (command.text or "").strip(), (command.contact or "").strip()
    require_valid(objection_text_failures(text, contact))
    campaign = ctx.load.get_campaign(command.campaign_id, for_update=True)
    if campaign.publicity is None or not campaign.publicity.get("public_page"):
        raise CampaignNotFoundError(
            "this campaign has no public 公示 page", "本次评选未公开公示", campaign=str(campaign.id)
        )
    nid = str(command.nomination_id)
    period = period_of(campaign, nid)
    if period is None:
        require_valid(
            [
                invalid(
                    "objection_on_the_list",
                    "the nomination is not on a published proposed list of this campaign",
                    "该对象不在本次评选已公示的拟表彰名单中",
                    "nomination_id",
                    actual=nid,
                )
            ]
        )
    assert period is not None
    nomination = ctx.load.get_nomination(nid)
    if (
        period["closed"]
        or not period["published_at"] <= ctx.at < period["closes_at"]
        or nomination.state != NominationState.PROPOSED
    ):
        raise refuse(
            "publicity_period_open",
            "objections are received during the 公示 period only",
            "仅在公示期内受理异议",
            "nomination_id",
            expected=period["closes_at"].isoformat(),
            actual=ctx.at.isoformat(),
        )
    digest = text_digest(nid, text)
    for known in (o for o in campaign.objections if o["digest"] == digest):
        # The same sender again (a double click, a retry): its receipt, not a refusal.
        earlier = ctx.load.find(objection_uuid(known["receipt"]), Objection, for_update=False)
        if earlier is not None and command.client and earlier.client == command.client:
            return Decision([], {**earlier.public(), "campaign_id": str(campaign.id), "repeated": True})
    if any(o["digest"] == digest for o in campaign.objections):
        raise refuse(
            "objection_duplicate",
            "the same objection to this nomination was received already",
            "已收到针对该对象的相同异议",
            "text",
        )
    receipt = new_receipt(ctx.at)
    while ctx.load.find(objection_uuid(receipt), Objection, for_update=False) is not None:
        receipt = new_receipt(ctx.at)  # astronomically rare
    objection = Objection.lodge(
        receipt,
        str(campaign.id),
        nid,
        nomination.category,
        text,
        contact,
        command.evidence,
        command.client,
        ctx.actor,
        ctx.at,
    )
    campaign.trigger_event(
        Campaign.ObjectionReceived,
        timestamp=ctx.at,
        receipt=receipt,
        nomination_id=nid,
        digest=digest,
        actor=ctx.actor,
    )
    return Decision([campaign, objection], {**objection.public(), "campaign_id": str(campaign.id)})


def get_objection(ctx: Context, receipt: str) -> Objection:
    found = ctx.load.find(objection_uuid(receipt), Objection, for_update=True)
    if found is None:
        raise ObjectionNotFoundError(
            f"no objection '{normal_receipt(receipt)}'",
            f"没有回执号为「{normal_receipt(receipt)}」的异议",
            receipt=normal_receipt(receipt),
        )
    return found


def _require_undecided(objection: Objection) -> None:
    if not objection.open:
        raise refuse(
            "objection_undecided",
            "this objection is decided already",
            "该异议已处理完毕",
            "receipt",
            actual=str(objection.status),
        )


def investigate(command: InvestigateObjection, ctx: Context) -> Decision:
    objection = get_objection(ctx, command.receipt)
    campaign = _organiser_campaign(ctx, objection.campaign_id)
    check_version(objection, ctx.expected_version)
    _require_undecided(objection)
    objection.investigate((command.note or "").strip()[:MAX_FINDINGS], ctx.actor, ctx.at)
    del campaign
    return Decision([objection], objection.full())


def decide(command: DecideObjection, ctx: Context) -> Decision:
    """Upheld: the nomination leaves the list and its quota slot is freed (nobody promoted).
    Dismissed: once the period has closed and no other objection is open, the title."""
    objection = get_objection(ctx, command.receipt)
    campaign = _organiser_campaign(ctx, objection.campaign_id)
    check_version(objection, ctx.expected_version)
    outcome = ObjectionOutcome.parse(command.outcome)
    findings = (command.findings or "").strip()
    failures = []
    if outcome is None:
        failures.append(
            invalid(
                "objection_outcome_known",
                "the outcome is uphold or dismiss",
                "处理结果须为“成立”或“不成立”",
                "outcome",
                ObjectionOutcome.codes(),
                command.outcome,
            )
        )
    if not findings or len(findings) > MAX_FINDINGS:
        failures.append(
            invalid(
                "objection_findings",
                f"the findings are required, at most {MAX_FINDINGS} characters",
                f"须填写调查核实情况，不超过 {MAX_FINDINGS} 字",
                "findings",
                MAX_FINDINGS,
                len(findings),
            )
        )
    require_valid(failures)
    assert outcome is not None
    _require_undecided(objection)
    objection.decide(str(outcome), findings, ctx.actor, ctx.at)
    campaign.trigger_event(
        Campaign.ObjectionSettled,
        timestamp=ctx.at,
        receipt=objection.receipt,
        outcome=str(outcome),
        actor=ctx.actor,
    )
    nomination = ctx.load.get_nomination(objection.nomination_id)
    result: dict[str, Any] = {**objection.full(), "withdrawn": False, "granted": False}
    if outcome == ObjectionOutcome.UPHOLD:
        # a fixed reason on the nomination: the findings (which may name the objector) and
        # the receipt stay on the objection
        if nomination.withdraw_from_list(ctx.actor, ctx.at):
            campaign.trigger_event(
                Campaign.ProposalWithdrawn,
                timestamp=ctx.at,
                category=nomination.category,
                nomination_id=str(nomination.id),
                objection=objection.receipt,
                actor=ctx.actor,
            )
            result["withdrawn"] = True
    elif str(nomination.id) in grantable(campaign, ctx.at):
        period = period_of(campaign, str(nomination.id))
        if period is not None and not period["closed"]:
            campaign.trigger_event(
                Campaign.PublicityClosed,
                timestamp=ctx.at,
                period=period["index"],
                closes_at=period["closes_at"],
                actor=ctx.actor,
            )
        result["granted"] = grant(nomination, campaign, ctx.actor, ctx.at)
    result["nomination_state"] = str(nomination.state)
    return Decision(
        [objection, campaign, nomination],
        result,
        then=_forward_granted(campaign, [str(nomination.id)] if result["granted"] else []),
        # If-Match names the objection (checked on a fresh load each attempt): a conflict on
        # the campaign (another objection lodged or decided meanwhile) re-decides, no 409
        rechecks_version=True,
    )


HANDLERS: dict[type[Command], Handler] = {
    ConfigurePublicity: configure_publicity,
    SetPublicPage: set_public_page,
    PublishProposedList: publish,
    AdvancePublicity: advance,
    LodgeObjection: lodge,
    InvestigateObjection: investigate,
    DecideObjection: decide,
}
