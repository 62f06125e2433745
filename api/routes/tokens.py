"""Bearer tokens (令牌): created by an admin; the secret is shown once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import App, CurrentActor, IdempotencyKey
from api.responses import created
from api.schemas import TokenCreate, TokenCreated

router = APIRouter(prefix="/v1", tags=["tokens"])


@router.post("/tokens", status_code=201, response_model=TokenCreated, summary="Create a token / 签发访问令牌", description="The secret is in this response only; a repeated Idempotency-Key returns the id without it.")
def create_token(body: TokenCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    result = app.issue_token(body.role, body.unit_id, body.label, actor, idempotency_key=key)
    return created(TokenCreated(**result), result["replayed"])
