"""What every command's run relies on: the loader over the repository that handlers and reads
share, the text check, the fingerprint of a command (what an idempotency key was first used
for) and the optimistic version check."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.access import TOKEN_DIRECTORY_ID, AccessToken, TokenDirectory
from domain.activity import ActivityRegister, MemberRoll, register_uuid, roll_uuid
from domain.campaigns import Campaign
from domain.commands import Command
from domain.directory import DIRECTORY_ID, CampaignDirectory
from domain.errors import (
    CampaignNotFoundError,
    NominationNotFoundError,
    StaleVersionError,
    TextInvalidError,
    TokenNotFoundError,
    UnitNotFoundError,
)
from domain.history import jsonable
from domain.idempotency import CommandReceipt
from domain.ids import idempotency_uuid, unit_uuid
from domain.nominations import Nomination
from domain.rules.text import control_character_failures
from domain.units import Unit
from domain.webhooks import (
    WEBHOOK_DIRECTORY_ID,
    WebhookDirectory,
    WebhookNotFoundError,
    WebhookSubscription,
)

A = TypeVar("A", bound=Aggregate)


class StaleReadError(Exception):
    """An aggregate a handler loaded has moved past what it read of it elsewhere (its roster
    entry): the command decides again, as after a conflict on save."""


class MalformedIdError(AggregateNotFoundError):
    """An id that is not a UUID names nothing: answered as not found."""


def parse_id(value: UUID | str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise MalformedIdError(str(value)) from None


def command_fields(command: Command) -> dict[str, Any]:
    """The command's fields as sent (not copied): what is checked, fingerprinted and logged."""
    return {f.name: getattr(command, f.name) for f in dataclasses.fields(command)}


def fingerprint(command: str, fields: Mapping[str, Any]) -> str:
    canonical = json.dumps(
        jsonable(dict(fields)), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(f"{command}:{canonical}".encode()).hexdigest()


def check_text(fields: Mapping[str, Any], idempotency_key: str | None) -> None:
    """No text a read model could not store reaches the log, whichever entry point (API,
    imports, CLI, workflow activities) sent the command."""
    failures = control_character_failures({**fields, "Idempotency-Key": idempotency_key})
    if failures:
        raise TextInvalidError(failures)


def check_version(aggregate: Aggregate, expected_version: int | None) -> None:
    if expected_version is not None and aggregate.version != expected_version:
        raise StaleVersionError(
            f"expected version {expected_version} but the current version is {aggregate.version}",
            f"版本不一致：期望 {expected_version}，当前为 {aggregate.version}",
            expected=expected_version,
            current=aggregate.version,
        )


class Absences:
    """Ids found absent, remembered for ``seconds``: the library caches aggregates that exist,
    not the absence of those that usually do not (a unit's activity register, read by every
    declaration for its warnings), which costs two reads each time. Only reads whose answer is
    a warning use it. An id is forgotten when this process saves it (before and after the
    save), and a lookup that began before such a save records nothing; another process's
    creation is seen within ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.seen: dict[UUID, float] = {}
        self.forgotten: dict[UUID, float] = {}
        self.lock = threading.Lock()

    def known(self, aggregate_id: UUID) -> bool:
        with self.lock:
            seen = self.seen.get(aggregate_id)
            if seen is not None and time.monotonic() - seen >= self.seconds:
                del self.seen[aggregate_id]
                return False
            return seen is not None

    def record(self, aggregate_id: UUID, looked_at: float) -> None:
        """``looked_at``: when the lookup that found nothing began."""
        with self.lock:
            if self.seconds > 0 and self.forgotten.get(aggregate_id, -1.0) < looked_at:
                self.seen[aggregate_id] = time.monotonic()

    def forget(self, ids: Iterable[UUID]) -> None:
        now = time.monotonic()
        with self.lock:
            for aggregate_id in ids:
                self.seen.pop(aggregate_id, None)
                self.forgotten[aggregate_id] = now
            if len(self.forgotten) > 10_000:  # only a lookup still running needs the older
                self.forgotten = {k: t for k, t in self.forgotten.items() if now - t < self.seconds}


class Loader:
    """Aggregates from the application's repository, each by its kind. ``for_update`` gives a
    private copy to change; otherwise the shared cached object, to read only."""

    def __init__(self, app: Application[UUID], absences: Absences) -> None:
        self.app = app
        self.absences = absences

    def find(
        self, aggregate_id: UUID, kind: type[A], *, for_update: bool = True, rarely: bool = False
    ) -> A | None:
        """The aggregate of this kind with this id, or None (absent, or another kind).
        ``rarely``: it usually does not exist, so its absence is remembered (``Absences``)."""
        if rarely and self.absences.known(aggregate_id):
            return None
        looked_at = time.monotonic()
        found: Aggregate | None
        try:
            found = self.app.repository.get(aggregate_id, deepcopy_from_cache=for_update)
        except AggregateNotFoundError:
            if rarely:
                self.absences.record(aggregate_id, looked_at)
            return None
        return found if isinstance(found, kind) else None

    def get_unit(self, code: str, *, for_update: bool = False) -> Unit:
        unit = self.find(unit_uuid(code), Unit, for_update=for_update)
        if unit is None:
            raise UnitNotFoundError(f"no unit '{code}'", f"没有单位「{code}」", unit=code)
        return unit

    def unit_exists(self, code: str) -> bool:
        return unit_uuid(code) in self.app.repository

    def get_campaign(self, campaign_id: UUID | str, *, for_update: bool = False) -> Campaign:
        try:
            campaign = self.find(parse_id(campaign_id), Campaign, for_update=for_update)
        except MalformedIdError:
            campaign = None
        if campaign is None:
            raise CampaignNotFoundError(
                f"no campaign '{campaign_id}'",
                f"没有评选活动「{campaign_id}」",
                campaign=str(campaign_id),
            )
        return campaign

    def get_nomination(self, nomination_id: UUID | str, *, version: int | None = None) -> Nomination:
        nomination: Aggregate | None
        try:
            nomination = self.app.repository.get(parse_id(nomination_id), version=version)
        except AggregateNotFoundError:
            nomination = None
        if not isinstance(nomination, Nomination):
            raise NominationNotFoundError(
                f"no nomination '{nomination_id}'",
                f"没有申报「{nomination_id}」",
                nomination=str(nomination_id),
            )
        return nomination

    def organiser(self, campaign: Campaign) -> Unit:
        return self.get_unit(campaign.organiser_unit_id)

    def campaign_directory(self, at: datetime) -> CampaignDirectory:
        """The directory of campaigns, opened (not yet saved) when there is none."""
        return self.find(DIRECTORY_ID, CampaignDirectory) or CampaignDirectory.open(at)

    def list_campaigns(self) -> list[dict[str, Any]]:
        directory = self.find(DIRECTORY_ID, CampaignDirectory, for_update=False)
        return [] if directory is None else list(directory.entries)

    def events_of(self, aggregate_id: UUID) -> Iterator[Aggregate.Event]:
        """The aggregate's stored events, oldest first (every event of ours is an
        ``Aggregate.Event``: the store is typed for any event)."""
        return cast(Iterator[Aggregate.Event], self.app.events.get(aggregate_id))

    def rebuilt_nominations(self, ids: Iterable[str]) -> list[Nomination]:
        """Nominations each rebuilt from its own events (one read each), not through the
        aggregate cache: a batch of 500 out of 100,000 titles would only churn it, and every
        aggregate taken from it for a command is first deep-copied; nor through the snapshot
        store, as nominations are not snapshotted."""
        if Nomination in (self.app.snapshotting_intervals or {}):
            return [self.get_nomination(nid) for nid in ids]
        rebuilt = []
        for nid in ids:
            nomination: Aggregate | None = project_aggregate(None, self.events_of(UUID(nid)))
            if not isinstance(nomination, Nomination):
                raise NominationNotFoundError(
                    f"no nomination '{nid}'", f"没有申报「{nid}」", nomination=str(nid)
                )
            rebuilt.append(nomination)
        return rebuilt

    # --- activity days -------------------------------------------------------------------------

    def member_roll(self, unit_id: str, *, for_update: bool = False) -> MemberRoll | None:
        return self.find(roll_uuid(unit_id), MemberRoll, for_update=for_update)

    def activity_register(
        self, unit_id: str, year: int, *, for_update: bool = False, for_warning: bool = False
    ) -> ActivityRegister | None:
        """``for_warning``: the answer only warns, so a remembered absence will do."""
        return self.find(
            register_uuid(unit_id, year), ActivityRegister, for_update=for_update, rarely=for_warning
        )

    # --- access tokens ---------------------------------------------------------------------------

    def token_directory(self, at: datetime) -> TokenDirectory:
        """The directory; opened on first use with every token issued before it existed."""
        directory = self.find(TOKEN_DIRECTORY_ID, TokenDirectory)
        if directory is None:
            directory = TokenDirectory.open(at)
            for token in self._tokens_issued_before_the_directory():
                directory.list_token(token, at)
        return directory

    def _tokens_issued_before_the_directory(self) -> list[AccessToken]:
        topic, found, start = get_topic(AccessToken.Issued), list[AccessToken](), 1
        while batch := self.app.recorder.select_notifications(start, 1000, topics=[topic]):
            found += [self.app.repository.get(UUID(str(n.originator_id))) for n in batch]
            start = batch[-1].id + 1
        return found

    def get_token(self, token_id: str, at: datetime) -> AccessToken:
        entry = self.token_directory(at).entries.get(token_id)
        token = None if entry is None else self.find(entry["uuid"], AccessToken)
        if token is None:
            raise TokenNotFoundError(f"no token '{token_id}'", f"没有令牌「{token_id}」", token=token_id)
        return token

    # --- webhook subscriptions -------------------------------------------------------------------

    def get_webhook(self, webhook_id: UUID | str) -> WebhookSubscription:
        try:
            subscription = self.find(parse_id(webhook_id), WebhookSubscription)
        except MalformedIdError:
            subscription = None
        if subscription is None or subscription.status == "deleted":
            raise WebhookNotFoundError(
                f"no webhook '{webhook_id}'", f"没有回调订阅「{webhook_id}」", webhook=str(webhook_id)
            )
        return subscription

    def webhook_directory(self, at: datetime) -> WebhookDirectory:
        return self.find(WEBHOOK_DIRECTORY_ID, WebhookDirectory) or WebhookDirectory.open(at)

    def webhook_ids(self) -> list[UUID]:
        directory = self.find(WEBHOOK_DIRECTORY_ID, WebhookDirectory, for_update=False)
        return [] if directory is None else list(directory.ids)

    # --- idempotency receipts --------------------------------------------------------------------

    def receipt(self, key: str) -> CommandReceipt | None:
        return self.find(idempotency_uuid(key), CommandReceipt)
