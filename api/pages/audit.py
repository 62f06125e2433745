"""The auditor's pages (审计) under /ui/audit: the campaigns an auditor reads, any nomination's
timeline with its actors and reasons — now or as of any date and time (a ``datetime-local`` in
the campaign's time zone; ``app.queries.nomination_as_of``) — the dashboard as of a date and
time (the dashboard page's ``?as_of=``), the audit chain's verification and signed checkpoints,
and the export.

Who reads what is the API's rule: auditors and admins read the audit pages; of the root
(no unit on the token) the whole chain, its checkpoints and the whole log's export; of a unit,
the campaigns organised in its subtree and the export of its subtree's events
(``domain.rules.jurisdiction``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, ServicesDep
from api.instants import checked_as_of
from api.pages.formatting import zone
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, unit_names
from api.pages.timeline import timeline
from domain.actors import Actor
from domain.application import Laurel
from domain.audit_checkpoints import NothingToCheckpointError
from domain.campaigns import Campaign
from domain.errors import NominationNotFoundError, RoleNotAllowedError, RuleFailure, RuleViolationError
from domain.rules.jurisdiction import can_read_campaign, require_role, require_whole_log_reader, sees_all
from domain.rules.material import count_characters
from domain.vocabulary import NominationState, Role, TitleStatus

router = APIRouter(prefix="/ui/audit", route_class=PageRoute, include_in_schema=False)

LOG = "the audit log / 审计日志"
AUDIT_READERS = frozenset({Role.AUDITOR, Role.ADMIN})  # as the API's /v1/audit (the system aside)
NOMINATIONS_SHOWN = 200
EXPORT_PAGE = 1000
LOCAL_INPUT = "%Y-%m-%dT%H:%M:%S"  # a datetime-local input's value (step="1": to the second)


def require_audit_reader(actor: Actor) -> None:
    """Auditors and admins read the audit pages: of the root, all; of a unit, its subtree."""
    require_role(actor, "read")
    if actor.role not in AUDIT_READERS:
        raise RoleNotAllowedError(
            f"only auditors and admins may read {LOG}",
            f"仅审计员和管理员可以查看{LOG}",
            action="read_audit",
            role=actor.role,
        )


def campaign_label(campaign: Campaign, t: Translator, unit_name: Any) -> str:
    """Tells identical campaigns apart: name, year and organiser."""
    year = f" {campaign.year}" if campaign.year else ""
    return f"{t.name(campaign)}{year} · {unit_name(campaign.organiser_unit_id)}"


def partial(request: Request) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def in_language(text: str | None, t: Translator) -> str:
    """One half of the chain's bilingual ``English / 中文`` problem texts."""
    if not text or " / " not in text:
        return text or ""
    english, _, chinese = text.rpartition(" / ")
    return chinese if t.lang == "zh" else english


# --- an instant typed in a campaign's time zone ------------------------------------------------


def local_input(moment: datetime, timezone: str) -> str:
    return moment.astimezone(zone(timezone)).strftime(LOCAL_INPUT)


def instant_of(text: str, timezone: str, field: str = "at") -> datetime:
    """``text`` from a ``datetime-local`` input, read in the campaign's zone (an offset typed
    with it wins); refused next to ``field`` when it names no instant."""
    try:
        moment = datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone(timezone))
        return checked_as_of(moment)
    except ValueError:
        failure = RuleFailure(
            "instant_format",
            "enter a date and time, e.g. 2022-11-15T10:00",
            "请输入日期和时间，例如 2022-11-15T10:00",
            field,
        )
    except RuleViolationError as exc:
        failure = RuleFailure(
            exc.failures[0].rule, exc.failures[0].message_en, exc.failures[0].message_zh, field
        )
    raise RuleViolationError([failure], "The date and time is not valid", "日期时间无效")


def errors_of(exc: RuleViolationError, t: Translator) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for f in exc.failures:
        errors.setdefault(f.field or "", []).append(f.message_zh if t.lang == "zh" else f.message_en)
    return errors


# --- the auditor's home ------------------------------------------------------------------------


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
    require_whole_log_reader(actor, LOG)
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


def subtree_entries(services: Any, unit_id: str) -> Iterator[dict[str, Any]]:
    after = 0
    while entries := services.views.audit_entries(after, EXPORT_PAGE, unit_id):
        yield from (e.public() for e in entries)
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
        records, name = subtree_entries(services, actor.unit_id), f"laurel-audit-{actor.unit_id}.jsonl"
    return StreamingResponse(
        jsonl(records),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- a campaign: its nominations and its dashboard as of an instant ------------------------------


def campaign_context(
    request: Request, app: Laurel, actor: Actor, campaign_id: str, category: str = "", state: str = ""
) -> dict[str, Any]:
    require_audit_reader(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    if category:
        campaign.category(category)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    nominations, more = app.queries.nomination_page(
        campaign.id,
        category=category or None,
        state=state if NominationState.parse(state) else None,
        limit=NOMINATIONS_SHOWN,
    )
    return {
        "campaign": campaign,
        "categories": {c.code: c for c in campaign.categories},
        "filters": {"category": category, "state": state},
        "states": list(NominationState),
        "nominations": nominations,
        "more": more is not None,
        "shown": NOMINATIONS_SHOWN,
        "at_value": local_input(app.clock(), campaign.timezone),
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def audit_campaign(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    category: Annotated[str, Query(max_length=64)] = "",
    state: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """A campaign's nominations (each opens as of any instant) and its dashboard as of one."""
    context = campaign_context(request, app, actor, campaign_id, category, state)
    return render(request, "audit_campaign.html", context)


@router.get("/campaigns/{campaign_id}/dashboard", response_class=HTMLResponse)
def dashboard_as_of(
    request: Request,
    campaign_id: str,
    app: App,
    actor: PageActor,
    at: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """To the dashboard page as of ``at`` (typed in the campaign's zone) with its offset."""
    require_audit_reader(actor)
    campaign = app.access.readable_campaign(campaign_id, actor)
    try:
        instant = instant_of(at, campaign.timezone)
    except RuleViolationError as exc:
        context = campaign_context(request, app, actor, campaign_id)
        t = Translator(language_of(request))
        context.update(errors=errors_of(exc, t), values={"at": at}, at_value=at)
        return render(request, "audit_campaign.html", context, status=422)
    query = urlencode({"as_of": instant.isoformat()})
    return RedirectResponse(f"/ui/campaigns/{campaign.id}?{query}", status_code=303)


# --- a nomination, now or as of an instant -----------------------------------------------------


def nomination_context(
    request: Request, app: Laurel, actor: Actor, nomination_id: str, at: str
) -> tuple[dict[str, Any], int]:
    """The nomination and its timeline as they stood at ``at`` (now when empty); and the
    status (422 when ``at`` names no instant)."""
    require_audit_reader(actor)
    current = app.access.readable_nomination(nomination_id, actor)
    campaign = app.get_campaign(current.campaign_id)
    t = Translator(language_of(request))
    names = unit_names(app, t)
    history = app.queries.history(current.id)
    shown, instant, missing, errors = current, None, False, {}
    if at.strip():
        try:
            instant = instant_of(at, campaign.timezone)
            shown = app.queries.nomination_as_of(current.id, instant)
        except RuleViolationError as exc:
            errors = errors_of(exc, t)
        except NominationNotFoundError:  # declared after that instant
            missing = True
    kept = [] if missing else [e for e in history if e["version"] <= shown.version]
    return {
        "nomination": shown,
        "current": current,
        "campaign": campaign,
        "category": campaign.category(current.category),
        "entries": timeline(kept, t, campaign, names),
        "later": len(history) - len(kept),
        "instant": instant,
        "missing": missing,
        "errors": errors,
        "values": {"at": at} if errors else {},
        "at_value": at if errors else local_input(instant or app.clock(), campaign.timezone),
        "material_chars": count_characters(shown.material),
        "title_status": TitleStatus,
        "unit_name": names,
        "campaign_label": campaign_label(campaign, t, names),
    }, 422 if errors else 200


@router.get("/nominations/{nomination_id}", response_class=HTMLResponse)
def audit_nomination(
    request: Request,
    nomination_id: str,
    app: App,
    actor: PageActor,
    at: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """A nomination with its timeline, as of ``at`` (a date and time in the campaign's zone)."""
    context, status = nomination_context(request, app, actor, nomination_id, at)
    return render(request, "audit_nomination.html", context, status=status)
