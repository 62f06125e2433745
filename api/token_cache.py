"""Who a bearer token is, remembered for a few seconds.

Every request authenticates; without this each one reads the token's aggregate (a database
round trip) in FastAPI's thread pool (a thread hand-off). Only tokens that resolved to an
actor are kept, so a token issued a moment ago is never refused because of the cache, and
the cache holds at most ``size`` of them. ``ttl`` bounds how long a revocation takes to be seen
by this process (the process that revokes clears its cache at once); an expiry is seen at the
instant it passes, since each entry keeps its token's ``expires_at``. ``0`` turns the cache off."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from domain.actors import Actor


class TokenCache:
    def __init__(
        self,
        ttl: float,
        size: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ttl, self.size, self.clock, self.now = ttl, size, clock, now
        self._entries: OrderedDict[bytes, tuple[float, Actor, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(secret: str) -> bytes:
        return hashlib.sha256(secret.encode()).digest()  # secrets are not kept in memory as text

    def get(self, secret: str) -> Actor | None:
        if self.ttl <= 0:
            return None
        key = self._key(secret)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            cached_at, actor, expires_at = found
            if self.clock() - cached_at >= self.ttl or (
                expires_at is not None and self.now() >= expires_at
            ):
                del self._entries[key]
                return None
            return actor

    def put(self, secret: str, actor: Actor, expires_at: datetime | None = None) -> None:
        if self.ttl <= 0:
            return
        key = self._key(secret)
        with self._lock:
            self._entries[key] = (self.clock(), actor, expires_at)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
