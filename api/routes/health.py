"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=dict[str, str], summary="The process is up / 进程存活")
async def healthz() -> JSONResponse:
    """Answered on the event loop, without the thread pool: a liveness probe still gets its
    answer while every pool thread is busy with commands, and costs the server a fraction."""
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="The event store is reachable / 事件存储可用")
def readyz(request: Request) -> JSONResponse:
    services = request.app.state.services
    try:
        position = services.app.recorder.max_notification_id() or 0
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, status_code=503)
    return JSONResponse({"status": "ready", "backend": services.settings.backend, "position": position})
