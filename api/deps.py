"""Request dependencies: services, the authenticated actor, Idempotency-Key and If-Match.

The ones that only read the request are ``async``: FastAPI runs a plain ``def`` dependency in
the thread pool, a round trip per dependency per request."""

from __future__ import annotations

import hmac
from typing import Annotated

import structlog
from fastapi import Depends, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from domain.actors import Actor
from domain.application import Laurel
from infra.bootstrap import Services

SESSION_COOKIE = "laurel_token"  # set by the login page (api/pages), holds the token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_app(request: Request) -> Laurel:
    return request.app.state.services.app


async def current_actor(request: Request, authorization: Annotated[str | None, Header(description="Bearer <token>")] = None) -> Actor:
    """``async``: a token seen in the last seconds (``request.app.state.tokens``) costs no
    database read and no thread-pool trip; any other is looked up in the pool."""
    services: Services = request.app.state.services
    secret = ""
    if authorization and authorization.lower().startswith("bearer "):
        secret = authorization[7:].strip()
    elif request.cookies.get(SESSION_COOKIE) and (request.method in SAFE_METHODS or request.url.path.startswith("/ui/")):
        # The page session reads the API; a cross-site form cannot make it write through /v1.
        secret = request.cookies[SESSION_COOKIE]
    if not secret:
        raise HTTPException(401, "a bearer token is required / 需要访问令牌", headers={"WWW-Authenticate": "Bearer"})
    admin = services.settings.admin_token
    if admin and hmac.compare_digest(secret.encode(), admin.encode()):
        actor = Actor(token_id="bootstrap-admin", role="admin", unit_id=None)
    else:
        tokens = request.app.state.tokens
        actor = tokens.get(secret)
        if actor is None:
            actor = await run_in_threadpool(services.app.authenticate, secret)
            if actor is not None:
                tokens.put(secret, actor)
    if actor is None:
        raise HTTPException(401, "unknown or revoked token / 令牌无效或已撤销", headers={"WWW-Authenticate": "Bearer"})
    structlog.contextvars.bind_contextvars(token_id=actor.token_id)
    request.state.actor = actor
    return actor


async def idempotency_key(actor: Annotated[Actor, Depends(current_actor)], key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None) -> str | None:
    """Keys are scoped per token: two clients can never collide."""
    return f"{actor.token_id}:{key}" if key else None


async def expected_version(if_match: Annotated[str | None, Header(alias="If-Match", description='the ETag of the nomination read, e.g. "3"')] = None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²".isdigit() is true but int("²") fails) and a bounded length
    # (int() refuses more than 4300 digits): anything else is the client's malformed header.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise HTTPException(400, 'If-Match must be an ETag such as "3" / If-Match 须为版本号')
    return int(raw)


App = Annotated[Laurel, Depends(get_app)]
ServicesDep = Annotated[Services, Depends(get_services)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
ExpectedVersion = Annotated[int | None, Depends(expected_version)]
