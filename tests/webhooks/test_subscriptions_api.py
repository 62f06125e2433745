"""Webhook subscriptions over HTTP: recorded as events, admin only, secrets shown once and
rotated with a 24-hour grace, and the SSRF guard at registration."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.builders.backends import BACKENDS
from tests.builders.http import in_process
from tests.webhooks.harness import services_for

PROBLEM = "application/problem+json"
PRIVATE_URLS = (
    "http://127.0.0.1/hook",
    "http://10.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8080/hook",
    "http://localhost:8080/hook",  # a name that resolves to loopback
)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def subscribe(http, url: str = "http://127.0.0.1:9/hook", **extra):
    return http.post(
        "/v1/webhooks",
        json={
            "url": url,
            "event_types": ["nomination.*", "campaign.phase_closed"],
            "description": "省平台 / provincial platform",
            **extra,
        },
    )


@BACKENDS
def test_webhook_secret_is_shown_once_and_the_subscription_is_readable(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        created = http.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["nomination.*"]},
            headers={"Idempotency-Key": "k1"},
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["secret"].startswith("whsec_") and len(base64.b64decode(body["secret"][6:])) >= 24
        assert (body["status"], body["event_types"], body["version"]) == ("active", ["nomination.*"], 1)

        again = http.post(
            "/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["nomination.*"]},
            headers={"Idempotency-Key": "k1"},
        )
        assert (
            again.status_code == 200
            and again.json()["id"] == body["id"]
            and again.json()["secret"] is None
        )

        read = http.get(f"/v1/webhooks/{body['id']}")
        assert read.status_code == 200 and "secret" not in read.json()
        assert read.json()["delivery"] == {"pending": 0, "failing_since": None, "last_success_at": None}
        assert [w["id"] for w in http.get("/v1/webhooks").json()] == [body["id"]]


@BACKENDS
def test_webhook_changes_are_recorded_as_events_without_the_secrets(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        created = subscribe(http).json()
        rotated = http.post(f"/v1/webhooks/{created['id']}/rotation").json()
        assert http.delete(f"/v1/webhooks/{created['id']}").status_code == 204
        entries = [e for e in services.views.audit_entries(0, 100) if e.subject == created["id"]]
        assert [e.type for e in entries] == [
            "webhook.created",
            "webhook.secret_rotated",
            "webhook.deleted",
        ]
        assert set(entries[0].data) == {
            "url",
            "event_types",
            "description",
            "secret_ref",
            "actor",
        }  # a reference, not the secret
        assert entries[0].actor == {"token_id": "bootstrap-admin", "role": "admin", "unit_id": None}
        exported = json.dumps(list(services.views.export()), ensure_ascii=False)
        assert created["secret"] not in exported and rotated["secret"] not in exported


@BACKENDS
def test_rotation_gives_a_new_secret_and_keeps_the_old_one_valid_for_24_hours(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        created = subscribe(http).json()
        rotated = http.post(f"/v1/webhooks/{created['id']}/rotation")
        assert rotated.status_code == 200, rotated.text
        body = rotated.json()
        assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
        grace = datetime.fromisoformat(body["previous_secret_valid_until"]) - datetime.fromisoformat(
            body["secret_rotated_at"]
        )
        assert grace == timedelta(hours=24)
        subscription = services.app.webhooks.get_webhook(created["id"])
        now = datetime.now(UTC)
        assert services.app.webhooks.webhook_signing_secrets(subscription, now) == [
            body["secret"],
            created["secret"],
        ]
        assert services.app.webhooks.webhook_signing_secrets(
            subscription, now + timedelta(hours=25)
        ) == [body["secret"]]


@BACKENDS
def test_deleted_webhook_is_not_found(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        created = subscribe(http).json()
        assert http.delete(f"/v1/webhooks/{created['id']}").status_code == 204
        for response in (
            http.get(f"/v1/webhooks/{created['id']}"),
            http.delete(f"/v1/webhooks/{created['id']}"),
            http.post(f"/v1/webhooks/{created['id']}/rotation"),
        ):
            assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
            assert (
                response.json()["type"] == "urn:laurel:problem:webhook-not-found"
                and response.json()["detail_zh"]
            )
        assert http.get("/v1/webhooks").json() == []
        assert http.get("/v1/webhooks/not-a-uuid").status_code == 404


@SQLITE_ONLY
def test_only_an_admin_without_a_unit_manages_webhooks_and_auditors_read_them(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        assert (
            http.post(
                "/v1/units", json={"id": "city-1", "name_zh": "示范市", "level": "city"}
            ).status_code
            == 201
        )
        roles = (("admin", "city-1"), ("declarer", "city-1"), ("auditor", None))
        tokens = {
            role: http.post("/v1/tokens", json={"role": role, "unit_id": unit}).json()["token"]
            for role, unit in roles
        }
        webhook = subscribe(http).json()["id"]
        with in_process(services).client(tokens["admin"]) as scoped:
            refused = subscribe(scoped)
            assert (
                refused.status_code == 403
                and refused.json()["type"] == "urn:laurel:problem:outside-jurisdiction"
            )
            assert scoped.get("/v1/webhooks").status_code == 403
        with in_process(services).client(tokens["declarer"]) as declarer:
            assert subscribe(declarer).json()["type"] == "urn:laurel:problem:role-not-allowed"
        with in_process(services).client(tokens["auditor"]) as auditor:
            assert auditor.get("/v1/webhooks").status_code == 200
            assert auditor.get(f"/v1/webhooks/{webhook}/deliveries").status_code == 200
            assert subscribe(auditor).status_code == 403
            assert auditor.delete(f"/v1/webhooks/{webhook}").status_code == 403
            assert (
                auditor.post(f"/v1/webhooks/{webhook}/replay", json={"after_position": 0}).status_code
                == 403
            )
        with in_process(services).client("no-such-token") as stranger:
            assert stranger.get("/v1/webhooks").status_code == 401


@SQLITE_ONLY
def test_registration_refuses_private_and_loopback_addresses_unless_allowed(database_url: str) -> None:
    with (
        services_for(database_url, webhook_allow_private=False) as services,
        in_process(services).client() as http,
    ):
        for url in PRIVATE_URLS:
            refused = subscribe(http, url)
            assert refused.status_code == 422, (url, refused.text)
            problem = refused.json()
            assert problem["type"] == "urn:laurel:problem:webhook-invalid" and problem["detail_zh"]
            assert {f["rule"] for f in problem["failures"]} == {"webhook_address_public"}, (url, problem)
            assert all(f["message_zh"] and f["message_en"] for f in problem["failures"])
        assert http.get("/v1/webhooks").json() == []
    with (
        services_for(database_url, webhook_allow_private=True) as services,
        in_process(services).client() as http,
    ):
        for url in PRIVATE_URLS:
            assert subscribe(http, url).status_code == 201, url


@SQLITE_ONLY
def test_registration_refuses_other_schemes_and_unknown_event_types(database_url: str) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        cases = {
            "ftp://127.0.0.1/hook": "webhook_url_scheme",
            "http:///no-host": "webhook_url_host",
            "http://name.invalid/hook": "webhook_url_resolvable",
        }
        for url, rule in cases.items():
            refused = subscribe(http, url)
            assert refused.status_code == 422 and rule in {
                f["rule"] for f in refused.json()["failures"]
            }, (url, refused.text)
        bad_types = http.post(
            "/v1/webhooks",
            json={
                "url": "http://127.0.0.1:9/hook",
                "event_types": ["nomination.*", "Nomination Declared", "a.b.c"],
            },
        )
        assert bad_types.status_code == 422
        assert [f["actual"] for f in bad_types.json()["failures"]] == ["Nomination Declared", "a.b.c"]
        assert (
            http.post(
                "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "event_types": []}
            ).status_code
            == 422
        )


@SQLITE_ONLY
def test_registration_refuses_urls_that_cannot_be_sent_to_or_carry_credentials(
    database_url: str,
) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        cases = {
            "https://example.org/a\x01b": "webhook_url_characters",  # httpx.InvalidURL on every delivery
            "http://127.0.0.1:9/a b": "webhook_url_characters",
            "http://127.0.0.1:9/hook ": "webhook_url_characters",
            "http://a\u200bb.example/hook": "webhook_url_readable",  # the HTTP client refuses the name
            "http://[v1.fe]/hook": "webhook_url_readable",
            # the credentials would be in webhook.created, read by auditors
            "https://user:s3cret@127.0.0.1:9/hook": "webhook_url_credentials",
            "https://tok_abc@127.0.0.1:9/hook": "webhook_url_credentials",
        }
        for url, rule in cases.items():
            refused = subscribe(http, url)
            assert refused.status_code == 422, (url, refused.text)
            problem = refused.json()
            assert problem["type"] == "urn:laurel:problem:webhook-invalid" and problem["detail_zh"], (
                problem
            )
            assert [(f["rule"], f["field"]) for f in problem["failures"]] == [(rule, "url")], (
                url,
                problem,
            )
            assert all(f["message_en"] and f["message_zh"] for f in problem["failures"])
            assert "s3cret" not in refused.text
        assert http.get("/v1/webhooks").json() == []
        assert (
            subscribe(http, "http://127.0.0.1:9/hook?topic=a%20b").status_code == 201
        )  # percent-encoded is fine
