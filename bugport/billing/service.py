"""Workspace billing: the view, Checkout, the Customer Portal and storage add-ons. Takes
(session, principal, ...); never commits. Plan, status and quota are never changed here from a
client request: only `webhooks.py` (verified Stripe events) calls `sync_subscription`."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from bugport import authz
from bugport.auth.principal import Principal
from bugport.billing.gateway import BillingDisabled, call, client_for, plain
from bugport.billing.plans import Catalogue, catalogue
from bugport.billing.state import LIVE, effective, quota
from bugport.config import Settings
from bugport.errors import Conflict, NotFound, Unavailable, ValidationFailed
from bugport.models import BillingCheckoutSession, Workspace, WorkspaceBilling
from bugport.models.base import utcnow

log = logging.getLogger("bugport.billing")


# ---- rows -----------------------------------------------------------------------------------


async def lock_row(
    session: AsyncSession, workspace_id: uuid.UUID
) -> tuple[Workspace, WorkspaceBilling]:
    """Lock the workspace row (the same lock the quota ledger takes), then get or create its
    billing row. Everything that changes billing state goes through here, so two concurrent
    checkouts or webhook deliveries for one workspace run one after the other."""
    ws = (
        await session.execute(
            select(Workspace).where(Workspace.id == workspace_id).with_for_update()
        )
    ).scalar_one_or_none()
    if ws is None:
        raise NotFound()
    row = await session.get(WorkspaceBilling, workspace_id, populate_existing=True)
    if row is None:
        row = WorkspaceBilling(
            workspace_id=workspace_id, cancel_at_period_end=False, storage_blocks=0
        )
        session.add(row)
        await session.flush()
    return ws, row


# ---- the view -------------------------------------------------------------------------------


def _view(
    settings: Settings, cat: Catalogue, ws: Workspace, row: WorkspaceBilling | None
) -> dict[str, Any]:
    eff = effective(settings, cat, row)
    q = quota(cat, eff)
    enabled = settings.billing_enabled
    addon_bytes = eff.blocks * cat.storage_addon.block_bytes
    if not enabled:
        q = settings.storage_quota_bytes
    return {
        "workspace_id": ws.id,
        "billing_enabled": enabled,
        "managed_by": "stripe" if enabled else "operator",
        "plan_id": eff.plan.id if enabled else None,
        "plan_name": eff.plan.name if enabled else None,
        "status": eff.status if enabled else "billing_disabled",
        "subscribed_plan_id": eff.subscribed_plan_id if enabled else None,
        "interval": row.interval if enabled and row else None,
        "current_period_end": row.current_period_end if enabled and row else None,
        "cancel_at_period_end": bool(row.cancel_at_period_end) if enabled and row else False,
        "grace_period_ends_at": eff.grace_ends_at if enabled else None,
        "has_customer": bool(row and row.stripe_customer_id) if enabled else False,
        "storage": {
            "used_bytes": ws.storage_used_bytes,
            "reserved_bytes": ws.storage_reserved_bytes,
            "quota_bytes": q,
            "plan_bytes": eff.plan.storage_bytes if enabled else None,
            "addon_bytes": addon_bytes if enabled else 0,
        },
        "storage_addons": {
            "quantity": eff.blocks if enabled else 0,
            "block_bytes": cat.storage_addon.block_bytes,
        },
    }


async def get_billing(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, settings: Settings
) -> dict[str, Any]:
    await authz.require_workspace(session, principal, workspace_id, "billing.read")
    ws = await session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound()
    row = await session.get(WorkspaceBilling, workspace_id)
    return _view(settings, catalogue(settings), ws, row)


def _addons_view(
    settings: Settings, cat: Catalogue, ws_id: uuid.UUID, row: WorkspaceBilling | None
) -> dict[str, Any]:
    eff = effective(settings, cat, row)
    offer = cat.storage_addon
    live_paid = (
        settings.billing_enabled and row is not None and row.stripe_status in ("active", "trialing")
    )
    return {
        "workspace_id": ws_id,
        "billing_enabled": settings.billing_enabled,
        "quantity": eff.blocks if settings.billing_enabled else 0,
        "block_bytes": offer.block_bytes,
        "addon_bytes": (eff.blocks * offer.block_bytes) if settings.billing_enabled else 0,
        "max_quantity": offer.max_blocks,
        "available": bool(live_paid and eff.plan.storage_addons),
        "currency": cat.currency,
        "monthly_price": offer.monthly_price,
        "yearly_price": offer.yearly_price,
    }


async def get_addons(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, settings: Settings
) -> dict[str, Any]:
    await authz.require_workspace(session, principal, workspace_id, "billing.read")
    row = await session.get(WorkspaceBilling, workspace_id)
    return _addons_view(settings, catalogue(settings), workspace_id, row)


# ---- Checkout and portal --------------------------------------------------------------------


def return_url(
    template: str | None, settings: Settings, workspace_id: uuid.UUID, query: str
) -> str:
    """Return URLs come from configuration only (no open redirect through a request field)."""
    if template:
        return template.replace("{workspace_id}", str(workspace_id))
    base = settings.public_base_url.rstrip("/")
    return f"{base}/billing?workspace_id={workspace_id}&{query}"


async def ensure_customer(client: stripe.StripeClient, ws: Workspace, row: WorkspaceBilling) -> str:
    """Create the workspace's Stripe customer once. The caller holds the workspace row lock; the
    idempotency key also makes a retry after a rolled-back transaction return the same customer."""
    if row.stripe_customer_id:
        return row.stripe_customer_id
    customer = await call(
        "create customer",
        client.v1.customers.create_async(
            {
                "description": f"BugPort workspace {ws.id}",
                "metadata": {"workspace_id": str(ws.id)},
            },
            {"idempotency_key": f"bugport-customer-{ws.id}"},
        ),
    )
    row.stripe_customer_id = customer["id"]
    return row.stripe_customer_id


async def start_checkout(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    plan_id: str,
    interval: str,
    state: State,
) -> dict[str, Any]:
    settings: Settings = state.settings
    await authz.require_workspace(session, principal, workspace_id, "billing.manage")
    if not settings.billing_enabled:
        raise BillingDisabled()
    cat = catalogue(settings)
    plan = cat.plan(plan_id)
    if plan is None:
        raise ValidationFailed("body.plan", f"Unknown plan '{plan_id}'; see GET /v1/plans.")
    price = plan.stripe_prices.get(interval)  # type: ignore[call-overload]
    if price is None:
        if not plan.stripe_prices:
            raise ValidationFailed("body.plan", f"'{plan_id}' is not a paid plan.")
        raise ValidationFailed("body.interval", f"'{plan_id}' is not sold {interval}.")
    client = client_for(state)
    ws, row = await lock_row(session, workspace_id)
    if row.stripe_status in LIVE:
        raise Conflict(
            "This workspace already has a subscription; change plans in the customer portal "
            "(POST .../billing/portal)."
        )
    customer = await ensure_customer(client, ws, row)
    cs = await call(
        "create checkout session",
        client.v1.checkout.sessions.create_async(
            {
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(workspace_id),
                "line_items": [{"price": price, "quantity": 1}],
                "success_url": return_url(
                    settings.billing_success_url, settings, workspace_id, "checkout=success"
                ),
                "cancel_url": return_url(
                    settings.billing_cancel_url, settings, workspace_id, "checkout=canceled"
                ),
                "metadata": {
                    "workspace_id": str(workspace_id),
                    "plan": plan_id,
                    "interval": interval,
                },
                "subscription_data": {"metadata": {"workspace_id": str(workspace_id)}},
            }
        ),
    )
    session.add(
        BillingCheckoutSession(
            id=cs["id"],
            workspace_id=workspace_id,
            stripe_customer_id=customer,
            plan_id=plan_id,
            interval=interval,
            created_by_id=principal.user_id,
            created_at=utcnow(),
        )
    )
    await session.flush()
    expires = cs.get("expires_at")
    return {
        "id": cs["id"],
        "url": cs["url"],
        "plan": plan_id,
        "interval": interval,
        "expires_at": datetime.fromtimestamp(expires, UTC) if expires else None,
    }


async def open_portal(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID, state: State
) -> dict[str, Any]:
    settings: Settings = state.settings
    await authz.require_workspace(session, principal, workspace_id, "billing.manage")
    if not settings.billing_enabled:
        raise BillingDisabled()
    client = client_for(state)
    row = await session.get(WorkspaceBilling, workspace_id)
    if row is None or not row.stripe_customer_id:
        raise Conflict("This workspace has no billing account yet; start with a checkout.")
    portal = await call(
        "create portal session",
        client.v1.billing_portal.sessions.create_async(
            {
                "customer": row.stripe_customer_id,
                "return_url": return_url(
                    settings.billing_portal_return_url, settings, workspace_id, "portal=return"
                ),
            }
        ),
    )
    return {"id": portal["id"], "url": portal["url"]}


# ---- storage add-ons ------------------------------------------------------------------------


def _addon_item(cat: Catalogue, sub: dict[str, Any]) -> dict[str, Any] | None:
    addon_prices = set(cat.storage_addon.stripe_prices.values())
    for item in (sub.get("items") or {}).get("data", []):
        if _price_id(item) in addon_prices:
            return item
    return None


def _price_id(item: dict[str, Any]) -> str | None:
    price = item.get("price")
    if isinstance(price, dict):
        return price.get("id")
    return price if isinstance(price, str) else None


async def change_addons(
    session: AsyncSession,
    principal: Principal,
    workspace_id: uuid.UUID,
    quantity: int,
    state: State,
) -> dict[str, Any]:
    """Ask Stripe to change the add-on quantity. The quota follows when Stripe confirms with a
    `customer.subscription.updated` event, not before (a refused payment must not grant bytes)."""
    settings: Settings = state.settings
    await authz.require_workspace(session, principal, workspace_id, "billing.manage")
    if not settings.billing_enabled:
        raise BillingDisabled()
    cat = catalogue(settings)
    if quantity > cat.storage_addon.max_blocks:
        raise ValidationFailed(
            "body.quantity", f"At most {cat.storage_addon.max_blocks} storage blocks."
        )
    client = client_for(state)
    _, row = await lock_row(session, workspace_id)
    plan = cat.plan(row.plan_id or "")
    if row.stripe_status not in ("active", "trialing") or not row.stripe_subscription_id:
        raise Conflict("Storage add-ons need an active paid subscription.")
    if plan is None or not plan.storage_addons:
        raise Conflict("This workspace's plan does not offer storage add-ons.")
    price = cat.storage_addon.stripe_prices.get(row.interval or "")  # type: ignore[call-overload]
    if price is None:
        raise Unavailable("No storage add-on price is configured for this billing interval.")
    sub = await call(
        "retrieve subscription",
        client.v1.subscriptions.retrieve_async(row.stripe_subscription_id),
    )
    item = _addon_item(cat, sub)
    items: list[dict[str, Any]] = []
    if item is not None and quantity > 0:
        items = [{"id": item["id"], "quantity": quantity}]
    elif item is not None:
        items = [{"id": item["id"], "deleted": True}]
    elif quantity > 0:
        items = [{"price": price, "quantity": quantity}]
    if items:
        await call(
            "update subscription",
            client.v1.subscriptions.update_async(
                row.stripe_subscription_id,
                {"items": items, "proration_behavior": "create_prorations"},  # type: ignore[arg-type]
            ),
        )
    view = _addons_view(settings, cat, workspace_id, row)
    view["requested_quantity"] = quantity
    return view


# Subscriptions in these states are over at Stripe: nothing left to cancel.
ENDED = ("canceled", "incomplete_expired")


async def _cancel(client: stripe.StripeClient, subscription_id: str) -> dict[str, Any]:
    try:
        return plain(await client.v1.subscriptions.cancel_async(subscription_id))
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:  # already gone at Stripe
            return {}
        raise


async def cancel_with_workspace(session: AsyncSession, app_state: State, ws: Workspace) -> None:
    """Before a workspace is deleted: its subscription is canceled at once, so a deleted workspace
    is never billed again. If Stripe refuses or can't be reached, the deletion fails (502/503)
    and the workspace stays, to be deleted again."""
    row = await session.get(WorkspaceBilling, ws.id, with_for_update=True)
    if row is None or not row.stripe_subscription_id or row.stripe_status in ENDED:
        return
    settings: Settings = app_state.settings
    if not settings.billing_enabled:
        log.warning(
            "workspace %s deleted with subscription %s while billing is off: not canceled",
            ws.id,
            row.stripe_subscription_id,
        )
        return
    await call("cancel subscription", _cancel(client_for(app_state), row.stripe_subscription_id))
    log.info("workspace %s deleted: subscription %s canceled", ws.id, row.stripe_subscription_id)
