"""The webhook dispatcher: follows the global order of committed events (the audit log's
positions) and delivers them to the subscriptions, at least once, in order per aggregate.

One round: bring the read models (audit log included) up to date; turn the next events after
the fan-out position into messages, one per matching subscription (same transaction as the
position's move); queue what replay requests ask for; then send every due message that heads
its lane, concurrently, and record each outcome (the log, the retry, the endpoint's health).
A crash loses nothing: a message stays pending until its outcome is recorded, so it is sent
again after a restart (with the same ``webhook-id``)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

import structlog

from domain.actors import SYSTEM
from domain.application import Laurel
from domain.commands import DisableWebhook
from domain.webhooks import WebhookNotFoundError, WebhookSubscription, matches
from infra.webhooks import messages
from infra.webhooks.policy import RetryPolicy, retry_after_seconds
from infra.webhooks.sender import Response, Sender, failure
from infra.webhooks.store import Attempt, Message, WebhookStore

log = structlog.get_logger("laurel.webhooks")
GONE_REASON = "the endpoint answered 410 Gone / 接收端返回 410（已不存在），订阅已停用"
MISSING_SECRET = (
    "signing secret missing, nothing sent; rotate the secret (POST /v1/webhooks/{id}/rotation) / "
    "签名密钥缺失，未发送；请轮换密钥"
)


class Views(Protocol):
    def catch_up(self) -> None: ...
    def audit_entries(self, after: int, limit: int) -> list[Any]: ...
    def max_position(self) -> int: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


class Dispatcher:
    def __init__(
        self,
        app: Laurel,
        views: Views,
        store: WebhookStore,
        sender: Sender,
        policy: RetryPolicy,
        *,
        source: str = "urn:laurel",
        clock: Callable[[], datetime] = utc_now,
        batch_size: int = 500,
        concurrency: int = 16,
    ) -> None:
        self.app, self.views, self.store, self.sender, self.policy = app, views, store, sender, policy
        self.source, self.clock = source, clock
        self.batch_size, self.concurrency = batch_size, concurrency

    def now(self) -> float:
        return self.clock().timestamp()

    def subscriptions(self) -> dict[str, WebhookSubscription]:
        """The active subscriptions, as they stand now."""
        found: dict[str, WebhookSubscription] = {}
        for webhook_id in self.app.webhooks.webhook_ids():
            try:
                subscription = self.app.webhooks.get_webhook(webhook_id)
            except WebhookNotFoundError:  # deleted since the directory was read
                continue
            if subscription.active:
                found[str(subscription.id)] = subscription
        return found

    # --- fan-out ------------------------------------------------------------------------------

    def _message(self, subscription_id: str, entry: Any, replay_id: int = 0) -> Message:
        body = messages.body(messages.cloud_event(entry, self.source), replay=replay_id > 0).decode()
        return Message(
            subscription_id,
            f"{replay_id}:{entry.subject}",
            entry.position,
            entry.event_id,
            entry.type,
            replay_id,
            body,
        )

    def fan_out(self) -> int:
        """Messages for the next batch of events; returns how many events it read."""
        position = self.store.fanout_position()
        entries = self.views.audit_entries(position, self.batch_size)
        if not entries:
            return 0
        subscriptions = (
            self.subscriptions()
        )  # after reading: a subscription created in the batch is known
        starts = {sid: int(row["start_after"]) for sid, row in self.store.endpoints().items()}
        new: dict[str, int] = {}
        queued: list[Message] = []
        for entry in entries:
            if entry.type == "webhook.created" and entry.subject not in starts:
                starts[entry.subject] = new[entry.subject] = entry.position
            for sid, subscription in subscriptions.items():
                if (
                    sid in starts
                    and entry.position > starts[sid]
                    and matches(subscription.event_types, entry.type)
                ):
                    queued.append(self._message(sid, entry))
        if self.store.enqueue(position, entries[-1].position, queued, new, self.now()):
            log.info("fanned out", after=position, to=entries[-1].position, messages=len(queued))
        return len(entries)

    def fan_out_replays(self) -> int:
        worked = 0
        subscriptions: dict[str, WebhookSubscription] | None = None
        for job in self.store.open_replays():
            subscriptions = subscriptions if subscriptions is not None else self.subscriptions()
            cursor, until = int(job["cursor"]), int(job["until_position"])
            subscription = subscriptions.get(job["subscription_id"])
            entries = (
                [
                    e
                    for e in self.views.audit_entries(cursor, min(self.batch_size, until - cursor))
                    if e.position <= until
                ]
                if subscription
                else []
            )
            queued = (
                [
                    self._message(job["subscription_id"], e, int(job["id"]))
                    for e in entries
                    if matches(subscription.event_types, e.type)
                ]
                if subscription
                else []
            )
            new = entries[-1].position if entries else until
            if self.store.advance_replay(int(job["id"]), cursor, new, queued, new >= until, self.now()):
                log.info(
                    "replay queued",
                    subscription=job["subscription_id"],
                    replay=job["id"],
                    after=cursor,
                    to=new,
                    messages=len(queued),
                )
            worked += len(entries) or 1
        return worked

    # --- delivery -----------------------------------------------------------------------------

    async def deliver_due(self) -> int:
        """Sends every due lane head concurrently, then records all outcomes in one transaction."""
        due = self.store.due(self.now(), self.batch_size)
        if not due:
            return 0
        subscriptions = self.subscriptions()
        gone = {m["subscription_id"] for m in due} - set(subscriptions)
        if gone:
            self.store.cancel_pending(gone)
        sendable = [m for m in due if m["subscription_id"] in subscriptions]
        moment = self.clock()
        secrets: dict[str, list[str]] = {}
        unsigned: dict[str, Response] = {}  # no current secret: not sent, a failed attempt
        for sid in {m["subscription_id"] for m in sendable}:
            try:
                secrets[sid] = self.signing_secrets(subscriptions[sid], moment)
            except LookupError as exc:
                log.error("webhook signing secret missing; not sent", subscription=sid, error=str(exc))
                unsigned[sid] = Response(None, 0.0, error=f"{MISSING_SECRET}: {exc}")
        limit = asyncio.Semaphore(self.concurrency)

        async def send(message: dict[str, Any]) -> Response:
            sid = message["subscription_id"]
            if sid in unsigned:
                return unsigned[sid]
            async with limit:
                return await self.send(message, subscriptions[sid], secrets[sid])

        # One subscription's exception is its own failed attempt, never the round's end.
        results = await asyncio.gather(*(send(m) for m in sendable), return_exceptions=True)
        responses = [r if isinstance(r, Response) else failure(r) for r in results]
        self.settle(list(zip(sendable, responses, strict=True)))
        return len(due)

    def signing_secrets(self, subscription: WebhookSubscription, moment: datetime) -> list[str]:
        """The current secret, then each previous one in its grace period. A previous one
        missing from the vault is left out (logged); a missing current one raises LookupError."""
        current, *previous = subscription.signing_secret_refs(moment)
        found = [self.store.reveal(current)]
        for ref in previous:
            try:
                found.append(self.store.reveal(ref))
            except LookupError as exc:
                log.error(
                    "previous webhook signing secret missing; signing without it",
                    subscription=str(subscription.id),
                    error=str(exc),
                )
        return found

    async def send(
        self, message: dict[str, Any], subscription: WebhookSubscription, secrets: list[str]
    ) -> Response:
        body = message["body"].encode()
        headers = messages.headers(
            secrets,
            message["event_id"],
            int(self.clock().timestamp()),
            body,
            replay=message["replay_id"] > 0,
        )
        return await self.sender.post(subscription.url, headers, body)

    def outcome(self, message: dict[str, Any], response: Response, now: float) -> tuple[Attempt, str]:
        """The attempt as logged and the message's next status (a retry scheduled, or given up)."""
        attempt = int(message["attempts"]) + 1
        next_at: float | None = None
        if response.ok:
            outcome, status = "delivered", "delivered"
        elif response.status_code == 410:
            outcome, status = "gone", "failed"
        else:
            retry_after = (
                retry_after_seconds(response.retry_after, self.clock())
                if response.status_code in (429, 503)
                else None
            )
            delay = self.policy.next_delay(attempt, retry_after)
            if delay is None:
                outcome, status = "failed", "failed"
            else:
                outcome, status, next_at = "retrying", "pending", now + delay
        return Attempt(
            attempt,
            now,
            response.status_code,
            outcome,
            response.latency_ms,
            response.excerpt,
            response.error,
            next_at,
        ), status

    def settle(self, results: list[tuple[dict[str, Any], Response]]) -> None:
        """Records the outcomes; disables an endpoint that answered 410 or has failed too long."""
        now = self.now()
        records = [(message, *self.outcome(message, response, now)) for message, response in results]
        endpoints = self.store.record(records)
        for message, attempt, _status in records:
            log.info(
                "delivery attempt",
                subscription=message["subscription_id"],
                event_id=message["event_id"],
                type=message["type"],
                position=message["position"],
                replay=message["replay_id"] or None,
                attempt=attempt.attempt,
                status=attempt.status_code,
                outcome=attempt.outcome,
                ms=attempt.latency_ms,
                error=attempt.error,
            )
        outcomes: dict[str, set[str]] = {}
        for message, attempt, _status in records:
            outcomes.setdefault(message["subscription_id"], set()).add(attempt.outcome)
        for sid, seen in outcomes.items():
            failing_since = endpoints.get(sid, {}).get("failing_since")
            if "gone" in seen:
                self.disable(sid, GONE_REASON)
            elif failing_since is not None and now - float(failing_since) >= self.policy.disable_after:
                span = self.policy.disable_after
                en, zh = (
                    (f"{span / 86400:g} days", f"{span / 86400:g} 天")
                    if span >= 86400
                    else (f"{span:g} s", f"{span:g} 秒")
                )
                self.disable(sid, f"every delivery failed for {en} / 连续 {zh} 投递失败，订阅已停用")

    def disable(self, subscription_id: str, reason: str) -> None:
        with contextlib.suppress(WebhookNotFoundError):  # deleted meanwhile: nothing left to disable
            self.app.execute(DisableWebhook(webhook_id=subscription_id, reason=reason), SYSTEM)
        cancelled = self.store.cancel_pending([subscription_id])
        log.warning("webhook disabled", subscription=subscription_id, reason=reason, cancelled=cancelled)

    # --- the loop -----------------------------------------------------------------------------

    async def run_once(self) -> int:
        """One round; returns how much it did (0: idle)."""
        self.views.catch_up()
        worked = self.fan_out()
        worked += self.fan_out_replays()
        worked += await self.deliver_due()
        return worked

    async def run(self, stop: threading.Event, poll_interval: float = 1.0) -> None:
        log.info("dispatcher running", poll_interval=poll_interval)
        try:
            while not stop.is_set():
                try:
                    worked = await self.run_once()
                except Exception:
                    log.exception("dispatcher round failed; retrying")
                    worked = 0
                if worked:
                    continue
                next_due = self.store.next_due_at()
                wait = (
                    poll_interval
                    if next_due is None
                    else min(poll_interval, max(0.0, next_due - self.now()))
                )
                await asyncio.sleep(max(wait, 0.01))
        finally:
            await self.sender.aclose()


def serve(dispatcher: Dispatcher, stop: threading.Event, poll_interval: float) -> None:
    """Runs the dispatcher while this process holds the dispatcher lock (others wait: standby)."""
    log.info("waiting for the dispatcher lock")
    with dispatcher.store.db.exclusive(wait=min(poll_interval, 1.0)):
        if not stop.is_set():
            asyncio.run(dispatcher.run(stop, poll_interval))
