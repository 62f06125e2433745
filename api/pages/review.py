"""The reviewer's (初审) and the inspector's (考核) pages under /ui/review and /ui/inspect.

Reviewer: the pre-review queue of the campaigns the reviewer may pre-review (filtered by
campaign, category, unit and state; htmx swaps the list), a nomination's page with its
material, declared form, the checks its category asks for and the rules that would fail now,
the decision form (``PreReview``), and the deadline extension (``ExtendDeadline``; then the
campaign's workflow is told, as the API tells it).

Inspector: the admitted nominations of the campaigns in their inspection phase, and a scoring
form per criterion (weight, range, rubric from the template), methods, verdict and notes
(``Inspect``); what other inspectors said shows only once one's own inspection is in.

Whether an action is offered is asked of the domain (``authorize``, the step's phase, the
nomination's state); the command decides anyway, and its refusal comes back by field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.formatting import shown_status, zone
from api.pages.forms import ActionForm, submit
from api.pages.i18n import MESSAGES, Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.commands import ExtendDeadline, Inspect, PreReview
from domain.errors import DomainError, RuleFailure, RuleViolationError
from domain.nominations import Nomination
from domain.rules.eligibility import EQUIPMENT_RUNS, FIVE_PROTECTIONS, HARDWARE_DAMAGED
from domain.rules.jurisdiction import authorize, require_role
from domain.rules.material import count_characters
from domain.rules.thresholds import threshold_failures
from domain.values import Category, Inspection, Phase, Threshold
from domain.vocabulary import (
    InspectionMethod,
    InspectionVerdict,
    NominationState,
    PhaseStatus,
    PreReviewDecision,
    Step,
)

router = APIRouter(prefix="/ui", route_class=PageRoute, include_in_schema=False)

QUEUE_LIMIT = 200  # rows a queue shows; the filters narrow it
# The yes/no findings a category's disqualifiers ask of the reviewer (domain/rules/eligibility.py),
# each sent as ``checks.<code>`` of the PreReview command.
DISQUALIFIER_CHECKS: dict[str, tuple[str, ...]] = {FIVE_PROTECTIONS: (EQUIPMENT_RUNS, HARDWARE_DAMAGED)}
SCORE_RANGE = (0, 100)  # the scores domain/rules/inspection.py accepts (the input's hint only)
OPERATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "="}
REVIEW_STATES = (NominationState.DECLARED, NominationState.ADMITTED, NominationState.REJECTED)
INSPECTABLE = (NominationState.ADMITTED, NominationState.INSPECTED)


def refusal(check: Callable[[], object]) -> DomainError | None:
    """What the domain says against ``check`` (None: nothing)."""
    try:
        check()
    except DomainError as exc:
        return exc
    return None


def partial(request: Request) -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def campaign_label(campaign: Campaign, t: Translator, unit_name: Callable[[str], str]) -> str:
    """Tells like campaigns apart: name, year and organiser."""
    year = f" {campaign.year}" if campaign.year else ""
    return f"{t.name(campaign)}{year} · {unit_name(campaign.organiser_unit_id)}"


def check_labeller(t: Translator) -> Callable[[str], str]:
    """A pre-review check's question (its code when the catalogue has none)."""
    return lambda code: t(f"review.check.{code}") if f"review.check.{code}" in MESSAGES else code


# --- where an actor may act --------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """A campaign the actor may act on for a step: that step's phase as shown now, and the
    domain's reason when the step is not open (``closed``)."""

    campaign: Campaign
    phase: Phase
    status: str
    closed: DomainError | None

    @property
    def open(self) -> bool:
        return self.closed is None


def organiser_refusal(app: Laurel, actor: Actor, campaign: Campaign, action: str) -> DomainError | None:
    organiser = app.get_unit(campaign.organiser_unit_id)
    return refusal(lambda: authorize(actor, action, [organiser]))


def desk_of(app: Laurel, actor: Actor, campaign: Campaign, action: str, step: Step) -> Desk | None:
    """The campaign as a desk of ``action`` for ``actor``; None outside its jurisdiction."""
    if organiser_refusal(app, actor, campaign, action) is not None:
        return None
    now, phase = app.clock(), campaign.phase_for(step)
    closed = refusal(lambda: campaign.require_step_open(step, now))
    return Desk(campaign, phase, shown_status(asdict(phase), now), closed)


def desks(app: Laurel, actor: Actor, action: str, step: Step) -> list[Desk]:
    """Every campaign the actor may act on for ``action`` (refused to a role that never may),
    newest first."""
    require_role(actor, action)
    found = []
    for entry in app.list_campaigns():
        desk = desk_of(app, actor, app.get_campaign(entry["campaign_id"]), action, step)
        if desk is not None:
            found.append(desk)
    return sorted(found, key=lambda d: (d.campaign.year or 0, d.campaign.created_on), reverse=True)


# --- the queues --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    campaign: str = ""
    category: str = ""
    unit: str = ""
    state: str = ""


@dataclass
class Row:
    nomination: Nomination
    campaign: Campaign
    category: Category
    mine: bool = False  # the inspector's queue: inspected by me already


def queue_rows(
    app: Laurel, chosen: Iterable[Desk], filters: Filters, states: Iterable[str]
) -> tuple[list[Row], bool]:
    """The nominations of the chosen desks in ``states`` (any state for ``""``), filtered, each
    campaign's in declaration order; and whether more than ``QUEUE_LIMIT`` matched."""
    rows: list[Row] = []
    for desk in chosen:
        campaign = desk.campaign
        categories = {c.code: c for c in campaign.categories}
        if filters.category and filters.category not in categories:
            continue
        found: list[Nomination] = []
        for state in states:
            page, _ = app.queries.nomination_page(
                campaign.id,
                category=filters.category or None,
                state=state or None,
                unit=filters.unit or None,
                limit=QUEUE_LIMIT + 1 - len(rows) - len(found),
            )
            found.extend(page)
        position = {nomination_id: i for i, nomination_id in enumerate(campaign.roster)}
        found.sort(key=lambda n: position.get(str(n.id), 0))
        rows.extend(Row(n, campaign, categories[n.category]) for n in found)
        if len(rows) > QUEUE_LIMIT:
            return rows[:QUEUE_LIMIT], True
    return rows, False


def unit_choices(app: Laurel, actor: Actor, chosen: Iterable[Desk]) -> list[str]:
    """The units a queue may be narrowed to: the declaring units of the campaigns and those
    between them and the actor's own (not every village of the tree)."""
    codes: set[str] = set()
    for desk in chosen:
        for declaring in {e["declaring_unit_id"] for e in desk.campaign.roster.values()}:
            unit = app.get_unit(declaring)
            path = [*unit.path, unit.code]
            codes.update(path[path.index(actor.unit_id) if actor.unit_id in path else 0 :])
    units = sorted((app.get_unit(code) for code in codes), key=lambda u: (len(u.path), u.code))
    return [u.code for u in units]


def queue_context(
    request: Request,
    app: Laurel,
    actor: Actor,
    all_desks: list[Desk],
    filters: Filters,
    states: Iterable[str],
) -> dict[str, Any]:
    t = Translator(language_of(request))
    names = unit_names(app, t)
    chosen = [d for d in all_desks if filters.campaign in ("", str(d.campaign.id))]
    rows, more = queue_rows(app, chosen, filters, states)
    categories: dict[str, Category] = {}
    for desk in all_desks:
        for category in desk.campaign.categories:
            categories.setdefault(category.code, category)
    return {
        "desks": all_desks,
        "chosen": chosen,
        "filters": filters,
        "rows": rows,
        "more": more,
        "limit": QUEUE_LIMIT,
        "units": unit_choices(app, actor, all_desks),
        "categories": categories,
        "unit_name": names,
        "campaign_label": lambda c: campaign_label(c, t, names),
        "now": app.clock(),
        "material_chars": count_characters,
    }


def queue_response(request: Request, page: str, rows: str, context: dict[str, Any]) -> Response:
    response = render(request, rows if partial(request) else page, context)
    response.headers["Vary"] = "HX-Request"
    return response


Text = Annotated[str, Query(max_length=64)]


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
    context["rows"] = [r for r in context["rows"] if r.mine == (show == "done")]
    context["show"] = show
    return queue_response(request, "inspect_queue.html", "inspect_rows.html", context)


# --- one nomination ----------------------------------------------------------------------------


@dataclass
class FormValue:
    """A declared form field, the thresholds on it (those for the nominee's level) and which
    of them fail now."""

    code: str  # the field a refusal names: form.<field>
    label: Any
    value: Any
    thresholds: list[Threshold] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)


def form_values(category: Category, nomination: Nomination) -> tuple[list[FormValue], list[RuleFailure]]:
    """The declared form with what the category's thresholds say of it now; and every
    threshold failure (the domain's, as admitting would find them)."""
    level = nomination.nominee.level
    failing = threshold_failures(category, nomination.form, level)
    rows = {
        spec.code: FormValue(f"form.{spec.code}", spec, nomination.form.get(spec.code))
        for spec in category.form_fields
    }
    for key, value in nomination.form.items():
        rows.setdefault(key, FormValue(f"form.{key}", None, value))
    for threshold in category.thresholds:
        if threshold.field in rows and (not threshold.levels or level in threshold.levels):
            rows[threshold.field].thresholds.append(threshold)
    for failure in failing:
        row = rows.get((failure.field or "").removeprefix("form."))
        if row is not None:
            row.failures.append(failure)
    return list(rows.values()), failing


def nomination_facts(request: Request, app: Laurel, nomination: Nomination) -> dict[str, Any]:
    """What both the reviewer's and the inspector's page show of a nomination."""
    t = Translator(language_of(request))
    names = unit_names(app, t)
    campaign = app.get_campaign(nomination.campaign_id)
    category = campaign.category(nomination.category)
    values, failing = form_values(category, nomination)
    return {
        "nomination": nomination,
        "campaign": campaign,
        "category": category,
        "form_values": values,
        "precheck_failures": failing,
        "material_chars": count_characters(nomination.material),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "operator_signs": OPERATOR_SIGNS,
        "check_label": check_labeller(t),
    }


def why_not(
    app: Laurel, actor: Actor, campaign: Campaign, action: str, step: Step
) -> DomainError | None:
    desk = desk_of(app, actor, campaign, action, step)
    return organiser_refusal(app, actor, campaign, action) if desk is None else desk.closed


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
            "mine": mine,
            "others": [i for i in nomination.inspections if i not in mine] if mine else [],
            "others_hidden": not mine,
            "scorable": refused is None and nomination.state in INSPECTABLE,
            "why_not": refused,
        }
    )
    return context


@router.get("/review/nominations/{nomination_id}", response_class=HTMLResponse)
def review_nomination(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    require_role(actor, "pre_review")
    nomination = app.access.readable_nomination(nomination_id, actor)
    return render(request, "review_nomination.html", review_context(request, app, actor, nomination))


@router.get("/inspect/nominations/{nomination_id}", response_class=HTMLResponse)
def inspect_nomination(request: Request, nomination_id: str, app: App, actor: PageActor) -> Response:
    require_role(actor, "inspect")
    nomination = app.access.readable_nomination(nomination_id, actor)
    return render(request, "inspect_nomination.html", inspect_context(request, app, actor, nomination))


# --- the decisions -----------------------------------------------------------------------------


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def posted_checks(values: Mapping[str, Any]) -> dict[str, Any]:
    """``checks.<code>`` = "true" / "false" as booleans (anything else as sent: the rule names it)."""
    words = {"true": True, "false": False}
    return {
        name.removeprefix("checks."): words.get(str(value), value)
        for name, value in values.items()
        if name.startswith("checks.")
    }


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


@router.post("/inspect/nominations/{nomination_id}/inspection")
async def inspect(request: Request, nomination_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    command = Inspect(
        nomination_id=nomination_id,
        methods=as_list(form.values.get("methods")),
        scores=posted_scores(form.values),
        verdict=str(form.values.get("verdict", "")),
        notes=str(form.values.get("notes", "")).strip(),
    )

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
