"""上报名额 (``/ui/organise/campaigns/{campaign}/quotas``): an upper-level campaign's forwarding
quotas, per organiser below it and category (``SetForwardingQuotas``: the whole table at once,
an empty field for no limit), and what each organiser below has forwarded so far.

The organisers below are the organiser's children, the organisers of the campaigns whose parent
is this one, and any unit the table already names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App
from api.pages.common import campaign_label, refusal
from api.pages.forms import ActionForm, submit
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import MAX_FORWARDING_QUOTA, Campaign
from domain.commands import SetForwardingQuotas
from domain.errors import RuleFailure, RuleViolationError
from domain.rules.jurisdiction import authorize, require_role

router = APIRouter(prefix="/ui/organise", route_class=PageRoute, include_in_schema=False)

UNITS_SHOWN = 500  # organisers below listed on the form
MAX_REASON = 500
CAMPAIGNS_SEARCHED = 2000  # campaigns looked through for those whose parent is this one


@dataclass
class Below:
    """An organiser below: its unit, its campaigns under this one, its quotas by category."""

    unit_id: str
    campaigns: list[Campaign] = field(default_factory=list)
    quotas: dict[str, int] = field(default_factory=dict)


def field_name(unit_id: str, category: str) -> str:
    """The input's name, as the domain names the field it refuses: ``quotas.<unit>.<category>``."""
    return f"quotas.{unit_id}.{category}"


def organisers_below(app: Laurel, campaign: Campaign) -> list[Below]:
    organiser = app.get_unit(campaign.organiser_unit_id)
    found: dict[str, Below] = {code: Below(code) for code in sorted(organiser.children)}
    for entry in app.list_campaigns()[:CAMPAIGNS_SEARCHED]:
        if entry["organiser_unit_id"] == organiser.code or str(entry["campaign_id"]) == str(campaign.id):
            continue
        child = app.get_campaign(entry["campaign_id"])
        if child.parent_campaign_id is not None and str(child.parent_campaign_id) == str(campaign.id):
            found.setdefault(child.organiser_unit_id, Below(child.organiser_unit_id)).campaigns.append(
                child
            )
    for unit_id, quotas in campaign.forwarding_quotas.items():
        found.setdefault(unit_id, Below(unit_id)).quotas = dict(quotas)
    # organisers running a campaign under this one first, then the rest by code
    ordered = sorted(found.values(), key=lambda b: (not b.campaigns, b.unit_id))
    return ordered[:UNITS_SHOWN]


def received(campaign: Campaign) -> list[dict[str, Any]]:
    """What each organiser below has forwarded, per category."""
    rows = []
    for key, count in sorted(campaign.forwarded.items()):
        unit_id, _, category = key.partition("|")
        rows.append({"unit_id": unit_id, "category": category, "count": count})
    return rows


def quotas_context(request: Request, app: Laurel, actor: Actor, campaign_id: str) -> dict[str, Any]:
    require_role(actor, "forward")
    campaign = app.access.readable_campaign(campaign_id, actor)
    organiser = app.get_unit(campaign.organiser_unit_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return {
        "campaign": campaign,
        "below": organisers_below(app, campaign),
        "received": received(campaign),
        "categories": {c.code: c for c in campaign.categories},
        "why_not": refusal(lambda: authorize(actor, "forward", [organiser])),
        "field_name": field_name,
        "max_quota": MAX_FORWARDING_QUOTA,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
        "label_of": lambda c: campaign_label(c, t, names),
    }


@router.get("/campaigns/{campaign_id}/quotas", response_class=HTMLResponse)
def quotas_page(request: Request, campaign_id: str, app: App, actor: PageActor) -> Response:
    """上报名额: the forwarding quotas of each organiser below, and what each has forwarded."""
    return render(request, "organise_quotas.html", quotas_context(request, app, actor, campaign_id))


def typed_quotas(
    values: Mapping[str, Any], below: list[Below], categories: list[str]
) -> dict[str, dict[str, int]]:
    """The table as typed: an empty field is no limit; anything but a whole number is refused
    by its field (the domain holds the range)."""
    quotas: dict[str, dict[str, int]] = {}
    failures = []
    for b in below:
        for code in categories:
            name = field_name(b.unit_id, code)
            typed = str(values.get(name) or "").strip()
            if not typed:
                continue
            if not typed.isdigit() or int(typed) > MAX_FORWARDING_QUOTA:
                zh, en = Translator("zh")("levels.quota_number"), Translator("en")("levels.quota_number")
                failures.append(
                    RuleFailure(
                        "forwarding_quota_whole_number", en, zh, name, MAX_FORWARDING_QUOTA, typed
                    )
                )
                continue
            quotas.setdefault(b.unit_id, {})[code] = int(typed)
    if failures:
        raise RuleViolationError(failures)
    return quotas


@router.post("/campaigns/{campaign_id}/quotas", response_class=HTMLResponse)
async def set_quotas(request: Request, campaign_id: str, app: App, form: ActionForm) -> Response:
    t = Translator(language_of(request))
    context = await run_in_threadpool(quotas_context, request, app, form.actor, campaign_id)
    campaign = context["campaign"]

    def command() -> SetForwardingQuotas:
        shown = {b.unit_id for b in context["below"]}
        # The table shows at most UNITS_SHOWN units: the quotas of those it did not show stay.
        kept = {u: dict(q) for u, q in campaign.forwarding_quotas.items() if u not in shown}
        quotas = kept | typed_quotas(form.values, context["below"], list(context["categories"]))
        reason = str(form.values.get("reason") or "")
        if len(reason) > MAX_REASON:
            raise RuleViolationError(
                [
                    RuleFailure(
                        "reason_length",
                        f"the reason is at most {MAX_REASON} characters",
                        f"调整理由不超过 {MAX_REASON} 字",
                        "reason",
                        MAX_REASON,
                        len(reason),
                    )
                ]
            )
        return SetForwardingQuotas(campaign_id=str(campaign.id), quotas=quotas, reason=reason)

    return await submit(
        request,
        form,
        command,
        done=f"/ui/organise/campaigns/{campaign.id}/quotas",
        again=lambda: ("organise_quotas.html", quotas_context(request, app, form.actor, campaign_id)),
        flash=t("levels.quotas_saved"),
    )
