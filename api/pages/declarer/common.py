"""What the declarer's pages share: who sees them and who is offered the forms, the campaigns
open to my unit with their phases (``Desk``), my nominations as the lists show them, and the
units of my subtree a category may nominate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.pages.common import refusal
from api.pages.formatting import phase_countdowns
from api.pages.i18n import Translator
from domain.actors import Actor
from domain.application import Laurel
from domain.campaigns import Campaign
from domain.errors import DomainError
from domain.nominations import WITHDRAWABLE, Nomination
from domain.rules.jurisdiction import authorize, can_read_campaign
from domain.rules.jurisdiction import require_role as require_role_for
from domain.units import Unit
from domain.values import Category
from domain.vocabulary import Level, NominationState, Role, Step

MINE_SHOWN = 200  # nominations a list shows


# --- who sees what -----------------------------------------------------------------------------


def require_declarer_pages(actor: Actor) -> None:
    """Declarers, and admins reading their subtree; anyone else is refused as the API would."""
    if actor.role != Role.ADMIN:
        require_role_for(actor, "declare")


def may_declare(actor: Actor) -> bool:
    """Whether the forms are offered: a declarer's token scoped to a unit (the command decides)."""
    return actor.unit_id is not None and refusal(lambda: require_role_for(actor, "declare")) is None


@dataclass(frozen=True)
class Desk:
    """A campaign open to my unit: its phases as the page shows them (deadline, time left) and,
    when declaring is not possible now, the domain's reason."""

    campaign: Campaign
    phases: list[dict[str, Any]]
    closed: DomainError | None

    @property
    def declaration(self) -> dict[str, Any]:
        code = self.campaign.steps[Step.DECLARATION]
        return next(p for p in self.phases if p["code"] == code)


def desk(campaign: Campaign, now: datetime) -> Desk:
    phases = [
        dict(p, seconds_left=max(0.0, (p["closes_at"] - now).total_seconds()))
        for p in campaign.phase_summaries()
    ]
    closed = refusal(lambda: campaign.require_step_open(Step.DECLARATION, now))
    return Desk(campaign, phase_countdowns({"as_of": now, "phases": phases}), closed)


def desks(app: Laurel, actor: Actor) -> list[Desk]:
    """The campaigns whose organiser's jurisdiction covers my unit, newest first."""
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    now = app.clock()
    found = [
        desk(app.get_campaign(entry["campaign_id"]), now)
        for entry in app.list_campaigns()
        if can_read_campaign(actor, app.get_unit(entry["organiser_unit_id"]), actor_unit)
    ]
    return sorted(found, key=lambda d: (d.campaign.year or 0, d.campaign.created_on), reverse=True)


def readable_desk(app: Laurel, actor: Actor, campaign_id: str) -> Desk:
    require_declarer_pages(actor)
    return desk(app.access.readable_campaign(campaign_id, actor), app.clock())


# --- my nominations ----------------------------------------------------------------------------


def reasons_of(nomination: Nomination) -> list[str]:
    """Why it stopped: the rejection's reasons, or the reason it was withdrawn, lapsed, revoked."""
    if nomination.state == NominationState.REJECTED and nomination.pre_review_result:
        return list(nomination.pre_review_result.get("reasons") or [])
    return [nomination.closing_reason] if nomination.closing_reason else []


def mine(app: Laurel, actor: Actor, campaigns: list[Campaign]) -> tuple[list[dict[str, Any]], bool]:
    """The nominations declared within my unit's subtree (every one for a root admin), newest
    first, each with what the list shows; and whether there were more than it shows."""
    rows: list[dict[str, Any]] = []
    more = False
    for campaign in campaigns:
        page, rest = app.queries.nomination_page(
            campaign.id, declared_within=actor.unit_id, limit=MINE_SHOWN
        )
        more = more or rest is not None
        categories = {c.code: c for c in campaign.categories}
        for nomination in page:
            withdrawable = nomination.state in WITHDRAWABLE and may_withdraw(app, actor, nomination)
            rows.append(
                {
                    "nomination": nomination,
                    "campaign": campaign,
                    "category": categories.get(nomination.category),
                    "reasons": reasons_of(nomination),
                    "withdrawable": withdrawable,
                }
            )
    rows.sort(key=lambda r: r["nomination"].declared_at, reverse=True)
    return rows[:MINE_SHOWN], more or len(rows) > MINE_SHOWN


def may_withdraw(app: Laurel, actor: Actor, nomination: Nomination) -> bool:
    unit = app.get_unit(nomination.declaring_unit_id)
    return refusal(lambda: authorize(actor, "withdraw", [unit])) is None


def text_of(values: Mapping[str, Any], name: str) -> str:
    value = values.get(name, "")
    return (value if isinstance(value, str) else (value[0] if value else "")).strip()


def nominee_choices(
    app: Laurel, actor: Actor, category: Category, t: Translator
) -> list[tuple[str, str]]:
    """The units of my subtree at the category's nominee levels, as (code, label): the label
    names the units between mine and it, and its level."""
    if actor.unit_id is None:
        return []
    units = app.queries.units_in_subtree(actor.unit_id)
    names = {u.code: t.name(u) for u in units}

    def label(unit: Unit) -> str:
        below_mine = (
            unit.path[unit.path.index(actor.unit_id) + 1 :] if actor.unit_id in unit.path else []
        )
        trail = " › ".join([*(names.get(code, code) for code in below_mine), names[unit.code]])
        return f"{trail} · {t.term(Level, unit.level)}"

    levels = category.nominee_levels
    return [(u.code, label(u)) for u in units if not levels or u.level in levels]
