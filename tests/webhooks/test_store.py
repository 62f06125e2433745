"""The delivery state on both stores: lanes, the fan-out position, replays, the secret vault
and the lock that keeps one dispatcher active."""

from __future__ import annotations

import threading
import time

import pytest

from infra.webhooks import db, open_store
from infra.webhooks.store import Attempt, Message, WebhookStore
from projections import store as projections_store
from tests.builders.backends import BACKENDS
from tests.webhooks.harness import services_for


def message(position: int, lane: str = "0:nomination-a", subscription: str = "s1") -> Message:
    return Message(subscription, lane, position, f"event-{position}", "nomination.declared", 0, "{}")


@BACKENDS
def test_only_the_head_of_each_lane_is_due(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.webhooks
        assert store.enqueue(
            0,
            4,
            [message(1), message(2), message(3, "0:nomination-b"), message(4, "0:nomination-b")],
            {"s1": 0},
            now=1.0,
        )
        assert sorted(m["position"] for m in store.due(now=2.0, limit=10)) == [1, 3]
        head = store.due(now=2.0, limit=10)[0]
        store.record([(head, Attempt(1, 2.0, 500, "retrying", 1.0, "", None, 60.0), "pending")])
        assert sorted(m["position"] for m in store.due(now=2.0, limit=10)) == [
            3
        ]  # lane a waits for its head's retry
        assert sorted(m["position"] for m in store.due(now=61.0, limit=10)) == [1, 3]
        store.record([(head, Attempt(2, 61.0, 200, "delivered", 1.0, "", None, None), "delivered")])
        assert sorted(m["position"] for m in store.due(now=61.0, limit=10)) == [2, 3]
        assert (
            store.health("s1")["failing_since"] is None and store.health("s1")["last_success_at"] == 61.0
        )


@BACKENDS
def test_the_fan_out_position_moves_once_with_its_messages(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.webhooks
        assert store.enqueue(0, 2, [message(1), message(2)], {"s1": 0}, now=1.0)
        assert not store.enqueue(
            0, 2, [message(1), message(2)], {}, now=1.0
        )  # a stale dispatcher writes nothing
        assert store.fanout_position() == 2
        assert store.health("s1")["pending"] == 2


@BACKENDS
def test_replay_requests_are_idempotent_per_key_and_secrets_are_kept(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.webhooks
        first, created = store.request_replay("s1", 3, 9, "tok", 1.0, "s1:key")
        again, created_again = store.request_replay("s1", 3, 9, "tok", 2.0, "s1:key")
        assert created and not created_again and again["id"] == first["id"]
        assert [r["id"] for r in store.open_replays()] == [first["id"]]
        assert store.advance_replay(first["id"], 3, 9, [message(5)], True, 3.0)
        assert store.open_replays() == []
        ref = store.keep("whsec_c2VjcmV0")
        assert store.reveal(ref) == "whsec_c2VjcmV0"
        with pytest.raises(LookupError):
            store.reveal("missing")


@BACKENDS
def test_one_dispatcher_holds_the_lock_and_another_waits(database_url: str) -> None:
    with services_for(database_url) as services:
        first, second = open_store(services.app), open_store(services.app)
        acquired = threading.Event()
        try:
            with first.db.exclusive(wait=0.05):

                def standby() -> None:
                    with second.db.exclusive(wait=0.05):
                        acquired.set()

                thread = threading.Thread(target=standby, daemon=True)
                thread.start()
                time.sleep(0.5)
                assert not acquired.is_set()
            assert acquired.wait(5)
            thread.join(5)
        finally:
            first.close()
            second.close()


def test_the_delivery_state_speaks_the_read_models_sql_dialect_and_keeps_no_dead_queries() -> None:
    assert db.Sql is projections_store.Sql  # one ``?`` dialect for both stores, not a copy
    assert not hasattr(WebhookStore, "pending_subscriptions")  # had no callers
