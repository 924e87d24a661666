from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bugport.kit import text

T = TypeVar("T")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CapturedInput(_Body):
    """Captured data in a request body (console and network entries, environment): unknown
    fields are a 422; text is kept as captured, a NUL or lone surrogate becoming U+FFFD at
    ingest (kit/text.py)."""


class InputModel(_Body):
    """Request bodies: unknown and read-only fields are a 422 naming the field, and every string
    follows kit/text.py's rule (no NUL or other control characters but tab and newlines)."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_rule(cls, value: Any) -> Any:
        return text.check(value)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque cursor for the next page; null on the last page."
    )
