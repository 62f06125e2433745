"""Laurel, the eventsourcing ``Application``: ``execute`` runs every use case.

A use case is a command (``domain/commands.py``) and its handler (``domain/handlers/``): the
handler loads what it needs, checks role and jurisdiction, decides through the aggregates and
says what to save; ``execute`` saves it in one transaction, retries on a conflict and keeps
idempotency receipts. Reads are on ``queries``, ``access`` and ``webhooks``
(``domain/queries.py``, ``domain/access_reads.py``, ``domain/webhook_reads.py``)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import get_topic

from domain.access_reads import AccessReads
from domain.activity import ActivityRegister, MemberRoll
from domain.actors import Actor
from domain.campaigns import Campaign
from domain.commands import Command
from domain.contact_reads import ContactReads
from domain.contacts import ContactVault
from domain.directory import CampaignDirectory
from domain.errors import ConcurrencyConflictError, DomainError, IdempotencyKeyReusedError, RuleFailure
from domain.execution import Absences, Loader, StaleReadError, check_text, command_fields, fingerprint
from domain.handlers import CHECKS, HANDLERS
from domain.handlers.context import Collaborators, Context, FollowUp, UrlGuard, no_guard
from domain.history import jsonable
from domain.idempotency import CommandReceipt
from domain.kept_contacts import KeptContacts
from domain.nominations import Nomination
from domain.notifications.notices import OUTBOX_KWARG
from domain.notifications.rules import notices_of_saved
from domain.queries import Queries
from domain.roster import ROSTER_KWARG, Roster, RosterEntry, RosterKeeping
from domain.rules.tokens import TokenPolicy
from domain.title_register import TitleRegister
from domain.transcodings import all_transcodings
from domain.units import Unit
from domain.webhook_reads import WebhookReads
from domain.webhooks import SecretVault
from domain.working_days import HolidayCalendar

MAX_ATTEMPTS = 8
BACKFILL_BATCH = 500


class RosterMissingError(RuntimeError):
    """The event store's recorder keeps no roster: PERSISTENCE_MODULE names a library factory
    instead of one of ``infra.event_store``'s."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class Laurel(Application[UUID]):
    name = "Laurel"
    snapshotting_intervals = {  # noqa: RUF012 (the library declares it a class variable)
        Campaign: 200,
        Unit: 200,
        CampaignDirectory: 200,
        ActivityRegister: 100,
        MemberRoll: 100,
    }

    # Cached aggregates are fast-forwarded from the store before each use (reads only newer
    # events), so the cache stays correct with several processes writing; commands get copies.
    DEFAULT_ENV: Mapping[str, str] = {
        "AGGREGATE_CACHE_MAXSIZE": "2000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
        # Seconds an absence found is remembered for aggregates that usually do not exist.
        "ABSENCE_CACHE_SECONDS": "5",
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] = utc_now,
        *,
        url_guard: UrlGuard | None = None,
        secret_vault: Callable[[Laurel], SecretVault] | None = None,
        token_policy: TokenPolicy | None = None,
        holiday_calendar: HolidayCalendar | None = None,
        contact_vault: Callable[[Laurel], ContactVault] | ContactVault | None = None,
    ) -> None:
        """``url_guard`` refuses webhook URLs by their addresses (none by default);
        ``secret_vault`` makes the vault of webhook signing secrets from the application (the
        composition root keeps them beside the event store; without one, creating a webhook
        fails); ``token_policy``: how long access tokens live; ``contact_vault``: where
        contacts' personal data is kept (issue 24), or what makes it from the application
        (without one, adding a contact fails)."""
        super().__init__({**self.DEFAULT_ENV, **(env or {})})
        if not isinstance(self.recorder, RosterKeeping):
            raise RosterMissingError(
                f"the event store's recorder {type(self.recorder).__name__} keeps no roster: "
                "set PERSISTENCE_MODULE to infra.event_store:SQLiteFactory, PostgresFactory or "
                "POPOFactory"
            )
        self.roster: Roster = self.recorder.roster
        self.clock = clock
        self.load = Loader(self, Absences(float(self.env.get("ABSENCE_CACHE_SECONDS") or 0)))
        self.collaborators = Collaborators(
            url_guard=url_guard or no_guard,
            secret_vault=secret_vault(self) if secret_vault is not None else None,
            token_policy=token_policy or TokenPolicy(),
            holiday_calendar=holiday_calendar,
            contact_vault=self._contact_vault(contact_vault),
        )
        self.queries = Queries(self.load, self.roster, clock)
        self.titles = TitleRegister(self.load, self.roster)
        if not self.roster.complete():
            self._backfill_roster()
        self.access = AccessReads(self.load, clock, self.collaborators.token_policy)
        self.webhooks = WebhookReads(self.load, clock, self.collaborators.vault)
        self.contacts = ContactReads(self.load, self.collaborators.contacts)

    def _contact_vault(
        self, given: Callable[[Laurel], ContactVault] | ContactVault | None
    ) -> ContactVault | None:
        """A vault as given, or as its factory makes it from this application."""
        if given is None or hasattr(given, "keep_contact"):
            return cast("ContactVault | None", given)
        return given(self)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in all_transcodings():
            transcoder.register(transcoding)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Saves as the library does, handing the recorder the roster entry of every
        nomination saved and the notices of the events saved (``domain/notifications/rules``):
        it writes them in the same transaction as the events."""
        entries = [RosterEntry.of(o) for o in objs if isinstance(o, Nomination)]
        kwargs[OUTBOX_KWARG] = notices_of_saved(objs)
        # Created here, or found to exist if this save conflicts: either way, look again, and
        # a lookup running meanwhile must not remember an absence (``Absences``).
        ids = [o.id for o in objs if isinstance(o, Aggregate)]
        self.load.absences.forget(ids)
        try:
            return super().save(*objs, **{ROSTER_KWARG: entries}, **kwargs)
        finally:
            self.load.absences.forget(ids)

    def _backfill_roster(self) -> None:
        """Entries for the nominations of a store written before the roster existed, in
        declaration order (safe beside live commands: an entry never replaces a newer one)."""
        topics, start = [get_topic(Nomination.Declared)], 1
        while batch := self.recorder.select_notifications(start, BACKFILL_BATCH, topics=topics):
            ids = [str(n.originator_id) for n in batch]
            self.roster.backfill([RosterEntry.of(n) for n in self.load.rebuilt_nominations(ids)])
            start = batch[-1].id + 1
        self.roster.backfill([], done=True)

    # --- loading -------------------------------------------------------------------------------

    def get_unit(self, code: str, *, for_update: bool = False) -> Unit:
        """``for_update``: a private copy to change; otherwise the shared cached object (read only)."""
        return self.load.get_unit(code, for_update=for_update)

    def unit_exists(self, code: str) -> bool:
        return self.load.unit_exists(code)

    def get_campaign(self, campaign_id: UUID | str, *, for_update: bool = False) -> Campaign:
        return self.load.get_campaign(campaign_id, for_update=for_update)

    def get_nomination(self, nomination_id: UUID | str, *, version: int | None = None) -> Nomination:
        return self.load.get_nomination(nomination_id, version=version)

    def list_campaigns(self) -> list[dict[str, Any]]:
        return self.load.list_campaigns()

    # --- the one write path --------------------------------------------------------------------

    def execute(
        self,
        command: Command,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Runs ``command`` as ``actor`` at ``at`` (default: the clock) and answers with its
        result, ``replayed`` saying whether it is the first run's answer to a repeated
        ``idempotency_key``. Decides on fresh aggregates and saves them with the receipt in one
        transaction; a conflict re-decides (with jitter) unless ``expected_version`` was given,
        which a conflict makes stale."""
        at = (at or self.clock()).astimezone(UTC)
        handler = HANDLERS[type(command)]
        if (check := CHECKS.get(type(command))) is not None:
            check(command, actor)
        fields = command_fields(command)
        check_text(fields, idempotency_key)
        name = command.command
        fp = fingerprint(name, fields)
        if idempotency_key and (first := self._replay(idempotency_key, name, fp)) is not None:
            return first
        kept = KeptContacts(self.collaborators)  # personal data an attempt kept (issue 24)
        ctx = Context(
            actor, at, expected_version, self.load, self.queries, self.roster, kept.collaborators
        )
        for attempt in range(MAX_ATTEMPTS):
            try:
                decision = handler(command, replace(ctx, attempt=attempt))
            except StaleReadError:
                kept.forget()
                if expected_version is not None or attempt == MAX_ATTEMPTS - 1:
                    raise self._conflict(name) from None
                self._back_off(attempt)
                continue
            except DomainError:
                kept.forget()
                # A repeat that raced the first run re-decides on the state the first one made
                # (e.g. "already declared"): it must answer with the first result.
                if idempotency_key and (first := self._replay(idempotency_key, name, fp)) is not None:
                    return first
                raise
            result = jsonable(dict(decision.result))
            aggregates = [*decision.save]
            if idempotency_key:
                aggregates.append(CommandReceipt.record(idempotency_key, name, fp, result, at))
            try:
                self._save_or_forget(kept, aggregates)
            except IntegrityError:
                if idempotency_key and (first := self._replay(idempotency_key, name, fp)) is not None:
                    return first
                versioned = expected_version is not None and not decision.rechecks_version
                if versioned or attempt == MAX_ATTEMPTS - 1:
                    raise self._conflict(name) from None
                self._back_off(attempt)
                continue
            answer: dict[str, Any] = dict(result, replayed=False, **decision.shown_once)
            if decision.then is not None:
                answer.update(jsonable(dict(decision.then(self._follow_up(actor, at)))))
            return answer
        raise AssertionError("unreachable")

    def _save_or_forget(self, kept: KeptContacts, aggregates: list[Any]) -> None:
        """Saves an attempt's decision; a save that did not land (a conflict re-decides) takes
        back the contact details the attempt kept in the vault, which no event points to. An
        error raised once the events are in (a snapshot written after the commit) keeps them:
        the saved events point at them."""
        try:
            self.save(*aggregates)
        except IntegrityError:  # a conflict: the transaction wrote nothing
            kept.forget()
            raise
        except BaseException:
            if not self._landed(aggregates):
                kept.forget()
            raise

    def _landed(self, aggregates: list[Any]) -> bool:
        """Whether the first aggregate's newest version is in the store (a failed save leaves
        none of its events: they are written in one transaction; a version another writer took
        meanwhile counts as landed: the details then stay, orphaned, rather than lost)."""
        first = next((a for a in aggregates if isinstance(a, Aggregate)), None)
        if first is None:
            return False
        try:
            stored = self.recorder.select_events(first.id, gt=first.version - 1, lte=first.version)
        except Exception:  # the store unreachable: cannot tell, keep the details (orphan, not loss)
            return True
        return bool(stored)

    def decide(
        self,
        command: Command,
        actor: Actor,
        *,
        at: datetime | None = None,
        idempotency_key: str | None = None,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """What ``execute`` would answer now, or its refusal, saving nothing: for a use case
        with work outside the store (an evidence file's bytes) that should be done only once
        the command would be accepted. ``execute`` still decides again when it runs; an
        ``idempotency_key`` already used for this kind of command answers with the first run's
        result (``execute`` then holds the repeat to the first run's fields)."""
        at = (at or self.clock()).astimezone(UTC)
        if (check := CHECKS.get(type(command))) is not None:
            check(command, actor)
        check_text(command_fields(command), idempotency_key)
        receipt = self.load.receipt(idempotency_key) if idempotency_key else None
        if receipt is not None and receipt.command == command.command:
            return dict(receipt.result, replayed=True)
        ctx = Context(
            actor, at, expected_version, self.load, self.queries, self.roster, self.collaborators
        )
        decision = HANDLERS[type(command)](command, ctx)
        answer: dict[str, Any] = jsonable(dict(decision.result))
        return answer

    @staticmethod
    def _conflict(command: str) -> ConcurrencyConflictError:
        return ConcurrencyConflictError(
            "another command changed this record first; reload and retry",
            "该记录已被其他操作修改，请刷新后重试",
            command=command,
        )

    @staticmethod
    def _back_off(attempt: int) -> None:
        time.sleep(random.uniform(0, 0.005 * (2**attempt)))

    def _follow_up(self, actor: Actor, at: datetime) -> FollowUp:
        def follow(command: Command, *, idempotency_key: str | None = None) -> dict[str, Any]:
            return self.execute(command, actor, at=at, idempotency_key=idempotency_key)

        return follow

    def _replay(self, key: str, command: str, fp: str) -> dict[str, Any] | None:
        """The first result of the command sent with ``key``; None when there is none yet."""
        receipt = self.load.receipt(key)
        if receipt is None:
            return None
        if receipt.command != command or receipt.fingerprint != fp:
            raise IdempotencyKeyReusedError(
                [
                    RuleFailure(
                        "idempotency_key_reused",
                        f"idempotency key '{key}' was first used for a different "
                        f"{receipt.command} command",
                        f"幂等键「{key}」已用于另一条不同的命令",
                        "Idempotency-Key",
                    )
                ]
            )
        return dict(receipt.result, replayed=True)
