"""Small helpers every area of the work pages uses."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from api.pages.i18n import Translator
from domain.campaigns import Campaign
from domain.errors import DomainError


def refusal(check: Callable[[], object]) -> DomainError | None:
    """What the domain says against ``check`` (None: nothing): a page says why an action is
    not offered rather than offering what the command would refuse."""
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
