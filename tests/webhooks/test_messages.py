"""What a delivery carries, when it is retried and which URLs are refused: no I/O beyond name
resolution of ``localhost`` (the SSRF guard's own rules)."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_http_event
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from domain.webhooks import SECRET_PREFIX, WebhookInvalidError, matches, new_secret, url_failures
from infra.webhooks import messages
from infra.webhooks.dispatcher import Dispatcher
from infra.webhooks.policy import RetryPolicy, retry_after_seconds
from infra.webhooks.sender import Response, Sender
from infra.webhooks.ssrf import AddressGuard, refusal
from projections.audit import AuditEntry

ENTRY = AuditEntry(
    position=42,
    event_id="7c3f2a4e-3b7e-5d0c-9a52-6c6175726501",
    type="nomination.pre_reviewed",
    aggregate="nomination",
    subject="0b5c8f52-8d1c-4f7e-b0a4-2f1f9c2d6e11",
    version=2,
    campaign_id="5f8d0c1e-1111-4f4e-9a43-6c61757265ff",
    category="five_good_site",
    state="admitted",
    occurred_at=datetime(2022, 10, 22, 2, tzinfo=UTC),
    actor={"token_id": "tok-reviewer", "role": "reviewer", "unit_id": "city-1"},
    data={
        "decision": "admit",
        "reasons": [],
        "checks": {"equipment_runs_normally": True},
        "material": "前双村" * 400,
    },
    hash="0" * 64,
    notification_id=42,
)


def test_secret_is_whsec_and_at_least_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) >= 24
    assert new_secret() != secret


def test_signature_verifies_with_the_standardwebhooks_library_for_every_secret() -> None:
    old, new = new_secret(), new_secret()
    body = messages.body(messages.cloud_event(ENTRY, "urn:laurel"))
    now = int(datetime.now(UTC).timestamp())
    headers = messages.headers([new, old], ENTRY.event_id, now, body)
    assert headers["webhook-signature"].count("v1,") == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers)["id"] == ENTRY.event_id
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body.replace(b"admit", b"rejec"), headers)


def test_payload_is_a_structured_cloudevent_with_thin_data() -> None:
    body = messages.body(messages.cloud_event(ENTRY, "urn:laurel"))
    event = from_http_event(HTTPMessage(headers={"content-type": messages.CONTENT_TYPE}, body=body))
    assert (event.get_id(), event.get_type(), event.get_source(), event.get_subject()) == (
        ENTRY.event_id,
        "nomination.pre_reviewed",
        "urn:laurel",
        ENTRY.subject,
    )
    assert event.get_time() == ENTRY.occurred_at
    assert event.get_attributes()["sequence"] == "00000000000000000042"
    data = event.get_data()
    assert data == {
        "id": ENTRY.subject,
        "aggregate": "nomination",
        "position": 42,
        "campaign_id": ENTRY.campaign_id,
        "category": "five_good_site",
        "state": "admitted",
        "actor": ENTRY.actor,
        "decision": "admit",
    }  # thin: no material, no form, no checks


def test_sequence_orders_lexicographically_like_positions() -> None:
    positions = [9, 10, 99, 100, 12345678901]
    assert sorted(messages.sequence(p) for p in positions) == [messages.sequence(p) for p in positions]


def test_replay_is_marked_in_the_event_and_a_header() -> None:
    event = messages.cloud_event(ENTRY, "urn:laurel")
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
def test_event_type_patterns_match_deliverable_types(
    patterns: list[str], event_type: str, expected: bool
) -> None:
    assert matches(patterns, event_type) is expected


def test_default_retry_schedule_spans_about_three_days_with_jitter() -> None:
    policy = RetryPolicy(random=lambda: 0.5)
    delays = [policy.next_delay(n) for n in range(1, policy.max_attempts)]
    assert delays[:3] == [5, 300, 1800]
    assert timedelta(days=3) < timedelta(seconds=sum(delays)) < timedelta(days=3.5)
    assert policy.next_delay(policy.max_attempts) is None  # the tenth attempt was the last
    low, high = (
        RetryPolicy(random=lambda: 0.0).next_delay(2),
        RetryPolicy(random=lambda: 0.999999).next_delay(2),
    )
    assert low == pytest.approx(240) and high == pytest.approx(360, rel=1e-3)


def test_retry_after_wins_over_the_schedule_and_is_capped_at_a_day() -> None:
    policy = RetryPolicy(random=lambda: 0.5)
    assert policy.next_delay(1, retry_after=120) == 120
    assert policy.next_delay(1, retry_after=10**9) == 86400
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7
    assert retry_after_seconds("Mon, 23 Nov 2026 12:01:00 GMT", now) == 60
    assert retry_after_seconds("soon", now) is None


NOT_PUBLIC = (
    "127.0.0.1",
    "10.0.0.1",
    "169.254.169.254",
    "::1",
    "192.168.1.20",
    "172.16.0.5",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::ffff:127.0.0.1",
    "fe80::1",
    "fc00::1",
)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_ssrf_refuses_non_public_addresses(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize(
    "address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8"]
)
def test_ssrf_allows_public_addresses(address: str) -> None:
    assert refusal(address) is None


def fake_resolver(mapping: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        if host not in mapping:
            raise OSError("Name or service not known")
        return [(None, None, None, "", (a, port)) for a in mapping[host]]

    return resolve


def test_ssrf_refuses_a_name_if_any_of_its_addresses_is_private() -> None:
    guard = AddressGuard(
        resolver=fake_resolver(
            {"mixed.example": ["93.184.215.14", "10.0.0.7"], "public.example": ["93.184.215.14"]}
        )
    )
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


def test_retry_after_zero_or_in_the_past_cannot_spend_the_retries_in_seconds() -> None:
    policy = RetryPolicy(random=lambda: 0.5)
    assert policy.next_delay(1, retry_after=0) == 1  # a tenth of 5 s is 0.5 s: at least 1 s
    assert policy.next_delay(3, retry_after=0) == 180  # a tenth of the scheduled 30 min
    past = retry_after_seconds("Mon, 23 Nov 2026 11:00:00 GMT", datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert past == 0 and policy.next_delay(2, retry_after=past) == 30
    assert policy.next_delay(2, retry_after=45) == 45  # above the floor: what it asks
    assert (
        sum(policy.next_delay(n, retry_after=0) or 0 for n in range(1, policy.max_attempts)) > 7 * 3600
    )
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    dispatcher = Dispatcher(None, None, None, None, policy, clock=lambda: now)  # type: ignore[arg-type]
    attempt, status = dispatcher.outcome(
        {"attempts": 0}, Response(429, 1.0, retry_after="0"), now.timestamp()
    )
    assert (status, attempt.outcome, attempt.next_attempt_at) == (
        "pending",
        "retrying",
        now.timestamp() + 1,
    )


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("https://example.org/a\x01b", "webhook_url_characters"),
        ("https://example.org/a b", "webhook_url_characters"),
        ("https://example.org/hook\n", "webhook_url_characters"),
        ("https://exa\tmple.org/hook", "webhook_url_characters"),
        ("https://example.org/a\x7fb", "webhook_url_characters"),
        ("https://user:pass@example.org/hook", "webhook_url_credentials"),
        ("https://token@example.org/hook", "webhook_url_credentials"),
        ("https://:pass@example.org/hook", "webhook_url_credentials"),
    ],
)
def test_url_rules_refuse_control_characters_whitespace_and_credentials(url: str, rule: str) -> None:
    [failure] = url_failures(url)
    assert (failure.rule, failure.field) == (rule, "url") and failure.message_en and failure.message_zh
    assert "pass" not in str(failure.actual)  # a refused password is not echoed


@pytest.mark.parametrize("url", ["http://a\u200bb.example/hook", "http://[v1.fe]/hook"])
def test_registration_refuses_a_url_the_http_client_cannot_read(url: str) -> None:
    assert url_failures(url) == []  # the domain's rules pass it: the guard asks the HTTP client
    with pytest.raises(WebhookInvalidError) as refused:
        AddressGuard(allow_private=True, resolver=fake_resolver({})).check_url(url)
    assert [(f.rule, f.field) for f in refused.value.failures] == [("webhook_url_readable", "url")]


def test_the_sender_turns_any_exception_into_a_failed_attempt() -> None:
    def exploding(*_: Any, **__: Any) -> list[tuple[Any, ...]]:
        raise RuntimeError("resolver exploded")

    async def post(sender: Sender, url: str) -> Response:
        try:
            return await sender.post(url, {}, b"{}")
        finally:
            await sender.aclose()

    invalid = asyncio.run(post(Sender(AddressGuard(allow_private=True)), "https://example.org/a\x01b"))
    assert (
        invalid.status_code is None
        and invalid.error is not None
        and invalid.error.startswith("InvalidURL: ")
    )
    crashed = asyncio.run(post(Sender(AddressGuard(resolver=exploding)), "https://example.org/hook"))
    assert (crashed.status_code, crashed.error) == (None, "RuntimeError: resolver exploded")
