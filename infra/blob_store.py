"""The blob store: evidence files' bytes, content-addressed by SHA-256 (issue 22 item 4).

The events say which files a nomination has (``Nomination.EvidenceAttached``: hash, size,
media type, name, uploader); the bytes are kept here, once per distinct content.

- ``DirectoryBlobStore``: files under ``<home>/blobs/ab/abcdef…`` (the SQLite deployment;
  ``LAUREL_BLOB_DIR`` moves it). A file is written to a temporary name, flushed and renamed:
  a reader never sees half a file, and two writers of the same bytes write the same file.
- ``PostgresBlobStore``: a table ``evidence_blobs`` in the event store's own schema (the
  PostgreSQL deployment), inserted ``ON CONFLICT DO NOTHING``.

- ``S3BlobStore``: objects in an S3-compatible bucket through boto3 (``LAUREL_BLOB_S3_BUCKET``;
  the ``s3`` extra), for either deployment.

``put`` answers whether this call created the blob, so a refused command removes only what
its own upload added (``discard``). ``read`` verifies the bytes against their name and raises
``EvidenceCorruptError`` (and logs) when they differ; ``check`` tells the audit's
``--files`` verification what it found without raising."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import structlog

from domain.errors import EvidenceCorruptError, EvidenceMissingError
from infra.settings import Settings
from infra.webhooks.db import Db

HEX64 = re.compile(r"[0-9a-f]{64}")
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS {ns}evidence_blobs (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL, "
    "data BYTEA NOT NULL, stored_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)

log = structlog.get_logger("laurel.evidence")


def _checked_name(sha256: str) -> str:
    if not HEX64.fullmatch(sha256):
        raise EvidenceMissingError(
            f"'{sha256[:80]}' is not a SHA-256 in hex",
            f"「{sha256[:80]}」不是十六进制 SHA-256",
            sha256=sha256[:80],
        )
    return sha256


class BlobStore:
    """Bytes by their SHA-256."""

    kind = "none"

    def put(self, data: bytes) -> tuple[str, bool]:
        """Stores ``data``; returns its SHA-256 and whether this call created it. A blob
        already stored is marked as stored now (an orphan sweep leaves it alone while its
        upload is recorded) and, should its bytes have been altered, written again."""
        raise NotImplementedError

    def raw(self, sha256: str) -> bytes | None:
        """The stored bytes, unchecked (None: not stored)."""
        raise NotImplementedError

    def discard(self, sha256: str) -> None:
        """Removes a blob this process just created for an upload that was then refused."""
        raise NotImplementedError

    def hashes(self) -> Iterator[str]:
        """Every stored blob's name."""
        raise NotImplementedError

    def hashes_older_than(self, seconds: float) -> Iterator[str]:
        """The blobs stored more than ``seconds`` ago (an upload still in flight is younger)."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def exists(self, sha256: str) -> bool:
        return self.raw(_checked_name(sha256)) is not None

    def read(self, sha256: str) -> bytes:
        """The bytes named ``sha256``, verified: ``EvidenceMissingError`` when not stored,
        ``EvidenceCorruptError`` (logged) when they hash to something else."""
        data = self.raw(_checked_name(sha256))
        if data is None:
            log.error("evidence blob missing", sha256=sha256, store=self.kind)
            raise EvidenceMissingError(
                f"the file {sha256} is not in the blob store",
                f"文件 {sha256} 不在文件存储中",
                sha256=sha256,
            )
        found = hashlib.sha256(data).hexdigest()
        if found != sha256:
            log.error("evidence blob corrupt", sha256=sha256, found=found, store=self.kind)
            raise EvidenceCorruptError(
                f"the stored bytes of {sha256} do not match their hash (found {found}): "
                "the file was altered in storage",
                f"文件 {sha256} 的存储内容与其哈希不符（实为 {found}）：存储中的文件已被改动",
                sha256=sha256,
                found=found,
            )
        return data

    def check(self, sha256: str) -> str | None:
        """What is wrong with the blob (None: stored and intact)."""
        try:
            self.read(sha256)
        except (EvidenceMissingError, EvidenceCorruptError) as exc:
            return exc.message_en
        return None


class DirectoryBlobStore(BlobStore):
    kind = "directory"

    def __init__(self, root: Path) -> None:
        self.root = root  # made on the first put: a store that never receives a file makes nothing

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> tuple[str, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self.path_of(sha256)
        try:
            intact = hashlib.sha256(path.read_bytes()).hexdigest() == sha256
        except FileNotFoundError:
            intact = None
        if intact:
            os.utime(path)
            return sha256, False
        if intact is False:
            log.warning("evidence blob altered in storage: written again", sha256=sha256)
            self._write(path, data, replace=True)
            return sha256, False
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return sha256, self._write(path, data, replace=False)

    @staticmethod
    def _write(path: Path, data: bytes, *, replace: bool) -> bool:
        """Writes ``data`` to a temporary name, fsynced, then into place: renamed over an
        altered file (``replace``), else linked, which fails when another writer got there
        first (False)."""
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            if replace:
                os.replace(temporary, path)
                return True
            try:
                os.link(temporary, path)
                return True
            except FileExistsError:
                return False
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def raw(self, sha256: str) -> bytes | None:
        try:
            return self.path_of(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def discard(self, sha256: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path_of(_checked_name(sha256)).unlink()

    def hashes(self) -> Iterator[str]:
        if not self.root.exists():
            return
        for path in sorted(self.root.glob("??/*")):
            if HEX64.fullmatch(path.name):
                yield path.name

    def hashes_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        for sha256 in self.hashes():
            with contextlib.suppress(FileNotFoundError):
                if self.path_of(sha256).stat().st_mtime < cutoff:
                    yield sha256


class PostgresBlobStore(BlobStore):
    kind = "postgres"

    def __init__(self, db: Db) -> None:
        self.db = db
        self.table = f"{db.ns}evidence_blobs"
        with db.transaction() as sql:
            sql.execute(SCHEMA.format(ns=db.ns))

    def put(self, data: bytes) -> tuple[str, bool]:
        sha256 = hashlib.sha256(data).hexdigest()
        with self.db.transaction() as sql:
            rows = sql.rows(
                f"INSERT INTO {self.table} AS b (sha256, size, data) VALUES (?, ?, ?) "
                "ON CONFLICT (sha256) DO UPDATE SET stored_at = now(), data = CASE "
                "WHEN encode(sha256(b.data), 'hex') = b.sha256 THEN b.data ELSE EXCLUDED.data END "
                "RETURNING (xmax = 0) AS created",
                (sha256, len(data), data),
            )
        return sha256, bool(rows[0]["created"])

    def raw(self, sha256: str) -> bytes | None:
        with self.db.transaction(write=False) as sql:
            found = sql.scalar(f"SELECT data FROM {self.table} WHERE sha256 = ?", (sha256,))
        return None if found is None else bytes(found)

    def discard(self, sha256: str) -> None:
        with self.db.transaction() as sql:
            sql.execute(f"DELETE FROM {self.table} WHERE sha256 = ?", (_checked_name(sha256),))

    def hashes(self) -> Iterator[str]:
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(f"SELECT sha256 FROM {self.table} ORDER BY sha256")
        for row in rows:
            yield str(row["sha256"])

    def hashes_older_than(self, seconds: float) -> Iterator[str]:
        with self.db.transaction(write=False) as sql:
            rows = sql.rows(
                f"SELECT sha256 FROM {self.table} WHERE stored_at < now() - make_interval(secs => ?) "
                "ORDER BY sha256",
                (float(seconds),),
            )
        for row in rows:
            yield str(row["sha256"])


class S3BlobStore(BlobStore):
    """Objects ``<prefix><sha256>`` in an S3-compatible bucket, through boto3 (credentials from
    its usual chain: ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an instance
    role). An object is written whole or not at all, so a reader never sees half a file."""

    kind = "s3"

    def __init__(
        self, bucket: str, prefix: str = "", endpoint_url: str | None = None, region: str | None = None
    ) -> None:
        import boto3
        from botocore.config import Config

        self.bucket, self.prefix = bucket, prefix
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )

    def _key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def _missing(self, exc: Exception) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, data: bytes) -> tuple[str, bool]:
        from botocore.exceptions import ClientError

        sha256 = hashlib.sha256(data).hexdigest()
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(sha256))
            existed = True
        except ClientError as exc:
            if not self._missing(exc):
                raise
            existed = False
        # written even when it exists: an object is replaced whole, its time refreshed, and
        # bytes altered in the bucket are put right
        self.client.put_object(Bucket=self.bucket, Key=self._key(sha256), Body=data)
        return sha256, not existed

    def raw(self, sha256: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._key(sha256))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise
        return bytes(found["Body"].read())

    def discard(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(_checked_name(sha256)))

    def _objects(self) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                if HEX64.fullmatch(item["Key"][len(self.prefix) :]):
                    yield item

    def hashes(self) -> Iterator[str]:
        for item in self._objects():
            yield item["Key"][len(self.prefix) :]

    def hashes_older_than(self, seconds: float) -> Iterator[str]:
        cutoff = time.time() - seconds
        for item in self._objects():
            if item["LastModified"].timestamp() < cutoff:
                yield item["Key"][len(self.prefix) :]

    def close(self) -> None:
        self.client.close()


def open_blob_store(app: object, settings: Settings) -> BlobStore:
    """An S3-compatible bucket when ``LAUREL_BLOB_S3_BUCKET`` is set; else PostgreSQL's table
    when the event store is PostgreSQL; else a directory (``LAUREL_BLOB_DIR``, default
    ``<home>/blobs``)."""
    if settings.blob_s3_bucket:
        return S3BlobStore(
            settings.blob_s3_bucket,
            settings.blob_s3_prefix,
            settings.blob_s3_endpoint_url,
            settings.blob_s3_region,
        )
    datastore = getattr(getattr(app, "recorder", None), "datastore", None)
    if datastore is not None and hasattr(datastore, "schema"):
        from infra.webhooks.db import PostgresDb

        return PostgresBlobStore(PostgresDb(datastore))
    return DirectoryBlobStore(settings.blob_dir or settings.home_dir / "blobs")


def logged_hashes(records: Iterable[dict[str, Any]]) -> set[str]:
    """Every blob the audit log names (files and thumbnails)."""
    return {file["sha256"] for record in records for file in record.get("files", ())}


def orphans(records: Iterable[dict[str, Any]], blobs: BlobStore, grace_seconds: float) -> list[str]:
    """Blobs no event names, stored more than ``grace_seconds`` ago: what an upload left when
    its process died between storing the bytes and recording the event (a refused upload takes
    its bytes back itself)."""
    named = logged_hashes(records)
    return [sha256 for sha256 in blobs.hashes_older_than(grace_seconds) if sha256 not in named]


def verify_logged_files(records: Iterable[dict[str, Any]], blobs: BlobStore) -> tuple[int, list[str]]:
    """Every file the audit log names (the export's ``files``) held to the blob store: (how
    many were checked, one line per file missing or altered)."""
    checked, problems, seen = 0, [], set()
    for record in records:
        for file in record.get("files", ()):
            sha256 = file["sha256"]
            if sha256 in seen:
                continue
            seen.add(sha256)
            checked += 1
            problem = blobs.check(sha256)
            if problem is not None:
                problems.append(
                    f"position {record['position']} ({record['subject']} v{record['version']}, "
                    f"{file['role']}): {problem}"
                )
    return checked, problems
