"""The request headers the dependencies of api/deps.py read, in the OpenAPI document.

Those dependencies read ``Authorization``, ``Idempotency-Key`` and ``If-Match`` from
``request.headers`` instead of declaring FastAPI ``Header()`` parameters: FastAPI works out a
declared header parameter on every request (about a third of a millisecond per command
request on the benchmark machine, on the event loop's thread). The document keeps them:
each route whose dependencies include one of those functions gets its parameter, as FastAPI
used to write it, through the route's ``openapi_extra``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api import deps


def _optional(schema: dict[str, Any], title: str, description: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"anyOf": [schema, {"type": "null"}], "title": title}
    if description:
        out["description"] = description
    return out


AUTHORIZATION, IDEMPOTENCY_KEY, IF_MATCH = (
    {
        "name": "authorization",
        "in": "header",
        "required": False,
        "schema": _optional({"type": "string"}, "Authorization", "Bearer <token>"),
        "description": "Bearer <token>",
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": _optional({"type": "string", "maxLength": deps.IDEMPOTENCY_KEY_MAX}, "Idempotency-Key"),
        "description": "a repeat of the request returns the first response and appends nothing / 幂等键",
    },
    {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "schema": _optional({"type": "string"}, "If-Match", 'the ETag of the nomination read, e.g. "3"'),
        "description": 'the ETag of the nomination read, e.g. "3"',
    },
)
HEADERS: dict[Callable[..., Any], tuple[dict[str, Any], ...]] = {
    deps.current_actor: (AUTHORIZATION,),
    deps.idempotency_key: (IDEMPOTENCY_KEY,),  # it depends on current_actor too
    deps.command_context: (AUTHORIZATION, IDEMPOTENCY_KEY),
    deps.versioned_command_context: (AUTHORIZATION, IDEMPOTENCY_KEY, IF_MATCH),
}


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def headers_of(route: APIRoute) -> list[dict[str, Any]]:
    """The header parameters ``route`` reads through api/deps.py: Authorization, then
    Idempotency-Key, then If-Match, each once."""
    read = {id(param) for call in _calls(route.dependant) for param in HEADERS.get(call, ())}
    return [param for param in (AUTHORIZATION, IDEMPOTENCY_KEY, IF_MATCH) if id(param) in read]


def document_headers(router: APIRouter) -> APIRouter:
    """Adds to each route's ``openapi_extra`` the headers it reads (FastAPI merges them into
    the operation's parameters). Idempotent: every app built around the module-level routers
    calls it again."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        extra = dict(route.openapi_extra or {})
        present = {(p.get("in"), p.get("name")) for p in extra.get("parameters", [])}
        missing = [p for p in headers_of(route) if (p["in"], p["name"]) not in present]
        if missing:
            extra["parameters"] = [*extra.get("parameters", []), *missing]
            route.openapi_extra = extra
    return router
