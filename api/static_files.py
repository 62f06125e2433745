"""The files under api/static/, served at /static/… (api/app.py mounts Starlette's
``StaticFiles`` there): the pages' stylesheet and script, and Swagger UI vendored from npm
(api/static/VENDORED.md)."""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_URL = "/static"
