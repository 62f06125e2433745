"""The reviewer's (初审) pages under /ui/review: the pre-review queue of the campaigns the
reviewer may pre-review (filtered by campaign, category, unit and state; htmx swaps the list), a
nomination's page with its material, declared form, the checks its category asks for and the
rules that would fail now, the decision form (``PreReview``), and the deadline extension
(``ExtendDeadline``; then the campaign's workflow is told, as the API tells it).

Whether an action is offered is asked of the domain (``authorize``, the step's phase, the
nomination's state); the command decides anyway, and its refusal comes back by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.common import campaign_label
from api.pages.formatting import shown_status, zone
from api.pages.forms import ActionForm, submit
from api.pages.i18n import MESSAGES, Translator, language_of
from api.pages.nomination_facts import nomination_facts
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from api.pages.work_queues import (
    Filters,
    Text,
    desks,
    organiser_refusal,
    queue_context,
    queue_response,
    why_not,
)
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import ExtendDeadline, PreReview
from domain.errors import RuleFailure, RuleViolationError
from domain.nominations import Nomination
from domain.rules.eligibility import DISQUALIFIER_CHECKS
from domain.rules.jurisdiction import require_role
from domain.values import Phase
from domain.vocabulary import NominationState, PhaseStatus, PreReviewDecision, Step

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

REVIEW_STATES = (NominationState.DECLARED, NominationState.ADMITTED, NominationState.REJECTED)


@router.get("/review", response_class=HTMLResponse)
def review_queue(
    request: Request,
    app: App,
    actor: PageActor,
    campaign: Text = "",
    category: Text = "",
    unit: Text = "",
    state: Text = NominationState.DECLARED,
) -> Response:
    """初审队列: the nominations of the campaigns I may pre-review (declared ones unless the
    state filter says otherwise)."""
    filters = Filters(campaign, category, unit, state if NominationState.parse(state) else "")
    all_desks = desks(app, actor, "pre_review", Step.PRE_REVIEW)
    context = queue_context(request, app, actor, all_desks, filters, [filters.state])
    context["states"] = REVIEW_STATES
    context["may_extend"] = {
        str(d.campaign.id): organiser_refusal(app, actor, d.campaign, "extend_deadline") is None
        for d in all_desks
    }
    return queue_response(request, "review_queue.html", "review_rows.html", context)


# --- one nomination ----------------------------------------------------------------------------


def review_context(
    request: Request, app: Laurel, actor: Actor, nomination: Nomination
) -> dict[str, Any]:
    """The reviewer's page: the facts, the checks the category asks for, what would fail at
    admission now, and whether the actor may decide (or the domain's reason why not)."""
    context = nomination_facts(request, app, nomination)
    campaign, category = context["campaign"], context["category"]
    t = Translator(language_of(request))
    declared = nomination.state == NominationState.DECLARED
    refused = why_not(app, actor, campaign, "pre_review", Step.PRE_REVIEW)
    activity = (
        app.queries.activity_day_failures(nomination, category.collective, campaign.year, app.clock())
        if declared
        else []
    )
    context.update(
        {
            "checks": [code for d in category.disqualifiers for code in DISQUALIFIER_CHECKS.get(d, ())],
            "activity_failures": activity,
            "decidable": declared and refused is None,
            "why_not": refused,
            "decision_options": [(d.value, t.decision(d)) for d in PreReviewDecision],
        }
    )
    return context


@router.get("/review/nominations/{nomination_id}", response_class=HTMLResponse)
def review_nomination(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    require_role(actor, "pre_review")
    nomination = app.access.readable_nomination(nomination_id, actor)
    return render(request, "review_nomination.html", review_context(request, app, actor, nomination))


# --- the decision ------------------------------------------------------------------------------


def posted_checks(values: Mapping[str, Any]) -> dict[str, Any]:
    """``checks.<code>`` = "true" / "false" as booleans (anything else as sent: the rule names it)."""
    words = {"true": True, "false": False}
    return {
        name.removeprefix("checks."): words.get(str(value), value)
        for name, value in values.items()
        if name.startswith("checks.")
    }


@router.post("/review/nominations/{nomination_id}/pre-review")
async def pre_review(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    decision = str(form.values.get("decision", ""))
    command = PreReview(
        nomination_id=nomination_id,
        decision=decision,
        reasons=[line.strip() for line in str(form.values.get("reasons", "")).splitlines()],
        checks=posted_checks(form.values),
    )

    def again() -> tuple[str, dict[str, Any]]:
        nomination = app.access.readable_nomination(nomination_id, form.actor)
        return "review_nomination.html", review_context(request, app, form.actor, nomination)

    admitted = decision == PreReviewDecision.ADMIT
    return await submit(
        request,
        form,
        command,
        done="/ui/review",
        again=again,
        flash=t("review.admitted" if admitted else "review.rejected"),
    )


# --- deadline extension ------------------------------------------------------------------------


def local_input(moment: datetime, timezone: str) -> str:
    """An instant as a ``datetime-local`` input's value, in the campaign's zone."""
    return moment.astimezone(zone(timezone)).strftime("%Y-%m-%dT%H:%M")


def parsed_local(text: str, timezone: str) -> datetime:
    """A ``datetime-local`` value read in the campaign's zone (refused by field when it is none)."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        zh, en = MESSAGES["review.closes_at_invalid"]
        raise RuleViolationError(
            [
                RuleFailure(
                    "closes_at_valid",
                    en,
                    zh,
                    "closes_at",
                    "YYYY-MM-DDTHH:MM",
                    text,
                )
            ]
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone(timezone))


def extension_context(
    request: Request, app: Laurel, actor: Actor, campaign: Campaign, chosen: str = ""
) -> dict[str, Any]:
    t = Translator(language_of(request))
    now = app.clock()
    statuses = [(p, shown_status(asdict(p), now)) for p in campaign.phases]
    extendable = [p for p, status in statuses if status != PhaseStatus.CLOSED]
    codes = [p.code for p in extendable]
    preferred = campaign.steps.get(Step.PRE_REVIEW, "")
    chosen = chosen if chosen in codes else preferred if preferred in codes else (codes or [""])[0]
    close = next((p.closes_at for p in extendable if p.code == chosen), None)

    def option(phase: Phase) -> tuple[str, str]:
        now_closes = local_input(phase.closes_at, campaign.timezone).replace("T", " ")
        return phase.code, f"{t.name(phase)}（{t('review.current_deadline')} {now_closes}）"

    return {
        "campaign": campaign,
        "campaign_label": campaign_label(campaign, t, unit_names(app, t)),
        "phases": [{"phase": p, "status": status} for p, status in statuses],
        "extendable": [option(p) for p in extendable],
        "chosen": chosen,
        "chosen_close": local_input(close, campaign.timezone) if close else "",
        "why_not": organiser_refusal(app, actor, campaign, "extend_deadline"),
    }


@router.get("/review/campaigns/{campaign_id}/deadline", response_class=HTMLResponse)
def extension_form(
    request: Request, campaign_id: str, app: App, actor: PageActor, phase: Text = ""
) -> Response:
    """延长截止时间: a phase's new deadline, in the campaign's time zone, with a reason."""
    require_role(actor, "extend_deadline")
    campaign = app.access.readable_campaign(campaign_id, actor)
    context = extension_context(request, app, actor, campaign, phase)
    return render(request, "review_extension.html", context)


@router.post("/review/campaigns/{campaign_id}/deadline")
async def extend_deadline(
    request: Request, campaign_id: str, app: App, services: ServicesDep, form: ActionForm
) -> Response:
    """Decided by the domain; then the campaign's workflow is told (bounded, never raises: a
    workflow not told reads the deadlines when its next timer fires), as the API does."""
    t = Translator(language_of(request))
    campaign = await run_in_threadpool(app.access.readable_campaign, campaign_id, form.actor)
    phase = str(form.values.get("phase", ""))

    def command() -> ExtendDeadline:
        closes_at = parsed_local(str(form.values.get("closes_at", "")), campaign.timezone)
        reason = str(form.values.get("reason", ""))
        return ExtendDeadline(campaign_id=campaign_id, phase=phase, closes_at=closes_at, reason=reason)

    def again() -> tuple[str, dict[str, Any]]:
        current = app.access.readable_campaign(campaign_id, form.actor)
        return "review_extension.html", extension_context(request, app, form.actor, current, phase)

    response = await submit(
        request,
        form,
        command,
        done=f"/ui/review/campaigns/{campaign.id}/deadline",
        again=again,
        flash=t("review.extension_done"),
    )
    if response.status_code in (204, 303):
        await services.scheduler.deadline_extended(str(campaign.id))
    return response
