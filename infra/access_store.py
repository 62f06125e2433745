"""Page sessions and when each token was last used, in tables beside the event store.

Neither is a decision worth an event: a session is a browser's handle on a token for a few
hours, and "last used" changes on every request. Both are kept like the webhook delivery
state (``infra/webhooks/db.py``: the event store's own database, one small SQL dialect).

- ``page_sessions``: the /ui cookie holds a random session id; only its SHA-256 is stored, with
  the token it stands for (its aggregate id) and when it ends. Logout deletes the row; a
  session of a revoked or expired token resolves to nothing because the token is checked on
  every request, and revoking a token deletes its sessions too.
- ``token_last_used``: written at most once a minute per token per process.

Instants are UNIX seconds (float)."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable

from infra.webhooks.db import Db

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {ns}page_sessions (id_sha256 TEXT PRIMARY KEY, token_uuid TEXT NOT "
    "NULL, token_id TEXT NOT NULL, created_at {real} NOT NULL, expires_at {real} NOT NULL)",
    "CREATE INDEX IF NOT EXISTS page_sessions_token ON {ns}page_sessions (token_id)",
    "CREATE TABLE IF NOT EXISTS {ns}token_last_used (token_id TEXT PRIMARY KEY, used_at {real} NOT "
    "NULL)",
)
REAL = {False: "REAL", True: "DOUBLE PRECISION"}
TOUCH_EVERY = 60.0  # seconds: how stale "last used" may be


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccessStore:
    def __init__(self, db: Db) -> None:
        self.db = db
        self._touched: dict[str, float] = {}
        self._lock = threading.Lock()
        with db.transaction() as sql:
            for statement in SCHEMA:
                sql.execute(statement.format(ns=db.ns, real=REAL[db.postgres]))

    def _table(self, name: str) -> str:
        return f"{self.db.ns}{name}"

    # --- page sessions -----------------------------------------------------------------------

    def open_session(self, token_reference: str, token_id: str, lifetime: float, now: float) -> str:
        """A new session for the token (its aggregate id, or the bootstrap admin's token id);
        returns the id the cookie carries (shown once)."""
        secret = secrets.token_urlsafe(32)
        with self.db.transaction() as sql:
            sql.execute(
                f"DELETE FROM {self._table('page_sessions')} WHERE expires_at <= ?", (now,)
            )  # ended sessions go as new ones come
            sql.execute(
                f"INSERT INTO {self._table('page_sessions')} (id_sha256, token_uuid, token_id, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (_digest(secret), token_reference, token_id, now, now + lifetime),
            )
        return secret

    def session_token(self, secret: str, now: float) -> str | None:
        """The token a live session stands for (as ``open_session`` was given it)."""
        with self.db.transaction(write=False) as sql:
            found = sql.scalar(
                f"SELECT token_uuid FROM {self._table('page_sessions')} WHERE id_sha256 = ? AND "
                "expires_at > ?",
                (_digest(secret), now),
            )
        return str(found) if found else None

    def close_session(self, secret: str) -> None:
        with self.db.transaction() as sql:
            sql.execute(
                f"DELETE FROM {self._table('page_sessions')} WHERE id_sha256 = ?", (_digest(secret),)
            )

    def close_sessions_of(self, token_id: str) -> int:
        with self.db.transaction() as sql:
            return sql.execute(
                f"DELETE FROM {self._table('page_sessions')} WHERE token_id = ?", (token_id,)
            )

    # --- last use ----------------------------------------------------------------------------

    def touch(self, token_id: str, now: float) -> None:
        """Records a use, unless this process recorded one of the token in the last minute."""
        with self._lock:
            if now - self._touched.get(token_id, float("-inf")) < TOUCH_EVERY:
                return
            self._touched[token_id] = now
        with self.db.transaction() as sql:
            sql.execute(
                f"INSERT INTO {self._table('token_last_used')} (token_id, used_at) VALUES (?, ?) ON "
                "CONFLICT (token_id) DO UPDATE SET used_at = excluded.used_at"
                f" WHERE {self._table('token_last_used')}.used_at < excluded.used_at",
                (token_id, now),
            )

    def last_used(self, token_ids: Iterable[str]) -> dict[str, float]:
        wanted = list(token_ids)
        if not wanted:
            return {}
        found: dict[str, float] = {}
        with self.db.transaction(write=False) as sql:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                rows = sql.rows(
                    f"SELECT token_id, used_at FROM {self._table('token_last_used')} WHERE token_id IN "
                    f"({', '.join('?' for _ in chunk)})",
                    chunk,
                )
                found.update({r["token_id"]: float(r["used_at"]) for r in rows})
        return found

    def close(self) -> None:
        self.db.close()
