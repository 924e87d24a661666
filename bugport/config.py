"""One settings object for the whole service; every field is documented in docs/configuration.md."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

import jwt
from pydantic import Field, field_validator
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
    # The project's public anon (publishable) key, handed to the dashboard by GET /v1/public/config.
    supabase_anon_key: str | None = None
    jwks_refresh_interval_seconds: int = 300
    jwt_leeway_seconds: int = Field(default=30, ge=0, le=60)
    dev_token_ttl_seconds: int = 7 * 24 * 3600
    # How long the one-time sign-in link `bugport serve` prints stays valid.
    signin_link_ttl_seconds: int = Field(default=900, ge=30, le=24 * 3600)

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
    # Where GET /widget.js reads the built widget from (default: bugport/web/widget/bugport-widget.js).
    widget_script_path: Path | None = None
    # Where `bugport serve` reads the built dashboard from (default: bugport/web/dashboard/).
    dashboard_dir: Path | None = None

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
    # Object storage (media). With BUGPORT_S3_BUCKET set, media goes to S3/R2; otherwise to the
    # embedded local backend under <data_dir>/objects, served by BugPort on /storage/...
    storage_backend: str = Field(default="auto", pattern="^(auto|local|s3)$")
    s3_endpoint_url: str | None = None
    s3_bucket: str | None = None
    s3_region: str = "auto"  # Cloudflare R2 takes "auto"; AWS a real region
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_path_style: bool = False  # path-style addressing (R2, MinIO, emulators)
    media_upload_url_ttl_seconds: int = Field(default=900, ge=30, le=7 * 24 * 3600)
    media_download_url_ttl_seconds: int = Field(default=300, ge=30, le=7 * 24 * 3600)
    # A pending upload is swept this long after its URL expired (a PUT may still be in flight).
    media_sweep_grace_seconds: int = Field(default=300, ge=0)
    media_sweep_interval_seconds: int = Field(default=300, ge=5)
    media_max_screenshot_bytes: int = 20 * 1024 * 1024
    media_max_video_bytes: int = 200 * 1024 * 1024
    media_max_attachment_bytes: int = 50 * 1024 * 1024
    media_max_har_bytes: int = 50 * 1024 * 1024
    thumbnail_size_px: int = Field(default=320, ge=16, le=2048)

    # Background jobs: Redis stream queue name (a `bugport worker` consumes it) when redis_url
    # is set; jobs run in-process otherwise.
    jobs_queue: str | None = None  # default "<redis_namespace>:jobs"
    jobs_max_retries: int = Field(default=3, ge=1, le=20)

    @property
    def jobs_stream(self) -> str:
        return self.jobs_queue or f"{self.redis_namespace}:jobs"

    @property
    def uses_s3(self) -> bool:
        if self.storage_backend == "auto":
            return bool(self.s3_bucket)
        return self.storage_backend == "s3"

    # Connectors (issue trackers). A provider is "configured" when its client id and secret are
    # set. Base URLs are settings so GitHub Enterprise, other Atlassian hosts and test stubs work.
    github_client_id: str | None = None
    github_client_secret: str | None = None
    github_oauth_url: str = "https://github.com"
    github_api_url: str = "https://api.github.com"
    github_scopes: str = "repo"
    linear_client_id: str | None = None
    linear_client_secret: str | None = None
    linear_oauth_url: str = "https://linear.app"
    linear_api_url: str = "https://api.linear.app"
    linear_scopes: str = "read,issues:create"
    jira_client_id: str | None = None
    jira_client_secret: str | None = None
    jira_auth_url: str = "https://auth.atlassian.com"
    jira_api_url: str = "https://api.atlassian.com"
    jira_scopes: str = "read:jira-work write:jira-work read:jira-user offline_access"
    # Where providers send the browser back: <base>/integrations/<provider>/callback (the
    # dashboard page that POSTs code+state to the API). Defaults to public_base_url.
    connector_redirect_base_url: str | None = None
    connector_oauth_state_ttl_seconds: int = Field(default=600, ge=60, le=3600)
    # Provider tokens are encrypted with this key (any high-entropy string; generated in the data
    # dir in embedded mode). Old keys still decrypt, so a key can be rotated.
    connector_encryption_key: str | None = None
    connector_encryption_old_keys: list[str] = Field(default_factory=list)
    # Outbound calls: https only and public addresses only, except hosts/CIDRs listed here
    # (loopback stubs in tests, on-prem Jira/GitHub Enterprise); listed hosts may also use http.
    connector_net_allowlist: list[str] = Field(default_factory=list)
    connector_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    connector_max_response_bytes: int = Field(default=1_048_576, ge=1024)
    connector_max_per_workspace: int = Field(default=20, ge=1)

    # Outbound webhooks (docs/webhooks.md). Same outbound guard as connectors: https and public
    # addresses only, except hosts/CIDRs listed here (self-hosted receivers, loopback in tests).
    webhook_net_allowlist: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    # How often the relay fans new events out and retries due deliveries.
    webhook_sweep_seconds: float = Field(default=1.0, gt=0, le=300)
    # An endpoint is disabled after this many deliveries in a row failed every retry.
    webhook_disable_after_failed_deliveries: int = Field(default=5, ge=1)
    webhook_max_per_workspace: int = Field(default=20, ge=1)
    # Relayed events (and their delivery log) are kept this long.
    event_retention_days: int = Field(default=30, ge=1)

    # Email notifications (docs/notifications.md). Without a host, emails are written to
    # <data_dir>/mail as .eml files and logged, so a local user can read them.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "BugPort <bugport@localhost>"
    smtp_starttls: bool = True  # upgrade the connection (port 587); smtp_tls is implicit TLS (465)
    smtp_tls: bool = False
    smtp_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    # Changes to one bug within this window go to each recipient as one email.
    notification_batch_seconds: int = Field(default=180, ge=0, le=3600)

    # MCP tokens: lifetime when the creator gives no expiry, and the longest one allowed.
    mcp_token_default_ttl_days: int = Field(default=90, ge=1)
    mcp_token_max_ttl_days: int = Field(default=365, ge=1)
    # Size budgets of what the MCP bridge hands an agent for one bug.
    mcp_context_max_bytes: int = Field(default=65_536, ge=4096, le=1_048_576)
    mcp_prompt_max_chars: int = Field(default=24_000, ge=2000, le=500_000)

    @field_validator("supabase_anon_key")
    @classmethod
    def _anon_key_is_public(cls, value: str | None) -> str | None:
        """The key is served to every browser: refuse a service key put here by mistake."""
        if value is None:
            return None
        if value.startswith("sb_secret_"):
            raise ValueError("this is a Supabase secret key; give the anon/publishable key")
        try:
            claims = jwt.decode(value, options={"verify_signature": False})
        except jwt.PyJWTError:
            return value  # the newer sb_publishable_ keys are not JWTs
        if claims.get("role") != "anon":
            raise ValueError("this Supabase key is not the anon key (role must be 'anon')")
        return value

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

    @cached_property
    def connector_keys(self) -> list[str]:
        """Token-encryption keys, newest first (the first one encrypts)."""
        first = self.connector_encryption_key or _read_or_create_secret(
            self.data_dir / "connector_key"
        )
        return [first, *self.connector_encryption_old_keys]

    def connector_redirect_uri(self, provider: str) -> str:
        base = (self.connector_redirect_base_url or self.public_base_url).rstrip("/")
        return f"{base}/integrations/{provider}/callback"

    @property
    def expected_issuer(self) -> str | None:
        return f"{self.supabase_url.rstrip('/')}/auth/v1" if self.supabase_url else None

    @property
    def billing_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")
