"""Evidence files (佐证材料): attach a file to a nomination's declaration or inspection
(multipart), list them, download one (its bytes verified against their SHA-256) or an image's
thumbnail. docs/evidence.md."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, ServicesDep, VersionedCommand
from api.evidence_files import attach, entry_links, file_response, read_file
from api.schemas import EvidenceAttachResult, EvidenceList
from domain.errors import EvidenceTooLargeError
from domain.evidence import visible_evidence

router = APIRouter(prefix="/v1", tags=["evidence"])


@router.post(
    "/nominations/{nomination_id}/evidence",
    response_model=EvidenceAttachResult,
    status_code=201,
    responses=problems.responses(400, 409, 412, 413),
    summary="Attach an evidence file (PDF, JPEG, PNG, WebP, XLSX; ≤ 20 MB) / 上传佐证材料",
)
async def attach_evidence(
    nomination_id: str,
    request: Request,
    cmd: VersionedCommand,
    services: ServicesDep,
    file: Annotated[UploadFile, File(description="the file; its type is read from its bytes")],
    kind: Annotated[str, Form(max_length=20, description="declaration | inspection")] = "declaration",
    inspection: Annotated[
        int | None, Form(ge=1, le=1000, description="inspection files: which inspection (1-based)")
    ] = None,
) -> Any:
    data = await file.read()
    try:
        result = await run_in_threadpool(
            attach,
            services,
            cmd.actor,
            nomination_id,
            kind,
            data,
            file.filename,
            inspection=inspection,
            idempotency_key=cmd.idempotency_key,
            expected_version=cmd.expected_version,
        )
    except EvidenceTooLargeError as exc:
        return problems.problem(
            413,
            exc.code,
            exc.message_en,
            exc.message_en,
            request,
            detail_zh=exc.message_zh,
            failures=[f.as_dict() for f in exc.failures],
        )
    status = 201 if result.get("attached") and not result.get("replayed") else 200
    body = EvidenceAttachResult(
        id=str(result["id"]),
        version=result["version"],
        attached=bool(result.get("attached")),
        replayed=bool(result.get("replayed")),
        evidence=result.get("evidence"),
    )
    return Response(
        body.model_dump_json(),
        status_code=status,
        media_type="application/json",
        headers={"ETag": f'"{result["version"]}"'},
    )


@router.get(
    "/nominations/{nomination_id}/evidence",
    response_model=EvidenceList,
    summary="The evidence files of a nomination / 申报的佐证材料",
)
def list_evidence(nomination_id: str, app: App, actor: CurrentActor) -> Any:
    nomination = app.access.readable_nomination(nomination_id, actor)
    entries = visible_evidence(nomination.evidence, actor, nomination.inspections)
    return {
        "nomination_id": str(nomination.id),
        "items": [entry_links(str(nomination.id), e) for e in entries],
    }


@router.get(
    "/nominations/{nomination_id}/evidence/{sha256}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problems.responses(409)},
    summary="Download an evidence file, its hash verified / 下载佐证材料（校验哈希）",
)
def download_evidence(
    nomination_id: str, sha256: str, services: ServicesDep, actor: CurrentActor
) -> Response:
    data, entry = read_file(services, actor, nomination_id, sha256)
    return file_response(data, entry)


@router.get(
    "/nominations/{nomination_id}/evidence/{sha256}/thumbnail",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}, **problems.responses(409)},
    summary="An image's thumbnail (JPEG) / 图片缩略图",
)
def evidence_thumbnail(
    nomination_id: str, sha256: str, services: ServicesDep, actor: CurrentActor
) -> Response:
    data, entry = read_file(services, actor, nomination_id, sha256, small=True)
    return file_response(data, entry, small=True)
