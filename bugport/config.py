"""One settings object for the whole service; every field is documented in docs/configuration.md."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

API_VERSION = "0.2.0"


def _read_or_create_secret(path: Path, nbytes: int = 48) -> str:
    """Embedded mode keeps generated secrets in the data dir so restarts keep tokens valid."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.write_text(value)
    path.chmod(0o600)
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUGPORT_", extra="ignore")

    data_dir: Path = Path(".bugport")
    database_url: str | None = None
    public_base_url: str = "http://127.0.0.1:8000"

    # Supabase auth
    supabase_jwt_secret: str | None = None
    supabase_jwks_url: str | None = None
    supabase_url: str | None = None
    jwks_refresh_interval_seconds: int = 300
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    dev_token_ttl_seconds: int = 7 * 24 * 3600

    # Signing key for cursors, local storage URLs and OAuth state (generated in embedded mode)
    secret_key: str | None = None

    redis_url: str | None = None
    # Prefix for every Redis key BugPort writes (rate limits, jobs); lets deployments share a Redis.
    redis_namespace: str = "bugport"
    rate_limit_per_credential: str = "600/minute"
    rate_limit_per_ip: str = "1200/minute"
    rate_limits_enabled: bool = True
    trusted_proxies: list[str] = Field(default_factory=list)

    # Public widget intake (POST /v1/widget/*): every request spends from all three budgets.
    widget_rate_limit_per_key: str = "300/minute"
    widget_rate_limit_per_ip: str = "30/minute"
    widget_rate_limit_per_workspace: str = "1000/minute"
    widget_max_report_bytes: int = 524_288
    # Longest grace period a rotated widget key may keep working.
    widget_key_max_grace_days: int = 30
    # Where GET /widget.js reads the built widget from (default: widget/dist/bugport-widget.js).
    widget_script_path: Path | None = None

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_048_576
    log_json: bool = False
    log_level: str = "INFO"

    invite_ttl_days: int = 7
    # Public share page: requests per client IP (probing for share ids is rate limited).
    share_rate_limit: str = "60/minute"
    # Default workspace storage quota until a plan sets one; unset means unlimited (self-hosted).
    storage_quota_bytes: int | None = None
    embedded_dev_user_email: str = "dev@bugport.local"

    # Billing (docs/billing.md). Without both Stripe secrets billing is disabled (self-hosted):
    # quotas are storage_quota_bytes and the billing routes report `billing_disabled`.
    plans_file: Path | None = None
    stripe_secret_key: str | None = None
    stripe_webhook_secret: str | None = None
    # Only for Stripe-compatible test servers; production leaves it unset (api.stripe.com).
    stripe_api_base: str | None = None
    stripe_webhook_tolerance_seconds: int = Field(default=300, ge=1, le=3600)
    # Webhook re-fetches run under the workspace row lock: keep this short.
    stripe_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # Where Stripe sends the browser back; `{workspace_id}` is substituted. Never from a request.
    billing_success_url: str | None = None
    billing_cancel_url: str | None = None
    billing_portal_return_url: str | None = None
    # A past_due subscription keeps its paid quota this long after the first failed payment.
    billing_grace_period_days: int = Field(default=7, ge=0, le=90)

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'bugport.db').resolve()}"

    @cached_property
    def jwt_secret(self) -> str | None:
        """HS256 secret; generated in embedded mode (no JWKS configured) and kept in the data dir."""
        if self.supabase_jwt_secret:
            return self.supabase_jwt_secret
        if self.supabase_jwks_url:
            return None
        return _read_or_create_secret(self.data_dir / "jwt_secret")

    @cached_property
    def signing_key(self) -> bytes:
        value = self.secret_key or _read_or_create_secret(self.data_dir / "secret_key")
        return value.encode()

    @property
    def expected_issuer(self) -> str | None:
        return f"{self.supabase_url.rstrip('/')}/auth/v1" if self.supabase_url else None

    @property
    def billing_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
