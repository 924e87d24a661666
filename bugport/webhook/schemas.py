from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from bugport.events.outbox import ALL_TYPES
from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.text import SingleLine
from bugport.kit.timestamps import Timestamp

TYPES_DESCRIPTION = (
    "Event types to receive (docs/webhooks.md lists them); empty or omitted: every type."
)


def _types(v: list[str] | None) -> list[str] | None:
    if v is None:
        return None
    unknown = sorted(set(v) - set(ALL_TYPES))
    if unknown:
        raise ValueError(f"unknown event types {unknown}; known: {list(ALL_TYPES)}")
    return sorted(set(v))


class WebhookCreate(InputModel):
    url: SingleLine = Field(min_length=1, max_length=2048, description="https URL of the receiver.")
    kind: Literal["standard", "slack"] = Field(
        default="standard",
        description="standard: the signed JSON envelope. slack: a Block Kit message to a Slack "
        "incoming-webhook URL (default event types: bug.created, bug.status_changed).",
    )
    description: SingleLine | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(
        default_factory=list, max_length=50, description=TYPES_DESCRIPTION
    )
    project_id: uuid.UUID | None = Field(
        default=None, description="Only this project's events (a project of the workspace)."
    )
    enabled: bool = True

    _t = field_validator("event_types")(_types)


class WebhookUpdate(InputModel):
    url: SingleLine | None = Field(default=None, min_length=1, max_length=2048)
    description: SingleLine | None = Field(default=None, max_length=500)
    event_types: list[str] | None = Field(
        default=None, max_length=50, description=TYPES_DESCRIPTION
    )
    enabled: bool | None = Field(
        default=None, description="Re-enabling an endpoint the system disabled resets its count."
    )

    _t = field_validator("event_types")(_types)


class WebhookRotate(InputModel):
    grace_seconds: int = Field(
        default=86400,
        ge=0,
        le=7 * 86400,
        description="How long the old secret keeps signing beside the new one (default a day).",
    )


class Webhook(OutputModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    project_id: uuid.UUID | None
    url: str
    kind: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="Why the system disabled it, if it did.")
    consecutive_failures: int = Field(
        description="Deliveries in a row that failed every retry (reset by a success)."
    )
    previous_secret_expires_at: Timestamp | None = Field(
        description="During a rotation: until when the old secret also signs."
    )
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, ep: Any) -> Webhook:
        out = cls.model_validate(ep)
        if ep.kind == "slack":  # a Slack webhook URL is itself the credential: never shown again
            out.url = masked(ep.url)
        return out


def masked(url: str) -> str:
    head, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{head}://{host}/…{url[-4:]}"


class WebhookCreated(Webhook):
    secret: str = Field(description="`whsec_…` signing secret: shown only in this response.")


class WebhookAttempt(OutputModel):
    id: uuid.UUID
    delivery_id: uuid.UUID
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    event_type: str
    attempt: int = Field(description="1 for the first try of this delivery.")
    status_code: int | None = Field(description="The receiver's HTTP status; null if none came.")
    succeeded: bool
    latency_ms: int
    response_excerpt: str | None = Field(description="The first 500 characters of the answer.")
    error: str | None
    delivery_status: str = Field(description="pending (will be retried), succeeded or failed.")
    next_attempt_at: Timestamp | None
    created_at: Timestamp


class DeliveryOut(OutputModel):
    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
