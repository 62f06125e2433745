"""The FastAPI application factory. ``create_app(services)`` builds an app around services
made by the composition root; nothing is created at import time."""

from __future__ import annotations

import gc
from collections.abc import Awaitable, Callable

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api import docs, pages, problems, static_files
from api.auth import Authenticator
from api.guard import RequestGuard
from api.metrics import HttpMetrics
from api.request_context import RequestContext
from api.routes import (
    activity,
    audit,
    boards,
    campaigns,
    health,
    nominations,
    templates,
    tokens,
    units,
    webhooks,
)
from api.security_headers import SecurityHeaders
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


# The operations' groups in the OpenAPI document and /docs, in this order (the routes
# themselves are matched in ROUTERS' order).
TAGS = [
    "health",
    "templates",
    "units",
    "tokens",
    "campaigns",
    "nominations",
    "activity days",
    "read models",
    "audit",
    "webhooks",
]
# The commands' routers first: a request is matched against the routes in order, one
# regular expression per route tried.
ROUTERS = (nominations, campaigns, health, templates, units, tokens, activity, boards, audit, webhooks)


def add_routes(app: FastAPI, routers: list[APIRouter]) -> None:
    """Makes ``routers``' routes the app's own, ahead of those it has (the documentation pages
    and /metrics).

    ``app.include_router`` keeps each router as a nested one (FastAPI 0.16x): a request then
    walks every route of every router included before its own and that router's routes a
    second time, with FastAPI's bookkeeping around each — about 480 Python calls per command
    request on the event loop, a third of its work (counted in process: README, Benchmarks). These routers carry their
    prefix, tags and route class themselves and have no dependencies, responses or lifespan
    handlers of their own, which is all ``include_router`` would add."""
    for router in routers:
        if (
            router.dependencies
            or router.on_startup
            or router.on_shutdown
            or router.responses
            or router.callbacks
        ):
            raise ValueError(
                f"{router.prefix or '/'}: a router with its own dependencies, responses or lifespan needs app.include_router"
            )
    app.router.routes[:] = [
        *(route for router in routers for route in router.routes),
        *app.router.routes,
    ]


def settle_heap() -> None:
    """Moves what start-up built (modules, the app, its schemas: ~160,000 objects) out of the
    garbage collector's sight: a full collection under load then walks only what requests made
    since, not those again (two full collections cost 0.17 s of 8.9 s of server CPU in a
    bench.api run at 8 clients)."""
    gc.collect()
    gc.freeze()


def create_app(services: Services) -> FastAPI:
    # docs_url=None, redoc_url=None: /docs is api/docs.py's, on assets served from the package
    # (FastAPI's own would load them from a CDN); ReDoc is not offered.
    app = FastAPI(
        title="Laurel",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[{"name": tag} for tag in TAGS],
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.router.on_startup.append(thread_pool_sizer(services.settings.api_threads))
    metrics = HttpMetrics(
        projection_lag=lambda: services.views.lag(),
        projection_failures=lambda: services.views.failure_counts(),
    )
    app.state.auth = Authenticator(services, metrics)
    problems.install(app)
    settings = services.settings
    app.add_middleware(
        RequestGuard,
        auth=app.state.auth,
        max_body=settings.max_body_bytes,
        max_import=settings.max_import_bytes,
    )  # inside the request context

    app.add_middleware(SecurityHeaders)  # around every response, the 500 problems included
    app.add_middleware(RequestContext, metrics=metrics)  # after problems.install: the outermost

    @app.get(
        "/metrics", tags=["health"], summary="Prometheus metrics / 监控指标", response_class=Response
    )
    def prometheus() -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    docs.install(app)
    static_files.install(app)  # /static: the pages' stylesheet and script, Swagger UI's assets
    add_routes(
        app, [*(module.router for module in ROUTERS), pages.router]
    )  # pages.router: /ui, the web pages
    return app
