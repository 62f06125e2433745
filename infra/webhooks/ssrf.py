"""The SSRF guard: a webhook may only reach public addresses.

Every address a host name resolves to is checked — at registration and again on every
connection, and the connection then goes to an address that was checked (so a name that
re-resolves to 127.0.0.1 between the check and the connect cannot slip through).
Refused: loopback, private, link-local, multicast, reserved, unspecified and every other
not-globally-routable range (IPv4-mapped IPv6 addresses are judged as the IPv4 address).
``LAUREL_WEBHOOK_ALLOW_PRIVATE=1`` allows them (tests, receivers on the same premises)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from domain.errors import RuleFailure
from domain.webhooks import WebhookInvalidError, url_failures

Resolver = Callable[..., list[tuple[Any, ...]]]
CHECKS = (
    ("loopback", "a loopback address", "环回地址"),
    ("private", "a private address", "内网地址"),
    ("link_local", "a link-local address", "链路本地地址"),
    ("multicast", "a multicast address", "组播地址"),
    ("reserved", "a reserved address", "保留地址"),
    ("unspecified", "the unspecified address", "未指定地址"),
)


def refusal(address: str) -> tuple[str, str] | None:
    """Why ``address`` may not receive webhooks (English, Chinese), or None when it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for name, en, zh in CHECKS:
        if getattr(ip, f"is_{name}"):
            return en, zh
    if not ip.is_global:
        return "an address that is not globally routable", "非公网可路由地址"
    return None


class AddressGuard:
    def __init__(self, allow_private: bool = False, resolver: Resolver = socket.getaddrinfo) -> None:
        self.allow_private = allow_private
        self.resolver = resolver

    def check_url(self, url: str) -> None:
        """Registration: the URL's rules, that the HTTP client reads it (a URL it refuses would
        fail every delivery), then every address its host resolves to."""
        failures = url_failures(url)
        if failures:
            raise WebhookInvalidError(failures)
        try:
            httpx.URL(url)
        except (httpx.InvalidURL, ValueError, TypeError) as exc:
            raise WebhookInvalidError(
                [RuleFailure("webhook_url_readable", f"the HTTP client cannot read the URL: {exc}", f"HTTP 客户端无法解析该 URL：{exc}", "url", None, repr(url))]
            ) from None
        parts = urlsplit(url)
        self.addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, each checked; raises WebhookInvalidError if any is refused."""
        try:
            infos = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            raise WebhookInvalidError(
                [RuleFailure("webhook_url_resolvable", f"the host '{host}' does not resolve: {exc}", f"无法解析主机「{host}」：{exc}", "url", None, host)]
            ) from None
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
        return self.checked(host, found)

    async def addresses_async(self, host: str, port: int) -> list[str]:
        return await asyncio.to_thread(self.addresses, host, port)

    def checked(self, host: str, addresses: list[str]) -> list[str]:
        if self.allow_private:
            return addresses
        failures = [
            RuleFailure(
                "webhook_address_public", f"'{host}' resolves to {address}, {why[0]}", f"「{host}」解析为 {address}（{why[1]}），不允许作为回调地址", "url", "public", address
            )
            for address in addresses
            if (why := refusal(address)) is not None
        ]
        if failures or not addresses:
            raise WebhookInvalidError(failures or [RuleFailure("webhook_url_resolvable", f"'{host}' has no address", f"「{host}」没有地址", "url")])
        return addresses
