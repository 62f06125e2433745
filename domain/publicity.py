"""公示 (public notice) of the proposed list, and the objections to it (issue 23, items 1-2).

With ``publicity`` set (from the template, or ``ConfigurePublicity``), ``Commend`` proposes
instead of commending: the chosen nominations go to ``proposed`` (拟表彰) and count in the
quota. The organiser publishes the list (``PublishProposedList``): the period closes at
midnight after its ``working_days``-th working day in the campaign's time zone
(``domain/working_days.py``). The campaign workflow runs ``AdvancePublicity`` when a period
closes and daily while objections wait: it closes the period and grants the title
(``Nomination.Commended``, as ``Commend`` does without 公示) of every proposed nomination with
no open objection. An objection dismissed last grants the title at once (the period having
closed); one upheld takes the nomination off the list (``not_commended``): its place in the
quota is free, and the next best is **not** promoted — the organiser may commend again within
quota while the commendation step is open.

Reads: ``publicity_view`` (the public page and API: names, units and categories only) and
``objection_queue`` (the organiser's reviewers and auditors)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from domain.campaigns import Campaign
from domain.errors import PublicityInvalidError, PublicityRefusedError, RuleFailure, UnitNotFoundError
from domain.execution import Loader
from domain.nominations import Nomination
from domain.roster import Roster
from domain.vocabulary import NominationState
from domain.working_days import MAX_PERIOD_WORKING_DAYS

REMIND_EVERY = timedelta(days=1)


def refuse(rule: str, en: str, zh: str, field: str | None = None, **kw: Any) -> PublicityRefusedError:
    return PublicityRefusedError(
        [RuleFailure(rule, en, zh, field, kw.get("expected"), kw.get("actual"))]
    )


def invalid(
    rule: str, en: str, zh: str, field: str, expected: Any = None, actual: Any = None
) -> RuleFailure:
    return RuleFailure(rule, en, zh, field, expected, actual)


def working_days_failures(working_days: Any) -> list[RuleFailure]:
    if (
        isinstance(working_days, bool)
        or not isinstance(working_days, int)
        or not 0 <= working_days <= MAX_PERIOD_WORKING_DAYS
    ):
        return [
            invalid(
                "publicity_working_days",
                f"a 公示 lasts 1 to {MAX_PERIOD_WORKING_DAYS} working days (0: none)",
                f"公示期为 1 至 {MAX_PERIOD_WORKING_DAYS} 个工作日（0 表示不公示）",
                "working_days",
                MAX_PERIOD_WORKING_DAYS,
                working_days,
            )
        ]
    return []


def require_publicity(campaign: Campaign) -> dict[str, Any]:
    if campaign.publicity is None:
        raise refuse(
            "publicity_configured",
            "this campaign has no 公示: commendation grants the titles at once",
            "本次评选未设置公示：表彰即授予称号",
            "publicity",
        )
    return campaign.publicity


def published_ids(campaign: Campaign) -> set[str]:
    return {n for p in campaign.publicity_periods for n in p["nomination_ids"]}


def period_of(campaign: Campaign, nomination_id: str) -> dict[str, Any] | None:
    """The publication that holds the nomination (the latest, should it be in several)."""
    found = None
    for period in campaign.publicity_periods:
        if nomination_id in period["nomination_ids"]:
            found = period
    return found


def open_objections(campaign: Campaign, nomination_id: str) -> list[str]:
    return [
        o["receipt"]
        for o in campaign.objections
        if o["nomination_id"] == nomination_id and o["status"] == "open"
    ]


def proposed_ids(roster: Roster, campaign: Campaign, categories: Iterable[str]) -> list[str]:
    return [
        e.nomination_id
        for code in categories
        for e in roster.entries(
            str(campaign.id), category=code, states=[NominationState.PROPOSED]
        ).entries
    ]


def grantable(campaign: Campaign, at: datetime) -> list[str]:
    """The nominations of closed periods with no open objection (their state is checked by
    the caller: granted or withdrawn ones are passed over)."""
    return [
        n
        for p in campaign.publicity_periods
        if p["closed"] or p["closes_at"] <= at
        for n in p["nomination_ids"]
        if not open_objections(campaign, n)
    ]


def publicity_holds_commendation(
    campaign: Campaign, category: str, category_ids: set[str], at: datetime
) -> bool:
    """Commendation stays open for a category, its step closed or not, while a 公示 of the
    category runs (a period not yet closed), while an objection to one of its nominations is
    undecided, and while a slot freed by an upheld objection is unfilled (fewer proposed or
    commended than the quota). A 5-7 working-day period usually ends after the commendation
    step: without this the organiser could not fill the slot an upheld objection freed."""
    if campaign.publicity is None:
        return False
    if any(not p["closed"] and category in p["categories"] for p in campaign.publicity_periods):
        return True
    if any(o["status"] == "open" and o["nomination_id"] in category_ids for o in campaign.objections):
        return True
    quota = campaign.category(category).quota
    return (
        campaign.withdrawn_count(category) > 0
        and quota is not None
        and campaign.commended_count(category) < quota
    )


def awaiting_decision(campaign: Campaign, load: Loader) -> list[str]:
    """Nominations of closed periods still proposed because an objection is open."""
    return [
        n
        for p in campaign.publicity_periods
        if p["closed"]
        for n in p["nomination_ids"]
        if open_objections(campaign, n) and load.get_nomination(n).state == NominationState.PROPOSED
    ]


def grant(nomination: Nomination, campaign: Campaign, actor: Any, at: datetime) -> bool:
    """The title of a proposed nomination (False: no longer proposed)."""
    if nomination.state != NominationState.PROPOSED:
        return False
    nomination.commend(
        nomination.proposed_rank or 0,
        campaign.category(nomination.category),
        actor,
        at,
        campaign.title_anniversary(),
    )
    return True


def next_wakeups(campaign: Campaign, load: Loader, at: datetime) -> list[datetime]:
    """When the workflow next has something to do: the open periods' close, and a day after
    the last reminder while objections wait."""
    times = [p["closes_at"] for p in campaign.publicity_periods if not p["closed"]]
    if awaiting_decision(campaign, load):
        last = campaign.objections_reminded_at or at
        times.append(max(last + REMIND_EVERY, at + timedelta(minutes=1)))
    return sorted(times)


def objection_text_failures(text: str, contact: str) -> list[RuleFailure]:
    from domain.objections import MAX_CONTACT, MAX_TEXT

    failures = []
    if not text.strip():
        failures.append(
            invalid("objection_text_required", "say what the objection is", "请填写异议内容", "text")
        )
    if len(text) > MAX_TEXT:
        failures.append(
            invalid(
                "objection_text_at_most",
                f"an objection is at most {MAX_TEXT} characters",
                f"异议内容不超过 {MAX_TEXT} 字",
                "text",
                MAX_TEXT,
                len(text),
            )
        )
    if len(contact) > MAX_CONTACT:
        failures.append(
            invalid(
                "objection_contact_at_most",
                f"a contact is at most {MAX_CONTACT} characters",
                f"联系方式不超过 {MAX_CONTACT} 字",
                "contact",
                MAX_CONTACT,
                len(contact),
            )
        )
    return failures


def require_valid(failures: list[RuleFailure]) -> None:
    if failures:
        raise PublicityInvalidError(failures)


# --- reads -------------------------------------------------------------------------------------


def _unit_names(load: Loader, code: str) -> tuple[str, str]:
    try:
        unit = load.get_unit(code)
    except UnitNotFoundError:
        return code, code
    return unit.name_zh or unit.name, unit.name or unit.name_zh


def publicity_view(campaign: Campaign, load: Loader, at: datetime) -> dict[str, Any]:
    """The public page's facts: each publication's period and its list — the nominee's name,
    unit and category, nothing more (no scores, no ids of persons). A nomination taken off the
    list by an upheld objection is not shown; one granted is (the list as published)."""
    categories = {c.code: c for c in campaign.categories}
    periods = []
    for p in campaign.publicity_periods:
        entries = []
        for nid in p["nomination_ids"]:
            nomination = load.get_nomination(nid)
            if nomination.state not in (NominationState.PROPOSED, NominationState.COMMENDED):
                continue
            category = categories[nomination.category]
            unit_zh, unit_en = _unit_names(load, nomination.nominee.unit_id)
            entries.append(
                {
                    "nomination_id": nid,  # what an objection names (not a person's id)
                    "name": nomination.nominee.name,
                    "unit_name_zh": unit_zh,
                    "unit_name_en": unit_en,
                    "category": category.code,
                    "category_name_zh": category.name_zh,
                    "category_name_en": category.name_en,
                    "rank": nomination.proposed_rank,
                }
            )
        entries.sort(key=lambda e: (e["category"], e["rank"] or 0))
        periods.append(
            {
                "categories": list(p["categories"]),
                "published_at": p["published_at"],
                "closes_at": p["closes_at"],
                "working_days": p["working_days"],
                "open": not p["closed"] and p["published_at"] <= at < p["closes_at"],
                "entries": entries,
            }
        )
    return {
        "campaign_id": str(campaign.id),
        "name_zh": campaign.name_zh,
        "name_en": campaign.name_en,
        "year": campaign.year,
        "timezone": campaign.timezone,
        "periods": periods,
    }


def objection_queue(
    campaign: Campaign, get: Callable[[str], Any], *, status: str | None = None
) -> list[dict[str, Any]]:
    """The campaign's objections, the open ones first (``get``: receipt -> Objection)."""
    rows = [get(o["receipt"]).full() for o in campaign.objections]
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    order = {"open": 0, "investigating": 1}
    return sorted(rows, key=lambda r: (order.get(r["status"], 2), r["lodged_at"]))


def publicity_summary(campaign: Campaign, load: Loader, roster: Roster) -> dict[str, Any]:
    """The dashboard's counts: proposed, in publicity, objections by status."""
    proposed = proposed_ids(roster, campaign, [c.code for c in campaign.categories])
    published = published_ids(campaign)
    in_open = {n for p in campaign.publicity_periods if not p["closed"] for n in p["nomination_ids"]}
    statuses: dict[str, int] = {}
    for o in campaign.objections:
        statuses[o["status"]] = statuses.get(o["status"], 0) + 1
    return {
        "publicity": campaign.publicity,
        "proposed": len(proposed),
        "proposed_unpublished": len([n for n in proposed if n not in published]),
        "in_publicity": len([n for n in proposed if n in in_open]),
        "awaiting_decision": len(awaiting_decision(campaign, load)),
        "objections": statuses,
        "objections_open": statuses.get("open", 0),
        "periods": len(campaign.publicity_periods),
    }
