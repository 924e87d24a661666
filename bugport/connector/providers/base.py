"""What every tracker provider implements, and the helpers they share."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from bugport.config import Settings
from bugport.connector.http import (
    ProviderCallFailed,
    ProviderHttp,
    ProviderResponse,
    status_failure,
)
from bugport.connector.issue import IssueDraft

_OAUTH_ERROR = re.compile(r"^[a-z_]{1,64}$")


@dataclass
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_in: int | None = None
    scope: str = ""


@dataclass
class Identity:
    external_key: str
    account_name: str
    site_name: str | None = None
    site_url: str | None = None
    cloud_id: str | None = None


@dataclass
class Connection:
    """What a provider needs to know about a stored connection (decrypted access token included)."""

    access_token: str
    cloud_id: str | None = None
    site_url: str | None = None
    refreshed: bool = False  # the token was refreshed just now


@dataclass
class TargetSpec:
    """Where an issue goes, as stored on a push: "owner/repo", a Linear team id, "KEY:Type"."""

    repo: str | None = None
    team_id: str | None = None
    project_key: str | None = None
    issue_type: str | None = None

    def to_string(self, provider: str) -> str:
        if provider == "github":
            return str(self.repo)
        if provider == "linear":
            return str(self.team_id)
        return f"{self.project_key}:{self.issue_type or 'Bug'}"

    @classmethod
    def parse(cls, provider: str, value: str) -> TargetSpec:
        if provider == "github":
            return cls(repo=value)
        if provider == "linear":
            return cls(team_id=value)
        key, _, kind = value.partition(":")
        return cls(project_key=key, issue_type=kind or "Bug")


@dataclass
class ExternalIssue:
    id: str
    key: str  # acme/web#12, ENG-7, WEB-3
    url: str | None


class Provider:
    id: ClassVar[str]
    name: ClassVar[str]
    supports_pkce: ClassVar[bool]
    supports_revoke: ClassVar[bool]

    def __init__(self, settings: Settings, http: ProviderHttp) -> None:
        self.settings = settings
        self.http = http

    # -- configuration -------------------------------------------------------------------------
    @property
    def client_id(self) -> str | None:
        return getattr(self.settings, f"{self.id}_client_id")

    @property
    def client_secret(self) -> str | None:
        return getattr(self.settings, f"{self.id}_client_secret")

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def setting(self, name: str) -> str:
        return str(getattr(self.settings, f"{self.id}_{name}")).rstrip("/")

    # -- OAuth ---------------------------------------------------------------------------------
    def authorize_url(self, state: str, challenge: str | None, redirect_uri: str) -> str:
        raise NotImplementedError

    async def exchange_code(self, code: str, verifier: str | None, redirect_uri: str) -> TokenSet:
        raise NotImplementedError

    async def refresh(self, refresh_token: str) -> TokenSet:
        raise NotImplementedError

    async def revoke(self, access_token: str, refresh_token: str | None) -> None:
        """Best effort; providers without a revocation endpoint do nothing."""

    # -- identity ------------------------------------------------------------------------------
    async def identify(self, access_token: str, site_hint: str | None) -> Identity:
        """Who the new connection is (called once, right after the code exchange)."""
        raise NotImplementedError

    async def whoami(self, conn: Connection) -> str:
        """The account name, from the provider's identity endpoint (the connection test)."""
        raise NotImplementedError

    # -- issues --------------------------------------------------------------------------------
    async def create_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue:
        raise NotImplementedError

    async def find_issue(
        self, conn: Connection, target: TargetSpec, draft: IssueDraft, push_id: uuid.UUID
    ) -> ExternalIssue | None:
        """An issue an earlier attempt of this push may have created, or None."""
        raise NotImplementedError

    # -- helpers -------------------------------------------------------------------------------
    def url(self, base_setting: str, path: str, query: dict[str, str] | None = None) -> str:
        u = self.setting(base_setting) + path
        return f"{u}?{urlencode(query)}" if query else u

    async def call(self, method: str, url: str, **kw: Any) -> ProviderResponse:
        return await self.http.request(self.name, method, url, **kw)

    def token_set(self, resp: ProviderResponse, what: str, *, refreshing: bool) -> TokenSet:
        """Parse an OAuth token endpoint answer (RFC 6749 §5). Error codes are a fixed
        vocabulary, so they are the only part of an error answer we repeat."""
        body = resp.json() if resp.body else None
        error = body.get("error") if isinstance(body, dict) else None
        if resp.status >= 500:
            raise status_failure(self.name, resp, what)
        if resp.status >= 400 or error:
            code = error if isinstance(error, str) and _OAUTH_ERROR.match(error) else None
            detail = f" ({code})" if code else f" ({resp.status})"
            if refreshing:
                raise ProviderCallFailed(
                    f"{self.name} no longer accepts this connection's refresh token{detail}; "
                    "reconnect.",
                    status=resp.status,
                    auth=True,
                )
            raise ProviderCallFailed(
                f"{self.name} refused the authorization code{detail}; start the connection again.",
                status=resp.status,
            )
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise ProviderCallFailed(
                f"{self.name}'s token endpoint answered without an access token.",
                status=resp.status,
            )
        expires = body.get("expires_in")
        refresh = body.get("refresh_token")
        scope = body.get("scope")
        return TokenSet(
            access_token=body["access_token"],
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_in=int(expires) if isinstance(expires, int | float) and expires > 0 else None,
            scope=scope if isinstance(scope, str) else "",
        )

    def ok_json(self, resp: ProviderResponse, what: str) -> Any:
        if not 200 <= resp.status < 300:
            raise status_failure(self.name, resp, what)
        return resp.json()


def text(value: Any, limit: int = 255) -> str | None:
    """A provider-supplied string field, bounded; None for anything else."""
    if isinstance(value, str) and value.strip():
        return value.strip()[:limit]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
