"""The FastAPI application factory. ``create_app(services)`` builds an app around services
made by the composition root; nothing is created at import time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import pages, problems
from api.metrics import HttpMetrics
from api.routes import activity, audit, boards, campaigns, health, nominations, templates, tokens, units, webhooks
from infra.bootstrap import Services

DESCRIPTION = """Commendation campaigns, event-sourced · 远程教育评选表彰系统

Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`
(RFC 9457) with a stable `type` (`urn:laurel:problem:<code>`) and, for rule violations, every
failed rule in `failures`. Every POST accepts `Idempotency-Key` (a repeat returns the first
response and appends nothing; the same key with another body is 422). Nomination reads return
an `ETag`; writes accept `If-Match` — a stale version is **412**, a concurrent write that lost
the race is **409**.

错误均以 problem+json 返回；所有 POST 支持幂等键；申报读取返回 ETag，写入可带 If-Match（版本过期返回 412，并发冲突返回 409）。"""


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Laurel", version="0.1.0", description=DESCRIPTION)
    app.state.services = services
    metrics = HttpMetrics(projection_lag=lambda: services.views.lag())
    problems.install(app)
    log = structlog.get_logger("laurel.http")

    @app.middleware("http")
    async def request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=rid)
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(request.scope.get("route"), "path", "unmatched")
            metrics.observe(request.method, route, status, elapsed)
            log.info("request", method=request.method, path=request.url.path, status=status, ms=round(elapsed * 1000, 2))
            structlog.contextvars.clear_contextvars()
        response.headers["X-Request-ID"] = rid
        return response

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics / 监控指标", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health.router)
    for module in (templates, units, tokens, campaigns, nominations, activity, boards, audit, webhooks):
        app.include_router(module.router)
    app.include_router(pages.router)  # /ui: the web pages
    return app
