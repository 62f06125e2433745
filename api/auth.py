"""Who makes a request: the bearer token of ``Authorization`` (FastAPI's ``HTTPBearer``
scheme, which the OpenAPI document states), or the page session behind the /ui cookie.
Failed authentications are limited per client address (the ``limits`` library,
a moving window kept in this process): past the limit every attempt from that address gets
429 with ``Retry-After`` before any token is looked at, so a guesser learns nothing more."""

from __future__ import annotations

import hmac
import math
import time
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from fastapi import HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from api.metrics import HttpMetrics
from api.token_cache import TokenCache
from domain.actors import Actor, Role

if TYPE_CHECKING:
    from infra.bootstrap import Services

SESSION_COOKIE = "laurel_session"  # the page session's id (api/pages login); never the token itself
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BOOTSTRAP_ADMIN = Actor(token_id="bootstrap-admin", role=Role.ADMIN, unit_id=None)

# The route dependency (``Security(bearer)``) and the guard, which authenticates a request
# with a body before reading it, both read the token through it.
bearer = HTTPBearer(
    auto_error=False,
    description="`Authorization: Bearer <token>` (or, for reads and the pages, the session cookie "
    "of /ui/login)",
)


def unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


class Authenticator:
    def __init__(self, services: Services, metrics: HttpMetrics) -> None:
        self.services = services
        self.metrics = metrics
        self.tokens = TokenCache(services.settings.token_cache_seconds, now=lambda: services.app.clock())
        self.limit = parse(services.settings.auth_failure_limit)
        self.session_lifetime = services.settings.session_seconds
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.log = structlog.get_logger("laurel.auth")

    @staticmethod
    def _session(request: Request) -> str:
        """The page session's id, where a session may act: reads anywhere, writes only through
        the pages (a cross-site form cannot make a browser's session write through /v1)."""
        if request.method in SAFE_METHODS or request.url.path.startswith("/ui/"):
            return request.cookies.get(SESSION_COOKIE, "")
        return ""

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def _refuse_if_throttled(self, client: str) -> None:
        if not self.limiter.test(self.limit, client):
            reset = self.limiter.get_window_stats(self.limit, client).reset_time
            retry_after = max(1, math.ceil(reset - time.time()))
            self.metrics.auth_throttled.inc()
            raise HTTPException(
                429,
                f"too many failed authentications from this address; retry in {retry_after} s"
                f" / 认证失败次数过多，请 {retry_after} 秒后重试",
                headers={"Retry-After": str(retry_after)},
            )

    def _failed(self, client: str, request: Request, how: str) -> None:
        self.limiter.hit(self.limit, client)
        self.metrics.auth_failures.labels(how).inc()
        self.log.warning("authentication failed", client=client, credential=how, path=request.url.path)

    async def actor(self, request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
        """The actor of the request's bearer ``credentials`` (``bearer``'s) or page session;
        401 without a valid one, 429 for an address that failed too often. A token seen in the
        last seconds costs no database read and no thread trip."""
        client = self._client(request)
        self._refuse_if_throttled(client)
        if credentials is not None:
            actor = await self._token_actor(credentials.credentials)
            if actor is None:
                self._failed(client, request, "bearer")
                raise unauthorized("unknown, expired or revoked token / 令牌无效、已过期或已撤销")
            return actor
        session = self._session(request)
        if session:
            actor = await run_in_threadpool(self.session_actor, session)
            # An ended session (256 random bits: nothing to guess) is not counted as a failure.
            if actor is None:
                raise unauthorized("the session has ended; log in again / 会话已结束，请重新登录")
            return actor
        raise unauthorized("a bearer token is required / 需要访问令牌")

    def _is_bootstrap_admin(self, secret: str) -> bool:
        admin = self.services.settings.admin_token
        if not admin:  # unset or empty: no secret is the bootstrap admin's, an empty one least of all
            return False
        return hmac.compare_digest(secret.encode(), admin.encode())

    async def _token_actor(self, secret: str) -> Actor | None:
        if self._is_bootstrap_admin(secret):
            return BOOTSTRAP_ADMIN
        actor = self.tokens.get(secret)
        if actor is None:
            actor, expires_at = await run_in_threadpool(self._look_up, secret)
            if actor is not None:
                self.tokens.put(secret, actor, expires_at)
        return actor

    def _look_up(self, secret: str) -> tuple[Actor | None, datetime | None]:
        token = self.services.app.access.authenticate(secret)
        if token is None:
            return None, None
        self.services.access.touch(token.token_id, time.time())
        return token.as_actor(), token.expires_at

    def session_actor(self, session: str) -> Actor | None:
        """The actor of a live page session whose token is still valid (looked up every time:
        a logout or a revocation ends the session at once)."""
        reference = self.services.access.session_token(session, time.time())
        if reference == BOOTSTRAP_ADMIN.token_id:
            return BOOTSTRAP_ADMIN if self.services.settings.admin_token else None
        token = self.services.app.access.valid_token(UUID(reference)) if reference else None
        if token is None:
            return None
        self.services.access.touch(token.token_id, time.time())
        return token.as_actor()

    async def open_session(self, request: Request, secret: str) -> str:
        """The login form: a new page session for a token secret; returns the session id the
        cookie carries. Failures count against the address like any other."""
        client = self._client(request)
        self._refuse_if_throttled(client)
        session = await run_in_threadpool(self._open_session, secret)
        if session is None:
            self._failed(client, request, "login")
            raise unauthorized("unknown, expired or revoked token / 令牌无效、已过期或已撤销")
        return session

    def _open_session(self, secret: str) -> str | None:
        if self._is_bootstrap_admin(secret):
            reference, token_id = BOOTSTRAP_ADMIN.token_id, BOOTSTRAP_ADMIN.token_id
        else:
            token = self.services.app.access.authenticate(secret)
            if token is None:
                return None
            reference, token_id = str(token.id), token.token_id
        return self.services.access.open_session(reference, token_id, self.session_lifetime, time.time())

    def close_session(self, session: str) -> None:
        self.services.access.close_session(session)
