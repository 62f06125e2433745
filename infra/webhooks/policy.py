"""When to retry, when to give up, when to disable an endpoint.

Default schedule (``LAUREL_WEBHOOK_RETRY_SCHEDULE``): after a failed attempt the next comes
5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h later — ten attempts over about
3 days 4 hours — each delay times a random factor in [0.8, 1.2] (jitter), so that endpoints
coming back are not hit by every queued message at once. A 429 or 503 with ``Retry-After``
waits what it asks instead — at most a day, and never sooner than a tenth of the scheduled
delay (at least 1 s), so that ``Retry-After: 0`` or a date in the past cannot spend every
attempt within seconds. An endpoint whose deliveries have failed without a
single success for ``LAUREL_WEBHOOK_DISABLE_AFTER`` (5 days) is disabled; 410 Gone disables it
at once."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from domain.templates import parse_duration

MAX_RETRY_AFTER = 86400.0
RETRY_AFTER_FLOOR = 0.1  # of the scheduled delay
MIN_RETRY_AFTER = 1.0


def durations(spec: str, name: str) -> tuple[float, ...]:
    """'PT5S,PT5M' or '5,300' -> (5.0, 300.0)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    return tuple(
        parse_duration(float(p) if p.replace(".", "", 1).isdigit() else p, name).total_seconds()
        for p in parts
    )


@dataclass(frozen=True)
class RetryPolicy:
    delays: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400)
    jitter: float = 0.2
    disable_after: float = 5 * 86400.0
    timeout: float = 15.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    @classmethod
    def from_settings(cls, settings: object) -> RetryPolicy:
        return cls(
            delays=durations(settings.webhook_retry_schedule, "LAUREL_WEBHOOK_RETRY_SCHEDULE"),  # type: ignore[attr-defined]
            jitter=float(settings.webhook_retry_jitter),  # type: ignore[attr-defined]
            disable_after=durations(settings.webhook_disable_after, "LAUREL_WEBHOOK_DISABLE_AFTER")[0],  # type: ignore[attr-defined]
            timeout=float(settings.webhook_timeout),  # type: ignore[attr-defined]
        )

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    def next_delay(self, attempts: int, retry_after: float | None = None) -> float | None:
        """Seconds until the next attempt after ``attempts`` failed ones; None: give up."""
        if attempts >= self.max_attempts:
            return None
        base = self.delays[attempts - 1]
        if retry_after is not None:
            return min(max(retry_after, self.retry_after_floor(attempts)), MAX_RETRY_AFTER)
        return base * (1 + self.jitter * (2 * self.random() - 1))

    def retry_after_floor(self, attempts: int) -> float:
        """The soonest a ``Retry-After`` may bring the next attempt: a tenth of the scheduled
        delay, at least ``MIN_RETRY_AFTER`` (``Retry-After: 0`` or a past date would otherwise
        spend every attempt within seconds)."""
        return max(MIN_RETRY_AFTER, RETRY_AFTER_FLOOR * self.delays[attempts - 1])


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After``: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
