"""One typed Settings object, read from the environment (LAUREL_*) when asked, never at import."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

POSTGRES_POOL_SIZE = 10  # connections kept per process (``?pool_size=`` overrides)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LAUREL_", extra="ignore")

    database_url: str = ""  # empty: SQLite file under home_dir
    home_dir: Path = Path(".laurel")
    # A cluster; unset: `laurel up` runs the embedded dev server and hands its address to its parts.
    temporal_address: str | None = None
    temporal_namespace: str = "default"  # on a cluster (the embedded stack: laurel-<hash of home>)
    # The embedded dev server's preferred port (taken: a free one is picked).
    temporal_dev_port: int = Field(7233, ge=1, le=65535)
    # On a cluster every worker, API and reconciler of one store shares it (the embedded stack:
    # laurel-<hash>).
    temporal_task_queue: str = Field("laurel", min_length=1)
    # Seconds between the worker's checks that every campaign has its workflow.
    reconcile_interval: float = Field(30.0, gt=0)
    admin_token: str | None = None
    # How long the API trusts a token it has resolved (0: look it up on every request).
    token_cache_seconds: float = Field(5.0, ge=0)
    token_lifetime: str = "P90D"  # a new token's lifetime when its request names no expires_at
    # The latest expires_at a new token may have (LAUREL_ADMIN_TOKEN never expires).
    token_max_lifetime: str = "P366D"
    # A page session (the /ui cookie) ends this long after login, or at logout.
    session_lifetime: str = "PT12H"
    # E.g. https://laurel.example.org: the only origin the login and logout forms accept
    # (default: the address the server was reached at).
    public_url: str | None = None
    # Request limits: bodies are counted while they are read, before anything parses them.
    max_body_bytes: int = Field(1 << 20, ge=1024)  # a JSON request body
    max_import_bytes: int = Field(8 << 20, ge=1024)  # a CSV/XLSX import
    max_import_rows: int = Field(10_000, ge=1)  # rows of one import (parsing stops there)
    # Failed authentications per client address ('limits' notation); then 429.
    auth_failure_limit: str = "20/minute"
    # Audit checkpoints (projections/audit): the signing key is a file outside the event store.
    # None: <home_dir>/audit-signing-key (Ed25519, created 0600 on first use).
    audit_key_path: Path | None = None
    # A signed checkpoint of the chain head at least every N events.
    audit_checkpoint_every: int = Field(1000, ge=1)
    # The API's thread pool: commands and sync routes running at once per process (one per
    # pooled connection).
    api_threads: int = Field(POSTGRES_POOL_SIZE, ge=1)
    # Before each deadline; ISO 8601 durations or seconds, comma-separated.
    reminder_offsets: str = "P3D,P1D"
    # Webhooks (infra/webhooks): durations are ISO 8601 or seconds; tests shrink them to seconds.
    # LAUREL_WEBHOOK_ALLOW_PRIVATE=1: loopback/private receivers (tests, on-premise).
    webhook_allow_private: bool = False
    # The delay before each retry.
    webhook_retry_schedule: str = "PT5S,PT5M,PT30M,PT2H,PT5H,PT10H,PT14H,PT20H,PT24H"
    webhook_retry_jitter: float = 0.2  # each delay times a random factor in [1 - j, 1 + j]
    webhook_disable_after: str = "P5D"  # an endpoint failing continuously this long is disabled
    webhook_timeout: float = 15.0  # seconds for a whole delivery attempt
    webhook_poll_interval: float = 1.0  # seconds between dispatcher rounds when idle
    webhook_source: str = "urn:laurel"  # CloudEvents "source"
    # Evidence files (infra/blob_store.py): a directory (default <home_dir>/blobs) beside a
    # SQLite store; PostgreSQL keeps them in a table of the store's schema ...
    blob_dir: Path | None = None
    max_evidence_bytes: int = Field(20 << 20, ge=1024)  # one evidence file
    # ... or an S3-compatible bucket (boto3, the ``s3`` extra; credentials from boto3's chain)
    blob_s3_bucket: str | None = None
    blob_s3_prefix: str = "evidence/"
    blob_s3_endpoint_url: str | None = None  # e.g. a MinIO or Ceph gateway
    blob_s3_region: str | None = None
    # Printed documents (api/documents, issue 22 item 5): the CJK TrueType font embedded in the
    # PDFs, "path" or "path.ttc#index" (None: fonts-wqy-microhei / -zenhei where Debian puts them).
    pdf_font: str | None = None
    # Public checks of a verification code (/v1/titles/verify, /verify) per client address.
    verify_limit: str = "60/minute"
    # 公示 (issue 23): the working-day calendar (YAML like domain/calendars/cn.yaml; None: that
    # one), and the public objections per client address and per campaign ('limits' notation).
    holiday_calendar: Path | None = None
    objection_limit: str = "5/hour"
    objection_campaign_limit: str = "200/hour"
    # Notifications (issue 24, infra/notifications): e-mail over SMTP; no host: the inbox only.
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "laurel@localhost"
    smtp_timeout: float = Field(30.0, gt=0)  # seconds per SMTP operation
    notify_poll_interval: float = Field(2.0, gt=0)  # seconds between sender rounds when idle
    notify_max_attempts: int = Field(8, ge=1)  # then an e-mail is failed (laurel notify retry)
    notify_retry_base: float = Field(30.0, gt=0)  # seconds before the first retry, doubling
    notify_retry_cap: float = Field(21600.0, gt=0)  # the longest wait between two attempts
    notify_digest_hour: int = Field(8, ge=0, le=23)  # the daily digest's hour, Asia/Shanghai
    log_format: Literal["console", "json"] = "console"
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and urlparse(value).scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("LAUREL_DATABASE_URL must start with sqlite:/// or postgresql://")
        return value

    @field_validator("reminder_offsets")
    @classmethod
    def _offsets_readable(cls, value: str) -> str:
        try:
            reminder_offset_seconds(value)
        except Exception as exc:
            raise ValueError(
                "LAUREL_REMINDER_OFFSETS must list ISO 8601 durations or seconds, e.g. P3D,P1D"
            ) from exc
        return value

    @field_validator("token_lifetime", "token_max_lifetime", "session_lifetime")
    @classmethod
    def _lifetime_readable(cls, value: str) -> str:
        try:
            seconds = lifetime_seconds(value)
        except Exception as exc:
            raise ValueError("lifetimes are ISO 8601 durations or seconds, e.g. P90D") from exc
        if seconds <= 0:
            raise ValueError("a lifetime must be positive")
        return value

    @field_validator("auth_failure_limit")
    @classmethod
    def _limit_readable(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError("LAUREL_AUTH_FAILURE_LIMIT must read like '20/minute'") from exc
        return value

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url.startswith(("postgresql", "postgres")) else "sqlite"

    @property
    def session_seconds(self) -> float:
        return lifetime_seconds(self.session_lifetime)


def reminder_offset_seconds(spec: str) -> list[int]:
    """'P3D,P1D' or '259200,86400' -> [259200, 86400]."""
    from domain.templates import parse_duration

    return sorted(
        {
            int(
                parse_duration(
                    float(p) if p.strip().replace(".", "", 1).isdigit() else p.strip(),
                    "LAUREL_REMINDER_OFFSETS",
                ).total_seconds()
            )
            for p in spec.split(",")
            if p.strip()
        },
        reverse=True,
    )


def lifetime_seconds(spec: str) -> float:
    """'P90D' or '3600' -> seconds."""
    from domain.templates import parse_duration

    text = spec.strip()
    return parse_duration(
        float(text) if text.replace(".", "", 1).isdigit() else text, "lifetime"
    ).total_seconds()


def private_dir(path: Path) -> Path:
    """``path`` made if missing and closed to other users (0700): it holds the embedded store,
    the webhook secrets in it, the admin token and the audit signing key."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def private_file(path: Path, *, home: Path | None = None) -> Path:
    """``path`` created empty if missing, readable by its owner only (0600), before anything
    writes a secret into it (SQLite gives its -wal and -shm files the same mode). Its folder is
    closed too when it is ``home`` (Laurel's own); a folder named elsewhere is only made."""
    if home is not None and path.parent.resolve() == home.resolve():
        private_dir(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)
    return path


def ensure_admin_token(settings: Settings) -> Settings:
    """LAUREL_ADMIN_TOKEN, or a token generated once and kept in <home>/admin-token (0600)."""
    if settings.admin_token:
        return settings
    path = settings.home_dir / "admin-token"
    if not path.exists() or not path.read_text().strip():
        import secrets

        private_file(path, home=settings.home_dir).write_text("lrl_admin_" + secrets.token_urlsafe(32))
    return settings.model_copy(update={"admin_token": path.read_text().strip()})


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's persistence settings for ``settings.database_url``."""
    url = settings.database_url
    if settings.backend == "postgres":
        parts = urlparse(url)
        query = parse_qs(parts.query)
        env = {
            "PERSISTENCE_MODULE": "infra.event_store:PostgresFactory",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "laurel",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": query.get("pool_size", [str(POSTGRES_POOL_SIZE)])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["20"])[0],
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "5",
        }
        if "schema" in query:
            env["POSTGRES_SCHEMA"] = query["schema"][0]
        return env
    if url:
        path = Path(unquote(urlparse(url).path))
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            path = Path(unquote(url[len("sqlite:///") :]))
    else:
        path = settings.home_dir / "laurel.sqlite3"
    if str(path) != ":memory:":
        private_file(path, home=settings.home_dir)
    # eventsourcing's SQLite store with a rowid snapshots table (see infra/event_store.py)
    return {
        "PERSISTENCE_MODULE": "infra.event_store:SQLiteFactory",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "30",
    }
