"""Reading the audit log: pages of entries (the whole log, or a unit's subtree), the JSONL
export, and verification — of the chain against the stored events and the signed checkpoints
in place, or of an exported file against kept checkpoints with no database at all."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import structlog

from domain.evidence import logged_files
from domain.history import event_actor, event_data
from domain.ids import unit_uuid
from projections.audit import GENESIS, HEAD, LOG, SUBJECT, AuditEntry, chain
from projections.checkpoints import Anchoring, Checkpoint, CheckpointContradictedError
from projections.projection import from_instant
from projections.store import ViewStore

log = structlog.get_logger("laurel.audit")


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    head: str
    first_bad_position: int | None = None
    problem: str | None = None
    pending: int = 0
    checkpoints: int = 0  # signed checkpoints the chain was compared with
    contradicted: dict[str, Any] | None = None  # the first signed checkpoint the chain contradicts
    invalid_checkpoints: tuple[
        dict[str, Any], ...
    ] = ()  # checkpoints whose signature cannot be relied on

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__, invalid_checkpoints=list(self.invalid_checkpoints))


class Walk:
    """The chain recomputed position by position, held to the checkpoints on the way."""

    def __init__(self, anchors: Anchoring, after: int = 0, previous: str = GENESIS) -> None:
        self.anchors, self.checked, self.previous = anchors, after, previous
        self.contradiction: CheckpointContradictedError | None = None

    def fail(
        self, position: int | None, problem: str, contradicted: Checkpoint | None = None
    ) -> Verification:
        agreed = {"agreed_until": self.anchors.agreed} if contradicted else {}
        return Verification(
            False,
            self.checked,
            self.previous,
            position,
            problem,
            0,
            self.anchors.compared,
            dict(contradicted.public(), **agreed) if contradicted else None,
            tuple(self.anchors.invalid_public()),
        )

    def step(
        self, position: int, digest: str, recorded: str, what: str = "the stored event"
    ) -> Verification | None:
        if position != self.checked + 1:
            return self.fail(
                self.checked + 1,
                f"position {self.checked + 1} is missing from the log / "
                f"审计日志缺少第 {self.checked + 1} 条",
            )
        if digest != recorded:
            return self.fail(
                position,
                f"{what} at position {position} no longer matches its hash / "
                f"第 {position} 条事件与其哈希不符（已被篡改）",
            )
        return self.extend(position, digest)

    def extend(self, position: int, digest: str) -> Verification | None:
        """The next position's hash, held to the checkpoints only (no recorded hash to compare)."""
        signed = self.anchors.contradicted(position, digest)
        if signed is not None:
            self.contradiction = CheckpointContradictedError(signed, digest, self.anchors.agreed)
            return self.fail(None, str(self.contradiction), signed)
        self.previous, self.checked = digest, position
        return None

    def replay(self, store: ViewStore, after_notification: int, page: int = 2000) -> Verification | None:
        """Goes on over the stored events after ``after_notification`` as the audit projection
        would chain them, up to the last checkpoint: a chain that is not (yet) logged is held
        to the checkpoints too (before a rebuild; past a halted projection)."""
        while self.checked < self.anchors.last() and (
            notifications := store.log(after_notification + 1, page)
        ):
            for notification in notifications:
                failed = self.extend(
                    self.checked + 1, chain(self.previous, self.checked + 1, notification)
                )
                if failed is not None or self.checked >= self.anchors.last():
                    return failed
            after_notification = notifications[-1].id
        return None

    def finish(self, end: int, pending: int = 0) -> Verification:
        """Checkpoints past ``end`` (every stored event) mean events were removed from the end
        of the log; a checkpoint with a bad signature fails the check too."""
        beyond = sorted(
            (c for p, found in self.anchors.at.items() if p > end for c in found),
            key=lambda c: c.position,
        )
        if beyond:
            problem = (
                f"the log ends at position {end} but {beyond[0].described()} covers more: "
                f"events were removed / 日志止于第 {end} 条，"
                f"但签名检查点覆盖到第 {beyond[0].position} 条：有事件被删除"
            )
            return self.fail(end + 1, problem, beyond[0])
        invalid = self.anchors.invalid_public()
        invalid_problem = (
            f"the checkpoint at position {invalid[0]['position']}: {invalid[0]['problem']}"
            if invalid
            else None
        )
        return Verification(
            not invalid,
            self.checked,
            self.previous,
            None,
            invalid_problem,
            pending,
            self.anchors.compared,
            None,
            tuple(invalid),
        )


def record_canonical(record: dict[str, Any]) -> str:
    """``canonical(n)`` of an exported record, as an auditor recomputes it (docs/audit.md)."""
    fields = {
        "position": record["position"],
        "originator_id": record["subject"],
        "originator_version": record["version"],
        "topic": record["topic"],
        "state_sha256": hashlib.sha256(record["state"].encode()).hexdigest(),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def verify_records(records: Iterable[dict[str, Any]], anchors: Anchoring) -> Verification:
    """An exported log (``export``'s records) recomputed from its own lines and held to the
    checkpoints: needs no database."""
    walk = Walk(anchors)
    for record in records:
        position = record.get("position")
        if not isinstance(position, int):
            return walk.fail(
                walk.checked + 1,
                f"a line after position {walk.checked} has no position / "
                f"第 {walk.checked} 条之后的记录缺少位置",
            )
        if record.get("prev_hash") != walk.previous:
            return walk.fail(
                position,
                f"the record at position {position} does not follow the one before it / "
                f"第 {position} 条记录与前一条不衔接",
            )
        if not isinstance(record.get("state"), str) or not isinstance(record.get("topic"), str):
            return walk.fail(
                position,
                f"the stored event at position {position} was gone when the log was exported / "
                f"导出时第 {position} 条事件已不存在",
            )
        failed = walk.step(
            position,
            hashlib.sha256((walk.previous + record_canonical(record)).encode()).hexdigest(),
            str(record.get("hash")),
            "the exported record",
        )
        if failed is not None:
            return failed
    return walk.finish(walk.checked)


class AuditReader:
    def __init__(self, store: ViewStore, mapper: Any, suffix: str = "") -> None:
        self.store, self.mapper, self.suffix = store, mapper, suffix
        self.log = store.table(LOG, suffix)

    def _page(
        self, after: int, limit: int, scope: str | None = None, upto: int | None = None
    ) -> list[tuple[dict[str, Any], Any]]:
        """Log rows after ``after`` (within a unit's ``scope`` path, up to ``upto``) with their
        stored events (``None`` where the event is gone)."""
        where = ["position > ?"]
        params: list[int | str] = [after]
        if scope is not None:
            where.append("substr(scope, 1, ?) = ?")
            params += [len(scope), scope]
        if upto is not None:
            where.append("position <= ?")
            params.append(upto)
        rows = self.store.rows(
            f"SELECT * FROM {self.log} WHERE {' AND '.join(where)} ORDER BY position LIMIT ?",
            [*params, limit],
        )
        if not rows:
            return []
        ids = [r["notification_id"] for r in rows]
        first, last = ids[0], ids[-1]
        if last - first < 2 * len(rows):  # dense: one range read
            notifications = self.store.recorder.select_notifications(
                first, max(len(rows), last - first + 1), stop=last
            )
        else:  # a subtree's entries are sparse in a long log
            notifications = self.store.notifications(ids)
        found = {n.id: n for n in notifications}
        return [(r, found.get(r["notification_id"])) for r in rows]

    def entry(self, row: dict[str, Any], notification: Any) -> AuditEntry:
        try:
            event = self.mapper.to_domain_event(notification)
            actor, data = event_actor(event), event_data(event)
        except Exception as exc:
            log.warning(
                "a logged event cannot be decoded", position=row["position"], error=type(exc).__name__
            )
            actor, data = None, {}
        return AuditEntry(
            position=row["position"],
            event_id=row["event_id"],
            type=row["type"],
            aggregate=row["aggregate"],
            subject=row["subject"],
            version=row["version"],
            campaign_id=row["campaign_id"],
            category=row["category"],
            state=row["state"],
            occurred_at=from_instant(row["occurred_at"]),  # type: ignore[arg-type]
            actor=actor,
            data=data,
            hash=row["hash"],
            notification_id=row["notification_id"],
        )

    def entries(self, after: int = 0, limit: int = 100, scope: str | None = None) -> list[AuditEntry]:
        return [self.entry(row, n) for row, n in self._page(after, limit, scope) if n is not None]

    def scope_of(self, unit_id: str) -> str | None:
        """The path of a unit as the log knows it (its subtree is what a token of it reads)."""
        scope: str | None = self.store.scalar(
            f"SELECT scope FROM {self.store.table(SUBJECT, self.suffix)} WHERE subject = ?",
            (str(unit_uuid(unit_id)),),
        )
        return scope

    def of_subject(self, subject: str) -> dict[int, tuple[int, str]]:
        """An aggregate's events by version -> (position, hash)."""
        rows = self.store.rows(
            f"SELECT version, position, hash FROM {self.log} WHERE subject = ?", (subject,)
        )
        return {r["version"]: (r["position"], r["hash"]) for r in rows}

    def last_position(self) -> int:
        return int(self.store.scalar(f"SELECT MAX(position) FROM {self.log}") or 0)

    def head(self) -> tuple[int, str]:
        found = self.store.rows(
            f"SELECT position, hash FROM {self.store.table(HEAD, self.suffix)} WHERE chain = 'main'"
        )
        return (int(found[0]["position"]), found[0]["hash"]) if found else (0, GENESIS)

    def hash_at(self, position: int) -> str | None:
        return (
            GENESIS
            if position == 0
            else self.store.scalar(f"SELECT hash FROM {self.log} WHERE position = ?", (position,))
        )

    def export(self, page: int = 1000) -> Iterator[dict[str, Any]]:
        """Every logged event with what its hash covers (the stored state as text) and its data."""
        after, previous = 0, GENESIS
        while batch := self._page(after, page):
            for row, notification in batch:
                record = {
                    "position": row["position"],
                    "event_id": row["event_id"],
                    "type": row["type"],
                    "subject": row["subject"],
                    "version": row["version"],
                    "occurred_at": row["occurred_at"],
                    "prev_hash": previous,
                    "hash": row["hash"],
                }
                if notification is not None:
                    record.update(
                        topic=notification.topic,
                        state=bytes(notification.state).decode("utf-8", "replace"),
                        data=self.entry(row, notification).data,
                    )
                    if files := logged_files(row["type"], record["data"]):
                        record["files"] = files  # evidence blobs by SHA-256 (audit verify --files)
                previous = row["hash"]
                yield record
            after = batch[-1][0]["position"]

    def verify(
        self,
        anchors: Anchoring | None = None,
        *,
        after: int = 0,
        previous: str = GENESIS,
        upto: int | None = None,
        page: int = 2000,
    ) -> Verification:
        """Recomputes the chain from the stored events, held to the signed checkpoints; names
        the first position that breaks. ``after``/``previous``/``upto``: a stretch of it only
        (what a new checkpoint is signed over), without the checks of the whole log."""
        walk = Walk(anchors or Anchoring((), None), after, previous)
        while batch := self._page(walk.checked, page, upto=upto):
            for row, notification in batch:
                position = row["position"]
                if notification is None and position == walk.checked + 1:
                    return walk.fail(
                        position,
                        f"the stored event at position {position} is gone / "
                        f"第 {position} 条事件已被删除",
                    )
                if notification is not None and (
                    row["notification_id"] is None
                    or str(notification.originator_id) != row["subject"]
                    or notification.originator_version != row["version"]
                ):
                    return walk.fail(
                        position,
                        f"the stored event at position {position} was replaced / "
                        f"第 {position} 条事件已被替换",
                    )
                failed = walk.step(
                    position,
                    chain(walk.previous, position, notification) if notification is not None else "",
                    row["hash"],
                )
                if failed is not None:
                    return failed
        if upto is not None:
            if walk.checked < upto:
                return walk.fail(
                    walk.checked + 1,
                    f"position {walk.checked + 1} is missing from the log / "
                    f"审计日志缺少第 {walk.checked + 1} 条",
                )
            return Verification(True, walk.checked, walk.previous, checkpoints=walk.anchors.compared)
        last_logged = self.store.scalar(f"SELECT MAX(notification_id) FROM {self.log}") or 0
        covered = int(
            self.store.scalar(
                f"SELECT COUNT(*) FROM {self.store.events_table} "
                f"WHERE {self.store.notification_column} <= ?",
                (last_logged,),
            )
            or 0
        )
        if covered != walk.checked:  # a stored event the log passed over (or one slipped in later)
            return walk.fail(
                walk.checked + 1,
                f"{covered - walk.checked} stored event(s) up to the last logged one have no "
                f"position / {covered - walk.checked} 条事件未进入审计日志",
            )
        pending = int(
            self.store.scalar(
                f"SELECT COUNT(*) FROM {self.store.events_table} "
                f"WHERE {self.store.notification_column} > ?",
                (last_logged,),
            )
            or 0
        )
        ahead = Walk(
            walk.anchors, walk.checked, walk.previous
        )  # events not logged yet still meet the checkpoints
        failed = ahead.replay(self.store, last_logged)
        if failed is not None:
            return replace(failed, checked=walk.checked, head=walk.previous, pending=pending)
        return walk.finish(walk.checked + pending, pending)
