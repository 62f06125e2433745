"""The state a nomination is in after each of its events (the states of DESIGN.md)."""

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
    if isinstance(event, Nomination.PreReviewed):
        return "admitted" if event.decision == "admit" else "rejected"
    return _STATE_AFTER.get(type(event), previous)


def state_after_kind(cls: type, previous: str | None) -> str | None:
    """The same from the event's class alone, for every class but ``PreReviewed`` (whose
    decision decides)."""
    assert cls is not Nomination.PreReviewed, "a pre-review's state depends on its decision"
    return _STATE_AFTER.get(cls, previous)
