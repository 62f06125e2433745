"""The inspector's (考核) pages under /ui/inspect: the admitted nominations of the campaigns in
their inspection phase, and a scoring form per criterion (weight, range, rubric from the
template), the category's checklists item by item (met / not met, a note), methods, verdict and
notes (``Inspect``); what other inspectors said shows only once one's own inspection is in.

Whether scoring is offered is asked of the domain (``authorize``, the step's phase, the
nomination's state); the command decides anyway, and its refusal comes back by field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from api.deps import App
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.nomination_facts import nomination_facts
from api.pages.rendering import PageActor, PageRoute, render
from api.pages.work_queues import Filters, Text, desks, queue_context, queue_response, why_not
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Inspect, InspectForMember
from domain.nominations import Nomination
from domain.rules.inspection import SCORE_RANGE
from domain.rules.jurisdiction import require_role
from domain.teams import in_team_queue, named_member_options
from domain.values import Inspection
from domain.vocabulary import (
    ChecklistOutcome,
    InspectionMethod,
    InspectionVerdict,
    NominationState,
    Step,
)

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

INSPECTABLE = (NominationState.ADMITTED, NominationState.INSPECTED)


@router.get("/inspect", response_class=HTMLResponse)
def inspect_queue(
    request: Request,
    app: App,
    actor: PageActor,
    campaign: Text = "",
    category: Text = "",
    unit: Text = "",
    show: Annotated[str, Query(pattern="^(todo|done)$")] = "todo",
) -> Response:
    """考核队列: the admitted nominations of the campaigns in their inspection phase I may
    inspect; ``show=todo`` those I have not inspected yet, ``done`` those I have."""
    filters = Filters(campaign, category, unit)
    in_phase = [d for d in desks(app, actor, "inspect", Step.INSPECTION) if d.open]
    context = queue_context(request, app, actor, in_phase, filters, INSPECTABLE)
    for row in context["rows"]:
        row.mine = bool(own_inspections(row.nomination, actor))
    context["rows"] = [
        r
        for r in context["rows"]
        if r.mine == (show == "done")
        # inspection teams (issue 22): where the campaign has teams, only my team's nominations
        and in_team_queue(r.campaign.teams, r.nomination.team_id, actor.token_id)
    ]
    context["show"] = show
    return queue_response(request, "inspect_queue.html", "inspect_rows.html", context)


# --- one nomination ----------------------------------------------------------------------------


def own_inspections(nomination: Nomination, actor: Actor) -> list[Inspection]:
    return [i for i in nomination.inspections if i.inspector.token_id == actor.token_id]


def number_text(value: float) -> str:
    return f"{value:g}"


def inspect_context(
    request: Request, app: Laurel, actor: Actor, nomination: Nomination
) -> dict[str, Any]:
    """The inspector's page: the facts, the scoring form, and the others' inspections only once
    the actor's own is in (nobody scores after reading another's scores)."""
    context = nomination_facts(request, app, nomination)
    campaign, category = context["campaign"], context["category"]
    t = Translator(language_of(request))
    refused = why_not(app, actor, campaign, "inspect", Step.INSPECTION)
    mine = own_inspections(nomination, actor)
    total = sum(c.weight for c in category.criteria) or 1.0
    context.update(
        {
            "criteria": [
                (c, number_text(c.weight), f"{c.weight / total:.0%}") for c in category.criteria
            ],
            "score_range": SCORE_RANGE,
            "method_options": [(m.value, t.method(m)) for m in InspectionMethod],
            "verdict_options": [(v.value, t.verdict(v)) for v in InspectionVerdict],
            "checklists": category.checklists_for(nomination.nominee.level),
            "outcome_options": [(o.value, o.label(t.lang)) for o in ChecklistOutcome],
            "mine": mine,
            "others": [i for i in nomination.inspections if i not in mine] if mine else [],
            "others_hidden": not mine,
            "scorable": refused is None and nomination.state in INSPECTABLE,
            "why_not": refused,
            # inspection teams (issue 22): the leader records a named member's inspection
            "member_options": named_member_options(campaign.teams, nomination.team_id, actor.token_id),
        }
    )
    return context


@router.get("/inspect/nominations/{nomination_id}", response_class=HTMLResponse)
def inspect_nomination(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    require_role(actor, "inspect")
    nomination = app.access.readable_nomination(nomination_id, actor)
    return render(request, "inspect_nomination.html", inspect_context(request, app, actor, nomination))


# --- the inspection ----------------------------------------------------------------------------


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def posted_scores(values: Mapping[str, Any]) -> dict[str, Any]:
    """``scores.<criterion>`` as numbers; a blank one left out (the rule says it is unscored),
    one that is not a number sent as typed (the rule says it is out of range)."""
    scores: dict[str, Any] = {}
    for name, value in values.items():
        text = str(value).strip()
        if name.startswith("scores.") and text:
            try:
                scores[name.removeprefix("scores.")] = float(text)
            except ValueError:
                scores[name.removeprefix("scores.")] = text
    return scores


def posted_checklist(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``checklist.<list>.<item>`` (met | unmet) with its ``….note``, as the command takes it:
    an item left unanswered is left out (the rule names it), one answered otherwise is sent as
    typed (the rule says it is met or not met)."""
    checklist: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != "checklist":
            continue
        text = str(value[0] if isinstance(value, list) and value else value).strip()
        if not text:
            continue
        outcomes: dict[str, bool] = {ChecklistOutcome.MET: True, ChecklistOutcome.UNMET: False}
        met: Any = outcomes.get(text, text)
        note = str(values.get(f"{name}.note") or "").strip()
        checklist.setdefault(parts[1], {})[parts[2]] = {"met": met, "note": note} if note else met
    return checklist


@router.post("/inspect/nominations/{nomination_id}/inspection")
async def inspect(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    fields: dict[str, Any] = {
        "nomination_id": nomination_id,
        "methods": as_list(form.values.get("methods")),
        "scores": posted_scores(form.values),
        "verdict": str(form.values.get("verdict", "")),
        "notes": str(form.values.get("notes", "")).strip(),
        "checklist": posted_checklist(form.values),
    }
    # inspection teams (issue 22): a leader recording a named member's inspection
    member = str(form.values.get("member") or "").strip()
    command = InspectForMember(member=member, **fields) if member else Inspect(**fields)

    def again() -> tuple[str, dict[str, Any]]:
        nomination = app.access.readable_nomination(nomination_id, form.actor)
        return "inspect_nomination.html", inspect_context(request, app, form.actor, nomination)

    return await submit(
        request,
        form,
        command,
        done=f"/ui/inspect/nominations/{nomination_id}",
        again=again,
        flash=t("inspect.submitted"),
    )
