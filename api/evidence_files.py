"""Evidence files for both front ends (the JSON routes and the pages). An upload: check the
bytes, decide whether the attachment would be accepted, only then make an image's thumbnail and
store the bytes by SHA-256, and record the attachment — a refused upload stores nothing. A
download: the file among those the reader may see, its bytes checked against the hash.

The bytes are stored before the event is saved so that no event ever names a file the store
lacks. Should the command be refused only at the write (a concurrent change between the
decision and the save: a phase closing that instant, a stale ``If-Match``), the bytes stay
for ``laurel evidence orphans`` rather than being removed: another upload of the same bytes
may have been recorded meanwhile, and removing them would lose its file."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from domain.actors import Actor
from domain.commands import AttachEvidence
from domain.errors import EvidenceInvalidError, EvidenceNotFoundError, EvidenceTooLargeError
from domain.evidence import (
    download_name,
    find_evidence,
    prepare,
    sha256_of,
    thumbnail,
    visible_evidence,
)
from domain.nominations import Nomination
from infra.bootstrap import Services

EVIDENCE_BODY_OVERHEAD = 64 << 10  # a multipart body's boundaries and fields beside the file


def entry_links(nomination_id: str, entry: dict[str, Any], prefix: str = "/v1") -> dict[str, Any]:
    """An evidence entry with its download (and thumbnail) addresses."""
    base = f"{prefix}/nominations/{nomination_id}/evidence"
    return {
        **entry,
        "download": f"{base}/{entry['sha256']}",
        "thumbnail": f"{base}/{entry['sha256']}/thumbnail" if entry.get("thumbnail_sha256") else None,
    }


def _attached(nomination: Nomination, command: AttachEvidence) -> dict[str, Any] | None:
    """The entry recording this file this way on the nomination, if it is there already."""
    return next(
        (
            dict(e)
            for e in nomination.evidence
            if e["sha256"] == command.sha256
            and e["kind"] == command.kind
            and e["inspection"] == command.inspection
        ),
        None,
    )


def attach(
    services: Services,
    actor: Actor,
    nomination_id: str,
    kind: str,
    data: bytes,
    filename: str | None,
    *,
    inspection: int | None = None,
    idempotency_key: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Checks, stores and records one file; answers the command's result with the entry (as
    the uploader reads it). Raises ``EvidenceTooLargeError`` / ``EvidenceInvalidError`` or the
    command's refusal before storing anything."""
    prepared = prepare(data, filename, services.settings.max_evidence_bytes)
    if isinstance(prepared, list):
        if any(f.rule == "evidence_max_bytes" for f in prepared):
            raise EvidenceTooLargeError(prepared)
        raise EvidenceInvalidError(prepared)
    command = AttachEvidence(
        nomination_id=nomination_id,
        kind=kind,
        sha256=prepared.sha256,
        size=prepared.size,
        media_type=prepared.media_type,
        name=prepared.name,
        inspection=inspection,
    )
    app = services.app
    decided = app.decide(  # a refusal comes here, before anything is stored
        command, actor, idempotency_key=idempotency_key, expected_version=expected_version
    )
    attached = _attached(app.get_nomination(nomination_id), command)
    if attached is not None:  # a repeat: the command the first upload sent, nothing stored
        command = replace(command, thumbnail_sha256=attached.get("thumbnail_sha256"))
    elif not decided.get("replayed"):
        small = thumbnail(prepared.data, prepared.media_type)
        services.blobs.put(prepared.data)
        if small is not None:
            services.blobs.put(small)
            command = replace(command, thumbnail_sha256=sha256_of(small))
    result = app.execute(
        command, actor, idempotency_key=idempotency_key, expected_version=expected_version
    )
    nomination = app.get_nomination(nomination_id)
    entry = _attached(nomination, command)
    if entry is not None and not visible_evidence([entry], actor, nomination.inspections):
        entry = None
    return {
        **result,
        "evidence": entry_links(str(nomination.id), entry) if entry else None,
    }


def read_file(
    services: Services, actor: Actor, nomination_id: str, sha256: str, *, small: bool = False
) -> tuple[bytes, dict[str, Any]]:
    """A file of the nomination the actor may see (or its thumbnail: ``small``), its bytes
    verified against their hash, with its entry; 404 for any other."""
    nomination = services.app.access.readable_nomination(nomination_id, actor)
    entries = visible_evidence(nomination.evidence, actor, nomination.inspections)
    entry = find_evidence([e for e in entries if e["sha256"] == sha256], sha256)
    if entry is None or (small and not entry.get("thumbnail_sha256")):
        raise EvidenceNotFoundError(
            f"no file {sha256[:80]} is attached to this nomination",
            f"本申报没有文件 {sha256[:80]}",
            sha256=sha256[:80],
        )
    return services.blobs.read(entry["thumbnail_sha256"] if small else sha256), entry


def file_response(data: bytes, entry: dict[str, Any], *, small: bool = False) -> Response:
    """The bytes as a download (a thumbnail shown inline), never sniffed by the browser."""
    name = download_name(entry)
    return Response(
        data,
        media_type="image/jpeg" if small else entry["media_type"],
        headers={
            "Content-Disposition": (
                f"{'inline' if small else 'attachment'}; filename*=UTF-8''{quote(name)}"
            ),
            "ETag": f'"{entry["thumbnail_sha256"] if small else entry["sha256"]}"',
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
        },
    )
