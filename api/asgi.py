"""An application built from the environment, for servers that import it by name: uvicorn's
worker processes (``laurel api --workers N``) each call ``from_environment`` once."""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from infra.bootstrap import bootstrap


def from_environment() -> FastAPI:
    services = bootstrap()
    return create_app(services, on_shutdown=services.close)
