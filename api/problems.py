"""The single table from domain errors to RFC 9457 problem+json responses."""

from __future__ import annotations

import math
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from domain import errors


class Failure(BaseModel):
    """One named rule a request did not satisfy."""

    rule: str
    message_en: str
    message_zh: str
    field: str | None = None
    expected: Any = None
    actual: Any = None
    status: int | None = Field(
        None, description="in an import report: the status this row alone would have had"
    )


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is answered."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["urn:laurel:problem:declaration-invalid"])
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    detail_zh: str | None = None
    failures: list[Failure] | None = Field(None, description="every failed rule, each naming its field")


PROBLEM_DESCRIPTIONS = {
    400: "the body is not readable (e.g. not JSON) / 请求无法解析",
    401: "no token, or an unknown, expired or revoked one / 未认证",
    403: "the role or the jurisdiction does not allow it / 无权操作",
    404: "not found / 不存在",
    405: "the method is not allowed here (see Allow) / 方法不允许",
    409: "the state does not allow it, or a concurrent write won / 状态冲突",
    412: "If-Match names a version that is no longer current / 版本已变化",
    413: "the body is larger than the limit / 请求过大",
    422: "a field or rule is not satisfied: every failure is listed / 校验未通过",
    429: "too many failed authentications from this address (see Retry-After) / 请求过多",
}


MEDIA_TYPE = "application/problem+json"
PROBLEM_REFERENCE = {"$ref": "#/components/schemas/Problem"}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """FastAPI ``responses=`` entries stating ``statuses`` as ``application/problem+json``
    bodies of the ``Problem`` schema. A ``model`` would be listed under the route's own media
    type (``application/json``), hence the reference: ``document`` adds the schema it names."""
    return {
        status: {
            "description": PROBLEM_DESCRIPTIONS[status],
            "content": {MEDIA_TYPE: {"schema": PROBLEM_REFERENCE}},
        }
        for status in statuses
    }


# What any operation behind a token may answer (the guard, the actor dependency, validation,
# routing and the domain's table); stating 422 here also replaces FastAPI's own entry.
AUTHENTICATED = responses(401, 403, 404, 405, 422, 429)
# And a command: a body that is not JSON or too large, a state or a concurrent write in the way.
COMMAND = responses(400, 409, 413)
# And a command reading If-Match.
VERSIONED_COMMAND = responses(400, 409, 412, 413)


PROBLEM_TYPE = "urn:laurel:problem:{}"
RESERVED = frozenset(
    {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "request_id",
        "detail_zh",
        "failures",
        "code",
        "request",
    }
)

# Most specific first.
STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.PdfFontMissingError, 503),  # the deployment cannot print until the font is there
    (errors.StaleVersionError, 412),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.RuleViolationError, 422),
    (errors.AuthorizationError, 403),
]


def status_for(exc: errors.DomainError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 400)


def json_safe(value: Any) -> Any:
    """Error details echo what the client sent (a rule failure's ``actual``), which may be a
    NaN, an infinity, a datetime or any other object: the problem body must still be JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date | time | timedelta | UUID | Decimal | Enum):
        return json_safe(jsonable_encoder(value))
    return str(value)


def problem(
    status: int, code: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE.format(code),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update({k: json_safe(v) for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
    failures = [f.as_dict() for f in getattr(exc, "failures", ())]
    if isinstance(exc, errors.AuthorizationError):
        actor = getattr(request.state, "actor", None)
        structlog.get_logger("laurel.authz").warning(
            "refused",
            code=exc.code,
            token_id=actor.token_id if actor else None,
            path=request.url.path,
            **exc.details,
        )
    # A detail named like a member of the problem itself (or a parameter of ``problem``) must
    # neither replace it nor break the call: it is kept under a prefixed name.
    details = {(f"error_{k}" if k in RESERVED else k): v for k, v in exc.details.items()}
    return problem(
        status_for(exc),
        exc.code,
        exc.message_en,
        exc.message_en,
        request,
        detail_zh=exc.message_zh,
        failures=failures or None,
        **details,
    )


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    failures = [
        {
            "rule": f"request_{e['type']}",
            "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
            "message_en": e["msg"],
            "message_zh": "请求格式不正确：" + e["msg"],
        }
        for e in exc.errors()
    ]
    return problem(
        422,
        "request-invalid",
        "The request is not valid",
        f"{len(failures)} field(s) invalid",
        request,
        detail_zh="请求内容不符合要求",
        failures=failures,
    )


HTTP_CODES = {
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "payload-too-large",
    429: "too-many-requests",
}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (Starlette's 405 names only the methods of
    the first route whose path matched)."""
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = HTTP_CODES.get(exc.status_code, f"http-{exc.status_code}")
    response = problem(exc.status_code, code, str(exc.detail), str(exc.detail), request)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed_methods(request))
    return response


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    structlog.get_logger("laurel.api").exception("unexpected error", path=request.url.path)
    return problem(
        500,
        "internal-error",
        "Internal server error",
        "an unexpected error was logged with this request id",
        request,
        detail_zh="服务器内部错误，已记录",
    )


class UnexpectedErrors:
    """Answers an unexpected exception with a 500 problem and does not re-raise it.

    An ``Exception`` handler alone runs in Starlette's outermost ServerErrorMiddleware, which
    re-raises after responding; uvicorn then logs the error a second time and closes the
    connection, so the client's next request on that keep-alive connection is reset. Caught
    here (inside the request-context middleware, which still logs the request with status
    500 and sets X-Request-ID), the connection stays usable."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # too late for a problem body; let the server close the connection
                raise
            response = await unexpected_error(Request(scope), exc)
            await response(scope, receive, send)


def document(app: FastAPI) -> None:
    """FastAPI's document with the ``Problem`` schema the ``responses`` entries refer to
    ("Extending OpenAPI" in FastAPI's docs: the generated document, kept once made)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        generated = FastAPI.openapi(app)
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas = generated.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(problem_schema.pop("$defs", {}), Problem=problem_schema)
        app.openapi_schema = generated
        return generated

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    document(app)
    app.add_exception_handler(errors.DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)  # errors raised outside UnexpectedErrors
    app.add_middleware(UnexpectedErrors)  # added before any other middleware: the innermost
