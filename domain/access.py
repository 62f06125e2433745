"""Bearer tokens (stored hashed): a role and a unit. The secret is shown once, at issue;
the store keeps only its SHA-256, and the token's aggregate id derives from that hash, so
a presented secret is looked up without a scan."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, Role
from domain.ids import LAUREL_NAMESPACE

TOKEN_PREFIX = "lrl_"
ISSUABLE_ROLES = (Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR, Role.AUDITOR)


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_uuid(hashed: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"token:{hashed}")


class AccessToken(Aggregate):
    class Issued(Aggregate.Created):
        token_id: str
        secret_sha256: str
        role: str
        unit_id: str | None
        label: str
        actor: dict[str, Any]

    class Revoked(Aggregate.Event):
        actor: dict[str, Any]

        def apply(self, aggregate: AccessToken) -> None:
            aggregate.active = False

    def __init__(self, token_id: str, secret_sha256: str, role: str, unit_id: str | None, label: str, actor: dict[str, Any]) -> None:
        self.token_id = token_id
        self.secret_sha256 = secret_sha256
        self.role = role
        self.unit_id = unit_id
        self.label = label
        self.issued_by = actor
        self.active = True

    @classmethod
    def issue(cls, secret: str, role: str, unit_id: str | None, label: str, actor: dict[str, Any], at: datetime) -> AccessToken:
        hashed = secret_hash(secret)
        token_id = "tok_" + hashed[:16]
        return cls._create(cls.Issued, id=token_uuid(hashed), timestamp=at, token_id=token_id, secret_sha256=hashed, role=role, unit_id=unit_id, label=label, actor=actor)

    def as_actor(self) -> Actor:
        return Actor(token_id=self.token_id, role=self.role, unit_id=self.unit_id)
