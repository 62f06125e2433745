"""Bearer tokens (stored hashed): a role, a unit and a lifetime. The secret is shown once, at
issue; the store keeps only its SHA-256, and the token's aggregate id derives from that hash,
so a presented secret is looked up without a scan. The token directory maps the public token
id (``tok_…``) to that aggregate, so a token can be listed and revoked by its id.

A token may carry the person it was issued to (``contact_id``, a contact of its unit, issue
24): its notices then reach that person. Once the contact is removed, the token's notices go
to the token itself again (``ContactReads.recipients_of``)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.actors import Actor, upcast_actor
from domain.ids import LAUREL_NAMESPACE
from domain.vocabulary import Role

TOKEN_PREFIX = "lrl_"
ISSUABLE_ROLES = (Role.ADMIN, Role.DECLARER, Role.REVIEWER, Role.INSPECTOR, Role.AUDITOR)
TOKEN_DIRECTORY_ID = uuid5(LAUREL_NAMESPACE, "token-directory")


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_uuid(hashed: str) -> UUID:
    return uuid5(LAUREL_NAMESPACE, f"token:{hashed}")


class AccessToken(Aggregate):
    contact_id: str | None = None  # a token loaded from a snapshot taken before contacts

    class Issued(Aggregate.Created):
        class_version = 4

        token_id: str
        secret_sha256: str
        role: Role
        unit_id: str | None
        label: str
        actor: Actor
        expires_at: datetime | None
        contact_id: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["expires_at"] = None  # tokens issued before lifetimes existed never expire

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            upcast_actor(state)  # version 2 kept the actor as a dict

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state["contact_id"] = None  # tokens issued before contacts existed carry no person

    class Revoked(Aggregate.Event):
        class_version = 3

        actor: Actor
        reason: str

        def apply(self, aggregate: AccessToken) -> None:
            aggregate.active = False
            aggregate.revocation = {"at": self.timestamp, "by": self.actor, "reason": self.reason}

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reason"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            upcast_actor(state)  # version 2 kept the actor as a dict

    def __init__(
        self,
        token_id: str,
        secret_sha256: str,
        role: Role,
        unit_id: str | None,
        label: str,
        actor: Actor,
        expires_at: datetime | None,
        contact_id: str | None = None,
    ) -> None:
        self.token_id = token_id
        self.secret_sha256 = secret_sha256
        self.role = Role(role)
        self.unit_id = unit_id
        self.label = label
        self.issued_by = actor
        self.expires_at = expires_at
        self.contact_id = contact_id
        self.active = True
        self.revocation: dict[str, Any] | None = None

    @classmethod
    def issue(
        cls,
        secret: str,
        role: Role,
        unit_id: str | None,
        label: str,
        actor: Actor,
        at: datetime,
        expires_at: datetime | None,
        contact_id: str | None = None,
    ) -> AccessToken:
        hashed = secret_hash(secret)
        token_id = "tok_" + hashed[:16]
        return cls._create(
            cls.Issued,
            id=token_uuid(hashed),
            timestamp=at,
            token_id=token_id,
            secret_sha256=hashed,
            role=role,
            unit_id=unit_id,
            label=label,
            actor=actor,
            expires_at=expires_at,
            contact_id=contact_id,
        )

    def revoke(self, reason: str, actor: Actor, at: datetime) -> bool:
        """False when it was revoked already (a repeat changes nothing)."""
        if not self.active:
            return False
        self.trigger_event(self.Revoked, timestamp=at, actor=actor, reason=reason)
        return True

    def valid_at(self, moment: datetime) -> bool:
        return self.active and (self.expires_at is None or moment < self.expires_at)

    def as_actor(self) -> Actor:
        return Actor(token_id=self.token_id, role=self.role, unit_id=self.unit_id)

    def public(self) -> dict[str, Any]:
        """What a token list shows: never the secret or its hash."""
        return {
            "id": self.token_id,
            "role": self.role,
            "unit_id": self.unit_id,
            "label": self.label,
            "created_at": self.created_on,
            "created_by": self.issued_by.token_id,
            "expires_at": self.expires_at,
            "contact_id": self.contact_id,
            "revoked": not self.active,
            "revoked_at": self.revocation["at"] if self.revocation else None,
            "revoked_by": self.revocation["by"].token_id if self.revocation else None,
            "revocation_reason": self.revocation["reason"] if self.revocation else None,
        }


class TokenDirectory(Aggregate):
    """Every issued token's public id -> its aggregate id, with the unit (to list a subtree's
    tokens without loading the others). Saved in the transaction that issues the token."""

    class Opened(Aggregate.Created):
        pass

    class Listed(Aggregate.Event):
        token_id: str
        token_uuid: UUID
        unit_id: str | None

        def apply(self, aggregate: TokenDirectory) -> None:
            aggregate.entries[self.token_id] = {"uuid": self.token_uuid, "unit_id": self.unit_id}

    def __init__(self) -> None:
        self.entries: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, at: datetime) -> TokenDirectory:
        return cls._create(cls.Opened, id=TOKEN_DIRECTORY_ID, timestamp=at)

    def list_token(self, token: AccessToken, at: datetime) -> None:
        if token.token_id not in self.entries:
            self.trigger_event(
                self.Listed,
                timestamp=at,
                token_id=token.token_id,
                token_uuid=token.id,
                unit_id=token.unit_id,
            )
