"""Who did it: every event records its actor (token id, role, unit)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DECLARER = "declarer"
    REVIEWER = "reviewer"
    INSPECTOR = "inspector"
    AUDITOR = "auditor"
    SYSTEM = "system"  # Temporal workflows and other automation


@dataclass(frozen=True)
class Actor:
    token_id: str
    role: str
    unit_id: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"token_id": self.token_id, "role": self.role, "unit_id": self.unit_id}

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Actor:
        return cls(token_id=str(data["token_id"]), role=str(data["role"]), unit_id=data.get("unit_id"))


SYSTEM = Actor(token_id="system", role=Role.SYSTEM.value, unit_id=None)
