"""The delivery state's connection to the event store's own database (SQLite file or
PostgreSQL schema), one small SQL dialect (``?`` placeholders) for both.

SQLite: a connection of our own on the same file, write transactions ``BEGIN IMMEDIATE`` (so
two processes never deadlock upgrading a read to a write). PostgreSQL: the event store's
connection pool and schema. ``exclusive()`` makes one dispatcher the active one: a session
advisory lock on PostgreSQL, an flock beside the SQLite file — both released by the operating
system or the server when the process dies, even by ``kill -9``."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

from projections.store import Sql  # the same ``?`` dialect the read models speak

LOCK_KEY = zlib.crc32(b"laurel-webhook-dispatcher") & 0x7FFFFFFF  # the dispatcher's ("webhooks")


def lock_key(name: str) -> int:
    """The advisory lock key of the process called ``name`` (one active per store)."""
    return LOCK_KEY if name == "webhooks" else zlib.crc32(f"laurel-{name}".encode()) & 0x7FFFFFFF


class Db:
    postgres = False
    ns = ""  # qualifies table names (a PostgreSQL schema)

    def transaction(self, write: bool = True) -> contextlib.AbstractContextManager[Sql]:
        raise NotImplementedError

    def exclusive(
        self, name: str = "webhooks", wait: float = 1.0
    ) -> contextlib.AbstractContextManager[None]:
        """Held by one process called ``name`` per store (the webhook dispatcher's "webhooks",
        the notification sender's "notifier"); the others wait."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class SqliteDb(Db):
    def __init__(self, path: str, lock_timeout: float = 30.0) -> None:
        self.path = path
        self._conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=lock_timeout
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Sql]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield Sql(cursor, postgres=False)
            except BaseException:
                self._conn.rollback()
                raise
            else:
                self._conn.commit()
            finally:
                cursor.close()

    @contextlib.contextmanager
    def exclusive(self, name: str = "webhooks", wait: float = 1.0) -> Iterator[None]:
        import fcntl

        with open(f"{self.path}.{name}.lock", "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    time.sleep(wait)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self._conn.close()


class PostgresDb(Db):
    postgres = True

    def __init__(self, datastore: Any) -> None:
        self.datastore = datastore
        self.ns = f'"{datastore.schema}".'

    @contextlib.contextmanager
    def transaction(self, write: bool = True) -> Iterator[Sql]:
        with self.datastore.transaction(commit=write) as cursor:
            yield Sql(cursor, postgres=True)

    @contextlib.contextmanager
    def exclusive(self, name: str = "webhooks", wait: float = 1.0) -> Iterator[None]:
        import psycopg

        kwargs = {k: v for k, v in self.datastore.pool.kwargs.items() if k != "row_factory"}
        with psycopg.connect(**kwargs, autocommit=True) as conn:

            def locked() -> bool:
                key = (lock_key(name), self.datastore.schema)
                row = conn.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", key).fetchone()
                assert row is not None, "a SELECT without FROM returns one row"
                return bool(row[0])

            while not locked():
                time.sleep(wait)
            yield  # the lock ends with the session


def open_db(app: Any) -> Db:
    """The database of ``app``'s event store."""
    datastore = app.recorder.datastore
    if hasattr(datastore, "schema"):
        return PostgresDb(datastore)
    return SqliteDb(datastore.pool.db_name)
