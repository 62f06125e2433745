"""Deliveries to a real receiver process (verifying with ``standardwebhooks``, parsing with
``cloudevents``), with the dispatcher in a thread and a retry schedule of seconds."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.actors import SYSTEM
from domain.commands import CreateWebhook, DeleteWebhook, RegisterUnit, RotateWebhookSecret
from infra.bootstrap import Services
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.http import in_process
from tests.webhooks.harness import (
    Receiver,
    dispatching,
    nomination_events,
    services_for,
    wait_for,
)

pytestmark = pytest.mark.slow  # deliveries to a receiver process, retries of seconds

NOMINATION_STEPS = [
    "nomination.declared",
    "nomination.pre_reviewed",
    "nomination.inspected",
    "nomination.withdrawn",
]


def subscribe(
    services: Services, url: str, types: tuple[str, ...] = ("nomination.*",), **kwargs: Any
) -> tuple[str, str]:
    command = CreateWebhook(url=url, event_types=list(types), description="测试接收端 / test receiver")
    created = services.app.execute(command, ADMIN, **kwargs)
    return created["id"], created["secret"]


def expected_events(services: Services, types: str) -> dict[str, Any]:
    """The audit entries (by event id) of the given aggregate the receiver should get."""
    return {e.event_id: e for e in services.views.audit_entries(0, 10_000) if e.type.startswith(types)}


def register_units(services: Services, count: int, prefix: str = "city") -> None:
    for i in range(count):
        services.app.execute(
            RegisterUnit(
                code=f"{prefix}-{i}",
                name=f"City {i}",
                name_zh=f"示范市{i}",
                level="city",
                parent_id=None,
            ),
            ADMIN,
        )


def assert_in_order_per_subject(accepted: list[dict[str, Any]]) -> None:
    """Each subject's accepted events, duplicates collapsed, come in increasing global order."""
    by_subject: dict[str, list[str]] = defaultdict(list)
    for record in accepted:
        seen = by_subject[record["subject"]]
        if not seen or seen[-1] != record["sequence"]:
            seen.append(record["sequence"])
    for subject, sequences in by_subject.items():
        assert sequences == sorted(set(sequences)), f"{subject}: {sequences}"


@BACKENDS
def test_consumer_down_then_failing_then_up_gets_every_event_in_order_per_nomination(
    database_url: str,
) -> None:
    with services_for(database_url) as services:
        receiver = Receiver()  # not started: connection refused
        try:
            webhook, secret = subscribe(services, receiver.url)
            with dispatching(services) as dispatcher:
                ids = nomination_events(services.app, 50)  # 200 nomination events while nobody listens
                wait_for(
                    lambda: len(dispatcher.store.attempts(webhook, 100)) >= 50, 30, "refused attempts"
                )
                assert {a["status_code"] for a in dispatcher.store.attempts(webhook, 100)} == {None}
                receiver.start(secret)
                receiver.control(default=500)
                wait_for(lambda: len(receiver.log()) >= 60, 30, "500s")
                receiver.control(default=200)
                expected = expected_events(services, "nomination.")
                assert len(expected) == 200
                wait_for(
                    lambda: {r["ce_id"] for r in receiver.accepted()} >= set(expected),
                    60,
                    "every event accepted",
                )
            log = receiver.log()
        finally:
            receiver.stop()
    assert all(r["verified"] == [True] and "parse_error" not in r for r in log)
    accepted = [r for r in log if r["answered"] == 200]
    assert {r["ce_id"] for r in accepted} == set(expected)
    assert {r["subject"] for r in accepted} == set(ids)
    assert_in_order_per_subject(accepted)
    for nomination in ids:
        firsts = list(dict.fromkeys(r["type"] for r in accepted if r["subject"] == nomination))
        assert firsts == NOMINATION_STEPS
    requests_per_event: dict[str, set[str]] = defaultdict(set)
    for record in log:
        assert record["webhook_id"] == record["ce_id"]
        requests_per_event[record["ce_id"]].add(record["webhook_id"])
        entry = expected[record["ce_id"]]
        assert (record["type"], record["sequence"], record["data"]["state"]) == (
            entry.type,
            f"{entry.position:020d}",
            entry.state,
        )
    assert all(len(ids) == 1 for ids in requests_per_event.values())
    assert len(log) > len(expected)  # the 500s were retried: duplicates of the same webhook-id


@BACKENDS
def test_410_gone_disables_the_subscription_and_stops_deliveries(
    database_url: str, receiver: Receiver
) -> None:
    with services_for(database_url) as services:
        webhook, secret = subscribe(services, receiver.url, ("unit.*",))
        receiver.start(secret)
        receiver.control(default=410)
        with dispatching(services) as dispatcher:
            register_units(services, 3)
            wait_for(
                lambda: services.app.webhooks.get_webhook(webhook).status == "disabled", 20, "disabled"
            )
            gone = len(receiver.log())
            register_units(services, 2, prefix="later")
            time.sleep(0.5)
            assert len(receiver.log()) == gone
            assert dispatcher.store.health(webhook)["pending"] == 0
            outcomes = {a["outcome"] for a in dispatcher.store.attempts(webhook)}
        subscription = services.app.webhooks.get_webhook(webhook)
        assert "410" in subscription.disabled_reason
        disabled = [e for e in services.views.audit_entries(0, 1000) if e.type == "webhook.disabled"]
        assert [(e.subject, e.actor) for e in disabled] == [(webhook, SYSTEM.as_dict())]
    assert outcomes == {"gone"}


@BACKENDS
def test_retry_after_on_429_and_503_is_honoured(database_url: str, receiver: Receiver) -> None:
    with services_for(database_url) as services:
        webhook, secret = subscribe(services, receiver.url, ("unit.registered",))
        receiver.start(secret)
        receiver.control(plan=[[429, {"Retry-After": "2"}], [503, {"Retry-After": "1"}]], default=200)
        with dispatching(services) as dispatcher:
            register_units(services, 1)
            wait_for(lambda: receiver.accepted(), 20, "delivery")
            wait_for(
                lambda: dispatcher.store.health(webhook)["pending"] == 0, 20, "the delivery recorded"
            )  # settled after the 200 arrives
            attempts = sorted(dispatcher.store.attempts(webhook), key=lambda a: a["id"])
        times = [r["received_at"] for r in receiver.log()]
    assert [r["answered"] for r in receiver.log()] == [429, 503, 200]
    assert (
        times[1] - times[0] >= 1.95 and times[2] - times[1] >= 0.95
    )  # the schedule alone says 0.2 s, then 0.4 s
    assert [round(a["next_attempt_at"] - a["attempted_at"]) for a in attempts[:2]] == [2, 1]
    assert [a["outcome"] for a in attempts] == ["retrying", "retrying", "delivered"]


@BACKENDS
def test_replay_resends_exactly_the_events_after_the_position(
    database_url: str, receiver: Receiver
) -> None:
    with services_for(database_url) as services, in_process(services).client() as http:
        created = http.post("/v1/webhooks", json={"url": receiver.url, "event_types": ["unit.*"]}).json()
        receiver.start(created["secret"])
        with dispatching(services):
            register_units(services, 4)
            services.app.execute(
                RegisterUnit(
                    code="county-a", name="County A", name_zh="甲县", level="county", parent_id="city-0"
                ),
                ADMIN,
            )
            services.app.execute(
                RegisterUnit(
                    code="county-b", name="County B", name_zh="乙县", level="county", parent_id="city-1"
                ),
                ADMIN,
            )
            expected = expected_events(services, "unit.")
            wait_for(lambda: len(receiver.accepted()) == len(expected) == 8, 20, "live deliveries")
            positions = sorted(e.position for e in expected.values())
            after = positions[3]
            replay = http.post(
                f"/v1/webhooks/{created['id']}/replay",
                json={"after_position": after},
                headers={"Idempotency-Key": "r1"},
            )
            assert replay.status_code == 202, replay.text
            assert (replay.json()["after_position"], replay.json()["until_position"]) == (
                after,
                services.views.max_position(),
            )
            again = http.post(
                f"/v1/webhooks/{created['id']}/replay",
                json={"after_position": after},
                headers={"Idempotency-Key": "r1"},
            )
            assert again.status_code == 200 and again.json()["id"] == replay.json()["id"]
            wait_for(
                lambda: len([r for r in receiver.accepted() if r["replay"]]) >= 4,
                20,
                "replayed deliveries",
            )
            time.sleep(0.3)  # nothing more arrives
            deliveries = http.get(
                f"/v1/webhooks/{created['id']}/deliveries", params={"limit": 100}
            ).json()["items"]
        log = receiver.log()
    originals = {r["ce_id"]: r for r in log if not r["replay"]}
    replayed = [r for r in log if r["replay"]]
    assert sorted(int(r["sequence"]) for r in replayed) == [p for p in positions if p > after]
    for record in replayed:
        assert record["verified"] == [True] and record["webhook_id"] == record["ce_id"]
        original = originals[record["ce_id"]]
        assert (original["type"], original["sequence"], original["data"]) == (
            record["type"],
            record["sequence"],
            record["data"],
        )
    assert_in_order_per_subject(replayed)
    assert len(deliveries) == 12 and {d["replay"] for d in deliveries} == {True, False}
    assert all(
        d["status_code"] == 200
        and d["outcome"] == "delivered"
        and d["latency_ms"] >= 0
        and d["response_excerpt"] == "status 200"
        for d in deliveries
    )


@BACKENDS
def test_rotation_signs_with_both_secrets_for_24_hours_then_with_the_new_one(
    database_url: str, receiver: Receiver
) -> None:
    now = datetime.now(UTC)
    with services_for(database_url) as services:
        fresh, old = subscribe(services, receiver.url, ("unit.registered",))
        new = services.app.execute(RotateWebhookSecret(webhook_id=fresh), ADMIN)["secret"]
        stale, stale_old = subscribe(
            services,
            receiver.url.replace("/hook", "/stale"),
            ("unit.registered",),
            at=now - timedelta(hours=26),
        )
        stale_new = services.app.execute(
            RotateWebhookSecret(webhook_id=stale), ADMIN, at=now - timedelta(hours=25)
        )["secret"]
        receiver.start()
        with dispatching(services):
            receiver.control(secrets=[old, new, stale_old, stale_new])
            register_units(services, 1)
            wait_for(lambda: len(receiver.accepted()) == 2, 20, "both subscriptions")
    by_path = {r["path"]: r for r in receiver.log()}
    assert (
        by_path["/hook"]["verified"] == [True, True, False, False]
        and by_path["/hook"]["signature"].count("v1,") == 2
    )
    assert (
        by_path["/stale"]["verified"] == [False, False, False, True]
        and by_path["/stale"]["signature"].count("v1,") == 1
    )


@BACKENDS
def test_an_endpoint_failing_continuously_is_disabled(database_url: str, receiver: Receiver) -> None:
    with services_for(database_url, webhook_disable_after="1.5") as services:
        webhook, secret = subscribe(services, receiver.url, ("unit.*",))
        receiver.start(secret)
        receiver.control(default=500)
        with dispatching(services):
            register_units(services, 1)
            wait_for(
                lambda: services.app.webhooks.get_webhook(webhook).status == "disabled", 20, "disabled"
            )
        assert services.app.webhooks.get_webhook(webhook).disabled_reason.startswith(
            "every delivery failed for 1.5 s"
        )
    first, last = receiver.log()[0]["received_at"], receiver.log()[-1]["received_at"]
    assert last - first >= 1.4


@BACKENDS
def test_ssrf_guard_checks_addresses_again_on_every_connection(
    database_url: str, receiver: Receiver, tmp_path: Any
) -> None:
    receiver.start()
    with services_for(database_url, webhook_allow_private=True) as registering:
        by_ip, _ = subscribe(registering, receiver.url, ("unit.*",))
        by_name, _ = subscribe(registering, receiver.url.replace("127.0.0.1", "localhost"), ("unit.*",))
    with (
        services_for(database_url, webhook_allow_private=False) as services,
        dispatching(services) as dispatcher,
    ):
        register_units(services, 1)
        wait_for(
            lambda: dispatcher.store.attempts(by_ip) and dispatcher.store.attempts(by_name),
            20,
            "attempts",
        )
        attempts = dispatcher.store.attempts(by_ip) + dispatcher.store.attempts(by_name)
    assert receiver.log() == []
    assert all(
        a["status_code"] is None and a["error"].startswith("refused:") and a["outcome"] == "retrying"
        for a in attempts
    )


@BACKENDS
def test_only_a_2xx_within_the_timeout_counts_and_redirects_are_not_followed(
    database_url: str, receiver: Receiver
) -> None:
    with services_for(database_url, webhook_timeout=1.0) as services:
        webhook, secret = subscribe(services, receiver.url, ("unit.registered",))
        receiver.start(secret)
        receiver.control(
            plan=[[302, {"Location": receiver.url.replace("/hook", "/elsewhere")}]],
            default=200,
            delay=0.0,
        )
        with dispatching(services) as dispatcher:
            register_units(services, 1)
            wait_for(lambda: receiver.accepted(), 20, "delivery after the redirect")
            receiver.control(delay=1.5)
            register_units(services, 1, prefix="slow")
            wait_for(
                lambda: [
                    a
                    for a in dispatcher.store.attempts(webhook)
                    if a["error"] and "timed out" in a["error"]
                ],
                20,
                "a timeout",
            )
            receiver.control(delay=0.0)
            wait_for(
                lambda: dispatcher.store.health(webhook)["pending"] == 0,
                20,
                "delivery after the timeout",
            )
            attempts = sorted(dispatcher.store.attempts(webhook), key=lambda a: a["id"])
    log = receiver.log()
    assert {r["path"] for r in log} == {"/hook"}  # the redirect was not followed
    assert (
        attempts[0]["status_code"] == 302
        and "not followed" in attempts[0]["error"]
        and attempts[0]["outcome"] == "retrying"
    )
    slow = [r for r in log if r["ce_id"] == log[-1]["ce_id"]]
    assert len(slow) >= 2 and {r["webhook_id"] for r in slow} == {
        log[-1]["ce_id"]
    }  # answered 200 too late, sent again


@BACKENDS
def test_a_subscription_gets_the_events_after_its_creation_until_it_is_deleted(
    database_url: str, receiver: Receiver
) -> None:
    with services_for(database_url) as services:
        register_units(services, 2, prefix="before")
        webhook, secret = subscribe(services, receiver.url, ("unit.registered",))
        receiver.start(secret)
        with dispatching(services):
            register_units(services, 2, prefix="after")
            wait_for(lambda: len(receiver.accepted()) == 2, 20, "two deliveries")
            services.app.execute(DeleteWebhook(webhook_id=webhook), ADMIN)
            register_units(services, 2, prefix="deleted")
            time.sleep(0.5)
        names = {
            e.event_id: e.data["code"]
            for e in services.views.audit_entries(0, 1000)
            if e.type == "unit.registered"
        }
    assert sorted(names[r["ce_id"]] for r in receiver.log()) == ["after-0", "after-1"]
