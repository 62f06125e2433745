"""The audit checkpoints' signing key: Ed25519, a PEM (PKCS #8) file outside the event store
(``LAUREL_AUDIT_KEY_PATH``, default ``<home>/audit-signing-key``), made 0600 on first use —
its folder 0700 when it is Laurel's home. Whoever can write the database cannot forge a
checkpoint without this file; keep a copy of its public key (``laurel audit public-key``)
where the auditors are.

Several processes may want it first at once (API workers, the runner): the key is written to a
private temporary file and linked into place, so the first link wins and every process reads
that one. An existing file is never replaced: a lost or unreadable key is an error to fix, not a
reason to start signing with another one."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.settings import Settings, private_file

log = structlog.get_logger("laurel.audit")


class AuditKeyError(RuntimeError):
    pass


class FileSigner:
    """A ``projections.checkpoints.Signer`` over the key file; reads (or makes) it when first asked."""

    def __init__(self, path: Path, home: Path) -> None:
        self.path, self.home = path, home
        self._key: Ed25519PrivateKey | None = None
        self._lock = threading.Lock()

    def _private(self) -> Ed25519PrivateKey:
        with self._lock:
            if self._key is None:
                if not self.path.exists():
                    self._create()
                self._key = self._load()
            return self._key

    def _create(self) -> None:
        spare = private_file(
            self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}"), home=self.home
        )
        try:
            spare.write_bytes(
                Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            os.link(spare, self.path)
            log.info("audit signing key created", path=str(self.path))
        except FileExistsError:
            pass  # another process made it first: use that one
        finally:
            spare.unlink(missing_ok=True)

    def _load(self) -> Ed25519PrivateKey:
        if self.path.stat().st_mode & 0o077:
            log.warning(
                "the audit signing key is readable by other users; chmod 600 it", path=str(self.path)
            )
        try:
            key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
        except (ValueError, TypeError) as exc:
            raise AuditKeyError(
                f"{self.path} is not a readable Ed25519 private key (PEM, unencrypted): {exc}"
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AuditKeyError(f"{self.path} holds a {type(key).__name__}, not an Ed25519 key")
        return key

    def public_key(self) -> bytes:
        return (
            self._private()
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )

    def sign(self, message: bytes) -> bytes:
        return self._private().sign(message)


def audit_signer(settings: Settings) -> FileSigner:
    return FileSigner(
        settings.audit_key_path or settings.home_dir / "audit-signing-key", settings.home_dir
    )
