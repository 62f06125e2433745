"""An application built from the environment, for servers that import it by name: uvicorn's
worker processes (``laurel api --workers N``) each call ``from_environment`` once."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app, settle_heap
from infra.bootstrap import bootstrap


def from_environment() -> FastAPI:
    services = bootstrap()
    app = create_app(services)
    app.router.on_shutdown.append(services.close)
    settle_heap()
    return app
