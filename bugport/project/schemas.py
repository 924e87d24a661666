from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp

KEY_PATTERN = r"^[A-Z][A-Z0-9]{1,9}$"


class ProjectCreate(InputModel):
    workspace_id: uuid.UUID
    name: SingleLine = Field(min_length=1, max_length=100)
    key: str = Field(
        pattern=KEY_PATTERN,
        description="2-10 uppercase letters/digits, starting with a letter; prefixes bug keys (WEB-42). Fixed after creation.",
    )
    description: str | None = Field(default=None, max_length=2000)


RedactNames = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.\-]+$")]],
    Field(max_length=50),
]


class ProjectUpdate(InputModel):
    name: SingleLine | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    redact_headers: RedactNames | None = Field(
        default=None,
        description="Extra header names whose values are redacted at ingest (bug reports).",
    )
    redact_params: RedactNames | None = Field(
        default=None,
        description="Extra query/body/JSON parameter names redacted at ingest.",
    )


class Project(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    key: str
    description: str | None
    redact_headers: list[str]
    redact_params: list[str]
    created_at: Timestamp
    updated_at: Timestamp
