"""Bug API shapes. Size limits live here (and in docs/api.md): every field is bounded."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StringConstraints, field_validator, model_validator

from bugport.kit.schemas import CapturedInput, InputModel, OutputModel
from bugport.kit.text import single_line
from bugport.kit.timestamps import Timestamp

Status = Literal["open", "in_progress", "resolved", "closed", "wont_fix", "duplicate"]
Severity = Literal["critical", "high", "medium", "low"]
Priority = Literal["none", "low", "medium", "high", "urgent"]
Source = Literal["dashboard", "widget", "extension", "api", "mcp"]
LogLevel = Literal["debug", "log", "info", "warn", "error"]
SEVERITY_RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}

# Limits (documented in docs/api.md; 422 names the field, 413 for the whole body / an array).
MAX_REQUEST_BYTES = 4 * 1024 * 1024
MAX_LOGS = 1000
MAX_NETWORK = 500
MAX_LOGS_BYTES = 1024 * 1024
MAX_NETWORK_BYTES = 2 * 1024 * 1024
MAX_ENTRY_BYTES = 256 * 1024
MAX_BODY_CHARS = 64 * 1024
MAX_JSON_BYTES = 16 * 1024
MAX_JSON_DEPTH = 5
MAX_HEADERS = 100
MAX_LABELS = 20


def _depth(value: Any, level: int = 0) -> int:
    if isinstance(value, dict):
        return max([_depth(v, level + 1) for v in value.values()], default=level + 1)
    if isinstance(value, list):
        return max([_depth(v, level + 1) for v in value], default=level + 1)
    return level


def bounded_json(value: Any) -> Any:
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if len(json.dumps(value, ensure_ascii=False)) > MAX_JSON_BYTES:
        raise ValueError(f"larger than {MAX_JSON_BYTES} bytes as JSON")
    return value


def _labels(value: list[str]) -> list[str]:
    out: list[str] = []
    for label in value:
        label = label.strip()
        if not label or len(label) > 50:
            raise ValueError("each label is 1-50 characters")
        single_line(label)
        if label not in out:
            out.append(label)
    return out


BoundedJSON = Annotated[dict[str, Any], AfterValidator(bounded_json)]
# Checked by pydantic's core (no Python per header: intake validates thousands of them).
Headers = Annotated[
    dict[
        Annotated[str, StringConstraints(max_length=256)],
        Annotated[str, StringConstraints(max_length=8192)],
    ],
    Field(max_length=MAX_HEADERS),
]
Labels = Annotated[list[str], Field(max_length=MAX_LABELS), AfterValidator(_labels)]


class Environment(CapturedInput):
    browser: str | None = Field(default=None, max_length=200)
    browser_version: str | None = Field(default=None, max_length=100)
    os: str | None = Field(default=None, max_length=200)
    os_version: str | None = Field(default=None, max_length=100)
    device: str | None = Field(default=None, max_length=200)
    viewport_width: int | None = Field(default=None, ge=0, le=100_000)
    viewport_height: int | None = Field(default=None, ge=0, le=100_000)
    screen_width: int | None = Field(default=None, ge=0, le=100_000)
    screen_height: int | None = Field(default=None, ge=0, le=100_000)
    pixel_ratio: float | None = Field(default=None, ge=0, le=100)
    locale: str | None = Field(default=None, max_length=50)
    timezone: str | None = Field(default=None, max_length=100)
    user_agent: str | None = Field(default=None, max_length=1000)


class LogIn(CapturedInput):
    level: LogLevel = "log"
    message: str = Field(max_length=10_000)
    args: list[Any] = Field(default_factory=list, max_length=20)
    stack: str | None = Field(default=None, max_length=20_000)
    timestamp: datetime | None = None
    source: str | None = Field(
        default=None, max_length=2048, description="Where it was logged: `url:line[:column]`."
    )

    @field_validator("args")
    @classmethod
    def _args(cls, v: list[Any]) -> list[Any]:
        if v:  # most console entries carry none
            bounded_json({"args": v})
        return v


class NetworkIn(CapturedInput):
    method: str = Field(min_length=1, max_length=16, pattern=r"^[A-Za-z]+$")
    url: str = Field(min_length=1, max_length=8192)
    status: int | None = Field(default=None, ge=0, le=999, description="0/null: no response.")
    request_headers: Headers = Field(default_factory=dict)
    response_headers: Headers = Field(default_factory=dict)
    timing: dict[str, float] = Field(
        default_factory=dict,
        max_length=20,
        description="Milliseconds: e.g. start, dns, connect, ttfb, duration.",
    )
    request_size: int | None = Field(default=None, ge=0)
    response_size: int | None = Field(default=None, ge=0)
    request_body: str | None = Field(default=None, max_length=MAX_BODY_CHARS)
    response_body: str | None = Field(default=None, max_length=MAX_BODY_CHARS)
    error: str | None = Field(default=None, max_length=2000)
    started_at: datetime | None = None


class ReporterIn(InputModel):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")


class ReportContent(InputModel):
    """What a report says, whoever files it: the widget's visitors send only this."""

    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=50_000, description="Markdown.")
    page_url: str | None = Field(default=None, max_length=8192)
    environment: Environment = Field(default_factory=Environment)
    metadata: BoundedJSON = Field(
        default_factory=dict,
        description=f"Custom JSON object, at most {MAX_JSON_BYTES} bytes and {MAX_JSON_DEPTH} levels.",
    )
    repro_steps: str | None = Field(default=None, max_length=20_000, description="Markdown.")
    logs: list[LogIn] = Field(default_factory=list, max_length=MAX_LOGS)
    network: list[NetworkIn] = Field(default_factory=list, max_length=MAX_NETWORK)


class BugData(ReportContent):
    """The report fields every signed-in intake shares (dashboard, extension, MCP): the content
    plus the team's triage fields."""

    status: Status = Field(
        default="open",
        description="Any status but `duplicate` (see POST /v1/bugs/{id}/duplicate-of).",
    )
    severity: Severity = "medium"
    priority: Priority = "none"
    assignee_id: uuid.UUID | None = Field(default=None, description="A workspace member.")
    labels: Labels = Field(default_factory=list)

    @field_validator("status")
    @classmethod
    def _not_duplicate(cls, v: str) -> str:
        if v == "duplicate":
            raise ValueError(
                "a new bug can't start as a duplicate: file it, then POST "
                "/v1/bugs/{bug_id}/duplicate-of"
            )
        return v


class BugCreate(BugData):
    project_id: uuid.UUID
    source: Literal["dashboard", "api"] = Field(
        default="dashboard",
        description="Signed-in users file from the dashboard or scripts (`api`); MCP tokens are "
        "always `mcp`; widget and extension intake set their own.",
    )


class BugUpdate(InputModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=50_000)
    status: Status | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = None
    labels: Labels | None = None
    repro_steps: str | None = Field(default=None, max_length=20_000)
    metadata: BoundedJSON | None = None


MAX_BULK_IDS = 100


class LabelsChange(InputModel):
    """Bulk label edit: `set` replaces the list; or `add`/`remove` edit each bug's own list."""

    set: Labels | None = None
    add: Labels = Field(default_factory=list)
    remove: Labels = Field(default_factory=list)

    @model_validator(mode="after")
    def _set_alone(self) -> LabelsChange:
        if self.set is not None and (self.add or self.remove):
            raise ValueError("send either `set`, or `add`/`remove`, not both")
        return self


class BulkChanges(InputModel):
    """The triage fields a bulk edit may change (title/description stay per bug)."""

    status: Status | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = Field(default=None, description="`null` unassigns.")
    labels: LabelsChange | None = None


class BulkUpdate(InputModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK_IDS)
    changes: BulkChanges


class BulkResult(OutputModel):
    data: list[Bug] = Field(description="The visible bugs, as they are after the change.")
    not_found: list[uuid.UUID] = Field(
        description="Ids that don't exist or aren't visible to this credential: nothing changed."
    )


class Reporter(OutputModel):
    user_id: uuid.UUID | None
    name: str | None
    email: str | None


class Redaction(OutputModel):
    path: str
    rule: str


class Fingerprint(OutputModel):
    """The failure a report captured (docs/similar.md): reports with the same `hash` are grouped."""

    hash: str = Field(description="Hash of the failure's normalised form.")
    request: str | None = Field(
        description="The first failing request, normalised: `POST /api/checkout/:id → 5xx`."
    )
    error: str | None = Field(
        description="The first console error, normalised, with its top in-app frame."
    )


class BugGroup(OutputModel):
    """In a list grouped by fingerprint (`group=fingerprint`): the group this row stands for."""

    fingerprint: str | None = Field(description="`null`: a report with no captured failure.")
    count: int = Field(
        description="Reports in the group that match the list's filters, counted up to 1,000."
    )
    count_capped: bool = Field(description='More than 1,000 match: `count` says 1000 ("1000+").')
    first_seen: Timestamp
    last_seen: Timestamp = Field(description="The newest report's time: this row's bug.")


class Bug(OutputModel):
    id: uuid.UUID
    key: str = Field(description="Human key: project key + per-project number, e.g. WEB-42.")
    number: int
    workspace_id: uuid.UUID
    project_id: uuid.UUID
    title: str
    description: str | None
    status: Status
    severity: Severity
    priority: Priority
    assignee_id: uuid.UUID | None
    labels: list[str]
    reporter: Reporter
    source: Source
    page_url: str | None
    environment: dict[str, Any]
    metadata: dict[str, Any]
    repro_steps: str | None
    redactions: list[Redaction] = Field(
        description="What was redacted at ingest, and by which rule."
    )
    external_issue: dict[str, Any] | None = Field(description="Tracker issue, once pushed.")
    log_count: int
    network_count: int
    failed_request_count: int
    fingerprint: Fingerprint | None = Field(
        description="The failure this report captured; `null` when it captured none."
    )
    duplicate_of_id: uuid.UUID | None = Field(
        description="The canonical bug, when this one is marked a duplicate (status `duplicate`)."
    )
    group: BugGroup | None = Field(
        default=None, description="Only in lists grouped by fingerprint: this row's group."
    )
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, b: Any, group: BugGroup | None = None) -> Bug:
        return cls(
            id=b.id,
            key=b.key,
            number=b.number,
            workspace_id=b.workspace_id,
            project_id=b.project_id,
            title=b.title,
            description=b.description,
            status=b.status,
            severity=b.severity,
            priority=b.priority,
            assignee_id=b.assignee_id,
            labels=b.labels or [],
            reporter=Reporter(
                user_id=b.reporter_user_id, name=b.reporter_name, email=b.reporter_email
            ),
            source=b.source,
            page_url=b.page_url,
            environment=b.environment or {},
            metadata=b.custom_metadata or {},
            repro_steps=b.repro_steps,
            redactions=[Redaction(**r) for r in b.redactions or []],
            external_issue=b.external_issue,
            log_count=b.log_count,
            network_count=b.network_count,
            failed_request_count=b.failed_request_count,
            fingerprint=Fingerprint(hash=b.fingerprint, request=b.fp_request, error=b.fp_error)
            if b.fingerprint
            else None,
            duplicate_of_id=b.duplicate_of_id,
            group=group,
            created_at=b.created_at,
            updated_at=b.updated_at,
        )


class PublicLogEntry(OutputModel):
    """A console entry as a share link shows it: no internal id."""

    position: int
    level: LogLevel
    message: str
    args: list[Any]
    stack: str | None
    timestamp: Timestamp | None
    source: str | None


class LogEntry(PublicLogEntry):
    id: uuid.UUID


class PublicNetworkEntry(OutputModel):
    """A captured request as a share link shows it: no internal id."""

    position: int
    method: str
    url: str
    status: int | None
    failed: bool
    request_headers: dict[str, str]
    response_headers: dict[str, str]
    timing: dict[str, float]
    request_size: int | None
    response_size: int | None
    request_body: str | None
    response_body: str | None
    error: str | None
    started_at: Timestamp | None


class NetworkEntry(PublicNetworkEntry):
    id: uuid.UUID


class CommentCreate(InputModel):
    body: str = Field(
        min_length=1,
        max_length=10_000,
        description="Markdown. Mention members as `@email@example.com` or `@<user id>`.",
    )


class CommentUpdate(CommentCreate):
    pass


class Comment(OutputModel):
    id: uuid.UUID
    bug_id: uuid.UUID
    author_id: uuid.UUID | None
    body: str
    mentions: list[uuid.UUID]
    created_at: Timestamp
    updated_at: Timestamp
    edited_at: Timestamp | None


class Actor(OutputModel):
    kind: Literal["user", "mcp_token", "widget_key", "extension", "system"]
    user_id: uuid.UUID | None
    label: str | None


class ActivityEntry(OutputModel):
    id: uuid.UUID
    bug_id: uuid.UUID
    type: str = Field(description="See docs/api.md for every type and its payload.")
    actor: Actor
    payload: dict[str, Any]
    created_at: Timestamp

    @classmethod
    def of(cls, a: Any) -> ActivityEntry:
        return cls(
            id=a.id,
            bug_id=a.bug_id,
            type=a.type,
            actor=Actor(kind=a.actor_kind, user_id=a.actor_user_id, label=a.actor_label),
            payload=a.payload or {},
            created_at=a.created_at,
        )


class BugExport(Bug):
    logs: list[LogEntry]
    network: list[NetworkEntry]
    comments: list[Comment]
    activity: list[ActivityEntry]
    media: list[dict[str, Any]] = Field(description="Attachments (filled by the media feature).")


class ShareLinkCreate(InputModel):
    expires_at: datetime | None = Field(
        default=None, description="Optional; must be in the future. No expiry when omitted."
    )


class ShareLink(OutputModel):
    id: uuid.UUID
    bug_id: uuid.UUID
    share_id: str
    url: str = Field(
        description="The dashboard's public page `/s/{share_id}`; its data comes from "
        "`GET /v1/public/share/bug/{share_id}`."
    )
    created_by_id: uuid.UUID | None
    created_at: Timestamp
    expires_at: Timestamp | None
    revoked_at: Timestamp | None
    view_count: int
    active: bool


class PublicMedia(OutputModel):
    """A ready screenshot, video or attachment on a share link. `url` and `thumbnail_url` are
    share routes that redirect to a short-lived signed URL of the file, so the view itself holds
    no storage key or id."""

    kind: str
    filename: str
    content_type: str
    size_bytes: int | None
    url: str
    thumbnail_url: str | None


class PublicBug(OutputModel):
    """What a share link shows (docs/api.md, "Public share"): no reporter, assignee, metadata,
    comments, activity or workspace ids."""

    key: str
    title: str
    description: str | None
    status: Status
    severity: Severity
    priority: Priority
    labels: list[str]
    page_url: str | None
    environment: dict[str, Any]
    repro_steps: str | None
    created_at: Timestamp
    updated_at: Timestamp
    logs: list[PublicLogEntry]
    network: list[PublicNetworkEntry]
    media: list[PublicMedia]


@dataclass
class BugFilters:
    """The list filters of GET /v1/bugs and the MCP list tools (bug/repository.py applies them)."""

    workspace_id: uuid.UUID | None = None
    project_id: uuid.UUID | None = None
    status: list[str] | None = None
    severity: list[str] | None = None
    assignee_id: uuid.UUID | None = None
    label: str | None = None
    source: str | None = None
    reporter: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    q: str | None = None
    sort: str = "newest"
