"""审计 and the log: the campaigns an auditor reads (``/ui/audit``), the chain recomputed and held
to its signed checkpoints (``/ui/audit/chain``, of the root) and the export (``/ui/audit/export``:
of the root the whole log, of a unit its subtree's events)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.pages.audit.common import in_language
from api.pages.common import campaign_label, partial
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.audit_checkpoints import NothingToCheckpointError
from domain.campaigns import Campaign
from domain.objections import redact_objector
from domain.rules.jurisdiction import (
    AUDIT_LOG,
    can_read_campaign,
    require_audit_reader,
    require_whole_log_reader,
    sees_all,
)

router = APIRouter(prefix="/ui/audit", route_class=PageRoute, include_in_schema=False)

EXPORT_PAGE = 1000


def readable_campaigns(app: Laurel, actor: Actor) -> list[Campaign]:
    actor_unit = app.get_unit(actor.unit_id) if actor.unit_id else None
    found = [
        app.get_campaign(e["campaign_id"])
        for e in app.list_campaigns()
        if can_read_campaign(actor, app.get_unit(e["organiser_unit_id"]), actor_unit)
    ]
    return sorted(found, key=lambda c: (c.year or 0, c.created_on), reverse=True)


@router.get("", response_class=HTMLResponse)
def audit_home(request: Request, app: App, actor: PageActor) -> Response:
    """审计: the campaigns I read, the audit chain (of the root) and the export."""
    require_audit_reader(actor)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    return render(
        request,
        "audit_home.html",
        {
            "campaigns": readable_campaigns(app, actor),
            "whole_log": sees_all(actor),
            "unit_name": names,
            "campaign_label": lambda c: campaign_label(c, t, names),
        },
    )


def chain_context(request: Request, services: Any, actor: Actor) -> dict[str, Any]:
    require_audit_reader(actor)
    require_whole_log_reader(actor, AUDIT_LOG)
    t = Translator(language_of(request))
    verification = services.views.verify()
    try:
        key: dict[str, str] | None = services.views.public_key()
    except NothingToCheckpointError:
        key = None
    return {
        "verification": verification,
        "problem": in_language(verification.problem, t),
        "invalid": [in_language(c.get("problem"), t) for c in verification.invalid_checkpoints],
        "checkpoints": services.views.checkpoints(),
        "key": key,
        "in_language": lambda text: in_language(text, t),
    }


@router.get("/chain", response_class=HTMLResponse)
def audit_chain(request: Request, services: ServicesDep, actor: PageActor) -> Response:
    """The chain recomputed and held to its signed checkpoints (auditors of the root)."""
    context = chain_context(request, services, actor)
    response = render(
        request, "audit_chain_body.html" if partial(request) else "audit_chain.html", context
    )
    response.headers["Vary"] = "HX-Request"
    return response


def jsonl(records: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    for record in records:
        yield (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def subtree_entries(services: Any, unit_id: str, role: str = "") -> Iterator[dict[str, Any]]:
    after = 0
    while entries := services.views.audit_entries(after, EXPORT_PAGE, unit_id):
        yield from (redact_objector(e.public(), role) for e in entries)  # issue 23
        after = entries[-1].position


@router.get("/export")
async def audit_export(services: ServicesDep, actor: PageActor) -> StreamingResponse:
    """The log as JSON Lines: of the root the whole chain as the API exports it (with what
    each hash covers); of a unit, its subtree's events as /v1/audit/events lists them."""
    require_audit_reader(actor)
    if sees_all(actor):
        records = await run_in_threadpool(services.views.export)
        name = "laurel-audit.jsonl"
    else:
        assert actor.unit_id is not None
        records = subtree_entries(services, actor.unit_id, actor.role)
        name = f"laurel-audit-{actor.unit_id}.jsonl"
    return StreamingResponse(
        jsonl(records),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
