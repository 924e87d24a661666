from __future__ import annotations

import re
import uuid
from typing import Literal

import httpx
from pydantic import Field, field_validator

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp

ProviderId = Literal["github", "linear", "jira"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def relative_path(value: str | None) -> str | None:
    """Only a path on our own site: "/x?y". No scheme, no host, no "//host", no backslashes
    (browsers treat "/\\host" as "//host"), no control characters."""
    if value is None:
        return None
    if not value.startswith("/") or value.startswith("//") or _CONTROL.search(value):
        raise ValueError("must be a relative path starting with a single '/'")
    if "://" in value.split("?", 1)[0]:
        raise ValueError("must be a relative path, not a URL")
    return value


class ProviderInfo(OutputModel):
    id: ProviderId
    name: str
    configured: bool = Field(description="Whether this server has OAuth credentials for it.")
    supports_pkce: bool
    supports_revoke: bool = Field(description="Disconnecting also revokes the token upstream.")
    redirect_uri: str = Field(description="The callback URL to register with the provider.")


class LastTest(OutputModel):
    ok: bool
    reason: str | None
    tested_at: Timestamp


class Connection(OutputModel):
    """A workspace's connection to a tracker account. Tokens are never returned."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    provider: ProviderId
    status: Literal["active", "needs_reauth"]
    account_name: str
    site_name: str | None
    site_url: str | None
    scopes: list[str]
    created_by_id: uuid.UUID | None
    created_at: Timestamp
    updated_at: Timestamp
    last_test: LastTest | None


class ConnectedConnection(Connection):
    return_path: str | None = Field(
        description="The relative path given at start, for the dashboard to return to."
    )


class Catalogue(OutputModel):
    providers: list[ProviderInfo]
    connections: list[Connection] = Field(
        description="This workspace's connections, oldest first (at most "
        "BUGPORT_CONNECTOR_MAX_PER_WORKSPACE, so never paginated)."
    )


class OAuthStart(InputModel):
    workspace_id: uuid.UUID
    return_path: str | None = Field(
        default=None,
        max_length=2000,
        description="Relative path to come back to after the callback (e.g. /settings/integrations).",
    )
    site_url: str | None = Field(
        default=None,
        max_length=300,
        description="Jira only: the Atlassian site to connect (https://acme.atlassian.net) when "
        "the account can reach several; default the first one.",
    )

    @field_validator("return_path")
    @classmethod
    def _relative(cls, v: str | None) -> str | None:
        return relative_path(v)

    @field_validator("site_url")
    @classmethod
    def _site(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            u = httpx.URL(v)
        except httpx.InvalidURL as exc:
            raise ValueError("must be an https URL") from exc
        if u.scheme != "https" or not u.host or u.userinfo:
            raise ValueError("must be an https URL such as https://acme.atlassian.net")
        return f"https://{u.host}"


class OAuthStarted(OutputModel):
    authorize_url: str = Field(description="Send the user's browser here.")
    state: str = Field(description="Single-use; already included in authorize_url.")
    expires_at: Timestamp
    redirect_uri: str
    pkce: bool


class OAuthCallback(InputModel):
    code: str = Field(min_length=1, max_length=2000)
    state: str = Field(min_length=1, max_length=200)


class TestResult(OutputModel):
    ok: bool
    reason: str | None = Field(
        description="Why the test failed, in our words (never the raw answer)."
    )
    tested_at: Timestamp
    status: Literal["active", "needs_reauth"]
    account_name: str


_REPO = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")


class TrackerTargetPut(InputModel):
    connector_id: uuid.UUID
    repo: str | None = Field(default=None, description="GitHub: owner/repo.")
    team_id: str | None = Field(
        default=None, max_length=100, pattern=r"^[A-Za-z0-9-]+$", description="Linear: team id."
    )
    project_key: str | None = Field(
        default=None, pattern=r"^[A-Z][A-Z0-9_]{0,19}$", description="Jira: project key."
    )
    issue_type: str | None = Field(
        default=None, min_length=1, max_length=100, description="Jira: issue type name (Bug)."
    )
    auto_push: bool = Field(default=False, description="Push each new bug automatically.")

    @field_validator("repo")
    @classmethod
    def _repo(cls, v: str | None) -> str | None:
        if v is not None and (not _REPO.match(v) or v.endswith((".", "/.."))):
            raise ValueError("must be owner/repo")
        return v


class TrackerTarget(OutputModel):
    project_id: uuid.UUID
    workspace_id: uuid.UUID
    connector_id: uuid.UUID
    provider: ProviderId
    repo: str | None
    team_id: str | None
    project_key: str | None
    issue_type: str | None
    auto_push: bool
    updated_by_id: uuid.UUID | None
    created_at: Timestamp
    updated_at: Timestamp


class PushRequest(InputModel):
    connector_id: uuid.UUID | None = Field(
        default=None,
        description="Optional: must be the connection of the project's tracker target.",
    )


class TrackerPushOut(OutputModel):
    """One bug's push to one tracker target."""

    id: uuid.UUID
    bug_id: uuid.UUID
    connector_id: uuid.UUID | None
    provider: ProviderId
    target: str = Field(description='"owner/repo", a Linear team id, or "KEY:Issue type".')
    status: Literal["pending", "running", "succeeded", "failed"]
    attempts: int
    last_error: str | None
    external_key: str | None
    external_url: str | None
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None


class TrackerWebhook(OutputModel):
    """What to paste into the tracker's webhook settings so status changes flow back."""

    url: str = Field(description="Where the tracker sends its webhooks (public route).")
    secret: str = Field(description="The signing secret: shown only in this response.")
    signature_header: str = Field(description="The header the tracker signs with.")
    events: str = Field(description="Which events to subscribe to in the tracker.")


class TrackerWebhookAck(OutputModel):
    result: str = Field(description="What the delivery did, in words.")
