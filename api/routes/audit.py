"""The audit trail: every committed event in the global order, its hash chain verified, and the
whole log exported as JSONL (auditors and unscoped admins)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.deps import CurrentActor, ServicesDep
from domain.rules.jurisdiction import require_whole_log_reader

router = APIRouter(prefix="/v1/audit", tags=["audit"])
LOG = "the audit log / 审计日志"


@router.get("/events", summary="Events in the global order / 按全局顺序列出事件", description="A page of events after position `after`; `next_after` continues.")
async def events(actor: CurrentActor, services: ServicesDep, after: int = Query(0, ge=0, le=2**62), limit: int = Query(100, ge=1, le=1000)) -> Any:
    require_whole_log_reader(actor, LOG)
    entries = await run_in_threadpool(services.views.audit_entries, after, limit)
    return {"items": [e.public() for e in entries], "next_after": entries[-1].position if entries else after}


@router.get("/verify", summary="Verify the hash chain / 校验哈希链", description="Recomputes every hash from the stored events; names the first position that no longer matches.")
async def verify(actor: CurrentActor, services: ServicesDep) -> Any:
    require_whole_log_reader(actor, LOG)
    return (await run_in_threadpool(services.views.verify)).public()


@router.get("/export", summary="Export the log as JSONL / 导出审计日志", description="One JSON object per line: position, event id, type, subject, version, occurred_at, prev_hash, hash, topic, the stored state the hash covers, and the data.")
async def export(actor: CurrentActor, services: ServicesDep) -> StreamingResponse:
    require_whole_log_reader(actor, LOG)
    records = await run_in_threadpool(services.views.export)

    def lines() -> Iterator[bytes]:
        for record in records:
            yield (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    return StreamingResponse(lines(), media_type="application/x-ndjson", headers={"Content-Disposition": 'attachment; filename="laurel-audit.jsonl"'})
