"""The sender against a real SMTP server on both stores: SMTP down then up (connection
refused, retried with backoff, delivered, every attempt logged); a 5xx for the recipient
fails at once; max attempts then failed, ``retry`` queues it again; the daily digest once a
day per recipient, nothing when there is nothing to say."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.commands import AddContact
from domain.notifications.kinds import NoticeKind
from domain.notifications.notices import contact_recipient
from domain.vocabulary import Role
from infra.notifications.sender import Backoff, Notifier, build_notifier
from infra.notifications.store import Attempt
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS
from tests.builders.clock import FIVE_GOOD_2022, Clock
from tests.builders.smtp import SmtpServer, smtp_server
from tests.builders.tree import CITY, COUNTY, UNIT_TREE, VILLAGE
from tests.builders.world import World
from tests.notifications.harness import notice, queue_emails, services_for, write_outbox
from tests.notifications.test_fanout import FACTS, people


def rounds_until(notifier: Notifier, done: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, "not done in time"
        notifier.run_once()
        time.sleep(0.05)


@BACKENDS
def test_smtp_down_then_up_is_retried_delivered_and_logged(database_url: str) -> None:
    with smtp_server(started=False) as server, services_for(database_url, **server.settings) as services:
        store = services.notifications
        queue_emails(store, 3)
        notifier = build_notifier(services)
        notifier.run_once()  # connection refused: the first waits for its retry, the rest too
        statuses = sorted((r["status"], r["attempts"]) for r in store.deliveries())
        assert statuses == [("pending", 0), ("pending", 0), ("retrying", 1)]  # none tried twice
        notifier.run_once()
        server.start()
        rounds_until(notifier, lambda: {r["status"] for r in store.deliveries()} == {"delivered"})
        assert len(server.messages()) == 3
        assert len(set(server.message_ids())) == 3
        tried_while_down = 0
        for row in store.deliveries(with_attempts=True):
            log = row["log"]
            if len(log) > 1:
                tried_while_down += 1
                assert log[0]["outcome"] == "retrying" and "Refused" in log[0]["error"]
                assert log[0]["smtp_code"] is None
                assert log[0]["next_attempt_at"] > log[0]["attempted_at"]
            assert log[-1]["outcome"] == "delivered" and log[-1]["smtp_code"] == 250
            assert [a["attempt"] for a in log] == list(range(1, len(log) + 1))
            assert row["attempts"] == len(log) and row["address"] == "z***@example.cn"
        assert tried_while_down >= 1


@BACKENDS
def test_a_refused_recipient_fails_at_once_and_retry_requeues(
    database_url: str, smtp: SmtpServer
) -> None:
    smtp.refuse["nobody@example.cn"] = "550 5.1.1 no such user"
    with services_for(database_url, **smtp.settings) as services:
        store = services.notifications
        queue_emails(store, 1, address="nobody@example.cn")
        notifier = build_notifier(services)
        notifier.run_once()
        [row] = store.deliveries(with_attempts=True)
        assert row["status"] == "failed" and row["attempts"] == 1
        assert row["log"][0]["smtp_code"] == 550 and "no such user" in row["log"][0]["error"]
        assert store.retry(int(row["id"]), time.time())
        assert not store.retry(int(row["id"]), time.time())  # queued, no longer failed
        del smtp.refuse["nobody@example.cn"]
        notifier.run_once()
        assert store.deliveries()[0]["status"] == "delivered"
        assert len(smtp.messages()) == 1


@BACKENDS
def test_gives_up_after_max_attempts(database_url: str) -> None:
    with smtp_server(started=False) as server, services_for(database_url, **server.settings) as services:
        store = services.notifications
        queue_emails(store, 1)
        notifier = build_notifier(services)
        notifier.backoff = Backoff(base=0.01, cap=0.02, max_attempts=3)
        rounds_until(notifier, lambda: store.deliveries()[0]["status"] == "failed")
        [row] = store.deliveries(with_attempts=True)
        assert [a["outcome"] for a in row["log"]] == ["retrying", "retrying", "failed"]


def at(hour: int, day: int = 1) -> datetime:
    return datetime(2022, 6, day, hour, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@BACKENDS
def test_the_daily_digest_goes_once_a_day_and_only_with_something_to_say(
    database_url: str, smtp: SmtpServer
) -> None:
    with services_for(database_url, **smtp.settings) as services:
        store = services.notifications
        who = people(services)
        zhang, li = contact_recipient(who["zhang"]), contact_recipient(who["li"])
        store.set_preference(zhang, "admitted", "digest")
        store.set_preference(li, "admitted", "digest")
        write_outbox(
            services,
            [
                notice(1, COUNTY, (Role.REVIEWER, Role.ADMIN), NoticeKind.ADMITTED, FACTS),
                notice(2, COUNTY, (Role.REVIEWER,), NoticeKind.ADMITTED, FACTS),
            ],
        )
        now = {"t": at(7)}
        notifier = build_notifier(services, clock=lambda: now["t"])
        notifier.run_once()
        assert smtp.messages() == []  # before the hour
        now["t"] = at(9)
        notifier.run_once()
        notifier.run_once()
        # a restarted sender does not send the day's digest again
        build_notifier(services, clock=lambda: now["t"]).run_once()
        digests = {m["To"]: m for m in smtp.parsed()}
        assert set(digests) == {"zhang.san@example.cn", "li.si@example.cn"}  # one per recipient
        assert str(digests["zhang.san@example.cn"]["Subject"]).startswith(
            "【每日待办汇总】2022-06-01：2 条消息"
        )
        assert str(digests["li.si@example.cn"]["Subject"]).startswith(
            "【每日待办汇总】2022-06-01：1 条消息"
        )
        assert all("【初审通过】前双村文化站" in m.get_content() for m in digests.values())
        assert "[Passed pre-review]" in digests["li.si@example.cn"].get_content()
        assert {r["status"] for r in store.deliveries() if r["kind"] == "admitted"} == {"digested"}
        now["t"] = at(9, day=2)
        notifier.run_once()
        assert len(smtp.messages()) == 2  # nothing new to say: no digest


@BACKENDS
def test_the_digest_tells_reviewers_what_waits_for_them(database_url: str, smtp: SmtpServer) -> None:
    clock = Clock(FIVE_GOOD_2022.declaration)
    with services_for(database_url, clock=clock, **smtp.settings) as services:
        world = World(services.app, clock)
        world.register(UNIT_TREE)
        campaign = world.campaign()
        world.declare(campaign, VILLAGE)
        world.declare(campaign, VILLAGE, name="另一站点")
        services.app.execute(
            AddContact(unit_id=CITY, name="王五", role="reviewer", email="wang.wu@example.cn"), ADMIN
        )
        services.app.execute(
            AddContact(unit_id=CITY, name="赵六", role="admin", email="zhao.liu@example.cn"), ADMIN
        )
        clock.now = FIVE_GOOD_2022.pre_review  # 10:00 in Shanghai, pre-review open
        notifier = build_notifier(services)
        notifier.run_once()
        notifier.run_once()
        [digest] = smtp.parsed()
        assert digest["To"] == "wang.wu@example.cn"  # the admin reviews nothing
        assert str(digest["Subject"]).startswith("【每日待办汇总】2022-10-22：0 条消息，2 项待办")
        assert "待初审：2" in digest.get_content()


@contextmanager
def black_hole() -> Iterator[int]:
    """A port that takes connections and never says a word (an SMTP server gone dark)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@BACKENDS
def test_an_unreachable_server_stops_the_round_and_the_inbox_goes_on(database_url: str) -> None:
    with (
        black_hole() as port,
        services_for(database_url, smtp_host="127.0.0.1", smtp_port=port, smtp_timeout=0.5) as services,
    ):
        store = services.notifications
        people(services)
        queue_emails(store, 4)
        write_outbox(services, [notice(1, COUNTY, (Role.ADMIN,), NoticeKind.ADMITTED, FACTS)])
        notifier = build_notifier(services)
        started = time.monotonic()
        notifier.run_once()
        assert time.monotonic() - started < 2.0  # one timeout, not one per e-mail
        assert [r["kind"] for r in store.inbox([contact_recipient(people_ids(services)["li"])])] == [
            "admitted"
        ]
        queued = [r for r in store.deliveries(with_attempts=True) if r["notice_key"].startswith("n-")]
        tried = [r for r in queued if r["attempts"]]
        assert len(tried) == 1 and tried[0]["status"] == "retrying"
        assert "timed out" in tried[0]["log"][0]["error"]
        waiting = [r for r in queued if not r["attempts"]]
        assert len(waiting) == 3 and all(r["log"] == [] for r in waiting)
        assert all(r["status"] == "pending" and r["next_attempt_at"] > time.time() for r in waiting)
        assert notifier.send_due() == 0  # nothing due until the backoff ends


def people_ids(services: Any) -> dict[str, str]:
    unit = services.app.get_unit(COUNTY)
    return {"li": next(c.contact_id for c in unit.contacts.values() if str(c.role) == "admin")}


@BACKENDS
def test_two_senders_never_claim_one_e_mail_and_a_lost_claim_does_not_settle(
    database_url: str,
) -> None:
    with services_for(database_url) as services, services_for(database_url) as other:
        queue_emails(services.notifications, 2)
        now = time.time()
        first = services.notifications.claim(now, 60)
        second = other.notifications.claim(now, 60)
        assert first is not None and second is not None and first["id"] != second["id"]
        assert other.notifications.claim(now, 60) is None
        # the lease ended, another sender claimed it again: the first may not settle it
        again = other.notifications.claim(now + 61, 60)
        assert again is not None and again["id"] == first["id"]
        late = Attempt(1, now + 62, "delivered", 250, None, None)
        assert not services.notifications.settle(first, late)
        assert other.notifications.settle(again, late)
        [row] = [
            r for r in services.notifications.deliveries(with_attempts=True) if r["id"] == first["id"]
        ]
        assert row["status"] == "delivered" and len(row["log"]) == 1


@BACKENDS
def test_a_stopped_sender_claims_nothing_more(database_url: str, smtp: SmtpServer) -> None:
    with services_for(database_url, **smtp.settings) as services:
        queue_emails(services.notifications, 2)
        stop = threading.Event()
        stop.set()
        assert build_notifier(services).send_due(stop) == 0
        assert {r["status"] for r in services.notifications.deliveries()} == {"pending"}
