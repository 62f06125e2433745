"""One nomination: declare, pre-review, inspect, withdraw, revoke, re-inspect."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC
from typing import Any

from domain.campaigns import Campaign
from domain.commands import (
    Command,
    Declare,
    Id,
    Inspect,
    MarkReinspectionDue,
    PreReview,
    Reinspect,
    Revoke,
    Withdraw,
)
from domain.errors import DeclarationInvalidError, DuplicateNominationError
from domain.execution import check_version
from domain.handlers.context import Context, Decision, Handler
from domain.handlers.team_checks import acting_for_nominee, inspecting_member
from domain.nominations import Nomination
from domain.roster import nominee_key
from domain.rules.declaration import declaration_failures
from domain.rules.jurisdiction import assesses_locally, authorize, authorize_any
from domain.units import Unit
from domain.values import Nominee
from domain.vocabulary import PreReviewDecision


def refuse_duplicate(ctx: Context, campaign_id: Id, key: str) -> None:
    """A nominee is declared once per category, unless that nomination has ended in a state
    that allows declaring again (then it no longer claims the nominee). The store's unique
    claim settles a race between two declarations this check let through."""
    existing = ctx.roster.claimant(str(campaign_id), key)
    if existing is not None:
        raise DuplicateNominationError(
            "this nominee is already declared in this category",
            "该对象已在本类别中申报",
            nomination=existing,
        )


def nominee_extra(sent: Mapping[str, Any]) -> dict[str, Any]:
    """What a nominee carries beyond kind, unit, name and person: a model base's ``base_kind``
    (sent in ``extra`` or beside the name); the nominee rules check it."""
    extra = sent.get("extra")
    found: dict[str, Any] = dict(extra) if isinstance(extra, Mapping) else {}
    if sent.get("base_kind") is not None:
        found["base_kind"] = sent["base_kind"]
    return found


def state_of(nomination: Nomination) -> dict[str, Any]:
    return {"id": nomination.id, "state": nomination.state, "version": nomination.version}


def declare(command: Declare, ctx: Context) -> Decision:
    sent = command.nominee
    who = Nominee(
        kind=str(sent.get("kind", "")),
        unit_id=str(sent.get("unit_id", "")),
        name=str(sent.get("name", "")),
        person_id=sent.get("person_id"),
        extra=nominee_extra(sent),
    )
    # Read, not changed: declarers into one campaign never write (or copy) the campaign.
    campaign = ctx.load.get_campaign(command.campaign_id)
    declaring_unit = ctx.load.get_unit(command.declaring_unit_id)
    nominee_unit = (
        declaring_unit if who.unit_id == declaring_unit.code else ctx.load.get_unit(who.unit_id)
    )
    authorize(ctx.actor, "declare", [declaring_unit, nominee_unit])
    # A declaration phase reopened for the declaring unit lets it declare late (issue 23).
    campaign.require_step_open("declaration", ctx.at, units=[declaring_unit.code])
    category = campaign.category(command.category)
    failures = declaration_failures(
        category,
        who,
        nominee_unit,
        declaring_unit,
        campaign.organiser_unit_id,
        command.form,
        command.material,
    )
    if failures:
        raise DeclarationInvalidError(failures)
    key = nominee_key(category.code, who.unit_id, who.person_id, who.name)
    if ctx.attempt:
        # The first attempt leaves uniqueness to the roster's unique claim, which fails the
        # save of a second claim (one read fewer for every declaration); deciding again after
        # any conflict asks who holds the nominee, to say so.
        refuse_duplicate(ctx, campaign.id, key)
    nomination = Nomination.declare(
        campaign.id,
        category.code,
        declaring_unit.code,
        replace(who, level=nominee_unit.level),
        command.form,
        command.material,
        ctx.actor,
        ctx.at,
    )
    warnings = ctx.queries.activity_day_failures(
        nomination, category.collective, campaign.year, ctx.at, as_warnings=True
    )
    result = dict(state_of(nomination), warnings=[f.as_dict() for f in warnings])
    return Decision([nomination], result)


def acting_candidates(
    ctx: Context, nomination: Nomination, campaign: Campaign, action: str
) -> list[Unit]:
    """The units at which ``action`` on ``nomination`` may be authorized: withdrawing at the
    declaring unit; the rest at the organiser or the unit the campaign delegated the nominee's
    level to; an inspection also at the nominee's unit where the level below assesses it."""
    if action == "withdraw":
        return [ctx.load.get_unit(nomination.declaring_unit_id)]
    candidates = acting_for_nominee(ctx.load, campaign, nomination)
    if action == "inspect" and campaign.local_inspection and ctx.actor.unit_id:
        organiser = ctx.load.organiser(campaign)
        nominee_unit = ctx.load.get_unit(nomination.nominee.unit_id)
        actor_unit = ctx.load.get_unit(ctx.actor.unit_id)
        if assesses_locally(ctx.actor, actor_unit, nominee_unit, organiser, campaign.local_inspection):
            candidates.append(nominee_unit)
    return candidates


def _decide_on(
    ctx: Context,
    nomination_id: Id,
    action: str,
    apply: Callable[[Nomination, Campaign], None],
    *,
    step: str | None = None,
) -> Decision:
    """The common shape of a decision on one nomination: load it (at the expected version),
    authorize ``action`` (withdrawing at the declaring unit, the rest at the organiser or the
    unit the campaign delegated the nominee's level to; an inspection also by the level below
    where the campaign says so), require ``step`` open, apply."""
    nomination = ctx.load.get_nomination(nomination_id)
    check_version(nomination, ctx.expected_version)
    campaign = ctx.load.get_campaign(nomination.campaign_id)
    authorize_any(ctx.actor, action, acting_candidates(ctx, nomination, campaign, action))
    if step:  # or reopened for its declaring or nominee unit, or for it (issue 23)
        campaign.require_step_open(
            step,
            ctx.at,
            units=[nomination.declaring_unit_id, nomination.nominee.unit_id],
            nomination_id=str(nomination.id),
        )
    apply(nomination, campaign)
    return Decision([nomination], state_of(nomination))


def pre_review(command: PreReview, ctx: Context) -> Decision:
    def apply(n: Nomination, c: Campaign) -> None:
        category = c.category(n.category)
        seed_004 = (
            ctx.queries.activity_day_failures(n, category.collective, c.year, ctx.at)
            if command.decision == PreReviewDecision.ADMIT
            else []
        )
        n.pre_review(
            category,
            command.decision,
            list(command.reasons),
            dict(command.checks or {}),
            ctx.actor,
            ctx.at,
            extra_failures=seed_004,
        )

    return _decide_on(ctx, command.nomination_id, "pre_review", apply, step="pre_review")


def inspect(command: Inspect, ctx: Context) -> Decision:
    def apply(n: Nomination, c: Campaign) -> None:
        # Inspection teams (issue 22): where the campaign has teams, only a member of the
        # assigned team who is not recused inspects (domain/handlers/team_checks.py).
        by = inspecting_member(ctx, n, c, "inspect", getattr(command, "member", None))
        n.inspect(
            c.category(n.category),
            list(command.methods),
            dict(command.scores),
            command.verdict,
            command.notes,
            ctx.actor,
            ctx.at,
            dict(command.checklist) if command.checklist is not None else None,
        )
        if by is not None:
            n.attribute_inspection(*by, ctx.actor, ctx.at)

    return _decide_on(ctx, command.nomination_id, "inspect", apply, step="inspection")


def withdraw(command: Withdraw, ctx: Context) -> Decision:
    def apply(n: Nomination, _: Campaign) -> None:
        n.withdraw(command.reason, ctx.actor, ctx.at)

    return _decide_on(ctx, command.nomination_id, "withdraw", apply)


def revoke(command: Revoke, ctx: Context) -> Decision:
    def apply(n: Nomination, _: Campaign) -> None:
        n.revoke(command.reason, command.cause, ctx.actor, ctx.at)

    return _decide_on(ctx, command.nomination_id, "revoke", apply)


def mark_reinspection_due(command: MarkReinspectionDue, ctx: Context) -> Decision:
    def apply(n: Nomination, _: Campaign) -> None:
        n.mark_reinspection_due(command.due_by.astimezone(UTC), ctx.actor, ctx.at)

    return _decide_on(ctx, command.nomination_id, "reinspect", apply)


def reinspect(command: Reinspect, ctx: Context) -> Decision:
    def apply(n: Nomination, c: Campaign) -> None:
        inspecting_member(ctx, n, c, "reinspect")  # a team member's recusals hold
        n.reinspect(
            c.category(n.category),
            list(command.methods),
            dict(command.scores),
            command.verdict,
            command.notes,
            ctx.actor,
            ctx.at,
            dict(command.checklist) if command.checklist is not None else None,
        )

    return _decide_on(ctx, command.nomination_id, "reinspect", apply)


HANDLERS: dict[type[Command], Handler] = {
    Declare: declare,
    PreReview: pre_review,
    Inspect: inspect,
    Withdraw: withdraw,
    Revoke: revoke,
    MarkReinspectionDue: mark_reinspection_due,
    Reinspect: reinspect,
}
