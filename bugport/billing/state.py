"""What a workspace's billing row means right now: effective plan, public status, quota.
Pure functions over the row and the catalogue; the quota and the billing view both use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bugport.billing.plans import Catalogue, PlanConfig
from bugport.config import Settings
from bugport.models import WorkspaceBilling
from bugport.models.base import utcnow

# Stripe statuses under which the subscription still pays for its plan.
LIVE = frozenset({"active", "trialing", "past_due"})
PUBLIC_STATUS = {
    "active": "active",
    "trialing": "trialing",
    "past_due": "past_due",
    "incomplete": "incomplete",
    # unpaid (retries exhausted), incomplete_expired, paused and canceled all end the paid plan.
}


@dataclass(frozen=True)
class Effective:
    plan: PlanConfig
    status: str
    blocks: int
    grace_ends_at: datetime | None
    subscribed_plan_id: str | None


def effective(
    settings: Settings, cat: Catalogue, row: WorkspaceBilling | None, now: datetime | None = None
) -> Effective:
    now = now or utcnow()
    if row is None or row.stripe_status is None:
        return Effective(cat.free, "active", 0, None, None)
    status = PUBLIC_STATUS.get(row.stripe_status, "canceled")
    plan = cat.plan(row.plan_id or "") or cat.free
    grace_ends = None
    paid = row.stripe_status in ("active", "trialing")
    if row.stripe_status == "past_due":
        since = row.past_due_since or now
        grace_ends = since + timedelta(days=settings.billing_grace_period_days)
        paid = now < grace_ends
    if not paid:
        return Effective(cat.free, status, 0, grace_ends, row.plan_id)
    blocks = row.storage_blocks if plan.storage_addons else 0
    return Effective(plan, status, blocks, grace_ends, row.plan_id)


def quota(cat: Catalogue, eff: Effective) -> int | None:
    """Plan storage + add-on blocks; None = unlimited (a plan with storage_bytes null)."""
    if eff.plan.storage_bytes is None:
        return None
    return eff.plan.storage_bytes + eff.blocks * cat.storage_addon.block_bytes
