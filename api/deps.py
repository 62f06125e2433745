"""Request dependencies: services, the authenticated actor, Idempotency-Key and If-Match.

All of them are ``async`` (FastAPI runs a plain ``def`` dependency in the thread pool, a
round trip per dependency per request) and read their headers from ``request.headers``
rather than declaring ``Header()`` parameters, which FastAPI works out again on every
request; api/openapi.py puts the headers in the OpenAPI document.

The pipeline's commands and commend (the hot routes) take all of it as one ``Command`` or
``VersionedCommand`` (a ``CommandContext``); the other writes still take ``App``,
``CurrentActor`` and ``IdempotencyKey`` separately, which reads the same headers the same way."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool

from domain.actors import Actor
from domain.application import Laurel
from infra.bootstrap import Services

SESSION_COOKIE = "laurel_token"  # set by the login page (api/pages), holds the token
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDEMPOTENCY_KEY_MAX = 200  # characters


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_app(request: Request) -> Laurel:
    return request.app.state.services.app


async def current_actor(request: Request) -> Actor:
    """The actor of the request's ``Authorization: Bearer <token>`` (or, for reads and the
    pages, of the session cookie)."""
    return await actor_for(request, request.headers.get("authorization"))


async def actor_for(request: Request, authorization: str | None) -> Actor:
    """The actor of ``authorization`` (else of the session cookie). A token seen in the last
    seconds (``request.app.state.tokens``) costs no database read and no thread-pool trip; any
    other is looked up in the pool."""
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


def read_idempotency_key(request: Request, actor: Actor) -> str | None:
    """The request's ``Idempotency-Key``, scoped to the token: two clients never collide."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX:  # as FastAPI's own check of a declared header would say it
        raise RequestValidationError(
            [{"type": "string_too_long", "loc": ("header", "Idempotency-Key"), "msg": f"String should have at most {IDEMPOTENCY_KEY_MAX} characters", "input": key, "ctx": {"max_length": IDEMPOTENCY_KEY_MAX}}]
        )
    return f"{actor.token_id}:{key}"


def read_expected_version(request: Request) -> int | None:
    """The version an ``If-Match`` header names (``None``: absent or ``*``)."""
    if_match = request.headers.get("if-match")
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²".isdigit() is true but int("²") fails) and a bounded length
    # (int() refuses more than 4300 digits): anything else is the client's malformed header.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise HTTPException(400, 'If-Match must be an ETag such as "3" / If-Match 须为版本号')
    return int(raw)


async def idempotency_key(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> str | None:
    return read_idempotency_key(request, actor)


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a command route takes from its request: the application, the actor, the
    Idempotency-Key and (for commands on one nomination) the If-Match version. One dependency
    instead of four: FastAPI's bookkeeping per dependency (cache key, parameter groups,
    generator checks) cost more on the event loop than reading the three headers."""

    app: Laurel
    actor: Actor
    idempotency_key: str | None
    expected_version: int | None = None


async def command_context(request: Request) -> CommandContext:
    """A command that appends to a new or to a whole-campaign stream (no If-Match)."""
    actor = await current_actor(request)
    return CommandContext(request.app.state.services.app, actor, read_idempotency_key(request, actor))


async def versioned_command_context(request: Request) -> CommandContext:
    """A command on one nomination: If-Match may name the version it expects."""
    actor = await current_actor(request)
    return CommandContext(request.app.state.services.app, actor, read_idempotency_key(request, actor), read_expected_version(request))


App = Annotated[Laurel, Depends(get_app)]
ServicesDep = Annotated[Services, Depends(get_services)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
Command = Annotated[CommandContext, Depends(command_context)]
VersionedCommand = Annotated[CommandContext, Depends(versioned_command_context)]
