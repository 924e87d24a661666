from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from bugport.kit.schemas import InputModel, OutputModel
from bugport.kit.timestamps import Timestamp

Interval = Literal["monthly", "yearly"]
Status = Literal["active", "trialing", "past_due", "canceled", "incomplete", "billing_disabled"]


class StorageAddonOffer(OutputModel):
    block_bytes: int = Field(description="Bytes one storage block adds to the plan's storage.")
    monthly_price: int = Field(description="Per block, in minor currency units (cents).")
    yearly_price: int
    max_quantity: int


class Plan(OutputModel):
    id: str
    name: str
    monthly_price: int = Field(description="Minor currency units (cents); 0 for free.")
    yearly_price: int
    storage_bytes: int | None = Field(description="Included storage; null = unlimited.")
    unlimited_members: bool = Field(True, description="Every plan includes unlimited members.")
    limits: dict[str, int | None] = Field(
        description="Limits that differ between plans (e.g. retention_days, projects); "
        "null = unlimited."
    )
    storage_addons: bool = Field(description="Whether storage blocks can be added to this plan.")
    intervals: list[Interval] = Field(description="Billing intervals this plan is sold in.")


class PlanList(OutputModel):
    data: list[Plan]
    next_cursor: str | None = Field(None, description="Always null: the catalogue is one page.")
    currency: str
    default_plan: str = Field(description="The plan of a workspace without a subscription.")
    storage_addon: StorageAddonOffer
    billing_enabled: bool = Field(
        description="false on self-hosted servers: plans are informational, quotas are set by "
        "the operator."
    )


class BillingStorage(OutputModel):
    used_bytes: int
    reserved_bytes: int
    quota_bytes: int | None = Field(description="Plan storage + add-ons; null = unlimited.")
    plan_bytes: int | None
    addon_bytes: int


class AddonQuantity(OutputModel):
    quantity: int
    block_bytes: int


class Billing(OutputModel):
    workspace_id: uuid.UUID
    billing_enabled: bool
    managed_by: Literal["stripe", "operator"]
    plan_id: str | None = Field(description="The effective plan (what the quota is based on).")
    plan_name: str | None
    status: Status
    subscribed_plan_id: str | None = Field(
        description="The plan of the Stripe subscription, even when it no longer applies "
        "(canceled, or past_due beyond the grace period)."
    )
    interval: Interval | None
    current_period_end: Timestamp | None
    cancel_at_period_end: bool
    grace_period_ends_at: Timestamp | None = Field(
        description="When past_due: the paid quota is kept until then, then falls to the free plan."
    )
    has_customer: bool
    storage: BillingStorage
    storage_addons: AddonQuantity


class CheckoutCreate(InputModel):
    plan: str = Field(min_length=1, max_length=50)
    interval: Interval = "monthly"


class CheckoutSession(OutputModel):
    id: str
    url: str = Field(description="Send the browser here (Stripe Checkout).")
    plan: str
    interval: Interval
    expires_at: Timestamp | None


class PortalSession(OutputModel):
    id: str
    url: str = Field(description="Send the browser here (Stripe Customer Portal).")


class StorageAddons(OutputModel):
    workspace_id: uuid.UUID
    billing_enabled: bool
    quantity: int = Field(description="Blocks on the subscription, as confirmed by Stripe.")
    block_bytes: int
    addon_bytes: int
    max_quantity: int
    available: bool = Field(description="Whether this workspace can buy blocks now.")
    currency: str
    monthly_price: int
    yearly_price: int


class StorageAddonsChange(InputModel):
    quantity: int = Field(ge=0, le=10_000, description="Total blocks wanted (0 removes them).")


class StorageAddonsRequested(StorageAddons):
    requested_quantity: int = Field(
        description="Sent to Stripe; `quantity` and the quota follow once Stripe confirms."
    )


class WebhookAck(OutputModel):
    received: bool
    duplicate: bool
    applied: bool
