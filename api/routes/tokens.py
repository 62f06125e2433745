"""Bearer tokens (令牌): issued by an admin within its subtree (the secret is shown once),
listed, and revoked for good."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api import problems
from api.deps import App, CurrentActor, IdempotencyKey, ServicesDep
from api.responses import created, replayed
from api.schemas import Text, TokenCreate, TokenCreated, TokenPublic
from domain.commands import IssueToken, RevokeToken

router = APIRouter(prefix="/v1", tags=["tokens"])


@router.post(
    "/tokens",
    status_code=201,
    responses={**problems.COMMAND, **replayed(TokenCreated)},
    response_model=TokenCreated,
    summary="Create a token / 签发访问令牌",
    description=(
        "The secret is in this response only; a repeated Idempotency-Key returns the id without it. An "
        "admin issues tokens for its own subtree only; a token without a unit needs an admin without a "
        "unit."
    ),
)
def create_token(body: TokenCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    issue = IssueToken(
        role=body.role,
        unit_id=body.unit_id,
        label=body.label,
        expires_at=body.expires_at,
        contact_id=body.contact_id,
    )
    result = app.execute(issue, actor, idempotency_key=key)
    return created(TokenCreated(**result), result["replayed"])


@router.get(
    "/tokens",
    response_model=list[TokenPublic],
    summary="List the tokens you manage / 令牌列表",
    description=(
        "An admin's subtree's tokens (every token for an admin or auditor without a unit), newest "
        "first; never a secret."
    ),
)
def list_tokens(app: App, actor: CurrentActor, services: ServicesDep) -> Any:
    tokens = app.access.list_tokens(actor)
    used = services.access.last_used(t["id"] for t in tokens)
    return [
        dict(t, last_used_at=datetime.fromtimestamp(used[t["id"]], UTC) if t["id"] in used else None)
        for t in tokens
    ]


@router.delete(
    "/tokens/{token_id}",
    responses=problems.responses(409),
    response_model=TokenPublic,
    summary="Revoke a token / 撤销令牌",
    description=(
        "`?reason=` is required. Recorded as an event with actor and reason. The token gets 401 at "
        "once in this API process and within LAUREL_TOKEN_CACHE_SECONDS in the others; its page "
        "sessions end at once."
    ),
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
    revocation = RevokeToken(token_id=token_id, reason=reason)
    result = await run_in_threadpool(app.execute, revocation, actor, idempotency_key=key)
    # This process forgets every resolved token: the revoked one is looked up again.
    request.app.state.auth.tokens.clear()
    await run_in_threadpool(services.access.close_sessions_of, token_id)
    return JSONResponse(TokenPublic(**result).model_dump(mode="json"))
