"""Responses shared by the routes."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel


def created(
    body: BaseModel, replayed: bool, headers: dict[str, str] | None = None, status: int = 201
) -> JSONResponse:
    """``status`` (201) the first time; 200 when an Idempotency-Key replays the first response."""
    return JSONResponse(
        body.model_dump(mode="json"), status_code=200 if replayed else status, headers=headers
    )


def replayed(model: type[BaseModel]) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry of a creating command's 200: what ``created`` answers to an
    Idempotency-Key repeat."""
    return {
        200: {
            "model": model,
            "description": "an Idempotency-Key repeat: the first response again, nothing appended"
            " / 幂等重放",
        }
    }
