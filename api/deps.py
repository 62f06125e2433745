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


async def current_actor(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> Actor:
    """The actor of the request's bearer token (or, for reads and the pages, of the session
    cookie): 401 without, 429 after too many failures from the client's address."""
    actor = getattr(request.state, "actor", None)
    if actor is None:
        actor = await authenticator(request).actor(request, credentials)
        request.state.actor = actor
    structlog.contextvars.bind_contextvars(token_id=actor.token_id)
    return actor


def _header_invalid(name: str, kind: str, message: str, value: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": kind, "loc": ("header", name), "msg": message, "input": value}]
    )


async def idempotency_key(
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=IDEMPOTENCY_KEY_MAX,
            description=(
                "a repeat of the request returns the first response and appends nothing / 幂等键"
            ),
        ),
    ] = None,
) -> str | None:
    """The request's ``Idempotency-Key``, scoped to the token: two clients never collide."""
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


async def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=64,
            description='the version (ETag) of the record the command changes, as read, e.g. "3" '
            "(or *) / 版本号",
        ),
    ] = None,
) -> int | None:
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


async def command_context(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[str | None, Depends(idempotency_key)],
) -> CommandContext:
    """A command that appends to a new stream or several (no If-Match)."""
    return CommandContext(request.app.state.services.app, actor, key)


async def versioned_command_context(
    request: Request,
    actor: Annotated[Actor, Depends(current_actor)],
    key: Annotated[str | None, Depends(idempotency_key)],
    version: Annotated[int | None, Depends(expected_version)],
) -> CommandContext:
    """A command that changes one record (a nomination, a campaign): If-Match may name the
    version of it the client read (its ETag)."""
    return CommandContext(request.app.state.services.app, actor, key, version)


App = Annotated[Laurel, Depends(get_app)]
ServicesDep = Annotated[Services, Depends(get_services)]
CurrentActor = Annotated[Actor, Depends(current_actor)]
IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]
Command = Annotated[CommandContext, Depends(command_context)]
VersionedCommand = Annotated[CommandContext, Depends(versioned_command_context)]
