"""Bearer tokens (令牌): issued by an admin within its subtree (the secret is shown once),
listed, and revoked for good."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import App, CurrentActor, IdempotencyKey, ServicesDep
from api.responses import created
from api.schemas import Text, TokenCreate, TokenCreated, TokenPublic

router = APIRouter(prefix="/v1", tags=["tokens"])


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    summary="Create a token / 签发访问令牌",
    description="The secret is in this response only; a repeated Idempotency-Key returns the id without it. An admin issues tokens for its own subtree only; a token without a unit needs an admin without a unit.",
)
def create_token(body: TokenCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    result = app.issue_token(
        body.role, body.unit_id, body.label, actor, expires_at=body.expires_at, idempotency_key=key
    )
    return created(TokenCreated(**result), result["replayed"])


@router.get(
    "/tokens",
    response_model=list[TokenPublic],
    summary="List the tokens you manage / 令牌列表",
    description="An admin's subtree's tokens (every token for an admin or auditor without a unit), newest first; never a secret.",
)
def list_tokens(app: App, actor: CurrentActor, services: ServicesDep) -> Any:
    tokens = app.list_tokens(actor)
    used = services.access.last_used(t["id"] for t in tokens)
    return [
        dict(t, last_used_at=datetime.fromtimestamp(used[t["id"]], UTC) if t["id"] in used else None)
        for t in tokens
    ]


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenPublic,
    summary="Revoke a token / 撤销令牌",
    description="`?reason=` is required. Recorded as an event with actor and reason. The token gets 401 at once in this API process and within LAUREL_TOKEN_CACHE_SECONDS in the others; its page sessions end at once.",
)
async def revoke_token(
    token_id: str,
    reason: Annotated[
        Text,
        Query(min_length=1, max_length=2000, description="why: recorded with the revocation / 撤销理由"),
    ],
    request: Request,
    app: App,
    actor: CurrentActor,
    key: IdempotencyKey,
    services: ServicesDep,
) -> Any:
    result = await run_in_threadpool(app.revoke_token, token_id, reason, actor, idempotency_key=key)
    request.app.state.auth.tokens.clear()  # this process forgets every resolved token: the revoked one is looked up again
    await run_in_threadpool(services.access.close_sessions_of, token_id)
    return JSONResponse(TokenPublic(**result).model_dump(mode="json"))
