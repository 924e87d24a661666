"""Schemas of the extension's capture flow: one call makes the bug and N upload URLs."""

from __future__ import annotations

import uuid

from pydantic import Field

from bugport.bug.schemas import Bug, BugData
from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp
from bugport.media.rules import Kind
from bugport.media.schemas import UploadInstructions

MAX_ATTACHMENTS = 20


class CaptureAttachment(InputModel):
    filename: SingleLine = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=3, max_length=100)
    size_bytes: int = Field(ge=1)
    kind: Kind


class CaptureCreate(BugData):
    project_id: uuid.UUID
    attachments: list[CaptureAttachment] = Field(
        default_factory=list,
        max_length=MAX_ATTACHMENTS,
        description=f"Files to upload with the report (at most {MAX_ATTACHMENTS}).",
    )


class AttachmentError(OutputModel):
    code: str
    message: str
    details: list[dict[str, str]] | None = None


class CaptureAttachmentResult(OutputModel):
    index: int = Field(description="Position in the request's `attachments`.")
    filename: str
    media_id: uuid.UUID | None
    upload: UploadInstructions | None
    expires_at: Timestamp | None
    error: AttachmentError | None = Field(
        description="Why no URL was issued for this file (e.g. quota_exceeded); the bug is kept."
    )


class Capture(OutputModel):
    bug: Bug
    attachments: list[CaptureAttachmentResult]
