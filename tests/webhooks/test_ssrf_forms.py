"""The SSRF guard and every IPv6 form that carries an IPv4 address: 6to4, Teredo, NAT64 (well
known and local use), IPv4-mapped, IPv4-compatible and IPv4-translated. Each is refused at
registration (a literal in the URL, over HTTP) and when a name resolves to it (the dispatcher's
connection path)."""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest

from domain.webhooks import WebhookInvalidError
from infra.webhooks.sender import Sender
from infra.webhooks.ssrf import AddressGuard, refusal
from tests.builders.http import in_process
from tests.webhooks.harness import services_for
from tests.webhooks.test_messages import fake_resolver
from tests.webhooks.test_subscriptions_api import SQLITE_ONLY, subscribe


def teredo(server: str, client_address: str) -> str:
    """2001:0:<server>:<flags>:<port ^ 0xffff>:<client ^ 0xffffffff> (RFC 4380)."""
    client_bits = int(ipaddress.IPv4Address(client_address)) ^ 0xFFFFFFFF
    return str(
        ipaddress.IPv6Address(
            (0x20010000 << 96)
            | (int(ipaddress.IPv4Address(server)) << 64)
            | (0x8000 << 48)
            | (0xFFFF << 32)
            | client_bits
        )
    )


# address -> the form the refusal must name
REFUSED = {
    "2002:7f00:1::": "6to4",  # 127.0.0.1
    "2002:7f00:1:1::1": "6to4",
    "2002:a00:1::": "6to4",  # 10.0.0.1
    "2002:c0a8:101::": "6to4",  # 192.168.1.1
    "2002:a9fe:a9fe::": "6to4",  # 169.254.169.254, the cloud metadata service
    "2002:6440:1::": "6to4",  # 100.64.0.1, carrier-grade NAT
    "2002::": "6to4",  # 0.0.0.0
    teredo("65.54.227.120", "127.0.0.1"): "Teredo",  # client loopback
    teredo("10.0.0.1", "8.8.8.8"): "Teredo",  # server private
    teredo("65.54.227.120", "8.8.8.8"): "Teredo",  # refused outright: no receiver needs a tunnel
    "64:ff9b::7f00:1": "NAT64",  # 127.0.0.1
    "64:ff9b::a9fe:a9fe": "NAT64",
    "64:ff9b::808:808": "NAT64",  # refused outright, public or not
    # local use (RFC 8215): where the IPv4 sits depends on the prefix length
    "64:ff9b:1::7f00:1": "NAT64",
    "64:ff9b:1:7f00:1::": "NAT64",
    "::ffff:7f00:1": "IPv4-mapped",
    "::ffff:a00:1": "IPv4-mapped",
    "::ffff:a9fe:a9fe": "IPv4-mapped",
    "::7f00:1": "IPv4-compatible",
    "::a00:1": "IPv4-compatible",
    "::808:808": "IPv4-compatible",  # deprecated (RFC 4291): refused outright
    "::ffff:0:7f00:1": "IPv4-translated",
    "::ffff:0:a00:1": "IPv4-translated",
    "::ffff:0:808:808": "IPv4-translated",  # SIIT-internal (RFC 2765): refused outright
}
ALLOWED = (
    "2002:808:808::1",
    "::ffff:808:808",
    "2606:2800:21f:cb07:6820:80da:af6b:8b2c",
)  # a public IPv4 behind 6to4 or mapped


@pytest.mark.parametrize("address", REFUSED)
def test_the_guard_refuses_and_names_every_ipv6_form_of_an_ipv4_address(address: str) -> None:
    why = refusal(address)
    assert why is not None and REFUSED[address] in why[0] and why[1], (address, why)


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_ipv4_behind_6to4_or_mapped_stays_allowed(address: str) -> None:
    assert refusal(address) is None


def test_the_embedded_address_is_named() -> None:
    assert "127.0.0.1" in refusal("2002:7f00:1::")[0] and "loopback" in refusal("2002:7f00:1::")[0]
    assert "127.0.0.1" in refusal(teredo("65.54.227.120", "127.0.0.1"))[0]
    assert "169.254.169.254" in refusal("::ffff:a9fe:a9fe")[0]


@pytest.mark.parametrize("address", REFUSED)
def test_a_name_resolving_to_an_embedded_form_is_refused_when_connecting(address: str) -> None:
    resolver = fake_resolver({"rebound.example": [address]})
    with pytest.raises(WebhookInvalidError) as refused:
        AddressGuard(resolver=resolver).addresses("rebound.example", 443)
    assert [(f.rule, f.field, f.actual) for f in refused.value.failures] == [
        ("webhook_address_public", "url", address)
    ]
    assert AddressGuard(allow_private=True, resolver=resolver).addresses("rebound.example", 443) == [
        address
    ]

    async def post() -> Any:
        sender = Sender(AddressGuard(resolver=resolver), timeout=5)
        try:
            return await sender.post("http://rebound.example/hook", {}, b"{}")
        finally:
            await sender.aclose()

    sent = asyncio.run(post())
    assert (
        sent.status_code is None and sent.error.startswith("refused:") and REFUSED[address] in sent.error
    )


def test_the_dispatcher_refuses_a_6to4_literal_before_connecting() -> None:
    async def post() -> Any:
        sender = Sender(AddressGuard(), timeout=5)
        try:
            return await sender.post("http://[2002:7f00:1::]:9/hook", {}, b"{}")
        finally:
            await sender.aclose()

    sent = asyncio.run(post())
    assert sent.error.startswith("refused:") and "6to4" in sent.error, sent.error


@SQLITE_ONLY
def test_registration_over_http_refuses_every_embedded_form_unless_private_is_allowed(
    database_url: str,
) -> None:
    urls = [f"http://[{address}]:9/hook" for address in REFUSED]
    with (
        services_for(database_url, webhook_allow_private=False) as services,
        in_process(services).client() as http,
    ):
        for url in urls:
            refused = subscribe(http, url)
            assert refused.status_code == 422, (url, refused.text)
            problem = refused.json()
            assert problem["type"] == "urn:laurel:problem:webhook-invalid"
            assert [(f["rule"], f["field"]) for f in problem["failures"]] == [
                ("webhook_address_public", "url")
            ], (url, problem)
        assert http.get("/v1/webhooks").json() == []
        before = services.app.recorder.max_notification_id() or 0
        assert (
            subscribe(http, "http://[2002:808:808::1]:9/hook").status_code == 201
        )  # 6to4 of a public address
        assert services.app.recorder.max_notification_id() > before
    with (
        services_for(database_url, webhook_allow_private=True) as services,
        in_process(services).client() as http,
    ):
        assert (
            subscribe(http, urls[0]).status_code == 201
        )  # LAUREL_WEBHOOK_ALLOW_PRIVATE=1 still allows them
