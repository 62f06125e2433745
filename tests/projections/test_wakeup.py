"""How a following runner wakes: on PostgreSQL on the NOTIFY of the transaction that saved the
events, so a follower whose fallback is 30 s away still sees a new event within seconds, stops
when asked while it listens, and survives its listening connection being terminated; on SQLite
by a short poll."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from domain.commands import RegisterUnit
from infra.bootstrap import Services
from projections.wakeup import Listener, Poll, Wakeup, for_store
from tests.builders.actors import ADMIN
from tests.builders.backends import BACKENDS, POSTGRES_URL
from tests.builders.services import running_services

POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
FALLBACK = 30.0  # far beyond WITHIN: only a notification explains a wake-up in time
WITHIN = 5.0  # a generous bound on "at once", not a measurement
_codes = itertools.count()


class Follower:
    """``views.runner`` following the log in a thread of its own, telling what it has done."""

    def __init__(self, services: Services, wake: Wakeup) -> None:
        self.services, self.wake = services, wake
        self.runner = services.views.runner
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.position = 0
        self.idle_listening: int | None = None  # the listener's pid when a catch-up found nothing
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def _follow(self) -> None:
        try:
            self.runner.follow(self.stopping, wake=self.wake, on_batch=self._after_catch_up)
        except BaseException as exc:
            self.error = exc

    def _after_catch_up(self, done: int) -> None:
        with self.changed:
            self.position = self.runner.position()
            # A pid here was listening before this catch-up began: what is saved from now on
            # is notified to it.
            self.idle_listening = getattr(self.wake, "pid", None) if not done else None
            self.changed.notify_all()

    def until(self, condition: Callable[[], bool], timeout: float = WITHIN) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def save(self) -> int:
        """Registers a city; returns the position of its event."""
        n = next(_codes)
        self.services.app.execute(
            RegisterUnit(code=f"wake-{n}-shi", name=f"Wake {n}", name_zh=f"醒{n}市", level="city"),
            ADMIN,
        )
        return self.services.views.store.max_notification_id()

    def sees(self, position: int) -> bool:
        return self.until(lambda: self.position >= position)


@pytest.fixture
def follower(database_url: str) -> Iterator[Follower]:
    with (
        running_services(database_url) as services,
        Listener(services.views.store, fallback_seconds=FALLBACK) as wake,
    ):
        follower = Follower(services, wake)
        follower.thread.start()
        try:
            assert follower.until(lambda: follower.idle_listening is not None, timeout=30)
            yield follower
        finally:
            follower.stopping.set()
            follower.thread.join(30)
        assert follower.error is None, follower.error


@POSTGRES
def test_a_follower_wakes_on_the_notification_of_a_save_long_before_its_fallback(
    follower: Follower,
) -> None:
    for _ in range(3):
        assert follower.sees(follower.save())
        assert follower.until(lambda: follower.idle_listening is not None)


@POSTGRES
def test_a_listening_follower_stops_when_asked(follower: Follower) -> None:
    follower.stopping.set()
    follower.thread.join(WITHIN)
    assert not follower.thread.is_alive()
    assert follower.error is None


@POSTGRES
def test_a_follower_survives_its_listening_connection_being_terminated(follower: Follower) -> None:
    for _ in range(2):
        assert follower.until(lambda: follower.idle_listening is not None)
        dropped = follower.idle_listening
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (dropped,)).fetchone() == (True,)
        assert follower.sees(follower.save())  # saved while it notices and listens again
        assert follower.until(lambda old=dropped: follower.idle_listening not in (None, old))
        assert follower.sees(follower.save())  # notified on the new connection


@BACKENDS
def test_a_follower_waits_on_the_notification_on_postgres_and_polls_on_sqlite(
    database_url: str,
) -> None:
    with running_services(database_url) as services:
        store = services.views.store
        wake = for_store(store, poll_seconds=0.05)
        wake.close()
        assert isinstance(wake, Listener if store.postgres else Poll)
        follower = Follower(services, for_store(store, poll_seconds=0.05))
        follower.thread.start()
        try:
            assert follower.sees(follower.save())
        finally:
            follower.stopping.set()
            follower.thread.join(WITHIN)
            follower.wake.close()
        assert not follower.thread.is_alive() and follower.error is None
