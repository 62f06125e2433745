"""Who a bearer token is, remembered for a few seconds.

Every request authenticates; without this each one reads the token's aggregate (a database
round trip) in FastAPI's thread pool (a thread hand-off). Only tokens that resolved to an
actor are kept, so a token issued a moment ago is never refused because of the cache, and
the cache holds at most ``size`` of them. ``ttl`` bounds how long a change of the token
(revocation) takes to be seen by this process; ``0`` turns the cache off."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from domain.actors import Actor


class TokenCache:
    def __init__(self, ttl: float, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._entries: OrderedDict[bytes, tuple[float, Actor]] = OrderedDict()
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
            if self.clock() - found[0] >= self.ttl:
                del self._entries[key]
                return None
            return found[1]

    def put(self, secret: str, actor: Actor) -> None:
        if self.ttl <= 0:
            return
        key = self._key(secret)
        with self._lock:
            self._entries[key] = (self.clock(), actor)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
