from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp
from bugport.media.rules import Kind

KIND_HELP = (
    "screenshot: image/png|jpeg|webp|gif; video: video/webm|mp4; har: application/json or "
    "application/har+json; attachment: any of those plus text/plain, text/csv, application/pdf, "
    "application/zip, application/gzip, application/x-ndjson."
)


class UploadUrlCreate(InputModel):
    filename: SingleLine = Field(
        min_length=1,
        max_length=255,
        description="Shown to users and used on download; never part of the storage key.",
    )
    content_type: str = Field(
        min_length=3,
        max_length=100,
        description="Exact type the PUT will send as Content-Type (no parameters). " + KIND_HELP,
    )
    size_bytes: int = Field(
        ge=1, description="Exact byte length the PUT will send as Content-Length."
    )
    kind: Kind
    project_id: uuid.UUID | None = Field(
        default=None, description="The project the file belongs to (or give bug_id)."
    )
    bug_id: uuid.UUID | None = Field(
        default=None,
        description="Attach to this bug (its project is used). Send exactly one of bug_id / project_id.",
    )


class UploadInstructions(OutputModel):
    url: str
    method: str = Field(description="Always PUT.")
    headers: dict[str, str] = Field(
        description="Send exactly these headers with the PUT; they are part of the signature."
    )


class UploadUrl(OutputModel):
    media_id: uuid.UUID
    upload: UploadInstructions
    expires_at: Timestamp = Field(description="The upload URL stops working at this time.")


class MediaComplete(InputModel):
    media_id: uuid.UUID


class MediaFail(InputModel):
    reason: str | None = Field(default=None, max_length=200, description="Why the client gave up.")


class Media(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    project_id: uuid.UUID
    bug_id: uuid.UUID | None
    kind: str
    filename: str
    content_type: str
    declared_size_bytes: int = Field(description="The size announced at upload-url.")
    size_bytes: int | None = Field(description="The verified size; null until ready.")
    status: str = Field(description="pending | ready | failed")  # "deleted" rows are never shown
    failure_reason: str | None
    thumbnail_state: str = Field(
        description="none (kind has no thumbnail) | pending | ready | skipped (e.g. no ffmpeg) | failed"
    )
    thumbnail_note: str | None
    source: str
    download_url: str | None = Field(description="Short-lived URL of the file; only when ready.")
    download_url_expires_at: Timestamp | None
    thumbnail_url: str | None = Field(description="Short-lived URL of a 320 px WebP; when ready.")
    upload_expires_at: Timestamp
    created_at: Timestamp
    completed_at: Timestamp | None


class MediaUpload(OutputModel):
    """Internal: a pending media row and its upload URL (used by plugin/widget flows too)."""

    media: Media
    upload: UploadInstructions
    expires_at: datetime
