"""Where the audit chain is signed and held to its signatures.

A checkpoint is signed (with the injected ``Signer``: the composition root's key file) over a
chain this process has just recomputed from the stored events since the previous checkpoint of
the same key — never over whatever the view holds — at every multiple of ``every`` positions
the projection passes (checked after each catch-up) and on demand. Signing never fails a read:
a broken chain or a missing key is logged and the next multiple tries again. Before a rebuild
the stored events are replayed against every checkpoint (``preflight``): a log that no longer
reproduces one is refused before any table is touched."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import structlog

from domain.actors import SYSTEM, Actor
from domain.audit_checkpoints import AuditChainBrokenError, NothingToCheckpointError, record_checkpoint
from projections.audit import GENESIS
from projections.audit_reader import AuditReader, Walk
from projections.checkpoints import Anchoring, Checkpoint, CheckpointBook, Signer, Trust, b64
from projections.projection import instant
from projections.store import ViewStore

log = structlog.get_logger("laurel.audit")


class AuditAnchor:
    def __init__(
        self, app: Any, store: ViewStore, reader: AuditReader, signer: Signer | None, every: int
    ) -> None:
        self.app, self.store, self.reader, self.signer, self.every = app, store, reader, signer, every
        self.book = CheckpointBook(store, app.mapper, self.trusted)
        self._lock = threading.Lock()
        self._signed_through: int | None = (
            None  # the last multiple of ``every`` this process signed or saw signed
        )

    def own_key(self) -> str | None:
        return b64(self.signer.public_key()) if self.signer is not None else None

    def trusted(self, extra: Sequence[str] = ()) -> Trust:
        """This instance's key and the auditor's; with neither, each checkpoint's own key."""
        keys = {k for k in (self.own_key(), *extra) if k}
        return keys or None

    def anchoring(self, extra: Sequence[Checkpoint] = (), keys: Sequence[str] = ()) -> Anchoring:
        """Every stored checkpoint and the auditor's, each signature checked."""
        checkpoints = [*self.book.checkpoints(), *extra]
        return Anchoring(checkpoints, lambda: self.trusted(keys), eager=True)

    def preflight(self) -> None:
        """Raises ``CheckpointContradictedError`` when the stored events, chained from zero as a
        rebuild would chain them, contradict a signed checkpoint."""
        walk = Walk(Anchoring(self.book.checkpoints(), self.trusted, eager=True))
        walk.replay(self.store, 0)
        if walk.contradiction is not None:
            raise walk.contradiction

    def sign(self, actor: Actor, position: int | None = None) -> tuple[Checkpoint, bool]:
        """A checkpoint of the chain at ``position`` (default: its head); ``False`` when this key
        had signed that position already (the existing checkpoint is returned)."""
        if self.signer is None:
            raise NothingToCheckpointError("no signing key is configured", "未配置签名密钥")
        with self._lock:
            head, _ = self.reader.head()
            position = head if position is None else position
            if position <= 0:
                raise NothingToCheckpointError(
                    "the audit log is empty: nothing to sign yet", "审计日志为空，暂无可签名内容"
                )
            own = self.own_key()
            mine = sorted(
                (c for c in self.book.checkpoints() if c.public_key == own),
                key=lambda c: c.position,
                reverse=True,
            )
            existing = next((c for c in mine if c.position == position), None)
            if existing is not None:
                return existing, False
            assert own is not None  # a signer is configured
            base = next(
                (c for c in mine if c.position < position and c.signature_problem({own}) is None),
                None,
            )
            # From the last checkpoint of this key: a view whose hash there differs fails at the
            # next position.
            result = self.reader.verify(
                after=base.position if base else 0,
                previous=base.hash if base else GENESIS,
                upto=position,
            )
            if not result.ok:
                raise AuditChainBrokenError(
                    f"no checkpoint signed: {result.problem}",
                    f"未签名检查点：{result.problem}",
                    position=result.first_bad_position,
                )
            at = self.app.clock()
            checkpoint = Checkpoint.signed(self.signer, position, result.head, instant(at))
            record_checkpoint(self.app, checkpoint.public(), actor, at)
            log.info(
                "audit checkpoint signed",
                position=position,
                hash=checkpoint.hash,
                key_id=checkpoint.key_id,
            )
            return checkpoint, True

    def sign_when_due(self, budget: int | None = None) -> None:
        """After the projection moved: the last multiple of ``every`` it passed, unless signed.
        ``budget``: the most events a signature may recompute here (a read's catch-up); a
        longer stretch — the first checkpoint of a long log — is left to the runner process
        (``laurel projections run``) or to ``laurel audit checkpoint``."""
        if self.signer is None:
            return
        head, _ = self.reader.head()
        due = head // self.every * self.every
        if due == 0:
            return
        if self._signed_through is None:
            own = self.own_key()
            self._signed_through = max(
                (c.position for c in self.book.checkpoints() if c.public_key == own), default=0
            )
        if due <= self._signed_through or (budget is not None and due - self._signed_through > budget):
            return
        try:
            self.sign(SYSTEM, due)
        except Exception as exc:
            log.error(
                "audit checkpoint not signed", position=due, error=type(exc).__name__, message=str(exc)
            )
        self._signed_through = due
