"""The FastAPI application factory. ``create_app(services)`` builds an app around services
made by the composition root; nothing is created at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api import docs, metrics, pages, problems
from api.auth import Authenticator
from api.evidence_files import EVIDENCE_BODY_OVERHEAD
from api.guard import RequestGuard
from api.metrics import HttpMetrics
from api.request_context import RequestContext
from api.routes import (
    activity,
    audit,
    boards,
    campaigns,
    contacts,
    corrections,
    documents,
    duties,
    evidence,
    health,
    inbox,
    nominations,
    publicity,
    teams,
    templates,
    tokens,
    units,
    webhooks,
)
from api.security_headers import SecurityHeaders
from api.static_files import STATIC_DIR, STATIC_URL
from infra.bootstrap import Services

DESCRIPTION = """Commendation campaigns, event-sourced · 远程教育评选表彰系统

Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`
(RFC 9457) with a stable `type` (`urn:laurel:problem:<code>`) and, for rule violations, every
failed rule in `failures`. Every POST accepts `Idempotency-Key` (a repeat returns the first
response and appends nothing; the same key with another body is 422). Nomination reads return
an `ETag`; writes accept `If-Match` — a stale version is **412**, a concurrent write that lost
the race is **409**.

""" + (
    "错误均以 problem+json 返回；所有 POST 支持幂等键；申报读取返回 ETag，写入可带 If-Match"
    "（版本过期返回 412，并发冲突返回 409）。"
)

# The operations' groups in the OpenAPI document and /docs, in this order.
TAGS = [
    "health",
    "templates",
    "units",
    "contacts",
    "tokens",
    "campaigns",
    "nominations",
    "evidence",
    "documents",
    "teams",
    "publicity",
    "corrections",
    "duties",
    "activity days",
    "read models",
    "audit",
    "webhooks",
    "notifications",
]
# The routers behind a token, each stating the errors any of its operations may answer. A
# request is matched against the routes in order, one regular expression each: the routers
# of the nominations and the campaigns, which most requests go to, come first.
AUTHENTICATED_ROUTERS = (
    nominations,
    campaigns,
    evidence,
    documents,  # the printed documents (issue 22, item 5)
    teams,  # inspection teams, recusal, normalisation (issue 22, items 1-3)
    publicity,  # 公示 and objections (issue 23, items 1-2)
    corrections,  # corrections and appeals (issue 23, items 3-4)
    duties,
    templates,
    units,
    contacts,  # a unit's contacts (issue 24, item 1)
    tokens,
    activity,
    boards,
    audit,
    webhooks,
    inbox,  # the inbox, preferences, unit feeds, the delivery log (issue 24)
)


def thread_pool_size(threads: int) -> None:
    """Gives the server's thread pool (anyio's default limiter, which runs every command and
    every sync route) ``threads`` places. The commands hold one GIL between them: with more of
    them running at once each waits longer for it and the process spends more of its CPU
    handing it over, while a request beyond the pool waits on the event loop, where waiting
    costs nothing. ``LAUREL_API_THREADS`` defaults to the database pool's size."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads


def create_app(services: Services, *, on_shutdown: Callable[[], None] | None = None) -> FastAPI:
    """``on_shutdown``: what the server's shutdown also closes (the services, when the app
    made them for itself: api/asgi.py)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        thread_pool_size(services.settings.api_threads)
        yield
        if on_shutdown is not None:
            on_shutdown()

    # docs_url=None, redoc_url=None: /docs is api/docs.py's, on assets served from the package
    # (FastAPI's own would load them from a CDN); ReDoc is not offered.
    app = FastAPI(
        title="Laurel",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[{"name": tag} for tag in TAGS],
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    settings = services.settings
    app.state.services = services
    app.state.metrics = HttpMetrics(
        projection_lag=lambda: services.views.lag(),
        projection_failures=lambda: services.views.failure_counts(),
    )
    app.state.auth = Authenticator(services, app.state.metrics)

    problems.install(app)
    # Each middleware wraps those added before it (problems.install adds the innermost).
    app.add_middleware(
        RequestGuard,
        auth=app.state.auth,
        max_body=settings.max_body_bytes,
        max_import=settings.max_import_bytes,
        max_upload=settings.max_evidence_bytes + EVIDENCE_BODY_OVERHEAD,
    )
    app.add_middleware(SecurityHeaders)  # around every response, the 500 problems included
    app.add_middleware(RequestContext, metrics=app.state.metrics)  # the outermost

    app.include_router(health.router)  # first: a liveness probe matches at once
    app.include_router(documents.public_router)  # a certificate's code, checked without a token
    app.include_router(publicity.public_router)  # the 公示 and its objections, without a token
    for module in AUTHENTICATED_ROUTERS:
        app.include_router(module.router, responses=problems.AUTHENTICATED)
    app.include_router(metrics.router)
    app.include_router(pages.router)  # /ui, the web pages
    docs.install(app)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="static")
    return app
