from __future__ import annotations

import uuid

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp

KEY_PATTERN = r"^[A-Z][A-Z0-9]{1,9}$"


class ProjectCreate(InputModel):
    workspace_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100)
    key: str = Field(
        pattern=KEY_PATTERN,
        description="2-10 uppercase letters/digits, starting with a letter; prefixes bug keys (WEB-42). Fixed after creation.",
    )
    description: str | None = Field(default=None, max_length=2000)


class ProjectUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)


class Project(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    key: str
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp
