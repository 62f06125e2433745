"""The notification sender (``laurel notify send``): fans the outbox out, queues the daily
digests, and sends due e-mails one at a time — each claimed under a lease, sent, and settled
(delivered, retrying after an exponential backoff with jitter, or failed) with its attempt
logged, in a transaction of its own. A sender killed while sending leaves the claim to expire
and the message is sent again, with the same Message-ID. One sender per store is active."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from domain.errors import NotFoundError
from domain.notifications.notices import contact_recipient
from infra.notifications.digest import Digest
from infra.notifications.fanout import Fanout
from infra.notifications.mailer import Mailer, Outcome, SmtpConfig
from infra.notifications.store import Attempt, NotificationStore, mask
from infra.notifications.waiting import WorkWaiting

log = structlog.get_logger("laurel.notifications")
CONTACT_PREFIX = contact_recipient("")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Backoff:
    """The delay before attempt ``n + 1``: ``base * 2**(n-1)`` (capped) times a random factor
    in [1 - jitter, 1 + jitter]; None after ``max_attempts`` (given up)."""

    base: float = 30.0
    cap: float = 3600.0 * 6
    jitter: float = 0.2
    max_attempts: int = 8

    def delay(self, attempt: int) -> float | None:
        if attempt >= self.max_attempts:
            return None
        raw = min(self.cap, self.base * 2 ** (attempt - 1))
        return float(raw * random.uniform(1 - self.jitter, 1 + self.jitter))


class Notifier:
    def __init__(
        self,
        app: Any,
        store: NotificationStore,
        mailer: Mailer | None,
        *,
        backoff: Backoff | None = None,
        public_url: str | None = None,
        digest_hour: int = 8,
        clock: Callable[[], datetime] = utc_now,
        lease: float = 120.0,
        send_batch: int = 100,
    ) -> None:
        self.app, self.store, self.mailer = app, store, mailer
        self.backoff = backoff or Backoff()
        self.clock, self.lease, self.send_batch = clock, lease, send_batch
        self.fanout = Fanout(app, store, email=mailer is not None, public_url=public_url, clock=clock)
        self.digest = Digest(
            app,
            store,
            public_url=public_url,
            hour=digest_hour,
            clock=clock,
            facts=self.fanout.facts,
            waiting=lambda: WorkWaiting(app, clock),
        )

    def now(self) -> float:
        return self.clock().timestamp()

    def run_once(self, stop: threading.Event | None = None) -> int:
        """One round; how much it did (0: idle). Fan-out, digest and sending each run on when
        another fails (the inbox does not wait for SMTP); a failed part is tried next round."""
        worked = 0
        parts: list[tuple[str, Callable[[], int]]] = [("fan-out", self.fanout.run_once)]
        if self.mailer is not None:
            parts += [("digest", self.digest.run_once), ("sending", lambda: self.send_due(stop))]
        for name, part in parts:
            try:
                worked += part()
            except Exception:
                log.exception("notification round part failed; tried again next round", part=name)
        return worked

    def send_due(self, stop: threading.Event | None = None) -> int:
        """Due e-mails one by one until none is due, ``send_batch`` were sent, ``stop`` is set
        (the message in flight settles first) or the server is unreachable (the rest wait)."""
        assert self.mailer is not None
        sent = 0
        try:
            while sent < self.send_batch and not (stop is not None and stop.is_set()):
                delivery = self.store.claim(self.now(), self.lease)
                if delivery is None:
                    break
                sent += 1
                try:
                    address = self.address(delivery)
                except Exception as exc:  # the store or the log unreadable: an attempt, retried
                    log.exception("e-mail address not read", delivery=delivery["id"])
                    self.settle(delivery, Outcome("transient", None, type(exc).__name__))
                    continue
                if address is None:
                    self.settle(delivery, Outcome("cancelled", None, "contact removed"))
                    continue
                outcome = self.mailer.send({**delivery, "address": address})
                next_at = self.settle(delivery, outcome, address)
                if outcome.halt:  # the server or the settings: the others would fail alike
                    until = next_at or self.now() + self.backoff.base
                    postponed = self.store.postpone(self.now(), until)
                    log.warning(
                        "SMTP unavailable: this round's e-mails postponed",
                        postponed=postponed,
                        until=until,
                        error=outcome.error,
                    )
                    break
        finally:
            self.mailer.close()
        return sent

    def address(self, delivery: dict[str, Any]) -> str | None:
        """Where the e-mail goes now: a contact's address as it is at this moment (None: the
        contact was removed or has no e-mail any more); a row without a unit keeps its own."""
        unit_id, recipient = delivery.get("unit_id"), str(delivery["recipient"])
        if not unit_id or not recipient.startswith(CONTACT_PREFIX):
            return str(delivery["address"]) if delivery.get("address") else None
        contact_id = recipient.removeprefix(CONTACT_PREFIX)
        for _ in range(2):  # a change meanwhile erased the details read: read the unit again
            try:
                contact = self.app.get_unit(unit_id).contacts.get(contact_id)
            except (NotFoundError, ValueError):
                return None
            if contact is None:
                return None
            details = self.app.contacts.details_of(contact)
            if details is not None:
                return details.email or None
        return None

    def settle(
        self, delivery: dict[str, Any], outcome: Outcome, address: str | None = None
    ) -> float | None:
        """The attempt logged and the row's new status; when it is due again (None: not)."""
        now = self.now()
        number = int(delivery["attempts"]) + 1
        next_at: float | None = None
        if outcome.result in ("delivered", "cancelled"):
            result = outcome.result
        elif outcome.result == "permanent" or (delay := self.backoff.delay(number)) is None:
            result = "failed"
        else:
            result, next_at = "retrying", now + delay
        attempt = Attempt(number, now, result, outcome.code, outcome.error, next_at)
        if not self.store.settle(delivery, attempt, address):
            log.warning("e-mail claim lost (its lease ended); not settled", delivery=delivery["id"])
            return None
        log.info(
            "e-mail attempt",
            delivery=delivery["id"],
            notice=delivery["notice_key"],
            to=mask(address),
            attempt=number,
            outcome=result,
            smtp=outcome.code,
            error=outcome.error,
        )
        return next_at

    def serve(
        self,
        stop: threading.Event,
        poll_interval: float = 2.0,
        *,
        serving: threading.Event | None = None,
    ) -> None:
        """Runs rounds until ``stop`` while this process holds the sender lock (others wait);
        ``serving`` is set once it holds it."""
        if self.mailer is None:
            log.warning("LAUREL_SMTP_HOST unset: no e-mail, the inbox only")
        log.info("waiting for the notification sender lock")
        with self.store.exclusive(wait=min(poll_interval, 1.0)):
            log.info("notification sender running", poll_interval=poll_interval)
            if serving is not None:
                serving.set()
            while not stop.is_set():
                try:
                    worked = self.run_once(stop)
                except Exception:
                    log.exception("notification round failed; retrying")
                    worked = 0
                if worked:
                    continue
                next_due = self.store.next_due_at() if self.mailer is not None else None
                wait = (
                    poll_interval
                    if next_due is None
                    else min(poll_interval, max(0.0, next_due - self.now()))
                )
                stop.wait(max(wait, 0.01))


def build_notifier(services: Any, *, clock: Callable[[], datetime] | None = None) -> Notifier:
    """A sender over ``services`` with the LAUREL_SMTP_* and LAUREL_NOTIFY_* settings."""
    settings = services.settings
    config = SmtpConfig.from_settings(settings)
    return Notifier(
        services.app,
        services.notifications,
        Mailer(config) if config is not None else None,
        backoff=Backoff(
            base=settings.notify_retry_base,
            cap=settings.notify_retry_cap,
            max_attempts=settings.notify_max_attempts,
        ),
        public_url=settings.public_url,
        digest_hour=settings.notify_digest_hour,
        clock=clock or services.app.clock or utc_now,
        # One send on a fresh connection waits on up to ~8 operations (connect, STARTTLS, EHLO,
        # AUTH, MAIL, RCPT, DATA, end of data), each up to the timeout: the lease outlasts them.
        lease=max(settings.smtp_timeout * 10, 10.0),
    )
