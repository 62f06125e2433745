"""What a handler gets (the command and a ``Context``) and what it returns (a ``Decision``).

A handler loads what it needs, decides through the aggregates and says what to save; it saves
nothing itself. ``Laurel.execute`` runs it, perhaps several times (it re-decides on fresh
aggregates after a conflict), so a handler has no effect outside the aggregates it returns
other than keeping a new secret in the vault."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.domain import Aggregate

from domain.actors import Actor
from domain.commands import Command
from domain.contacts import ContactVault
from domain.execution import Loader
from domain.queries import Queries
from domain.roster import Roster
from domain.rules.tokens import TokenPolicy
from domain.webhooks import SecretVault
from domain.working_days import HolidayCalendar

UrlGuard = Callable[[str], None]
"""Raises ``WebhookInvalidError`` for a URL whose addresses are refused (it resolves names,
which the domain does not do: the composition root wires one)."""


class FollowUp(Protocol):
    """Runs one more command as the same actor at the same instant, in its own transaction."""

    def __call__(self, command: Command, *, idempotency_key: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Decision:
    """What to save (in one transaction) and what to answer.

    ``shown_once``: answered with the first run only, never kept in a receipt (a new secret).
    ``then``: a multi-step use case's next steps, run after the save (not on a replay) as
    follow-up commands; what it returns joins the answer."""

    save: Sequence[Aggregate]
    result: Mapping[str, Any]
    shown_once: Mapping[str, Any] = field(default_factory=dict)
    then: Callable[[FollowUp], Mapping[str, Any]] | None = None
    # 公示 (issue 23): the handler checks ``expected_version`` on a fresh load at every attempt
    # (``check_version``), so a conflict on another aggregate it saves (the campaign's
    # objection index) re-decides instead of answering a spurious 409.
    rechecks_version: bool = False


def no_guard(url: str) -> None:
    """Accepts every URL (unit tests, where nothing is delivered)."""


@dataclass(frozen=True)
class Collaborators:
    """What the composition root wires in: the webhook URL guard, where webhook signing
    secrets are kept, and how long tokens live."""

    url_guard: UrlGuard = no_guard
    secret_vault: SecretVault | None = None
    token_policy: TokenPolicy = field(default_factory=TokenPolicy)
    # 公示 periods count working days in it (LAUREL_HOLIDAY_CALENDAR; None: the shipped one).
    holiday_calendar: HolidayCalendar | None = None
    # contacts' personal data (issue 24), beside the event store like the webhook secrets
    contact_vault: ContactVault | None = None

    def vault(self) -> SecretVault:
        """The wired vault; none is a wiring error (a secret kept in memory would be lost with
        the process while its reference stays in the events), so it fails loudly."""
        if self.secret_vault is None:
            raise RuntimeError(
                "no webhook secret vault is wired: the composition root (infra.bootstrap) "
                "passes one to Laurel(secret_vault=...); unit tests pass domain.webhooks.MemoryVault"
            )
        return self.secret_vault

    def contacts(self) -> ContactVault:
        """The wired contact vault; none is a wiring error (details kept in memory would be
        lost with the process while their reference stays in the events)."""
        if self.contact_vault is None:
            raise RuntimeError(
                "no contact vault is wired: the composition root (infra.bootstrap) passes one to "
                "Laurel(contact_vault=...); unit tests pass domain.contacts.MemoryContactVault"
            )
        return self.contact_vault


@dataclass(frozen=True)
class Context:
    actor: Actor
    at: datetime  # the instant the command takes effect (UTC)
    expected_version: int | None  # of the aggregate the command is about, when the sender names one
    load: Loader
    queries: Queries  # reads across aggregates (a unit's subtree, activity-day eligibility)
    roster: Roster  # the campaigns' nominations, as committed when each read runs
    collaborators: Collaborators
    attempt: int = 0  # 0 the first time; more when the command decides again after a conflict


Handler = Callable[[Any, Context], Decision]
Check = Callable[[Any, Actor], None]
"""A check that needs no state, run before anything else (text, receipts, loading): who may
send the command and what its fields must be, where that answer comes first."""
