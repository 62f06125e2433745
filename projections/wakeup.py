"""What a following runner waits on when the log has nothing new for it.

On PostgreSQL the library's recorder runs ``NOTIFY <channel>`` in every transaction that
inserts events, so a dedicated connection that ``LISTEN``s on that channel wakes the runner as
soon as events commit (``Listener``). It still wakes after ``fallback_seconds`` without one
(a silently dead connection must not stall the read models), and a connection that fails is
opened again on the next wait; a fresh ``LISTEN`` counts as a wake-up, since what was saved
while nobody listened was notified to nobody. The channel is per database, not per schema:
another schema's events wake the runner for nothing, which costs one empty read.

SQLite has no notifications between processes, so there the runner polls (``Poll``)."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any, Protocol

import psycopg
import structlog
from psycopg import sql

from projections.store import ViewStore

log = structlog.get_logger("laurel.projections")

FALLBACK_SECONDS = 2.0  # the longest a runner sleeps on PostgreSQL without a notification
STOP_CHECK_SECONDS = 0.1  # how often a waiting listener looks at the stopping event
CONNECT_TIMEOUT = 5  # seconds; a server that does not answer is tried again after the fallback


class Wakeup(Protocol):
    def wait(self, stopping: threading.Event) -> None:
        """Returns when there may be something new to project, or soon after ``stopping``."""

    def close(self) -> None: ...


class Poll:
    """Sleeps ``seconds`` (SQLite, the in-memory store)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def wait(self, stopping: threading.Event) -> None:
        stopping.wait(self.seconds)

    def close(self) -> None:
        pass


class Listener:
    """A connection of its own (autocommit, outside the application's pool) listening on the
    events channel. Used from the runner's thread only."""

    def __init__(self, store: ViewStore, *, fallback_seconds: float = FALLBACK_SECONDS) -> None:
        self.channel: str = store.recorder.channel_name
        self.fallback_seconds = fallback_seconds
        pool = store.datastore.pool
        self._params = {k: v for k, v in pool.kwargs.items() if k != "row_factory"}
        self._password = pool.get_password_func  # a rotating password is asked for at each connect
        self._connection: psycopg.Connection[Any] | None = None
        self._failing = False  # warned once per outage, not at every retry

    @property
    def pid(self) -> int | None:
        """The listening backend's process id (``None`` while not connected)."""
        connection = self._connection
        return None if connection is None else connection.info.backend_pid

    def wait(self, stopping: threading.Event) -> None:
        if self._connection is None:
            if not self._listen():
                stopping.wait(self.fallback_seconds)
            return
        connection = self._connection
        deadline = time.monotonic() + self.fallback_seconds
        try:
            while not stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                if list(connection.notifies(timeout=min(STOP_CHECK_SECONDS, remaining), stop_after=1)):
                    list(connection.notifies(timeout=0))  # those queued behind: the same catch-up
                    return
        except psycopg.Error as exc:
            log.warning("the projection runner's LISTEN connection failed", error=str(exc))
            self.close()

    def _listen(self) -> bool:
        params = dict(self._params)
        if self._password is not None:
            params["password"] = self._password()
        connection: psycopg.Connection[Any] | None = None
        try:
            connection = psycopg.connect(
                **params,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name="laurel projections listener",
                # a peer gone without a word (a cut network) is noticed by the kernel, not only
                # by the next fallback
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
            )
            connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
        except psycopg.Error as exc:
            if connection is not None:
                connection.close()
            if not self._failing:
                log.warning("the projection runner cannot LISTEN; it polls meanwhile", error=str(exc))
            self._failing = True
            return False
        if self._failing:
            log.info("the projection runner listens again", channel=self.channel)
        self._connection, self._failing = connection, False
        return True

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(psycopg.Error):
                connection.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def for_store(store: ViewStore, *, poll_seconds: float) -> Wakeup:
    """NOTIFY on PostgreSQL, a ``poll_seconds`` poll on the other stores."""
    return Listener(store) if store.postgres else Poll(poll_seconds)
