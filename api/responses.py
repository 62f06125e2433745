"""Responses shared by the routes."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel


def created(
    body: BaseModel, replayed: bool, headers: dict[str, str] | None = None, status: int = 201
) -> JSONResponse:
    """``status`` (201) the first time; 200 when an Idempotency-Key replays the first response."""
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if replayed else status, headers=headers
    )
