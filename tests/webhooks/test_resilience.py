"""One subscription's trouble is its own: a URL the HTTP client refuses, an exception while
sending, a signing secret missing from the vault — each is a failed attempt of that
subscription, and the round still delivers to every other one and records every outcome.
One dispatcher round at a time (``run_once``), no dispatcher thread."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from domain.application import Laurel
from domain.commands import CreateWebhook, RotateWebhookSecret
from domain.handlers.context import no_guard
from domain.webhooks import MemoryVault
from infra.bootstrap import Services
from infra.webhooks import build_dispatcher
from infra.webhooks.dispatcher import Dispatcher
from infra.webhooks.sender import Response
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.webhooks.harness import Receiver, services_for
from tests.webhooks.test_delivery import register_units, subscribe

OK_URL = "http://127.0.0.1:9/ok"  # a fake sender answers; nothing listens there


class FakeSender:
    """Answers 200 to every URL but ``explodes`` (raises); keeps what it was asked to send."""

    def __init__(self, explodes: str = "") -> None:
        self.explodes = explodes
        self.posts: list[tuple[str, dict[str, str]]] = []

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> Response:
        if url == self.explodes:
            raise RuntimeError("the sender exploded")
        self.posts.append((url, headers))
        return Response(200, 1.0, "ok")

    async def aclose(self) -> None:
        pass


def legacy_subscription(services: Services, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A subscription registered before today's URL rules (rules and guard bypassed)."""
    with monkeypatch.context() as patch:
        patch.setattr("domain.handlers.webhooks.url_failures", lambda _url: [])
        patch.setattr("domain.execution.control_character_failures", lambda _values: [])
        patch.setattr(
            services.app, "collaborators", replace(services.app.collaborators, url_guard=no_guard)
        )
        return services.app.execute(
            CreateWebhook(
                url=url, event_types=["unit.registered"], description="registered before the URL rules"
            ),
            ADMIN,
        )["id"]


def one_round(dispatcher: Dispatcher) -> int:
    async def run() -> int:
        try:
            return await dispatcher.run_once()
        finally:
            await dispatcher.sender.aclose()

    return asyncio.run(run())


@BACKENDS
def test_a_url_the_http_client_refuses_fails_alone_and_the_round_is_recorded(
    database_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with services_for(database_url) as services:
        good, secret = subscribe(services, receiver.url, ("unit.registered",))
        bad = legacy_subscription(services, "https://example.org/a\x01b", monkeypatch)
        receiver.start(secret)
        register_units(services, 1)
        one_round(
            build_dispatcher(services, store=services.webhooks)
        )  # the real sender: httpx.InvalidURL was not an HTTPError
        assert [r["answered"] for r in receiver.log()] == [200]
        [failed] = services.webhooks.attempts(bad)
        assert (failed["status_code"], failed["outcome"]) == (None, "retrying") and failed[
            "error"
        ].startswith("InvalidURL: ")
        assert [a["outcome"] for a in services.webhooks.attempts(good)] == ["delivered"]
        assert (
            services.webhooks.health(good)["pending"] == 0
            and services.webhooks.health(bad)["pending"] == 1
        )


@BACKENDS
def test_an_exception_while_sending_is_a_failed_attempt_not_the_end_of_the_round(
    database_url: str,
) -> None:
    with services_for(database_url) as services:
        good, _ = subscribe(services, OK_URL, ("unit.registered",))
        bad, _ = subscribe(services, "http://127.0.0.1:9/explodes", ("unit.registered",))
        dispatcher = build_dispatcher(services, store=services.webhooks)
        dispatcher.sender = FakeSender(explodes="http://127.0.0.1:9/explodes")  # type: ignore[assignment]
        register_units(services, 2)
        assert one_round(dispatcher) > 0
        assert [a["outcome"] for a in services.webhooks.attempts(good)] == ["delivered", "delivered"]
        failed = services.webhooks.attempts(bad)
        assert len(failed) == 2  # one lane per unit: both heads were tried
        assert all(
            a["outcome"] == "retrying" and a["error"] == "RuntimeError: the sender exploded"
            for a in failed
        )


@BACKENDS
def test_a_missing_signing_secret_fails_its_subscription_alone_until_the_secret_is_rotated(
    database_url: str,
) -> None:
    now = [datetime.now(UTC)]
    with services_for(database_url) as services:
        _good, _ = subscribe(services, OK_URL, ("unit.registered",))
        broken, _ = subscribe(services, "http://127.0.0.1:9/broken", ("unit.registered",))
        store = services.webhooks
        with store.db.transaction() as sql:
            sql.execute(
                f"DELETE FROM {store.t['secrets']} WHERE ref = ?",
                (services.app.webhooks.get_webhook(broken).secret_ref,),
            )
        dispatcher = build_dispatcher(services, store=store, clock=lambda: now[0])
        sender = FakeSender()
        dispatcher.sender = sender  # type: ignore[assignment]
        register_units(services, 1)
        one_round(dispatcher)
        assert [url for url, _ in sender.posts] == [OK_URL]
        [failed] = store.attempts(broken)
        assert (failed["status_code"], failed["outcome"]) == (None, "retrying")
        assert (
            failed["error"].startswith("signing secret missing, nothing sent; rotate the secret")
            and "签名密钥缺失" in failed["error"]
        )
        assert services.app.webhooks.get_webhook(
            broken
        ).active  # not disabled: retried, and repaired by a rotation

        new = services.app.execute(RotateWebhookSecret(webhook_id=broken), ADMIN)["secret"]
        now[0] += timedelta(
            seconds=5
        )  # the retry is due; the missing secret is still in its grace period
        one_round(dispatcher)
        [(url, headers)] = sender.posts[1:]
        assert (
            url == "http://127.0.0.1:9/broken" and headers["webhook-signature"].count("v1,") == 1
        )  # the new secret only
        assert [a["outcome"] for a in store.attempts(broken)] == ["delivered", "retrying"]
        assert (
            Webhook(new).verify(body(store, store.attempts(broken)[0]["message_id"]), headers)["id"]
            == headers["webhook-id"]
        )


def body(store: Any, message_id: int) -> str:
    with store.db.transaction(write=False) as sql:
        return str(sql.scalar(f"SELECT body FROM {store.t['messages']} WHERE id = ?", (message_id,)))


def test_an_application_without_a_secret_vault_refuses_to_keep_secrets() -> None:
    app = Laurel(env={"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"})
    with pytest.raises(RuntimeError, match="no webhook secret vault is wired"):
        app.execute(
            CreateWebhook(url="http://127.0.0.1:9/hook", event_types=["*"], description=""), ADMIN
        )
    assert app.webhooks.webhook_ids() == []  # nothing recorded
    app = Laurel(  # a vault comes in through the constructor (unit tests: one in memory)
        env={"PERSISTENCE_MODULE": "infra.event_store:POPOFactory"},
        secret_vault=lambda _app: MemoryVault(),
    )
    created = app.execute(
        CreateWebhook(url="http://127.0.0.1:9/hook", event_types=["*"], description=""), ADMIN
    )
    assert app.webhooks.webhook_signing_secrets(
        app.webhooks.get_webhook(created["id"]), datetime.now(UTC)
    ) == [created["secret"]]
