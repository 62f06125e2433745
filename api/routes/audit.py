"""The audit trail: events in the global order (an auditor or admin of a unit reads its
subtree's), and for auditors and admins without a unit the hash chain verified, the whole log
exported as JSONL, and its signed checkpoints listed and made on demand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import CurrentActor, ServicesDep
from domain.objections import redact_objector
from domain.rules.jurisdiction import AUDIT_LOG, require_audit_reader, require_whole_log_reader

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class CheckpointPublic(BaseModel):
    """A signed checkpoint of the audit chain (projections/checkpoints.py says what is signed)."""

    position: int = Field(description="the chain position whose hash is signed")
    hash: str = Field(description="hash(position), 64 hex digits")
    signed_at: str = Field(description="UTC instant, as signed: 2022-11-20T02:00:00.000000Z")
    key_id: str = Field(description="ed25519: and 16 hex digits of the SHA-256 of the raw public key")
    public_key: str = Field(description="the raw Ed25519 public key, base64")
    signature: str = Field(description="Ed25519 signature, base64")


@router.get(
    "/events",
    summary="Events in the global order / 按全局顺序列出事件",
    description=(
        "A page of events after position `after`; `next_after` continues. A token with a unit reads "
        "the events of its subtree's units, campaigns, nominations and registers; positions stay "
        "global."
    ),
)
async def events(
    actor: CurrentActor,
    services: ServicesDep,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
) -> Any:
    require_audit_reader(actor)
    entries = await run_in_threadpool(services.views.audit_entries, after, limit, actor.unit_id)
    return {
        # an objector's contact: auditors only here (issue 23; domain/objections.py)
        "items": [redact_objector(e.public(), actor.role) for e in entries],
        "next_after": entries[-1].position if entries else after,
    }


@router.get(
    "/verify",
    summary="Verify the hash chain / 校验哈希链",
    description=(
        "Recomputes every hash from the stored events and holds the chain to every stored signed "
        "checkpoint; names the first position that no longer matches, the first checkpoint the chain "
        "contradicts and every checkpoint whose signature fails."
    ),
)
async def verify(actor: CurrentActor, services: ServicesDep) -> Any:
    require_whole_log_reader(actor, AUDIT_LOG)  # of the root: no unit on the token
    return (await run_in_threadpool(services.views.verify)).public()


class NdjsonResponse(StreamingResponse):
    """Newline-delimited JSON (JSON Lines), streamed; declared so the document names its type."""

    media_type = "application/x-ndjson"


@router.get(
    "/export",
    response_class=NdjsonResponse,
    responses={
        200: {
            "content": {
                NdjsonResponse.media_type: {
                    "schema": {"type": "string", "description": "one JSON object per line"}
                }
            },
            "description": "the whole log, one event per line",
        }
    },
    summary="Export the log as JSONL / 导出审计日志",
    description=(
        "One JSON object per line: position, event id, type, subject, version, occurred_at, prev_hash, "
        "hash, topic, the stored state the hash covers, and the data (the checkpoints' events "
        "included)."
    ),
)
async def export(actor: CurrentActor, services: ServicesDep) -> StreamingResponse:
    require_whole_log_reader(actor, AUDIT_LOG)  # of the root: no unit on the token
    records = await run_in_threadpool(services.views.export)

    def lines() -> Iterator[bytes]:
        for record in records:
            yield (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    return NdjsonResponse(
        lines(), headers={"Content-Disposition": 'attachment; filename="laurel-audit.jsonl"'}
    )


@router.get(
    "/checkpoints",
    summary="Signed checkpoints / 签名检查点",
    description=(
        "Every signed checkpoint of the chain (position, hash, signed_at, key_id, public_key, "
        "signature) and the key this instance signs with: keep copies elsewhere and verify an export "
        "against them."
    ),
)
async def checkpoints(actor: CurrentActor, services: ServicesDep) -> Any:
    require_whole_log_reader(actor, AUDIT_LOG)  # of the root: no unit on the token
    items = await run_in_threadpool(services.views.checkpoints)
    return {"items": items, "signing_key": await run_in_threadpool(services.views.public_key)}


@router.post(
    "/checkpoints",
    status_code=201,
    response_model=CheckpointPublic,
    responses={
        **problems.responses(409),
        200: {"model": CheckpointPublic, "description": "the head was signed already: that checkpoint"},
    },
    summary="Sign a checkpoint now / 立即签名检查点",
    description=(
        "Signs the chain's head after recomputing it from the stored events since the last checkpoint: "
        "201 with the new checkpoint, 200 with the existing one when the head is signed already, 409 "
        "when the chain no longer matches the stored events."
    ),
)
async def checkpoint(actor: CurrentActor, services: ServicesDep) -> JSONResponse:
    require_whole_log_reader(actor, AUDIT_LOG)  # of the root: no unit on the token
    signed, created = await run_in_threadpool(services.views.checkpoint, actor)
    return JSONResponse(signed.public(), status_code=201 if created else 200)
