"""The single table from domain errors to RFC 9457 problem+json responses."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain import errors

PROBLEM_TYPE = "urn:laurel:problem:{}"
MEDIA_TYPE = "application/problem+json"

# Most specific first.
STATUS: list[tuple[type[errors.DomainError], int]] = [
    (errors.StaleVersionError, 412),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.RuleViolationError, 422),
    (errors.AuthorizationError, 403),
]


def status_for(exc: errors.DomainError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 400)


def problem(status: int, code: str, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_TYPE.format(code), "title": title, "status": status, "detail": detail, "instance": request.url.path}
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


async def domain_error(request: Request, exc: errors.DomainError) -> JSONResponse:
    failures = [f.as_dict() for f in getattr(exc, "failures", ())]
    if isinstance(exc, errors.AuthorizationError):
        actor = getattr(request.state, "actor", None)
        structlog.get_logger("laurel.authz").warning("refused", code=exc.code, token_id=actor.token_id if actor else None, path=request.url.path, **exc.details)
    return problem(status_for(exc), exc.code, exc.message_en, exc.message_en, request, detail_zh=exc.message_zh, failures=failures or None, **exc.details)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    failures = [
        {"rule": f"request_{e['type']}", "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message_en": e["msg"], "message_zh": "请求格式不正确：" + e["msg"]}
        for e in exc.errors()
    ]
    return problem(422, "request-invalid", "The request is not valid", f"{len(failures)} field(s) invalid", request, detail_zh="请求内容不符合要求", failures=failures)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    code = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized"}.get(exc.status_code, f"http-{exc.status_code}")
    response = problem(exc.status_code, code, str(exc.detail), str(exc.detail), request)
    for key, value in (exc.headers or {}).items():
        response.headers[key] = value
    return response


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    structlog.get_logger("laurel.api").exception("unexpected error", path=request.url.path)
    return problem(500, "internal-error", "Internal server error", "an unexpected error was logged with this request id", request, detail_zh="服务器内部错误，已记录")


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unexpected_error)
