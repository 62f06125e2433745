"""The notification store on both event stores: the contact vault, preferences (the domain's
check: a mandatory kind cannot be muted), the inbox and its unread count, the delivery log
with the addresses masked."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from domain.contacts import ContactDetails
from domain.notifications.preferences import NoticeMandatoryError, PreferenceInvalidError
from infra.notifications import open_notification_store
from infra.notifications.store import RECIPIENTS_CHUNK, Delivery, mask
from tests.builders.backends import BACKENDS
from tests.notifications.harness import queue_emails, services_for


def inbox_row(n: int, recipient: str) -> Delivery:
    return Delivery(
        f"k-{n}",
        n,
        recipient,
        "inbox",
        None,
        "admitted",
        None,
        f"s-{n}",
        f"主题 {n}",
        "正文",
        "delivered",
    )


@BACKENDS
def test_contact_vault_keeps_and_forgets(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.notifications
        ref = store.keep_contact(ContactDetails("张三", "zhang@example.cn", "13800000000"))
        assert store.contact_details(ref) == ContactDetails("张三", "zhang@example.cn", "13800000000")
        store.forget_contact(ref)
        assert store.contact_details(ref) is None


@BACKENDS
def test_preferences_default_immediate_and_mandatory_cannot_be_muted(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.notifications
        assert set(store.preferences("contact:c1").values()) == {"immediate"}
        assert store.set_preference("contact:c1", "admitted", "muted")["admitted"] == "muted"
        assert store.set_preference("contact:c1", "admitted", "digest")["admitted"] == "digest"
        assert store.set_preference("contact:c1", "rejected", "digest")["rejected"] == "digest"
        with pytest.raises(NoticeMandatoryError) as refused:
            store.set_preference("contact:c1", "rejected", "muted")
        assert refused.value.code == "notice-mandatory"
        assert refused.value.failures[0].field == "mode"
        with pytest.raises(PreferenceInvalidError) as invalid:
            store.set_preference("contact:c1", "no-such-kind", "loud")
        assert {f.field for f in invalid.value.failures} == {"kind", "mode"}
        assert store.preferences("contact:c1")["rejected"] == "digest"
        assert store.modes(["contact:c1", "token:t"]) == {
            ("contact:c1", "admitted"): "digest",
            ("contact:c1", "rejected"): "digest",
        }


@BACKENDS
def test_inbox_unread_and_mark_read(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.notifications
        me, other = ["contact:me", "token:mine"], "token:other"
        store.add(
            [inbox_row(1, "contact:me"), inbox_row(2, "token:mine"), inbox_row(3, other)], time.time()
        )
        assert [r["notice_key"] for r in store.inbox(me)] == ["k-2", "k-1"]
        assert store.unread_count(me) == 2
        newest = store.inbox(me)[0]["id"]
        assert [r["notice_key"] for r in store.inbox(me, before=newest)] == ["k-1"]
        other_id = store.inbox([other])[0]["id"]
        assert store.mark_read(me, [newest, other_id]) == 1  # another's row is not mine to read
        assert store.unread_count(me) == 1 and store.unread_count([other]) == 1
        assert [r["notice_key"] for r in store.inbox(me, unread_only=True)] == ["k-1"]
        assert store.mark_all_read(me) == 1
        assert store.unread_count(me) == 0
        assert store.inbox([]) == [] and store.unread_count([]) == 0


@BACKENDS
def test_delivery_log_masks_addresses_and_a_repeat_inserts_nothing(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.notifications
        queue_emails(store, 2)
        queue_emails(store, 2)  # the same keys again
        log = store.deliveries()
        assert len(log) == 2
        assert {r["address"] for r in log} == {"z***@example.cn"}
        assert all("body" not in r for r in log)


@BACKENDS
def test_delivery_log_filtered_to_recipients_in_sql_chunk_by_chunk(database_url: str) -> None:
    with services_for(database_url) as services:
        store = services.notifications
        store.add([inbox_row(n, f"token:{n * 150:04d}") for n in range(1, 10)], time.time())

        def keys(rows: list[dict[str, Any]]) -> list[str]:
            return [r["notice_key"] for r in rows]

        assert len(store.deliveries(channel=None)) == 9
        assert store.deliveries(channel=None, recipients=[]) == []
        assert keys(store.deliveries(channel=None, recipients=["token:0300", "token:0900"])) == [
            "k-6",
            "k-2",
        ]
        assert store.deliveries(recipients=["token:0300"]) == []  # and the other filters too
        # 1,500 keys: three IN lists, the newest rows of them all first, paged by id.
        every = [f"token:{i:04d}" for i in range(1500)]
        assert len(every) > 2 * RECIPIENTS_CHUNK
        first = store.deliveries(channel=None, recipients=every, limit=4)
        assert keys(first) == ["k-9", "k-8", "k-7", "k-6"]
        rest = store.deliveries(channel=None, recipients=every, limit=4, before=first[-1]["id"])
        assert keys(rest) == ["k-5", "k-4", "k-3", "k-2"]
        assert all(r["address"] is None for r in rest)


def test_mask() -> None:
    assert mask("zhang.san@example.cn") == "z***@example.cn"
    assert mask(None) is None


@BACKENDS
def test_one_sender_holds_its_lock_beside_the_webhook_dispatchers(database_url: str) -> None:
    """``Db.exclusive(name)``: a second sender waits; the dispatcher's lock is another."""
    with services_for(database_url) as services:
        first, second = open_notification_store(services.app), open_notification_store(services.app)
        acquired = threading.Event()
        try:
            with first.exclusive(wait=0.05):
                with second.db.exclusive("webhooks", wait=0.05):
                    pass  # not held up by the sender's lock

                def standby() -> None:
                    with second.exclusive(wait=0.05):
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
