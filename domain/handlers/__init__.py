"""One handler per command, by slice; ``HANDLERS`` maps each command type to its handler
(``Laurel.execute`` looks it up), ``CHECKS`` the few commands with a check that comes first."""

from __future__ import annotations

from domain.commands import Command
from domain.handlers import (
    access,
    activity,
    campaigns,
    commendation,
    duties,
    nominations,
    schedule,
    units,
    webhooks,
)
from domain.handlers.context import Check, Handler

SLICES = (units, campaigns, nominations, commendation, schedule, access, activity, webhooks, duties)
HANDLERS: dict[type[Command], Handler] = {
    command: handler for slice_ in SLICES for command, handler in slice_.HANDLERS.items()
}
CHECKS: dict[type[Command], Check] = dict(webhooks.CHECKS)
