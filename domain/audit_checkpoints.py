"""The audit trail's anchor: every signed checkpoint of its hash chain, one stream with a fixed
id, so that every checkpoint ever signed is read with one indexed query. Each checkpoint is an
event (``audit.checkpoint_signed``): the webhook dispatcher delivers it and the audit export
carries it, so an auditor can keep copies outside Laurel. Signing and verifying happen in
``projections/checkpoints.py``; this aggregate only records what was signed, once per
position and key."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.actors import Actor, upcast_actor
from domain.errors import ConcurrencyConflictError, ConflictError
from domain.ids import LAUREL_NAMESPACE

AUDIT_ID = uuid5(LAUREL_NAMESPACE, "audit-checkpoints")
MAX_ATTEMPTS = 8


class AuditChainBrokenError(ConflictError):
    """The audit chain no longer matches the stored events: nothing is signed over it."""

    code = "audit-chain-broken"


class NothingToCheckpointError(ConflictError):
    """No chain to sign yet (an empty log), or no key to sign it with."""

    code = "audit-checkpoint-unavailable"


class Audit(Aggregate):
    class Event(Aggregate.Event):
        """Version 2 events carry the actor as an ``Actor``; version 1 kept a dict."""

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            upcast_actor(state)

    class Opened(Event, Aggregate.Created):
        pass

    class CheckpointSigned(Event):
        position: int
        hash: str
        signed_at: str  # as signed (projections.projection.instant): the signature covers this text
        key_id: str
        public_key: str
        signature: str
        actor: Actor

        def apply(self, aggregate: Audit) -> None:
            aggregate.signed[(self.key_id, self.position)] = self.hash

    def __init__(self) -> None:
        self.signed: dict[tuple[str, int], str] = {}

    @classmethod
    def open(cls, at: datetime) -> Audit:
        return cls._create(cls.Opened, id=AUDIT_ID, timestamp=at)

    def sign(self, checkpoint: dict[str, Any], actor: Actor, at: datetime) -> bool:
        """Records the checkpoint unless this key signed that position already."""
        if (checkpoint["key_id"], checkpoint["position"]) in self.signed:
            return False
        self.trigger_event(self.CheckpointSigned, timestamp=at, actor=actor, **checkpoint)
        return True


def record_checkpoint(
    app: Application[UUID], checkpoint: dict[str, Any], actor: Actor, at: datetime
) -> bool:
    """Saves the checkpoint (False: it was there already). Two signers at once: the second
    reloads and finds it, or appends after it."""
    for _attempt in range(MAX_ATTEMPTS):
        audit: Audit
        try:
            audit = app.repository.get(AUDIT_ID)
        except AggregateNotFoundError:
            audit = Audit.open(at)
        if not audit.sign(checkpoint, actor, at):
            return False
        try:
            app.save(audit)
        except IntegrityError:
            continue
        return True
    raise ConcurrencyConflictError(
        "the checkpoint stream kept changing; try again", "检查点记录持续变化，请重试"
    )
