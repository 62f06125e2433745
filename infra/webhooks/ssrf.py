"""The SSRF guard: a webhook may only reach public addresses.

Every address a host name resolves to is checked — at registration and again on every
connection, and the connection then goes to an address that was checked (so a name that
re-resolves to 127.0.0.1 between the check and the connect cannot slip through).
Refused: loopback, private, link-local, multicast, reserved, unspecified and every other
not-globally-routable range, and every IPv6 form that carries an IPv4 address:
IPv4-mapped and 6to4 addresses are judged as the IPv4 address they reach; Teredo, NAT64,
IPv4-compatible and IPv4-translated addresses are refused whatever they carry.
``LAUREL_WEBHOOK_ALLOW_PRIVATE=1`` allows them (tests, receivers on the same premises)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network
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

# IPv6 addresses that carry an IPv4 one (RFC 6052, 3056, 4380, 4291, 2765, 8215): a receiver
# at [2002:7f00:1::] is 127.0.0.1 behind a 6to4 relay, yet looks global as an IPv6 address.
NAT64_WELL_KNOWN = ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ip_network(
    "64:ff9b:1::/48"
)  # the IPv4 bits' place depends on the operator's prefix length
IPV4_TRANSLATED = ip_network("::ffff:0:0:0/96")  # SIIT (RFC 2765): inside a translator's network only
IPV4_COMPATIBLE = ip_network("::/96")  # deprecated by RFC 4291


def low32(ip: IPv6Address) -> IPv4Address:
    return IPv4Address(int(ip) & 0xFFFFFFFF)


def embedded_ipv4(ip: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address that IPv4-mapped and 6to4 addresses reach, with the form's name."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4"
    return None


def tunnel_refusal(ip: IPv6Address) -> tuple[str, str] | None:
    """Forms refused whatever IPv4 address they carry (English, Chinese), or None.

    Teredo is a client's NAT-traversal tunnel and NAT64 a translator in front of IPv4 hosts;
    no webhook receiver needs either, and a translator's own network can reach what this host
    cannot. IPv4-compatible addresses are deprecated and IPv4-translated ones never leave a
    SIIT network."""
    if ip.teredo is not None:
        server, client = ip.teredo
        return (
            f"a Teredo tunnel address (server {server}, client {client})",
            f"Teredo 隧道地址（服务器 {server}，客户端 {client}）",
        )
    if ip in NAT64_WELL_KNOWN:
        return f"a NAT64 address (translated to {low32(ip)})", f"NAT64 转换地址（对应 {low32(ip)}）"
    if ip in NAT64_LOCAL_USE:
        return "a local-use NAT64 address", "本地 NAT64 转换地址"
    if ip in IPV4_TRANSLATED:
        return f"an IPv4-translated address of {low32(ip)}", f"IPv4 转换地址（对应 {low32(ip)}）"
    if ip in IPV4_COMPATIBLE and int(ip) > 1:  # :: and ::1 are judged as what they are
        return (
            f"an IPv4-compatible address of {low32(ip)} (deprecated)",
            f"IPv4 兼容地址（对应 {low32(ip)}，已废弃）",
        )
    return None


def refusal(address: str) -> tuple[str, str] | None:
    """Why ``address`` may not receive webhooks (English, Chinese), or None when it may."""
    ip = ip_address(address.split("%", 1)[0])
    if isinstance(ip, IPv6Address):
        if (refused := tunnel_refusal(ip)) is not None:
            return refused
        if (carried := embedded_ipv4(ip)) is not None:
            # Judged as the IPv4 address the packets reach; Python's own tables differ between
            # versions for these prefixes (6to4 of 127.0.0.1 counts as global).
            inner, form = carried
            why = range_refusal(inner)
            return (
                None
                if why is None
                else (f"a {form} address of {inner}, {why[0]}", f"{form} 地址，内嵌 {inner}（{why[1]}）")
            )
    return range_refusal(ip)


def range_refusal(ip: IPv4Address | IPv6Address) -> tuple[str, str] | None:
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
                [
                    RuleFailure(
                        "webhook_url_readable",
                        f"the HTTP client cannot read the URL: {exc}",
                        f"HTTP 客户端无法解析该 URL：{exc}",
                        "url",
                        None,
                        repr(url),
                    )
                ]
            ) from None
        parts = urlsplit(url)
        self.addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))

    def addresses(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, each checked; raises WebhookInvalidError if any is refused."""
        try:
            infos = self.resolver(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError, ValueError) as exc:
            raise WebhookInvalidError(
                [
                    RuleFailure(
                        "webhook_url_resolvable",
                        f"the host '{host}' does not resolve: {exc}",
                        f"无法解析主机「{host}」：{exc}",
                        "url",
                        None,
                        host,
                    )
                ]
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
                "webhook_address_public",
                f"'{host}' resolves to {address}, {why[0]}",
                f"「{host}」解析为 {address}（{why[1]}），不允许作为回调地址",
                "url",
                "public",
                address,
            )
            for address in addresses
            if (why := refusal(address)) is not None
        ]
        if failures or not addresses:
            raise WebhookInvalidError(
                failures
                or [
                    RuleFailure(
                        "webhook_url_resolvable",
                        f"'{host}' has no address",
                        f"「{host}」没有地址",
                        "url",
                    )
                ]
            )
        return addresses
