"""Webhook subscriptions (回调订阅): admin without a unit manages them, auditors read them.
Deliveries are made by the dispatcher (``laurel webhooks dispatch``); these routes record
subscriptions (as events), read the delivery log and queue replays."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field, StrictInt, StrictStr

from api import problems
from api.deps import App, CurrentActor, IdempotencyKey, ServicesDep
from api.responses import created, replayed
from api.schemas import Model, Text
from domain.commands import CreateWebhook, DeleteWebhook, RotateWebhookSecret
from domain.errors import IdempotencyKeyReusedError, RuleFailure

router = APIRouter(prefix="/v1", tags=["webhooks"])


class WebhookCreate(Model):
    url: StrictStr = Field(  # control characters get the domain's own rule (webhook_url_characters)
        min_length=1,
        max_length=2000,
        examples=["https://receiver.example.org/laurel"],
        description=(
            "http(s); no user:pass@, no control characters or whitespace (percent-encode them); no "
            "tokens in the query string: the URL is recorded in the subscription's events, and the "
            "signature authenticates Laurel"
        ),
    )
    event_types: list[Annotated[Text, Field(max_length=100)]] = Field(
        default_factory=lambda: ["*"],
        min_length=1,
        max_length=50,
        examples=[["nomination.*", "campaign.phase_closed"]],
    )
    description: Text = Field(
        "", max_length=500, examples=["省委组织部数据平台 / provincial data platform"]
    )


class Delivery(BaseModel):
    pending: int
    failing_since: datetime | None = None
    last_success_at: datetime | None = None


class WebhookPublic(BaseModel):
    id: str
    url: str
    event_types: list[str]
    description: str
    status: str = Field(description="active | disabled")
    disabled_reason: str | None = None
    disabled_at: datetime | None = None
    created_at: datetime
    secret_rotated_at: datetime | None = None
    previous_secret_valid_until: datetime | None = Field(
        None, description="until then deliveries carry a signature with the previous secret too"
    )
    version: int
    delivery: Delivery | None = None


class WebhookCreated(WebhookPublic):
    secret: str | None = Field(
        None,
        description="whsec_… — in this response only (a repeated Idempotency-Key returns no secret)",
    )


class ReplayCreate(Model):
    after_position: StrictInt = Field(
        ge=0,
        le=2**53,
        description=(
            "re-send the events after this global position (audit position / CloudEvents sequence)"
        ),
    )


class ReplayPublic(BaseModel):
    id: int
    webhook_id: str
    after_position: int
    until_position: int = Field(
        description="the last position when the replay was asked for; later events arrive live"
    )
    requested_at: datetime
    done: bool


class Attempt(BaseModel):
    id: int
    event_id: str
    type: str
    position: int
    replay: bool
    attempt: int
    attempted_at: datetime
    status_code: int | None
    outcome: str = Field(
        description="delivered | retrying | failed (given up) | gone (410: endpoint disabled)"
    )
    latency_ms: float | None
    response_excerpt: str | None
    error: str | None
    next_attempt_at: datetime | None


class AttemptPage(BaseModel):
    items: list[Attempt]
    next_before: int | None = Field(None, description="pass as ?before= for older attempts")


def instant(seconds: float | None) -> datetime | None:
    return datetime.fromtimestamp(seconds, UTC) if seconds is not None else None


def replay_public(row: dict[str, Any]) -> ReplayPublic:
    return ReplayPublic(
        id=row["id"],
        webhook_id=row["subscription_id"],
        after_position=row["after_position"],
        until_position=row["until_position"],
        requested_at=datetime.fromtimestamp(row["requested_at"], UTC),
        done=row["done_at"] is not None,
    )


@router.post(
    "/webhooks",
    status_code=201,
    responses={**problems.COMMAND, **replayed(WebhookCreated)},
    response_model=WebhookCreated,
    summary="Subscribe a URL / 新增回调订阅",
)
def create_webhook(body: WebhookCreate, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    subscription = CreateWebhook(
        url=body.url, event_types=body.event_types, description=body.description
    )
    result = app.execute(subscription, actor, idempotency_key=key)
    return created(WebhookCreated(**result), result["replayed"])


@router.get("/webhooks", response_model=list[WebhookPublic], summary="List subscriptions / 回调订阅列表")
def list_webhooks(app: App, actor: CurrentActor) -> Any:
    return app.webhooks.list_webhooks(actor)


@router.get(
    "/webhooks/{webhook_id}", response_model=WebhookPublic, summary="Read a subscription / 查看回调订阅"
)
def read_webhook(webhook_id: str, app: App, actor: CurrentActor, services: ServicesDep) -> Any:
    subscription = app.webhooks.webhook(webhook_id, actor)
    health = services.webhooks.health(subscription["id"])
    return dict(
        subscription,
        delivery=Delivery(
            pending=health["pending"],
            failing_since=instant(health["failing_since"]),
            last_success_at=instant(health["last_success_at"]),
        ),
    )


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    responses=problems.responses(409),
    response_class=Response,
    summary="Delete a subscription / 删除回调订阅",
)
def delete_webhook(webhook_id: str, app: App, actor: CurrentActor) -> Response:
    app.execute(DeleteWebhook(webhook_id=webhook_id), actor)
    return Response(status_code=204)


ROTATION = (
    "The new secret is in this response only; the previous one stays valid for 24 hours (deliveries "
    "carry both signatures meanwhile)."
)


@router.post(
    "/webhooks/{webhook_id}/rotation",
    responses=problems.responses(409),
    response_model=WebhookCreated,
    summary="Rotate the secret / 轮换签名密钥",
    description=ROTATION,
)
def rotate_secret(webhook_id: str, app: App, actor: CurrentActor, key: IdempotencyKey) -> Any:
    result = app.execute(RotateWebhookSecret(webhook_id=webhook_id), actor, idempotency_key=key)
    return created(WebhookCreated(**result), result["replayed"], status=200)


@router.get(
    "/webhooks/{webhook_id}/deliveries", response_model=AttemptPage, summary="Delivery log / 投递记录"
)
def deliveries(
    webhook_id: str,
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Any:
    subscription = app.webhooks.webhook(webhook_id, actor)
    rows = services.webhooks.attempts(subscription["id"], limit, before)
    items = [
        Attempt(
            **{
                **r,
                "replay": r["replay_id"] > 0,
                "attempted_at": instant(r["attempted_at"]),
                "next_attempt_at": instant(r["next_attempt_at"]),
            }
        )
        for r in rows
    ]
    return AttemptPage(items=items, next_before=rows[-1]["id"] if len(rows) == limit else None)


@router.post(
    "/webhooks/{webhook_id}/replay",
    status_code=202,
    responses={**problems.COMMAND, **replayed(ReplayPublic)},
    response_model=ReplayPublic,
    summary="Re-send history / 重放事件",
)
def replay(
    webhook_id: str,
    body: ReplayCreate,
    app: App,
    actor: CurrentActor,
    key: IdempotencyKey,
    services: ServicesDep,
) -> Any:
    """Queues every event after ``after_position`` (up to the last one now) for this
    subscription again, marked as a replay (CloudEvents attribute ``replay: true``)."""
    subscription = app.webhooks.replayable_webhook(webhook_id, actor)
    until = services.views.max_position()
    row, first = services.webhooks.request_replay(
        str(subscription.id), body.after_position, until, actor.token_id, app.clock().timestamp(), key
    )
    if not first and (row["subscription_id"], row["after_position"]) != (
        str(subscription.id),
        body.after_position,
    ):
        raise IdempotencyKeyReusedError(
            [
                RuleFailure(
                    "idempotency_key_reused",
                    "this Idempotency-Key was first used for another replay",
                    "幂等键已用于另一次重放",
                    "Idempotency-Key",
                )
            ]
        )
    return created(replay_public(row), not first, status=202)
