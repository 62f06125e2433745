"""The evidence pages (佐证材料, issue 22 item 4) under /ui/nominations/{id}/evidence: the list
of a nomination's files (with thumbnails of images) and the upload form, for the declarer while
the declaration is open and for an inspector in the inspection phase; downloads through the
session, each file's bytes checked against its hash. ``_evidence.html`` is the list as a partial
the nomination page can include with ``evidence_context``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import ServicesDep
from api.evidence_files import attach, entry_links, file_response, read_file
from api.pages.forms import ActionForm, refused
from api.pages.i18n import Translator, language_of
from api.pages.rendering import PageActor, PageRoute, render, set_flash, unit_names
from domain.actors import Actor
from domain.application import Laurel
from domain.errors import (
    ConflictError,
    EvidenceInvalidError,
    RuleFailure,
    RuleViolationError,
)
from domain.evidence import visible_evidence
from domain.nominations import Nomination
from domain.vocabulary import EvidenceKind, Role

router = APIRouter(prefix="/ui/nominations", route_class=PageRoute, include_in_schema=False)


def upload_kind(actor: Actor) -> EvidenceKind | None:
    """The kind of file the actor's role attaches (None: it attaches none)."""
    return {Role.DECLARER: EvidenceKind.DECLARATION, Role.INSPECTOR: EvidenceKind.INSPECTION}.get(
        actor.role
    )


def evidence_context(
    app: Laurel, actor: Actor, nomination: Nomination, max_bytes: int
) -> dict[str, Any]:
    """What ``_evidence.html`` reads: ``evidence`` (the files the actor sees, with links),
    ``evidence_kind`` (what its upload form attaches, or None) and the size limit."""
    entries = visible_evidence(nomination.evidence, actor, nomination.inspections)
    return {
        "evidence": [entry_links(str(nomination.id), e, prefix="/ui") for e in entries],
        "evidence_kind": upload_kind(actor),
        "evidence_max_mb": max_bytes // (1 << 20),
        "evidence_nomination_id": str(nomination.id),
    }


def page_context(request: Request, services: Any, actor: Actor, nomination_id: str) -> dict[str, Any]:
    app: Laurel = services.app
    nomination = app.access.readable_nomination(nomination_id, actor)
    t = Translator(language_of(request))
    return {
        "nomination": nomination,
        "unit_name": unit_names(app, t),
        **evidence_context(app, actor, nomination, services.settings.max_evidence_bytes),
    }


@router.get("/{nomination_id}/evidence", response_class=HTMLResponse)
def evidence_page(
    request: Request, nomination_id: str, services: ServicesDep, actor: PageActor
) -> Response:
    return render(request, "evidence.html", page_context(request, services, actor, nomination_id))


@router.post("/{nomination_id}/evidence", response_class=HTMLResponse)
async def upload(
    request: Request, nomination_id: str, services: ServicesDep, form: ActionForm
) -> Response:
    t = Translator(language_of(request))
    posted = await request.form()
    file = posted.get("file")
    raw_inspection = str(posted.get("inspection") or "").strip()
    kind = upload_kind(form.actor) or EvidenceKind.DECLARATION

    def again() -> tuple[str, dict[str, Any]]:
        return "evidence.html", page_context(request, services, form.actor, nomination_id)

    try:
        if not isinstance(file, UploadFile):
            raise EvidenceInvalidError(
                [RuleFailure("evidence_file_required", "choose a file", "请选择文件", field="file")]
            )
        if raw_inspection and not (raw_inspection.isascii() and raw_inspection.isdigit()):
            raise EvidenceInvalidError(
                [
                    RuleFailure(
                        "evidence_inspection_number",
                        "the inspection is a number (1, 2, …)",
                        "所属考核须为数字（1、2……）",
                        field="inspection",
                        actual=raw_inspection[:20],
                    )
                ]
            )
        data = await file.read()
        result = await run_in_threadpool(
            attach,
            services,
            form.actor,
            nomination_id,
            str(kind),
            data,
            file.filename,
            inspection=int(raw_inspection[:6]) if raw_inspection else None,
            idempotency_key=form.key,
        )
    except (RuleViolationError, ConflictError) as exc:
        return await refused(request, form, again, exc, stale=False)
    response = RedirectResponse(f"/ui/nominations/{nomination_id}/evidence", status_code=303)
    set_flash(request, response, t("evidence.done" if result.get("attached") else "evidence.already"))
    return response


@router.get("/{nomination_id}/evidence/{sha256}")
def download(nomination_id: str, sha256: str, services: ServicesDep, actor: PageActor) -> Response:
    data, entry = read_file(services, actor, nomination_id, sha256)
    return file_response(data, entry)


@router.get("/{nomination_id}/evidence/{sha256}/thumbnail")
def thumbnail(nomination_id: str, sha256: str, services: ServicesDep, actor: PageActor) -> Response:
    data, entry = read_file(services, actor, nomination_id, sha256, small=True)
    return file_response(data, entry, small=True)


__all__ = ["evidence_context", "router"]
