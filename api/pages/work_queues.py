"""What the reviewer's and the inspector's queues share: the campaigns an actor may act on for a
step (their desks, with the step's phase and the domain's reason when it is not open), the
queue's filters and rows, and the page or htmx fragment the queue renders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import partial as partial_call
from typing import Annotated, Any

from fastapi import Query, Request, Response

from api.pages.common import campaign_label, partial, refusal
from api.pages.formatting import shown_status
from api.pages.i18n import Translator, language_of
from api.pages.rendering import render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.errors import DomainError
from domain.nominations import Nomination
from domain.rules.jurisdiction import authorize, local_assessor, require_role
from domain.rules.material import count_characters
from domain.values import Category, Phase
from domain.vocabulary import Step

QUEUE_LIMIT = 200  # rows a queue shows; the filters narrow it


# --- where an actor may act --------------------------------------------------------------------


@dataclass(frozen=True)
class Desk:
    """A campaign the actor may act on for a step: that step's phase as shown now, and the
    domain's reason when the step is not open (``closed``)."""

    campaign: Campaign
    phase: Phase
    status: str
    closed: DomainError | None
    # Only the nominees of ``local_levels`` (empty: all): those delegated to the actor's unit
    # (seed 001: 县直机关工委 the agencies), or (with ``local_unit``) those an inspector of the
    # level below assesses in its own subtree.
    local_unit: str | None = None
    local_levels: tuple[str, ...] = ()

    @property
    def open(self) -> bool:
        return self.closed is None


def organiser_refusal(app: Laurel, actor: Actor, campaign: Campaign, action: str) -> DomainError | None:
    organiser = app.get_unit(campaign.organiser_unit_id)
    return refusal(lambda: authorize(actor, action, [organiser]))


def desk_of(app: Laurel, actor: Actor, campaign: Campaign, action: str, step: Step) -> Desk | None:
    """The campaign as a desk of ``action`` for ``actor``; None outside its jurisdiction."""
    local_unit: str | None = None
    local_levels: tuple[str, ...] = ()
    if organiser_refusal(app, actor, campaign, action) is not None:
        actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
        organiser = app.get_unit(campaign.organiser_unit_id)
        delegated = tuple(
            level
            for level, code in campaign.delegates.items()
            if refusal(partial_call(authorize, actor, action, [app.get_unit(code)])) is None
        )
        if delegated:
            local_levels = delegated
        elif (
            action == "inspect"
            and actor_unit is not None
            and local_assessor(actor, actor_unit, organiser, campaign.local_inspection)
        ):
            local_unit = actor_unit.code
            local_levels = tuple(campaign.local_inspection[str(actor_unit.level)])
        else:
            return None
    now, phase = app.clock(), campaign.phase_for(step)
    closed = refusal(lambda: campaign.require_step_open(step, now))
    return Desk(campaign, phase, shown_status(asdict(phase), now), closed, local_unit, local_levels)


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
    wanted = list(states)
    rows: list[Row] = []
    for desk in chosen:
        campaign = desk.campaign
        categories = {c.code: c for c in campaign.categories}
        if filters.category and filters.category not in categories:
            continue
        found, _ = app.queries.nomination_page(
            campaign.id,
            category=filters.category or None,
            states=None if "" in wanted else wanted,
            unit=filters.unit or desk.local_unit,
            limit=QUEUE_LIMIT + 1 - len(rows),
        )
        if desk.local_levels:  # only the nominees delegated to it, or it assesses
            found = [
                n
                for n in found
                if str((nominee := app.get_unit(n.nominee.unit_id)).level) in desk.local_levels
                and (desk.local_unit is None or nominee.is_within(desk.local_unit))
            ]
        rows.extend(Row(n, campaign, categories[n.category]) for n in found)
        if len(rows) > QUEUE_LIMIT:
            return rows[:QUEUE_LIMIT], True
    return rows, False


def unit_choices(app: Laurel, actor: Actor, chosen: Iterable[Desk]) -> list[str]:
    """The units a queue may be narrowed to: the declaring units of the campaigns and those
    between them and the actor's own (not every village of the tree)."""
    codes: set[str] = set()
    for desk in chosen:
        for declaring in app.roster.units(str(desk.campaign.id), nominees=False):
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


Text = Annotated[str, Query(max_length=64)]  # a queue filter's value


def why_not(
    app: Laurel, actor: Actor, campaign: Campaign, action: str, step: Step
) -> DomainError | None:
    """Why the actor may not act on ``campaign`` for ``action`` now (None: it may)."""
    desk = desk_of(app, actor, campaign, action, step)
    return organiser_refusal(app, actor, campaign, action) if desk is None else desk.closed
