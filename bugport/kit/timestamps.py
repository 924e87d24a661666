from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import PlainSerializer


def rfc3339(value: datetime) -> str:
    """`2026-11-28T14:05:09.123Z`: UTC, millisecond precision, with a Z."""
    return (
        value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    )


Timestamp = Annotated[datetime, PlainSerializer(rfc3339, return_type=str, when_used="json")]
