"""One HTTP POST to a receiver: through the SSRF guard, within the timeout, no redirects.

The transport resolves the host, checks every address (``AddressGuard``), and connects to a
checked address while keeping the name in ``Host`` and in TLS (SNI and certificate check).
Connections are not kept alive: every attempt is a new connection, checked anew."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx

from domain.webhooks import WebhookInvalidError
from infra.webhooks.ssrf import AddressGuard

EXCERPT = 1024  # bytes of the response body kept in the delivery log


@dataclass(frozen=True)
class Response:
    status_code: int | None  # None: no HTTP response (refused address, connection error, timeout)
    latency_ms: float
    excerpt: str | None = None
    error: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def failure(exc: BaseException, latency_ms: float = 0.0) -> Response:
    """An attempt that raised instead of answering: its type and message, as the log keeps it."""
    return Response(None, latency_ms, error=f"{type(exc).__name__}: {exc}"[:500])


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard
        self.inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_keepalive_connections=0), retries=0
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        addresses = await self.guard.addresses_async(host, port)
        last: Exception | None = None
        for address in addresses:
            request.url = request.url.copy_with(host=address)
            request.extensions = {**request.extensions, "sni_hostname": host}
            try:
                return await self.inner.handle_async_request(request)
            except httpx.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await self.inner.aclose()


class Sender:
    def __init__(self, guard: AddressGuard, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(guard), timeout=timeout, follow_redirects=False
        )

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Response:
        started = time.perf_counter()

        def elapsed() -> float:
            return round((time.perf_counter() - started) * 1000, 1)

        try:
            async with asyncio.timeout(self.timeout):
                async with self.client.stream("POST", url, headers=headers, content=body) as response:
                    excerpt = b""
                    async for chunk in response.aiter_bytes():
                        excerpt += chunk
                        if len(excerpt) >= EXCERPT:
                            break
                    error = (
                        f"redirect to {response.headers.get('location')} not followed / 不跟随重定向"
                        if response.is_redirect
                        else None
                    )
                    return Response(
                        response.status_code,
                        elapsed(),
                        excerpt[:EXCERPT].decode("utf-8", "replace"),
                        error,
                        response.headers.get("retry-after"),
                    )
        except WebhookInvalidError as exc:
            return Response(
                None,
                elapsed(),
                error="refused: " + "; ".join(f"{f.message_en} / {f.message_zh}" for f in exc.failures),
            )
        except TimeoutError:
            return Response(None, elapsed(), error=f"timed out after {self.timeout:g} s / 超时")
        except Exception as exc:
            return failure(exc, elapsed())

    async def aclose(self) -> None:
        await self.client.aclose()
