"""Who did it: every event records its actor (token id, role, unit) as an ``Actor`` value.

Events stored before the actor was a value kept it as a plain dict; ``upcast_actor`` turns
that dict into an ``Actor`` when such an event is read (each aggregate's event base class
calls it from ``upcast_v1_v2``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.vocabulary import Role

__all__ = ["SYSTEM", "Actor", "Role", "upcast_actor"]  # Role: still imported from here by callers


@dataclass(frozen=True)
class Actor:
    token_id: str
    role: Role
    unit_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a code given (or read back) as text

    def as_dict(self) -> dict[str, str | None]:
        """The actor as a plain JSON object (webhook payloads, the audit export, history)."""
        return {"token_id": self.token_id, "role": str(self.role), "unit_id": self.unit_id}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Actor:
        unit_id = data.get("unit_id")
        return cls(
            token_id=str(data["token_id"]),
            role=Role(data["role"]),
            unit_id=None if unit_id is None else str(unit_id),
        )


SYSTEM = Actor(token_id="system", role=Role.SYSTEM, unit_id=None)


def upcast_actor(state: dict[str, Any], key: str = "actor") -> None:
    """A version-1 event's ``state[key]`` (a dict, or absent) as an ``Actor``."""
    actor = state.get(key)
    if isinstance(actor, dict):
        state[key] = Actor.from_dict(actor)
