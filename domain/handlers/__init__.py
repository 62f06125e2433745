"""One handler per command, by slice; ``HANDLERS`` maps each command type to its handler
(``Laurel.execute`` looks it up), ``CHECKS`` the few commands with a check that comes first."""

from __future__ import annotations

from domain.commands import Command
from domain.handlers import (
    access,
    activity,
    campaigns,
    commendation,
    contacts,
    corrections,
    duties,
    evidence,
    nominations,
    publicity,
    schedule,
    teams,
    units,
    webhooks,
)
from domain.handlers.context import Check, Handler

SLICES = (
    units,
    campaigns,
    nominations,
    commendation,
    schedule,
    access,
    activity,
    webhooks,
    duties,
    evidence,
    teams,  # inspection teams, recusal, normalisation (issue 22, items 1-3)
    corrections,  # corrections and appeals (issue 23, items 3-4)
    publicity,  # 公示 and objections (issue 23, items 1-2)
    contacts,  # a unit's contacts (issue 24, item 1)
)
HANDLERS: dict[type[Command], Handler] = {
    command: handler for slice_ in SLICES for command, handler in slice_.HANDLERS.items()
}
CHECKS: dict[type[Command], Check] = dict(webhooks.CHECKS)
