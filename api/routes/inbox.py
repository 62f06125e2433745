"""The in-app inbox (站内消息, issue 24): the caller's notices, read or not, its preferences per
kind of notice, a unit's feed, and the delivery log an admin reads for its subtree.

A caller reads notices as the recipient keys ``api.notices.recipients_of`` gives (its contact's
when its token carries one, else its token's): nobody reads another person's inbox, and an id
that is not the caller's is 404 as one that does not exist."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import App, CurrentActor, Inbox, ServicesDep
from api.notices import (
    NoticeId,
    delivery_log,
    instant,
    kind_labels,
    next_before,
    notification_store,
    require_feed_reader,
)
from api.schemas import Model
from domain.notifications.kinds import Channel, DeliveryMode

router = APIRouter(prefix="/v1", tags=["notifications"])

LIMIT = Annotated[int, Query(ge=1, le=200, description="how many at most / 每页条数")]
BEFORE = Annotated[
    int | None, Query(ge=1, le=2**62, description="older than this id (the previous page's next_before)")
]


class InboxItem(BaseModel):
    id: int
    kind: str = Field(description="a NoticeKind code, e.g. rejected")
    kind_zh: str
    kind_en: str
    mandatory: bool
    subject: str = Field(description="「中文 / English」")
    body: str = Field(description="the Chinese text, a separator line, the English text")
    campaign_id: str | None = None
    subject_id: str
    created_at: datetime | None = None
    read_at: datetime | None = None
    unread: bool


class InboxPage(BaseModel):
    items: list[InboxItem]
    next_before: int | None = Field(None, description="pass as ?before= for older notices")
    unread: int = Field(description="how many of the caller's notices are unread")


class UnreadCount(BaseModel):
    unread: int


class Marked(BaseModel):
    marked: int = Field(description="how many notices this request marked read (0: already read)")
    unread: int


class Preference(BaseModel):
    kind: str
    kind_zh: str
    kind_en: str
    mode: str = Field(description="immediate | digest | muted")
    mandatory: bool = Field(description="cannot be muted (rejected, returned, revoked)")


class PreferenceChange(Model):
    mode: DeliveryMode = Field(description="immediate (e-mail at once) | digest (daily) | muted")


class FeedItem(BaseModel):
    id: int
    kind: str
    kind_zh: str
    kind_en: str
    subject: str | None = None
    subject_id: str
    campaign_id: str | None = None
    occurred_at: datetime | None = None


class FeedPage(BaseModel):
    items: list[FeedItem]
    next_before: int | None = None


class DeliveryRow(BaseModel):
    id: int
    notice_key: str
    kind: str
    channel: str = Field(description="inbox | email")
    recipient: str = Field(description="contact:<id> or token:<id>")
    address: str | None = Field(None, description="the e-mail address, masked (z***@example.org)")
    status: str = Field(description="pending | digest | delivered | failed")
    attempts: int = 0
    campaign_id: str | None = None
    subject_id: str | None = None
    created_at: datetime | None = None
    delivered_at: datetime | None = None
    next_attempt_at: datetime | None = None


class DeliveryPage(BaseModel):
    items: list[DeliveryRow]
    next_before: int | None = None


def inbox_item(row: Mapping[str, Any]) -> InboxItem:
    return InboxItem(
        id=row["id"],
        **kind_labels(row["kind"]),
        subject=row.get("subject") or "",
        body=row.get("body") or "",
        campaign_id=row.get("campaign_id"),
        subject_id=row.get("subject_id") or "",
        created_at=instant(row.get("created_at")),
        read_at=instant(row.get("read_at")),
        unread=row.get("read_at") is None,
    )


@router.get("/inbox", response_model=InboxPage, summary="My notices / 我的消息")
def inbox(
    box: Inbox,
    unread: Annotated[bool, Query(description="unread notices only / 仅未读")] = False,
    limit: LIMIT = 50,
    before: BEFORE = None,
) -> Any:
    rows = box.store.inbox(box.recipients, unread_only=unread, limit=limit, before=before)
    return InboxPage(
        items=[inbox_item(r) for r in rows], next_before=next_before(rows, limit), unread=box.unread()
    )


@router.get("/inbox/unread-count", response_model=UnreadCount, summary="Unread count / 未读数")
def unread_count(box: Inbox) -> Any:
    return UnreadCount(unread=box.unread())


@router.post(
    "/inbox/{notice_id}/read",
    response_model=Marked,
    summary="Mark a notice read / 标为已读",
    description="Marking a notice read again changes nothing (marked: 0).",
)
def mark_read(notice_id: NoticeId, box: Inbox) -> Any:
    return Marked(marked=box.mark_read(notice_id), unread=box.unread())


@router.post("/inbox/read", response_model=Marked, summary="Mark every notice read / 全部标为已读")
def mark_all_read(box: Inbox) -> Any:
    marked = box.store.mark_all_read(box.recipients)
    return Marked(marked=marked, unread=box.unread())


@router.get(
    "/inbox/preferences", response_model=list[Preference], summary="My notice preferences / 消息偏好"
)
def preferences(box: Inbox) -> Any:
    return box.preferences()


@router.put(
    "/inbox/preferences/{kind}",
    response_model=list[Preference],
    summary="Choose how a kind of notice reaches me / 设置消息偏好",
    description=(
        "Rejected, returned and revoked notices cannot be muted (422 notice-mandatory). A token "
        "that carries no person reads its notices in the inbox only: the e-mail modes matter "
        "once its administrator names the person (a contact)."
    ),
)
def set_preference(kind: Annotated[str, Path(max_length=64)], body: PreferenceChange, box: Inbox) -> Any:
    box.set_preference(kind, str(body.mode))
    return box.preferences()


@router.get(
    "/units/{unit_id}/feed",
    response_model=FeedPage,
    summary="What a unit was told / 单位消息动态",
    description="The notices concerning the unit: for its own tokens and the admins above it.",
)
def unit_feed(
    unit_id: str,
    app: App,
    actor: CurrentActor,
    services: ServicesDep,
    limit: LIMIT = 50,
    before: BEFORE = None,
) -> Any:
    unit = require_feed_reader(app, actor, unit_id)
    rows = notification_store(services).feed(unit.code, limit=limit, before=before)
    return FeedPage(items=[feed_item(r) for r in rows], next_before=next_before(rows, limit))


def feed_item(row: Mapping[str, Any]) -> FeedItem:
    return FeedItem(
        id=row["id"],
        **{k: v for k, v in kind_labels(row["kind"]).items() if k != "mandatory"},
        subject=row.get("subject"),
        subject_id=row.get("subject_id") or "",
        campaign_id=row.get("campaign_id"),
        occurred_at=instant(row.get("occurred_at")),
    )


@router.get(
    "/notifications/deliveries",
    response_model=DeliveryPage,
    summary="Notice delivery log / 消息投递记录",
    description=(
        "Admins: the deliveries to the people and tokens of their subtree (every one for an admin "
        "without a unit). Addresses are masked and no notice's text is shown."
    ),
)
async def deliveries(
    actor: CurrentActor,
    services: ServicesDep,
    channel: Annotated[Channel | None, Query(description="inbox | email (default: both)")] = None,
    limit: LIMIT = 50,
    before: BEFORE = None,
) -> Any:
    rows, older = await run_in_threadpool(
        lambda: delivery_log(
            services, actor, channel=str(channel) if channel else None, limit=limit, before=before
        )
    )
    return DeliveryPage(items=[delivery_row(r) for r in rows], next_before=older)


def delivery_row(row: Mapping[str, Any]) -> DeliveryRow:
    return DeliveryRow(
        id=row["id"],
        notice_key=row["notice_key"],
        kind=row["kind"],
        channel=row["channel"],
        recipient=row["recipient"],
        address=row.get("address"),  # masked by the store (infra/notifications/store.mask)
        status=row["status"],
        attempts=row.get("attempts") or 0,
        campaign_id=row.get("campaign_id"),
        subject_id=row.get("subject_id"),
        created_at=instant(row.get("created_at")),
        delivered_at=instant(row.get("delivered_at")),
        next_attempt_at=instant(row.get("next_attempt_at")),
    )
