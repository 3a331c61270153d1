"""All configuration, read once from the environment (and an optional .env file)."""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-do-not-use-in-production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL"),
        description="PostgreSQL URL. Unset: an embedded PostgreSQL is started in CNA_DATA_DIR.",
    )
    data_dir: Path = Field(default=Path(".cna"), validation_alias=AliasChoices("CNA_DATA_DIR"))
    public_read: bool = Field(default=True, validation_alias=AliasChoices("CNA_PUBLIC_READ"))
    meili_url: str | None = Field(default=None, validation_alias=AliasChoices("MEILI_URL"))
    meili_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("MEILI_API_KEY", "MEILI_MASTER_KEY"),
        description="Meilisearch API key (MEILI_MASTER_KEY is read too)",
    )
    meili_index: str = Field(
        default="authorities", min_length=1, validation_alias=AliasChoices("MEILI_INDEX"),
        description="the Meilisearch index the service searches and the relay fills",
    )
    meili_search_timeout: float = Field(
        default=2.0, gt=0, validation_alias=AliasChoices("MEILI_SEARCH_TIMEOUT"),
        description="seconds a search waits for Meilisearch before answering from Postgres",
    )
    meili_task_timeout: float = Field(
        default=60.0, gt=0, validation_alias=AliasChoices("MEILI_TASK_TIMEOUT"),
        description="seconds the relay, reindex and search-check wait for a Meilisearch task",
    )
    log_level: str = Field(default="info", validation_alias=AliasChoices("CNA_LOG_LEVEL"))
    max_page_size: int = 200
    default_page_size: int = 50
    import_max_bytes: int = Field(
        default=64 * 1024 * 1024, validation_alias=AliasChoices("CNA_IMPORT_MAX_BYTES")
    )

    rate_limit_anonymous: int = Field(
        default=600, ge=1, validation_alias=AliasChoices("CNA_RATE_LIMIT_ANONYMOUS"),
        description="requests per minute per client address without a key",
    )
    rate_limit_key: int = Field(
        default=6000, ge=1, validation_alias=AliasChoices("CNA_RATE_LIMIT_KEY"),
        description="requests per minute per API key",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("CNA_TRUSTED_PROXIES"),
        description="addresses or networks of the reverse proxies whose X-Forwarded-For "
                    "is believed (comma-separated or a JSON list); empty: nobody's",
    )
    metrics: Literal["public", "token", "off"] | None = Field(
        default=None, validation_alias=AliasChoices("CNA_METRICS"),
        description="who may read /metrics; unset: token with CNA_METRICS_TOKEN, else "
                    "public in development with public reading, else off",
    )
    metrics_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("CNA_METRICS_TOKEN"),
        description="bearer token for /metrics in token mode (at least 16 characters)",
    )

    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, validation_alias=AliasChoices("CNA_MAX_BODY_BYTES"),
        description="largest request body outside /v1/import",
    )
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias=AliasChoices("CNA_BODY_TIMEOUT_SECONDS"),
        description="a request body must arrive within this time",
    )
    cors_origins: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("CNA_CORS_ORIGINS"),
        description="origins allowed by CORS (JSON list); empty: CORS off",
    )
    public_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CNA_PUBLIC_URL"),
        description="the service's external base URL (https://cna.example.org): absolute "
                    "links and a vCard's SOURCE are built on it, never on the Host header",
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["localhost", "127.0.0.1", "::1"],
        validation_alias=AliasChoices("CNA_ALLOWED_HOSTS"),
        description="without CNA_PUBLIC_URL, Host header values trusted for absolute "
                    "links (JSON list); any other Host gets relative links",
    )

    environment: str = Field(
        default="development", validation_alias=AliasChoices("CNA_ENV"),
        description="development, or anything else (e.g. production): then CNA_SECRET_KEY "
                    "must be set",
    )
    secret_key: str = Field(
        default=DEV_SECRET_KEY, min_length=16, validation_alias=AliasChoices("CNA_SECRET_KEY"),
        description="encrypts stored webhook secrets; the default is refused outside "
                    "development",
    )
    webhook_allow_private: bool = Field(
        default=False, validation_alias=AliasChoices("CNA_WEBHOOK_ALLOW_PRIVATE"),
        description="allow webhook URLs that resolve to private or loopback addresses",
    )

    smtp_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("CNA_SMTP_URL"),
        description="SMTP server for mail: smtp://user:pass@host:587 (STARTTLS, required "
                    "unless the host is loopback) or smtps://user:pass@host:465 (TLS); "
                    "unset: mail is delivered to the Maildir $CNA_DATA_DIR/mail",
    )
    mail_from: str = Field(
        default="CNA Directory <no-reply@localhost>",
        validation_alias=AliasChoices("CNA_MAIL_FROM"),
        description="the From of every mail",
    )
    mail_max_attempts: int = Field(
        default=10, ge=1, le=100, validation_alias=AliasChoices("CNA_MAIL_MAX_ATTEMPTS"),
        description="attempts to send a mail before it is marked failed",
    )
    mail_backoff_seconds: float = Field(
        default=30.0, gt=0, le=86_400, validation_alias=AliasChoices("CNA_MAIL_BACKOFF_SECONDS"),
        description="wait after the first failed attempt; doubled after each further one "
                    "(at most an hour)",
    )

    search_engine: Literal["memory", "postgres"] = Field(
        default="memory", validation_alias=AliasChoices("CNA_SEARCH_ENGINE"),
        description="engine when MEILI_URL is unset: the in-process index, or SQL",
    )
    search_poll_seconds: float = Field(
        default=0.1, gt=0, validation_alias=AliasChoices("CNA_SEARCH_POLL_SECONDS"),
        description="how often the in-process index looks for changes of other processes",
    )
    search_ready_wait_seconds: float = Field(
        default=10.0, ge=0, validation_alias=AliasChoices("CNA_SEARCH_READY_WAIT"),
        description="how long a search waits for the index being built before using SQL",
    )
    search_render_cache: int = Field(
        default=20_000, ge=0, validation_alias=AliasChoices("CNA_SEARCH_RENDER_CACHE"),
        description="rendered records kept per process for search hits",
    )

    password_time_cost: int = Field(
        default=3, ge=1, le=20, validation_alias=AliasChoices("CNA_PASSWORD_TIME_COST"),
        description="Argon2id passes over memory; a change rehashes each password at its "
                    "next sign-in",
    )
    password_memory_kib: int = Field(
        default=65_536, ge=8_192, le=4_194_304,
        validation_alias=AliasChoices("CNA_PASSWORD_MEMORY_KIB"),
        description="Argon2id memory per hash, in KiB",
    )
    password_parallelism: int = Field(
        default=4, ge=1, le=64, validation_alias=AliasChoices("CNA_PASSWORD_PARALLELISM"),
        description="Argon2id lanes",
    )
    invitation_hours: int = Field(
        default=72, ge=1, le=24 * 30, validation_alias=AliasChoices("CNA_INVITATION_HOURS"),
        description="an invitation link works this long, once",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, validation_alias=AliasChoices("CNA_SESSION_IDLE_MINUTES"),
        description="a session ends after this long without a request",
    )
    session_absolute_hours: int = Field(
        default=12, ge=1, le=24 * 30, validation_alias=AliasChoices("CNA_SESSION_HOURS"),
        description="a session ends this long after sign-in, whatever its use",
    )
    sign_in_free_failures: int = Field(
        default=5, ge=1, le=1000, validation_alias=AliasChoices("CNA_SIGN_IN_FREE_FAILURES"),
        description="failed sign-ins to one e-mail address within CNA_SIGN_IN_WINDOW_MINUTES "
                    "before each further one makes it wait (2, 4, 8, … s)",
    )
    sign_in_lock_failures: int = Field(
        default=10, ge=2, le=1000, validation_alias=AliasChoices("CNA_SIGN_IN_LOCK_FAILURES"),
        description="failed sign-ins to one e-mail address within the window that lock the "
                    "account for CNA_SIGN_IN_LOCK_MINUTES (and mail its owner)",
    )
    sign_in_lock_minutes: int = Field(
        default=15, ge=1, le=24 * 60, validation_alias=AliasChoices("CNA_SIGN_IN_LOCK_MINUTES"),
        description="how long a locked account refuses every sign-in",
    )
    sign_in_address_free_failures: int = Field(
        default=30, ge=1, le=100_000,
        validation_alias=AliasChoices("CNA_SIGN_IN_ADDRESS_FREE_FAILURES"),
        description="failed sign-ins from one client address within the window before each "
                    "further one makes that address wait (2, 4, 8, … s, at most the lock time)",
    )
    sign_in_window_minutes: int = Field(
        default=15, ge=1, le=24 * 60, validation_alias=AliasChoices("CNA_SIGN_IN_WINDOW_MINUTES"),
        description="failed sign-ins are counted in windows this long",
    )
    password_reset_minutes: int = Field(
        default=60, ge=5, le=24 * 60, validation_alias=AliasChoices("CNA_PASSWORD_RESET_MINUTES"),
        description="a password-reset link works this long, once",
    )
    password_reset_per_hour: int = Field(
        default=3, ge=1, le=1000, validation_alias=AliasChoices("CNA_PASSWORD_RESET_PER_HOUR"),
        description="password-reset requests per e-mail address per hour (more: 429)",
    )
    password_reset_address_per_hour: int = Field(
        default=20, ge=1, le=100_000,
        validation_alias=AliasChoices("CNA_PASSWORD_RESET_ADDRESS_PER_HOUR"),
        description="password-reset requests per client address per hour (more: 429)",
    )
    access_requests_per_address: int = Field(
        default=3, ge=1, le=100, validation_alias=AliasChoices("CNA_ACCESS_REQUESTS_PER_DAY"),
        description="access requests one e-mail address may make in 24 hours",
    )
    verify_after_months: int = Field(
        default=12, ge=1, le=120, validation_alias=AliasChoices("CNA_VERIFY_AFTER_MONTHS"),
        description="a record not verified for this many months is stale: its State's "
                    "focal points are reminded",
    )
    reminder_days: int = Field(
        default=7, ge=0, le=366, validation_alias=AliasChoices("CNA_REMINDER_DAYS"),
        description="cna worker sends the reminder digests this often (days; 0: never); "
                    "nobody gets more than one digest in 7 days",
    )
    proposals_digest_hour: int = Field(
        default=7, ge=-1, le=23, validation_alias=AliasChoices("CNA_PROPOSALS_DIGEST_HOUR"),
        description="the hour (UTC) from which cna worker sends the secretariat the daily "
                    "digest of new proposals, at most one a day (-1: never)",
    )
    publication_renders: int = Field(
        default=1, ge=1, le=16, validation_alias=AliasChoices("CNA_PUBLICATION_RENDERS"),
        description="how many printable directories (PDF or print view) one server process "
                    "lays out at once; a request beyond that is a 503 with Retry-After",
    )
    cookie_secure: bool | None = Field(
        default=None, validation_alias=AliasChoices("CNA_COOKIE_SECURE"),
        description="the session cookie is Secure and named __Host-cna_session; unset: on "
                    "when CNA_PUBLIC_URL is https or CNA_ENV is not development, off for "
                    "local http://",
    )

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_base(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if (parts.scheme not in ("http", "https") or not parts.hostname or parts.query
                or parts.fragment or any(c.isspace() or not c.isprintable() for c in value)):
            raise ValueError("CNA_PUBLIC_URL must be an http(s) URL without query or fragment, "
                             "e.g. https://cna.example.org")
        return value.rstrip("/")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies_are_addresses(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            value = json.loads(text) if text.startswith("[") else [
                part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, list):
            for entry in value:
                try:
                    ipaddress.ip_network(str(entry), strict=False)
                except ValueError:
                    raise ValueError(f"CNA_TRUSTED_PROXIES: {entry!r} is not an IP address "
                                     "or network") from None
        return value

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.environment != "development" and self.secret_key == DEV_SECRET_KEY:
            raise ValueError("CNA_SECRET_KEY must be set outside development (CNA_ENV)")
        return self

    @model_validator(mode="after")
    def _metrics_token_is_usable(self) -> Settings:
        token = self.metrics_token.get_secret_value() if self.metrics_token else ""
        if token and len(token) < 16:
            raise ValueError("CNA_METRICS_TOKEN must be at least 16 characters")
        if self.metrics == "token" and not token:
            raise ValueError("CNA_METRICS=token needs CNA_METRICS_TOKEN")
        return self

    @property
    def session_cookie_secure(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return (self.environment != "development"
                or (self.public_url or "").startswith("https://"))

    @property
    def embedded(self) -> bool:
        return self.database_url is None

    @property
    def metrics_access(self) -> Literal["public", "token", "off"]:
        """Who may read /metrics: as set, or token when a token is set, or public only in
        development with public reading on."""
        if self.metrics is not None:
            return self.metrics
        if self.metrics_token is not None:
            return "token"
        if self.environment == "development" and self.public_read:
            return "public"
        return "off"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
