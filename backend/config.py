"""One settings object for every Tocsin process, read from ``TOCSIN_`` environment variables."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "dev-only-change-me"  # noqa: S105 - the placeholder that production refuses


class Environment(StrEnum):
    """Where Tocsin runs; production refuses placeholder secrets."""

    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Tocsin configuration, built once at start-up by the process entry point."""

    model_config = SettingsConfigDict(
        env_prefix="TOCSIN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Environment = Field(Environment.development, description="development, test or production")
    database_url: str = Field(
        "sqlite:///var/tocsin.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://",
    )
    data_dir: Path = Field(
        Path("var/data"), description="Raw payload archive, exports and snapshots"
    )
    secret_key: str = Field(
        DEFAULT_SECRET, description="Signs sessions; must be set outside development"
    )
    admin_password: str | None = Field(
        None, description="Initial admin password (created on first start)"
    )

    api_host: str = Field("127.0.0.1", description="Interface the API binds to")
    api_port: int = Field(8000, description="API port")
    api_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL the dashboard uses to reach the API"
    )
    api_workers: int = Field(1, ge=1, description="uvicorn worker processes for the API")
    dashboard_host: str = Field("127.0.0.1", description="Interface the dashboard binds to")
    dashboard_port: int = Field(8050, description="Dashboard port")
    session_idle_minutes: int = Field(
        480, ge=1, description="Dashboard sign-in ends after this many minutes without a request"
    )
    session_max_hours: int = Field(
        12, ge=1, description="Dashboard sign-in ends this many hours after it began"
    )
    session_cookie_secure: bool = Field(
        False, description="Send the dashboard's cookies over HTTPS only (set behind TLS)"
    )
    cors_origins: list[str] = Field(default_factory=list, description="Origins allowed by CORS")

    fetch_timeout: float = Field(20.0, gt=0, description="Seconds before a source fetch times out")
    fetch_retries: int = Field(
        3, ge=0, description="Retries on timeouts and 5xx before a run fails"
    )
    live_probe_timeout: float = Field(
        3.0, gt=0, description="Seconds `make run` waits for a live source before loading demo data"
    )
    schedules: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'Per-source cron overrides, JSON: {"worldbank_homicide": "0 3 * * 1"};'
            ' "off" disables a source'
        ),
    )
    scheduler_enabled: bool = Field(
        True, description="Start scheduled ingests in `serve scheduler`"
    )
    log_level: str = Field("INFO", description="Python log level")
    log_format: Literal["text", "json"] = Field(
        "text", description="Log lines as readable text, or one JSON object per line"
    )
    snapshot_delay_days: int = Field(
        15, ge=0, description="Days after a quarter ends before the scheduler snapshots it"
    )
    snapshot_enabled: bool = Field(
        True, description="Create the previous quarter's snapshot in `serve scheduler`"
    )
    snapshot_classification: str = Field(
        "UNCLASSIFIED", description="Classification marking printed on snapshot exports"
    )
    notify_enabled: bool = Field(
        True, description="Deliver alert notifications every minute in `serve scheduler`"
    )
    notify_digest_minutes: int = Field(
        60, ge=1, description="Minutes between two e-mail digests of one subscription"
    )
    notify_timeout: float = Field(
        10.0, gt=0, description="Seconds before a webhook or SMTP call times out"
    )
    notify_retries: int = Field(3, ge=0, description="Webhook retries on timeouts, errors and 5xx")
    notify_backoff: float = Field(
        2.0, ge=0, description="Seconds before the first webhook retry; doubled each retry"
    )
    smtp_host: str | None = Field(
        None, description="SMTP server for e-mail digests; unset: no e-mail"
    )
    smtp_port: int = Field(587, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP login, if the server wants one")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged)")
    smtp_from: str = Field("tocsin@localhost", description="From address of the digests")
    smtp_starttls: bool = Field(True, description="Upgrade the SMTP connection with STARTTLS")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.env is Environment.production and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "TOCSIN_SECRET_KEY must be set to a real secret when TOCSIN_ENV=production"
            )
        if self.env is Environment.production and len(self.secret_key) < 32:
            raise ValueError("TOCSIN_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Tell whether the database is SQLite."""
        return self.database_url.startswith("sqlite")

    def payload_dir(self) -> Path:
        """Return the folder where raw payloads are archived by sha256."""
        return self.data_dir / "payloads"


def get_settings(**overrides: Any) -> Settings:
    """Build the settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)
