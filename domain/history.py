"""Event names and JSON-ready payloads for history, audit and webhooks."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from domain.actors import Actor

BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}
_AGGREGATE_NAMES = {
    "Nomination": "nomination",
    "Campaign": "campaign",
    "Unit": "unit",
    "CommandReceipt": "command",
    "AccessToken": "token",
    "TokenDirectory": "token_directory",
    "CampaignDirectory": "directory",
    "MemberRoll": "members",
    "ActivityRegister": "activity",
    "WebhookSubscription": "webhook",
    "WebhookDirectory": "webhook_directory",
}
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")


def event_type(event: Any) -> str:
    """``Nomination.PreReviewed`` -> ``nomination.pre_reviewed`` (the names in the event catalogue)."""
    return event_class_type(type(event))


def event_class_type(cls: type) -> str:
    owner, _, name = cls.__qualname__.rpartition(".")
    return f"{_AGGREGATE_NAMES.get(owner, owner.lower())}.{_SNAKE.sub('_', name).lower()}"


def jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value  # a vocabulary term: its code
    return value


def event_data(event: Any) -> dict[str, Any]:
    return {
        f.name: jsonable(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in BASE_FIELDS
    }


def event_actor(event: Any) -> dict[str, Any] | None:
    """Who did it, as a plain JSON object (an inspection's: its inspector)."""
    actor: Actor | None = getattr(event, "actor", None)
    if actor is None and hasattr(event, "inspection"):
        actor = event.inspection.inspector
    return None if actor is None else actor.as_dict()
