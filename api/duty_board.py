"""The duty board (工作任务看板) as both front ends show it: per owing unit, each duty's state
from the ``duties`` read model laid over what the campaign's duties make it owe (untouched
duties are due), with the rectifications circulars made; declarers see their own subtree."""

from __future__ import annotations

from typing import Any

from domain.actors import Actor
from domain.application import Laurel
from domain.duties import DutyBook
from domain.rules.jurisdiction import can_read_campaign, require_read
from domain.vocabulary import DutyState, Role
from infra.bootstrap import Services
from projections.duties import DutyBoardReader


def readable_book(app: Laurel, actor: Actor, campaign_id: str) -> DutyBook:
    """The campaign's duties, for a reader of the campaign."""
    campaign = app.get_campaign(campaign_id)
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    organiser = app.get_unit(campaign.organiser_unit_id)
    require_read(actor, can_read_campaign(actor, organiser, actor_unit), f"campaign {campaign_id}")
    return DutyBook(app.load, app.queries, campaign)


def duty_board(services: Services, actor: Actor, campaign_id: str) -> dict[str, Any]:
    """The duty board from the projection: per unit, each duty's state laid over what the
    campaign's duties make it owe (untouched duties are due), and the rectifications circulars
    made."""
    app = services.app
    book = readable_book(app, actor, campaign_id)
    services.views.catch_up()
    rows = {
        (r["duty"], r["unit_id"]): r
        for r in DutyBoardReader(services.views.store).rows(book.campaign_id)
    }
    names: dict[str, str | None] = {}
    entries: list[tuple[str, dict[str, Any]]] = []
    for item, unit in book.expected():
        names[unit.code] = unit.name_zh
        if actor.role == Role.DECLARER and not (actor.unit_id and unit.is_within(actor.unit_id)):
            continue
        row = rows.pop((item.code, unit.code), None)
        entries.append((unit.code, _board_entry(item.code, item.kind, item.due_at.isoformat(), row)))
    for (code, unit_id), row in rows.items():  # rectifications: made by circulars, not declared
        if row["kind"] != "rectification":
            continue
        if actor.role == Role.DECLARER and not (
            actor.unit_id and app.get_unit(unit_id).is_within(actor.unit_id)
        ):
            continue
        entries.append((unit_id, _board_entry(code, row["kind"], row["due_at"], row)))
    units: dict[str, dict[str, Any]] = {}
    for unit_id, entry in entries:
        summary = units.setdefault(
            unit_id,
            {
                "unit_id": unit_id,
                "unit_name_zh": names.get(unit_id),
                "states": dict.fromkeys(DutyState.codes(), 0),
                "late": 0,
                "owed": 0,
                "duties": [],
            },
        )
        summary["states"][entry["state"]] += 1
        summary["owed"] += 1
        summary["late"] += int(entry["late"])
        summary["duties"].append(entry)
    return {"campaign_id": book.campaign_id, "units": list(units.values())}


def _board_entry(code: str, kind: str, due_at: str | None, row: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "duty": code,
        "kind": str(kind),
        "state": row["state"] if row else str(DutyState.DUE),
        "late": bool(row and row["late"]),
        "due_at": (row and row["due_at"]) or due_at,
        "updated_at": row["updated_at"] if row else None,
    }
