"""What a delivery carries and when it is retried: no I/O beyond name resolution of
``localhost`` (the SSRF guard's own rules)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from domain.webhooks import SECRET_PREFIX, WebhookInvalidError, matches, new_secret
from infra.webhooks import messages
from infra.webhooks.policy import RetryPolicy, retry_after_seconds
from infra.webhooks.ssrf import AddressGuard, refusal


@dataclass(frozen=True)
class Entry:
    position: int = 42
    event_id: str = "7c3f2a4e-3b7e-5d0c-9a52-6c6175726501"
    type: str = "nomination.pre_reviewed"
    aggregate: str = "nomination"
    subject: str = "0b5c8f52-8d1c-4f7e-b0a4-2f1f9c2d6e11"
    campaign_id: str | None = "5f8d0c1e-1111-4f4e-9a43-6c61757265ff"
    category: str | None = "five_good_site"
    state: str | None = "admitted"
    occurred_at: datetime = datetime(2022, 10, 22, 2, tzinfo=UTC)
    actor: dict[str, Any] | None = field(default_factory=lambda: {"token_id": "tok-reviewer", "role": "reviewer", "unit_id": "city-1"})
    data: dict[str, Any] = field(default_factory=lambda: {"decision": "admit", "reasons": [], "checks": {"equipment_runs_normally": True}, "material": "前双村" * 400})


def test_secret_is_whsec_and_at_least_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) >= 24
    assert new_secret() != secret


def test_signature_verifies_with_the_standardwebhooks_library_for_every_secret() -> None:
    old, new = new_secret(), new_secret()
    body = messages.body(messages.cloud_event(Entry(), "urn:laurel"))
    now = int(datetime.now(UTC).timestamp())
    headers = messages.headers([new, old], Entry().event_id, now, body)
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers)["id"] == Entry().event_id
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace(b"admit", b"rejec"), headers)


def test_payload_is_a_structured_cloudevent_with_thin_data() -> None:
    body = messages.body(messages.cloud_event(Entry(), "urn:laurel"))
    event = from_http_event(HTTPMessage(headers={"content-type": messages.CONTENT_TYPE}, body=body))
    assert (event.get_id(), event.get_type(), event.get_source(), event.get_subject()) == (Entry().event_id, "nomination.pre_reviewed", "urn:laurel", Entry().subject)
    assert event.get_time() == Entry().occurred_at
    assert event.get_attributes()["sequence"] == "00000000000000000042"
    data = event.get_data()
    assert data == {
        "id": Entry().subject,
        "aggregate": "nomination",
        "position": 42,
        "campaign_id": Entry().campaign_id,
        "category": "five_good_site",
        "state": "admitted",
        "actor": Entry().actor,
        "decision": "admit",
    }  # thin: no material, no form, no checks


def test_sequence_orders_lexicographically_like_positions() -> None:
    positions = [9, 10, 99, 100, 12345678901]
    assert sorted(messages.sequence(p) for p in positions) == [messages.sequence(p) for p in positions]


def test_replay_is_marked_in_the_event_and_a_header() -> None:
    event = messages.cloud_event(Entry(), "urn:laurel")
    assert json.loads(messages.body(event, replay=True))["replay"] is True
    assert "replay" not in json.loads(messages.body(event))
    assert messages.headers([new_secret()], "id", 1, b"{}", replay=True)["laurel-replay"] == "true"


@pytest.mark.parametrize(
    ("patterns", "event_type", "expected"),
    [
        (["*"], "nomination.declared", True),
        (["nomination.*"], "nomination.revoked", True),
        (["nomination.*"], "campaign.phase_closed", False),
        (["campaign.phase_closed"], "campaign.phase_closed", True),
        (["*"], "command.recorded", False),
        (["*"], "webhook.created", False),
        (["*"], "token.issued", False),
    ],
)
def test_event_type_patterns_match_deliverable_types(patterns: list[str], event_type: str, expected: bool) -> None:
    assert matches(patterns, event_type) is expected


def test_default_retry_schedule_spans_about_three_days_with_jitter() -> None:
    policy = RetryPolicy(random=lambda: 0.5)
    delays = [policy.next_delay(n) for n in range(1, policy.max_attempts)]
    assert delays[:3] == [5, 300, 1800]
    assert timedelta(days=3) < timedelta(seconds=sum(delays)) < timedelta(days=3.5)
    assert policy.next_delay(policy.max_attempts) is None  # the tenth attempt was the last
    low, high = RetryPolicy(random=lambda: 0.0).next_delay(2), RetryPolicy(random=lambda: 0.999999).next_delay(2)
    assert low == pytest.approx(240) and high == pytest.approx(360, rel=1e-3)


def test_retry_after_wins_over_the_schedule_and_is_capped_at_a_day() -> None:
    policy = RetryPolicy(random=lambda: 0.5)
    assert policy.next_delay(1, retry_after=120) == 120
    assert policy.next_delay(1, retry_after=10**9) == 86400
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("Mon, 23 Nov 2026 12:01:00 GMT", now) == 60
    assert retry_after_seconds("soon", now) is None


NOT_PUBLIC = ("127.0.0.1", "10.0.0.1", "169.254.169.254", "::1", "192.168.1.20", "172.16.0.5", "100.64.0.1", "0.0.0.0", "224.0.0.1", "::ffff:127.0.0.1", "fe80::1", "fc00::1")


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_ssrf_refuses_non_public_addresses(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"])
def test_ssrf_allows_public_addresses(address: str) -> None:
    assert refusal(address) is None


def fake_resolver(mapping: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in mapping:
            raise OSError("Name or service not known")
        return [(None, None, None, "", (a, port)) for a in mapping[host]]

    return resolve


def test_ssrf_refuses_a_name_if_any_of_its_addresses_is_private() -> None:
    guard = AddressGuard(resolver=fake_resolver({"mixed.example": ["93.184.215.14", "10.0.0.7"], "public.example": ["93.184.215.14"]}))
    with pytest.raises(WebhookInvalidError) as refused:
        guard.check_url("https://mixed.example/hook")
    assert [f.actual for f in refused.value.failures] == ["10.0.0.7"]
    guard.check_url("https://public.example/hook")


def test_ssrf_refuses_localhost_by_name_unless_private_addresses_are_allowed() -> None:
    with pytest.raises(WebhookInvalidError) as refused:
        AddressGuard().check_url("http://localhost:9/hook")
    assert {f.rule for f in refused.value.failures} == {"webhook_address_public"}
    AddressGuard(allow_private=True).check_url("http://localhost:9/hook")


def test_ssrf_refuses_unresolvable_names_and_other_schemes() -> None:
    guard = AddressGuard(resolver=fake_resolver({}))
    with pytest.raises(WebhookInvalidError) as unresolvable:
        guard.check_url("https://nowhere.invalid/hook")
    assert unresolvable.value.failures[0].rule == "webhook_url_resolvable"
    with pytest.raises(WebhookInvalidError) as scheme:
        guard.check_url("file:///etc/passwd")
    assert scheme.value.failures[0].rule == "webhook_url_scheme"
