"""The FastAPI application factory. ``create_app(services)`` builds an app around services
made by the composition root; nothing is created at import time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio.to_thread
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import openapi, pages, problems
from api.metrics import HttpMetrics
from api.request_context import RequestContext
from api.token_cache import TokenCache
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


def thread_pool_sizer(threads: int) -> Callable[[], Awaitable[None]]:
    """A startup hook giving the server's thread pool (anyio's default limiter, which runs every
    command and every sync route) ``threads`` places. The commands hold one GIL between them:
    with more of them running at once, each waits longer for it and the process spends more of
    its CPU handing it over (bench/api.py at 32 clients, runs interleaved on one server: 40
    places, anyio's default, median 134 commands/s; 8–16 places 164–196/s), while requests
    beyond the pool wait on the event loop, where waiting costs nothing."""

    async def size() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads

    return size


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Laurel", version="0.1.0", description=DESCRIPTION)
    app.state.services = services
    app.router.on_startup.append(thread_pool_sizer(services.settings.api_threads))
    app.state.tokens = TokenCache(services.settings.token_cache_seconds)
    metrics = HttpMetrics(projection_lag=lambda: services.views.lag())
    problems.install(app)

    app.add_middleware(RequestContext, metrics=metrics)  # after problems.install: the outermost

    @app.get("/metrics", tags=["health"], summary="Prometheus metrics / 监控指标", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(health.router)
    for module in (templates, units, tokens, campaigns, nominations, activity, boards, audit, webhooks):
        app.include_router(openapi.document_headers(module.router))
    app.include_router(pages.router)  # /ui: the web pages
    return app
