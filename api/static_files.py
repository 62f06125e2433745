"""The files under api/static/ at /static/…: the pages' stylesheet and script, and Swagger UI
vendored from npm (api/static/VENDORED.md). Starlette's ``StaticFiles`` answers (content
type, ETag and 304, HEAD, nothing outside the folder) through one route rather than a
``Mount``, so that the app's routes stay one flat list (api/app.py ``add_routes``)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI, Request, Response
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"


def install(app: FastAPI) -> None:
    files = StaticFiles(directory=STATIC_DIR)

    async def static_file(path: str, request: Request) -> Response:
        # As StaticFiles.get_path does for a mount: OS separators, no '..' or '.' left.
        return await files.get_response(os.path.normpath(os.path.join(*path.split("/"))), request.scope)

    app.add_api_route(
        f"{STATIC_URL}/{{path:path}}", static_file, methods=["GET", "HEAD"], include_in_schema=False
    )
