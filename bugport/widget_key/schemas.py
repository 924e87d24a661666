from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp
from bugport.widget_key.origins import OriginError, normalise_allowed

ORIGINS_DESCRIPTION = (
    "Origins allowed to use this key: `scheme://host[:port]` (exact; default ports dropped, host "
    "lowercased) or `scheme://*.example.com[:port]` (one or more subdomain labels of "
    "example.com, never example.com itself). 1–50 entries."
)


def _origins(v: list[str]) -> list[str]:
    try:
        return normalise_allowed(v)
    except OriginError as exc:
        raise ValueError(str(exc)) from exc


class WidgetKeyCreate(InputModel):
    label: SingleLine = Field(min_length=1, max_length=100)
    allowed_origins: list[str] = Field(min_length=1, max_length=50, description=ORIGINS_DESCRIPTION)
    enabled: bool = True

    _norm = field_validator("allowed_origins")(_origins)


class WidgetKeyUpdate(InputModel):
    label: SingleLine | None = Field(default=None, min_length=1, max_length=100)
    allowed_origins: list[str] | None = Field(
        default=None, min_length=1, max_length=50, description=ORIGINS_DESCRIPTION
    )
    enabled: bool | None = None

    @field_validator("allowed_origins")
    @classmethod
    def _norm(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _origins(v)


class WidgetKeyRotate(InputModel):
    grace_until: datetime | None = Field(
        default=None,
        description="Until when the old key keeps working (RFC 3339, in the future, at most "
        "`widget_key_max_grace_days` ahead). Omitted or null: the old key stops now.",
    )


class WidgetKey(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    project_id: uuid.UUID
    label: str
    key_hint: str = Field(description="The prefix and the last four characters.")
    allowed_origins: list[str]
    enabled: bool
    expires_at: Timestamp | None = Field(
        description="Set when the key was rotated: it stops working at this time."
    )
    rotated_to_id: uuid.UUID | None
    last_used_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class WidgetKeyCreated(WidgetKey):
    key: str = Field(description="The full key. Shown only in this response.")
