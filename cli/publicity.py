"""``laurel publicity advance CAMPAIGN... | --all``: runs the campaign workflow's 公示 step
(``AdvancePublicity``: close the periods due, grant the titles nothing holds, forward them to
the parent campaign, remind of the objections awaiting a decision) from the operator's console.

For the campaigns whose workflow never runs it: a run started before the ``publicity`` patch
(``workflow.patched`` is False on its replay, so it never calls the step), a run that has
ended (a slot refilled after the last phase closed, published later), or no Temporal at all.
The step is idempotent: running it when nothing is due changes nothing. It acts as the
system, as the workflow does (docs/publicity.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from cli.tokens import services_for_cli
from domain.actors import SYSTEM
from domain.commands import AdvancePublicity

publicity_cli = typer.Typer(help="公示 (the public notice of the proposed list)", no_args_is_help=True)
console = Console()


def with_publicity(services: Any) -> list[str]:
    """The campaigns with a 公示 that has a publication (the ones the step can act on)."""
    found = []
    for entry in services.app.list_campaigns():
        campaign = services.app.get_campaign(str(entry["campaign_id"]))
        if campaign.publicity is not None and campaign.publicity_periods:
            found.append(str(campaign.id))
    return found


@publicity_cli.command("advance")
def advance(
    campaign_ids: Annotated[list[str] | None, typer.Argument(help="campaign ids")] = None,
    every: Annotated[
        bool, typer.Option("--all", help="every campaign with a published 公示 list")
    ] = False,
) -> None:
    """Close the 公示 periods due, grant and forward the titles nothing holds, remind of the
    objections awaiting a decision (what the campaign workflow does since the patch
    ``publicity``)."""
    if not campaign_ids and not every:
        console.print("name campaign ids or --all / 请指定评选或 --all")
        raise typer.Exit(2)
    with services_for_cli() as services:
        ids = list(campaign_ids or []) + (with_publicity(services) if every else [])
        for campaign_id in dict.fromkeys(ids):
            done = services.app.execute(AdvancePublicity(campaign_id=campaign_id), SYSTEM)
            console.print_json(
                json.dumps(
                    {
                        "campaign_id": campaign_id,
                        "closed": done["closed"],
                        "granted": done["granted"],
                        "forwarded": done.get("forwarded", []),
                        "not_forwarded": done.get("not_forwarded", []),
                        "awaiting": done["awaiting"],
                        "reminded": done["reminded"],
                        "next": [t.isoformat() for t in done["next"]],
                    },
                    ensure_ascii=False,
                )
            )
