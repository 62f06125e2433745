"""The FastAPI application factory. ``create_app(services)`` builds an app around services
made by the composition root; nothing is created at import time."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import structlog
from fastapi import FastAPI, Request, Response

from api import problems
from api.routes import health, templates
from infra.bootstrap import Services


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Laurel",
        version="0.1.0",
        description="Commendation campaigns, event-sourced · 远程教育评选表彰系统",
    )
    app.state.services = services
    problems.install(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
        structlog.contextvars.bind_contextvars(request_id=rid)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers["X-Request-ID"] = rid
        return response

    app.include_router(health.router)
    app.include_router(templates.router)
    return app
