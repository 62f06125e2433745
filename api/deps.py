"""Request dependencies: services, the authenticated actor, Idempotency-Key and If-Match.

The actor comes from ``api.auth.Authenticator`` (a request with a body was authenticated by
``api.guard`` before its body was read; the others are here). ``HTTPBearer`` declares the
scheme in the OpenAPI document; the headers are FastAPI ``Header()`` parameters, so the
document states them and their limits as they are checked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

import structlog
from fastapi import Depends, Header, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from api.auth import Authenticator, bearer
from api.notices import InboxContext, inbox_of
from domain.actors import Actor
from domain.application import Laurel
from domain.commands import Command as DomainCommand
from domain.rules.text import describe, forbidden_character
from infra.bootstrap import Services

IDEMPOTENCY_KEY_MAX = 200  # characters
ETAG_DIGITS = (
    18  # an If-Match version: int() refuses more than 4300 digits; no aggregate has 10^18 events
)


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_app(request: Request) -> Laurel:
    return (await get_services(request)).app


def authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=IDEMPOTENCY_KEY_MAX,
        description="a repeat of the request returns the first response and appends nothing / 幂等键",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=64,
        description='the version (ETag) of the record the command changes, as read, e.g. "3" '
        "(or *) / 版本号",
    ),
]


async def _actor(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    actor = getattr(request.state, "actor", None)
    if actor is None:
        actor = await authenticator(request).actor(request, credentials)
        request.state.actor = actor
    structlog.contextvars.bind_contextvars(token_id=actor.token_id)
    return actor


async def current_actor(request: Request, credentials: Credentials) -> Actor:
    """The actor of the request's bearer token (or, for reads and the pages, of the session
    cookie): 401 without, 429 after too many failures from the client's address."""
    return await _actor(request, credentials)


CurrentActor = Annotated[Actor, Depends(current_actor)]


def _header_invalid(name: str, kind: str, message: str, value: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": kind, "loc": ("header", name), "msg": message, "input": value}]
    )


def _scoped_key(actor: Actor, key: str | None) -> str | None:
    if key is None:
        return None
    char = forbidden_character(key)
    if char is not None or not key.strip():
        raise _header_invalid(
            "Idempotency-Key",
            "value_error",
            f"Idempotency-Key must be printable text (found {describe(char)})"
            if char
            else "Idempotency-Key must not be blank",
            key,
        )
    return f"{actor.token_id}:{key}"


async def idempotency_key(actor: CurrentActor, key: IdempotencyKeyHeader = None) -> str | None:
    """The request's ``Idempotency-Key``, scoped to the token: two clients never collide."""
    return _scoped_key(actor, key)


def _version(if_match: str | None) -> int | None:
    """The version an ``If-Match`` header names (``None``: absent or ``*``)."""
    if if_match is None or if_match.strip() == "*":
        return None
    raw = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("²".isdigit() is true but int("²") fails) and a bounded length.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= ETAG_DIGITS):
        raise _header_invalid(
            "If-Match",
            "value_error",
            'If-Match must be an ETag such as "3" / If-Match 须为版本号',
            if_match,
        )
    return int(raw)


@dataclass(frozen=True, slots=True)
class CommandContext:
    """What a command route takes from its request: the application, the actor, the
    Idempotency-Key and (for a command that changes one record) the If-Match version."""

    app: Laurel
    actor: Actor
    idempotency_key: str | None
    expected_version: int | None = None

    async def execute(self, command: DomainCommand) -> dict[str, Any]:
        """Runs ``command`` as the request's actor, with its key and If-Match version, in the
        thread pool (it reads and writes the event store)."""
        return await run_in_threadpool(
            self.app.execute,
            command,
            self.actor,
            idempotency_key=self.idempotency_key,
            expected_version=self.expected_version,
        )


# The command contexts take the token and the headers as parameters of their own, not through
# current_actor and idempotency_key: FastAPI solves each sub-dependency again on every request
# (its cache key, its parameters, its call), and the five of them cost a declare about 15 % of
# its CPU in the web stack. Same parameters in the same order, so the same document and checks.


async def command_context(
    request: Request, credentials: Credentials, key: IdempotencyKeyHeader = None
) -> CommandContext:
    """A command that appends to a new stream or several (no If-Match)."""
    actor = await _actor(request, credentials)
    return CommandContext(request.app.state.services.app, actor, _scoped_key(actor, key))


async def versioned_command_context(
    request: Request,
    credentials: Credentials,
    key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> CommandContext:
    """A command that changes one record (a nomination, a campaign): If-Match may name the
    version of it the client read (its ETag)."""
    actor = await _actor(request, credentials)
    scoped = _scoped_key(actor, key)
    return CommandContext(request.app.state.services.app, actor, scoped, _version(if_match))


async def inbox_context(request: Request, credentials: Credentials) -> InboxContext:
    """The caller's inbox (issue 24): the notification store and its recipient keys."""
    actor = await _actor(request, credentials)
    return await run_in_threadpool(inbox_of, request.app.state.services, actor)


App = Annotated[Laurel, Depends(get_app)]
Inbox = Annotated[InboxContext, Depends(inbox_context)]
ServicesDep = Annotated[Services, Depends(get_services)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
Command = Annotated[CommandContext, Depends(command_context)]
VersionedCommand = Annotated[CommandContext, Depends(versioned_command_context)]
