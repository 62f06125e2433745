"""One typed Settings object, read from the environment (LAUREL_*) when asked, never at import."""

from __future__ import annotations

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
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_dev_port: int = 7233  # the embedded dev server's port (its UI: this + 1000)
    admin_token: str | None = None
    token_cache_seconds: float = 5.0  # how long the API trusts a token it has resolved (0: look it up every request)
    api_threads: int = Field(POSTGRES_POOL_SIZE, ge=1)  # the API's thread pool: commands and sync routes running at once per process (one per pooled connection)
    reminder_offsets: str = "P3D,P1D"  # before each deadline; ISO 8601 durations or seconds, comma-separated
    # Webhooks (infra/webhooks): durations are ISO 8601 or seconds; tests shrink them to seconds.
    webhook_allow_private: bool = False  # LAUREL_WEBHOOK_ALLOW_PRIVATE=1: loopback/private receivers (tests, on-premise)
    webhook_retry_schedule: str = "PT5S,PT5M,PT30M,PT2H,PT5H,PT10H,PT14H,PT20H,PT24H"  # delay before each retry
    webhook_retry_jitter: float = 0.2  # each delay times a random factor in [1 - j, 1 + j]
    webhook_disable_after: str = "P5D"  # an endpoint failing continuously this long is disabled
    webhook_timeout: float = 15.0  # seconds for a whole delivery attempt
    webhook_poll_interval: float = 1.0  # seconds between dispatcher rounds when idle
    webhook_source: str = "urn:laurel"  # CloudEvents "source"
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
        except Exception as exc:  # noqa: BLE001 - any unreadable part makes the setting invalid
            raise ValueError("LAUREL_REMINDER_OFFSETS must list ISO 8601 durations or seconds, e.g. P3D,P1D") from exc
        return value

    @property
    def backend(self) -> str:
        return "postgres" if self.database_url.startswith(("postgresql", "postgres")) else "sqlite"


def reminder_offset_seconds(spec: str) -> list[int]:
    """'P3D,P1D' or '259200,86400' -> [259200, 86400]."""
    from domain.templates import parse_duration

    return sorted({int(parse_duration(float(p) if p.strip().replace(".", "", 1).isdigit() else p.strip(), "LAUREL_REMINDER_OFFSETS").total_seconds()) for p in spec.split(",") if p.strip()}, reverse=True)


def ensure_admin_token(settings: Settings) -> Settings:
    """LAUREL_ADMIN_TOKEN, or a token generated once and kept in <home>/admin-token (0600)."""
    if settings.admin_token:
        return settings
    path = settings.home_dir / "admin-token"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("lrl_admin_" + secrets.token_urlsafe(32))
        path.chmod(0o600)
    return settings.model_copy(update={"admin_token": path.read_text().strip()})


def eventsourcing_env(settings: Settings) -> dict[str, str]:
    """The eventsourcing library's persistence settings for ``settings.database_url``."""
    url = settings.database_url
    if settings.backend == "postgres":
        parts = urlparse(url)
        query = parse_qs(parts.query)
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
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
    path.parent.mkdir(parents=True, exist_ok=True)
    # eventsourcing's SQLite store with a rowid snapshots table (see infra/event_store.py)
    return {"PERSISTENCE_MODULE": "infra.event_store:SQLiteFactory", "SQLITE_DBNAME": str(path), "SQLITE_LOCK_TIMEOUT": "30"}
