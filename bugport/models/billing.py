from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bugport.models.base import Base, TimestampMixin, utcnow


class WorkspaceBilling(TimestampMixin, Base):
    """A workspace's Stripe binding and the subscription state last confirmed by a verified
    webhook. Plan, status and add-ons change only through `billing.service.sync_subscription`."""

    __tablename__ = "workspace_billing"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    # Created once per workspace (under the workspace row lock) and reused.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255), unique=True, default=None)
    stripe_subscription_id: Mapped[str | None] = mapped_column(
        String(255), unique=True, default=None
    )
    # The subscribed plan (may differ from the effective one when canceled or out of grace).
    plan_id: Mapped[str | None] = mapped_column(String(50), default=None)
    interval: Mapped[str | None] = mapped_column(String(10), default=None)
    stripe_status: Mapped[str | None] = mapped_column(String(30), default=None)
    current_period_end: Mapped[datetime | None] = mapped_column(default=None)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    storage_blocks: Mapped[int] = mapped_column(Integer, default=0)
    past_due_since: Mapped[datetime | None] = mapped_column(default=None)
    synced_at: Mapped[datetime | None] = mapped_column(default=None)


class BillingCheckoutSession(Base):
    """A Checkout Session this server created, bound to the workspace that asked for it: a
    completion event is applied to this workspace, whatever its metadata says."""

    __tablename__ = "billing_checkout_sessions"
    __table_args__ = (Index("ix_billing_checkout_sessions_workspace", "workspace_id"),)

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # cs_...
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    stripe_customer_id: Mapped[str] = mapped_column(String(255))
    plan_id: Mapped[str] = mapped_column(String(50))
    interval: Mapped[str] = mapped_column(String(10))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)


class StripeEvent(Base):
    """Webhook events already applied, by Stripe event id: a redelivery is acknowledged, not
    re-applied."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # evt_...
    type: Mapped[str] = mapped_column(String(100))
    created: Mapped[datetime]  # the event's own creation time at Stripe
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workspaces.id", ondelete="SET NULL"), default=None
    )
