"""The state a nomination is in after each of its events (the states of docs/concepts.md)."""

from __future__ import annotations

from typing import Any

from domain.nominations import Nomination

_STATE_AFTER: dict[type, str] = {
    Nomination.Declared: "declared",
    Nomination.Inspected: "inspected",
    Nomination.Commended: "commended",
    Nomination.Withdrawn: "withdrawn",
    Nomination.Lapsed: "lapsed",
    Nomination.Revoked: "revoked",
    Nomination.Forwarded: "forwarded",
}


def state_after(event: Any, previous: str | None) -> str | None:
    """``previous`` when the event does not move the state (a re-inspection falling due, say)."""
    return state_after_kind(type(event), previous, getattr(event, "decision", None))


def state_after_kind(cls: type, previous: str | None, decision: str | None = None) -> str | None:
    """The same from the event's class (and a pre-review's decision, which decides), for a
    reader that has not decoded the event."""
    if issubclass(cls, Nomination.PreReviewed):
        return "admitted" if decision == "admit" else "rejected"
    return _STATE_AFTER.get(cls, previous)
