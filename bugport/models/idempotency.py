from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, IdMixin, JSONType, utcnow


class IdempotencyRecord(IdMixin, Base):
    """The stored first response of a creating request (kit/idempotency.py)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint("scope", "route", "key", name="uq_idempotency_keys_scope_route_key"),
        Index("ix_idempotency_keys_expires", "expires_at"),
    )

    scope: Mapped[str] = mapped_column(String(80))  # the credential: "user:<id>", "widget_key:<id>"
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSONType)
    headers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    resource_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
