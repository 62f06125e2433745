"""Webhook subscriptions: where Laurel's events go, which types, and the secrets that sign them.

A subscription is an aggregate, so every change to it (created, secret rotated, disabled,
deleted) is itself a recorded event. The signing secret (``whsec_`` + base64 of 32 random
bytes, the Standard Webhooks form) is shown once, in the answer to the command that made it.
It is NOT in the events: the audit log chains and exports every stored event byte for byte, so
whatever an event holds, every auditor can read. The secret goes to a ``SecretVault`` (the
dispatcher's tables beside the event store, wired by the composition root) and the events
record only its reference. After a rotation the previous secret stays valid for
``ROTATION_GRACE`` and deliveries carry both signatures.

Which events a subscription receives: ``event_types`` patterns — an exact type
(``nomination.commended``), an aggregate wildcard (``nomination.*``) or ``*`` — over the
deliverable types (everything but Laurel's internal bookkeeping, ``INTERNAL_AGGREGATES``)."""

from __future__ import annotations

import base64
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.errors import ConflictError, NotFoundError, RuleFailure, RuleViolationError
from domain.ids import LAUREL_NAMESPACE
from domain.vocabulary import WebhookStatus

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_GRACE = timedelta(hours=24)
WEBHOOK_DIRECTORY_ID = uuid5(LAUREL_NAMESPACE, "webhook-directory")
# Aggregates whose events are Laurel's bookkeeping, never delivered (receipts carry command
# results, tokens and subscriptions are access configuration).
INTERNAL_AGGREGATES = frozenset(
    {"command", "token", "token_directory", "webhook", "webhook_directory", "directory"}
)
INTERNAL_TYPES = frozenset(
    {"audit.opened"}
)  # the checkpoint stream's creation (its checkpoints, audit.checkpoint_signed, are delivered)
EVENT_TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z_]*\.(\*|[a-z][a-z_]*))$")
MAX_URL_LENGTH = 2000
MAX_EVENT_TYPES = 50
PATTERN_EXAMPLE = "nomination.declared | nomination.* | *"


class WebhookNotFoundError(NotFoundError):
    code = "webhook-not-found"


class WebhookInvalidError(RuleViolationError):
    """The URL or the event types of a subscription break a rule (SSRF guard included)."""

    code = "webhook-invalid"


class WebhookDisabledError(ConflictError):
    code = "webhook-disabled"


class SecretVault(Protocol):
    def keep(self, secret: str) -> str:
        """Stores ``secret`` durably; returns its reference."""
        ...

    def reveal(self, ref: str) -> str: ...


class MemoryVault:
    """A vault in memory, for unit tests that build the application without the composition
    root: they wire it explicitly (``app.webhook_secret_vault = MemoryVault()``)."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def keep(self, secret: str) -> str:
        ref = str(uuid4())
        self.secrets[ref] = secret
        return ref

    def reveal(self, ref: str) -> str:
        return self.secrets[ref]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def matches(patterns: Sequence[str], event_type: str) -> bool:
    aggregate = event_type.split(".", 1)[0]
    if aggregate in INTERNAL_AGGREGATES or event_type in INTERNAL_TYPES:
        return False
    return any(
        p == "*" or p == event_type or (p.endswith(".*") and p[:-2] == aggregate) for p in patterns
    )


def url_failures(url: str) -> list[RuleFailure]:
    """What the URL itself must be (the addresses it resolves to, and whether the HTTP client
    can read it, are checked by the guard). No credentials: the URL is in ``webhook.created``,
    which every auditor reads and exports."""
    if len(url) > MAX_URL_LENGTH:
        return [
            RuleFailure(
                "webhook_url_length",
                f"the URL is longer than {MAX_URL_LENGTH} characters",
                f"URL 超过 {MAX_URL_LENGTH} 个字符",
                "url",
                MAX_URL_LENGTH,
                len(url),
            )
        ]
    bad = next((c for c in url if c.isspace() or unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        at = url.index(bad)
        return [
            RuleFailure(
                "webhook_url_characters",
                f"the URL contains a control character or whitespace ({bad!r} at position {at}); "
                "percent-encode it",
                f"URL 含有控制字符或空白字符（第 {at} 位的 {bad!r}），请使用百分号编码",
                "url",
                None,
                repr(url),
            )
        ]
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError as exc:
        return [
            RuleFailure(
                "webhook_url_readable",
                f"the URL is not readable: {exc}",
                f"URL 格式不正确：{exc}",
                "url",
                None,
                url,
            )
        ]
    if parts.scheme not in ("http", "https"):
        return [
            RuleFailure(
                "webhook_url_scheme",
                "only http and https URLs receive webhooks",
                "仅支持 http 或 https 地址",
                "url",
                ["http", "https"],
                parts.scheme,
            )
        ]
    if not host:
        return [
            RuleFailure("webhook_url_host", "the URL names no host", "URL 缺少主机名", "url", None, url)
        ]
    if "@" in parts.netloc:
        return [
            RuleFailure(
                "webhook_url_credentials",
                "a webhook URL carries no user name or password (user:pass@): the URL is in the "
                "subscription's events, which auditors read",
                "回调地址不能包含用户名或密码（user:pass@）：地址会记入订阅事件，审计人员可见",
                "url",
                None,
                parts.scheme + "://***@" + parts.netloc.rsplit("@", 1)[1],
            )
        ]
    if parts.fragment:
        return [
            RuleFailure(
                "webhook_url_fragment",
                "a webhook URL has no #fragment",
                "回调地址不能包含 # 片段",
                "url",
                None,
                url,
            )
        ]
    return []


def event_type_failures(event_types: Sequence[str]) -> list[RuleFailure]:
    if not event_types:
        return [
            RuleFailure(
                "webhook_event_types_required",
                "name at least one event type (or '*')",
                "至少指定一种事件类型（或 '*'）",
                "event_types",
            )
        ]
    if len(event_types) > MAX_EVENT_TYPES:
        count = len(event_types)
        return [
            RuleFailure(
                "webhook_event_types_count",
                f"at most {MAX_EVENT_TYPES} event types",
                f"事件类型最多 {MAX_EVENT_TYPES} 个",
                "event_types",
                MAX_EVENT_TYPES,
                count,
            )
        ]
    return [
        RuleFailure(
            "webhook_event_type_pattern",
            f"'{t}' is not an event type, 'aggregate.*' or '*'",
            f"「{t}」不是事件类型、'aggregate.*' 或 '*'",
            "event_types",
            PATTERN_EXAMPLE,
            t,
        )
        for t in event_types
        if not EVENT_TYPE_PATTERN.match(t)
    ]


class WebhookSubscription(Aggregate):
    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Created(Event, Aggregate.Created):
        url: str
        event_types: list[str]
        description: str
        secret_ref: str
        actor: Actor

    class SecretRotated(Event):
        secret_ref: str
        previous_secret_ref: str
        previous_valid_until: datetime
        actor: Actor

        def apply(self, aggregate: WebhookSubscription) -> None:
            kept = [p for p in aggregate.previous_secrets if p["valid_until"] > self.timestamp]
            aggregate.previous_secrets = [
                *kept,
                {"ref": self.previous_secret_ref, "valid_until": self.previous_valid_until},
            ]
            aggregate.secret_ref = self.secret_ref
            aggregate.rotated_at = self.timestamp

    class Disabled(Event):
        reason: str
        actor: Actor

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.status = WebhookStatus.DISABLED
            aggregate.disabled_reason = self.reason
            aggregate.disabled_at = self.timestamp

    class Deleted(Event):
        actor: Actor

        def apply(self, aggregate: WebhookSubscription) -> None:
            aggregate.status = WebhookStatus.DELETED

    def __init__(
        self, url: str, event_types: list[str], description: str, secret_ref: str, actor: Actor
    ) -> None:
        self.url = url
        self.event_types = list(event_types)
        self.description = description
        self.secret_ref = secret_ref
        self.created_by = actor
        self.previous_secrets: list[dict[str, Any]] = []
        self.status = WebhookStatus.ACTIVE
        self.disabled_reason: str | None = None
        self.disabled_at: datetime | None = None
        self.rotated_at: datetime | None = None

    @classmethod
    def subscribe(
        cls,
        url: str,
        event_types: Sequence[str],
        description: str,
        secret_ref: str,
        actor: Actor,
        at: datetime,
    ) -> WebhookSubscription:
        return cls._create(
            cls.Created,
            timestamp=at,
            url=url,
            event_types=list(dict.fromkeys(event_types)),
            description=description,
            secret_ref=secret_ref,
            actor=actor,
        )

    @property
    def active(self) -> bool:
        return self.status == WebhookStatus.ACTIVE

    def rotate(self, secret_ref: str, actor: Actor, at: datetime) -> None:
        self._require_not_deleted()
        self.trigger_event(
            self.SecretRotated,
            timestamp=at,
            secret_ref=secret_ref,
            previous_secret_ref=self.secret_ref,
            previous_valid_until=at + ROTATION_GRACE,
            actor=actor,
        )

    def disable(self, reason: str, actor: Actor, at: datetime) -> bool:
        """Disabled once; a repeat changes nothing (and says so)."""
        self._require_not_deleted()
        if self.status == WebhookStatus.DISABLED:
            return False
        self.trigger_event(self.Disabled, timestamp=at, reason=reason, actor=actor)
        return True

    def delete(self, actor: Actor, at: datetime) -> None:
        self._require_not_deleted()
        self.trigger_event(self.Deleted, timestamp=at, actor=actor)

    def _require_not_deleted(self) -> None:
        if self.status == WebhookStatus.DELETED:
            raise WebhookNotFoundError(
                f"no webhook '{self.id}'", f"没有回调订阅「{self.id}」", webhook=str(self.id)
            )

    def signing_secret_refs(self, now: datetime) -> list[str]:
        """The current secret's reference, then each previous one still inside its grace period."""
        return [self.secret_ref, *(p["ref"] for p in self.previous_secrets if p["valid_until"] > now)]

    def public(self, now: datetime) -> dict[str, Any]:
        grace = [p["valid_until"] for p in self.previous_secrets if p["valid_until"] > now]
        return {
            "id": str(self.id),
            "url": self.url,
            "event_types": list(self.event_types),
            "description": self.description,
            "status": self.status,
            "disabled_reason": self.disabled_reason,
            "disabled_at": self.disabled_at,
            "created_at": self.created_on,
            "secret_rotated_at": self.rotated_at,
            "previous_secret_valid_until": max(grace) if grace else None,
            "version": self.version,
        }


class WebhookDirectory(Aggregate):
    """Every live subscription's id (the event store has no query by attribute), saved with
    each creation and deletion in the same transaction."""

    class Opened(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        subscription_id: UUID

        def apply(self, aggregate: WebhookDirectory) -> None:
            aggregate.ids.append(self.subscription_id)

    class Unlisted(Aggregate.Event):
        subscription_id: UUID

        def apply(self, aggregate: WebhookDirectory) -> None:
            aggregate.ids = [i for i in aggregate.ids if i != self.subscription_id]

    def __init__(self) -> None:
        self.ids: list[UUID] = []

    @classmethod
    def open(cls, at: datetime) -> WebhookDirectory:
        return cls._create(cls.Opened, id=WEBHOOK_DIRECTORY_ID, timestamp=at)

    def add(self, subscription_id: UUID, at: datetime) -> None:
        self.trigger_event(self.Listed, timestamp=at, subscription_id=subscription_id)

    def remove(self, subscription_id: UUID, at: datetime) -> None:
        if subscription_id in self.ids:
            self.trigger_event(self.Unlisted, timestamp=at, subscription_id=subscription_id)
