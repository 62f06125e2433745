"""Signed checkpoints of the audit chain: (position, head hash, signed_at, key id, public key,
Ed25519 signature), recorded as ``audit.checkpoint_signed`` events in the event store.

What is signed is the UTF-8 of the compact, key-sorted JSON

    {"hash": "<hash(position)>", "key_id": "ed25519:<16 hex>", "position": <n>,
     "purpose": "laurel-audit-checkpoint/1", "signed_at": "2022-11-20T02:00:00.000000Z"}

(``json.dumps(…, sort_keys=True, separators=(",", ":"))``); the key id is ``ed25519:`` and the
first 16 hex digits of the SHA-256 of the raw 32-byte public key; keys and signatures travel
as standard base64. A chain contradicts a checkpoint when its hash at the checkpoint's
position differs: an event at or before that position was altered, inserted or removed after
the checkpoint was signed. The private key never reaches this package: a ``Signer`` is
injected by the composition root."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.audit_checkpoints import AUDIT_ID, Audit
from projections.projection import ProjectionHaltedError

PURPOSE = "laurel-audit-checkpoint/1"
CHECKPOINT_TYPE = "audit.checkpoint_signed"


class Signer(Protocol):
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes: ...


def key_id(public_key: bytes) -> str:
    return "ed25519:" + hashlib.sha256(public_key).hexdigest()[:16]


def signed_bytes(position: int, head: str, signed_at: str, key: str) -> bytes:
    return json.dumps(
        {"hash": head, "key_id": key, "position": position, "purpose": PURPOSE, "signed_at": signed_at},
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Checkpoint:
    position: int
    hash: str
    signed_at: str
    key_id: str
    public_key: str  # base64 of the raw Ed25519 public key
    signature: str  # base64

    @classmethod
    def signed(cls, signer: Signer, position: int, head: str, signed_at: str) -> Checkpoint:
        public = signer.public_key()
        key = key_id(public)
        return cls(
            position,
            head,
            signed_at,
            key,
            b64(public),
            b64(signer.sign(signed_bytes(position, head, signed_at, key))),
        )

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Checkpoint:
        """From a checkpoint as published (the API, a kept file, an event's or CloudEvent's ``data``)."""
        found = data.get("checkpoint") or data
        try:
            return cls(
                int(found["position"]),
                str(found["hash"]),
                str(found["signed_at"]),
                str(found["key_id"]),
                str(found["public_key"]),
                str(found["signature"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                "not a checkpoint (needs position, hash, signed_at, key_id, public_key, "
                f"signature): {exc}"
            ) from None

    def public(self) -> dict[str, Any]:
        return asdict(self)

    def signature_problem(self, trusted: Collection[str] | None) -> str | None:
        """Why the signature cannot be relied on (``None``: it can). ``trusted``: the public keys
        (base64) to rely on; ``None`` checks the signature against its own key only."""
        try:
            raw = base64.b64decode(self.public_key, validate=True)
            key = Ed25519PublicKey.from_public_bytes(raw)
            signature = base64.b64decode(self.signature, validate=True)
        except (binascii.Error, ValueError):
            return "unreadable public key or signature / 公钥或签名无法读取"
        if key_id(raw) != self.key_id:
            return "the key id does not match the public key / 密钥标识与公钥不符"
        if trusted is not None and self.public_key not in trusted:
            return f"signed by a key that is not trusted ({self.key_id}) / 签名密钥不受信任"
        try:
            key.verify(signature, signed_bytes(self.position, self.hash, self.signed_at, self.key_id))
        except InvalidSignature:
            return "invalid signature / 签名无效"
        return None

    def described(self) -> str:
        return (
            f"the signed checkpoint at position {self.position} "
            f"(hash {self.hash[:16]}…, signed {self.signed_at}, key {self.key_id})"
        )


def public_key_pem(raw: bytes) -> str:
    return (
        Ed25519PublicKey.from_public_bytes(raw)
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def read_public_key(text: str) -> str:
    """A public key as ``laurel audit public-key`` prints it (PEM), or its raw bytes in base64."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("not an Ed25519 key")
            return b64(key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        raw = base64.b64decode(text, validate=True)
        Ed25519PublicKey.from_public_bytes(raw)
        return b64(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not an Ed25519 public key (PEM or base64): {exc}") from None


def read_checkpoints(text: str) -> list[Checkpoint]:
    """Checkpoints kept by an auditor: a JSON list, ``{"items": [...]}`` as the API answers, or
    one JSON object per line (each a checkpoint, or an event or CloudEvent whose data is one)."""
    text = text.strip()
    if not text:
        return []
    try:
        document = json.loads(text)
        items = document.get("items", [document]) if isinstance(document, dict) else document
    except json.JSONDecodeError:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        Checkpoint.of(item.get("data", item) if isinstance(item.get("data"), dict) else item)
        for item in items
    ]


Trust = Collection[str] | None  # the public keys (base64) to rely on; None: each checkpoint's own key


class CheckpointBook:
    """The checkpoints recorded in the event store, read incrementally (one indexed query for
    what was added since the last look). ``trusted`` is evaluated only when a signature must
    be checked: the instance's own key file is then read (or made)."""

    def __init__(self, store: Any, mapper: Any, trusted: Callable[[], Trust] | Trust = None) -> None:
        self.store, self.mapper, self._trusted = store, mapper, trusted
        self._found: list[tuple[int, Checkpoint]] = []  # (version of the checkpoint's event, checkpoint)
        self._version = 0
        self._lock = threading.Lock()

    def trusted(self) -> Trust:
        return self._trusted() if callable(self._trusted) else self._trusted

    def entries(self) -> list[tuple[int, Checkpoint]]:
        with self._lock:
            for stored in self.store.recorder.select_events(AUDIT_ID, gt=self._version or None):
                event = self.mapper.to_domain_event(stored)
                if isinstance(event, Audit.CheckpointSigned):
                    self._found.append(
                        (
                            event.originator_version,
                            Checkpoint(
                                event.position,
                                event.hash,
                                event.signed_at,
                                event.key_id,
                                event.public_key,
                                event.signature,
                            ),
                        )
                    )
                self._version = event.originator_version
            return list(self._found)

    def checkpoints(self) -> list[Checkpoint]:
        return [c for _version, c in self.entries()]

    def anchoring(self) -> Anchoring:
        """For the audit projection: signatures checked only where the chain disagrees."""
        return Anchoring(self.checkpoints(), self.trusted, eager=False)


class Anchoring:
    """The checkpoints a chain is held to. Those whose signature cannot be relied on are set
    apart (``invalid``) and hold nothing; the others are compared, position by position.
    ``eager``: every signature is checked now (a verification reports them all); otherwise
    only a checkpoint the chain disagrees with is checked, when it does."""

    def __init__(
        self,
        checkpoints: Iterable[Checkpoint],
        trusted: Callable[[], Trust] | Trust,
        *,
        eager: bool = True,
    ) -> None:
        # a callable is asked once, when a signature is first checked
        self._trust_source: Callable[[], Trust] | None = trusted if callable(trusted) else None
        self._trusted: Trust = None if callable(trusted) else trusted
        self.invalid: list[tuple[Checkpoint, str]] = []
        self.at: dict[int, list[Checkpoint]] = {}
        for checkpoint in dict.fromkeys(checkpoints):  # the same checkpoint stored and kept counts once
            problem = checkpoint.signature_problem(self.trust()) if eager else None
            if problem is None:
                self.at.setdefault(checkpoint.position, []).append(checkpoint)
            else:
                self.invalid.append((checkpoint, problem))
        self.eager = eager
        self.agreed = 0  # the last position a checkpoint confirmed
        self.compared = 0

    def trust(self) -> Trust:
        if self._trust_source is not None:
            self._trusted, self._trust_source = self._trust_source(), None
        return self._trusted

    def contradicted(self, position: int, digest: str) -> Checkpoint | None:
        """The checkpoint at ``position`` that ``digest`` contradicts, if any."""
        for checkpoint in self.at.get(position, ()):
            self.compared += 1
            if checkpoint.hash != digest:
                problem = None if self.eager else checkpoint.signature_problem(self.trust())
                if problem is None:
                    return checkpoint
                self.invalid.append((checkpoint, problem))
        if position in self.at:
            self.agreed = position
        return None

    def last(self) -> int:
        return max(self.at, default=0)

    def invalid_public(self) -> list[dict[str, Any]]:
        return [
            {"position": c.position, "key_id": c.key_id, "signed_at": c.signed_at, "problem": problem}
            for c, problem in self.invalid
        ]


class CheckpointContradictedError(ProjectionHaltedError):
    """The stored events do not reproduce a signed checkpoint: the audit chain stops before it."""

    def __init__(self, checkpoint: Checkpoint, found: str | None, agreed: int) -> None:
        self.checkpoint, self.found, self.agreed = checkpoint, found, agreed
        where = f"between positions {agreed + 1} and {checkpoint.position}"
        super().__init__(
            f"the chain no longer reproduces {checkpoint.described()}: an event {where} was "
            "altered, inserted or removed after it was signed / "
            f"哈希链与第 {checkpoint.position} 条的签名检查点不符："
            f"第 {agreed + 1}–{checkpoint.position} 条之间的事件在签名后被改动、插入或删除"
        )
