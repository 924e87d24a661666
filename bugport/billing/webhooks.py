"""Stripe webhooks: the only way plan, status and add-ons change.

1. The signature is verified over the raw body with the configured secret and tolerance (the SDK's
   `Webhook.construct_event`); a timestamp too far in the future is refused too (the SDK only
   refuses old ones).
2. Events are deduplicated by id (`stripe_events`, inserted in the same transaction as their
   effect: a failed apply rolls both back, so Stripe's retry is processed).
3. State is never taken from the event's copy: the subscription is re-fetched from Stripe under
   the workspace row lock, so events delivered out of order all converge on Stripe's current state.
4. The workspace is found through bindings this server made (the Checkout Session it created, the
   customer it created), never through metadata in the event."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import stripe
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import State

from bugport.billing.gateway import BillingDisabled, call, client_for
from bugport.billing.plans import Catalogue, catalogue
from bugport.billing.service import _price_id, lock_row
from bugport.billing.state import LIVE
from bugport.config import Settings
from bugport.errors import BadRequest
from bugport.models import BillingCheckoutSession, StripeEvent, WorkspaceBilling
from bugport.models.base import utcnow

log = logging.getLogger("bugport.billing.webhooks")

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
}
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"}


class InvalidSignature(BadRequest):
    code = "invalid_signature"
    message = "The Stripe-Signature header does not match this body."


def verify(settings: Settings, payload: bytes, header: str | None) -> dict[str, Any]:
    secret = settings.stripe_webhook_secret
    tolerance = settings.stripe_webhook_tolerance_seconds
    try:
        event = stripe.Webhook.construct_event(payload, header, secret, tolerance=tolerance)
    except stripe.SignatureVerificationError as exc:
        raise InvalidSignature() from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSignature("The webhook body is not a JSON event.") from exc
    # construct_event only bounds old timestamps; a future one would stretch the replay window.
    stamps = [p.split("=", 1)[1] for p in (header or "").split(",") if p.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + tolerance:
        raise InvalidSignature("The signature timestamp is outside the tolerance.")
    data: dict[str, Any] = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise InvalidSignature("The webhook body is not a Stripe event.")
    return data


async def _first_delivery(session: AsyncSession, event: dict[str, Any]) -> StripeEvent | None:
    if await session.get(StripeEvent, event["id"]) is not None:
        return None
    created = event.get("created")
    rec = StripeEvent(
        id=event["id"],
        type=event["type"],
        created=datetime.fromtimestamp(created, UTC) if isinstance(created, int) else utcnow(),
        received_at=utcnow(),
    )
    try:
        # A savepoint: a concurrent delivery of the same id loses on the primary key without
        # poisoning this transaction (PostgreSQL waits for the first to commit, then refuses).
        async with session.begin_nested():
            session.add(rec)
            await session.flush()
    except IntegrityError:
        return None
    return rec


async def handle(
    session: AsyncSession, state: State, payload: bytes, header: str | None
) -> dict[str, Any]:
    settings: Settings = state.settings
    if not settings.billing_enabled:
        raise BillingDisabled()
    event = verify(settings, payload, header)
    rec = await _first_delivery(session, event)
    if rec is None:
        return {"received": True, "duplicate": True, "applied": False}
    ws_id = await _apply(session, state, event)
    rec.workspace_id = ws_id
    await session.flush()
    return {"received": True, "duplicate": False, "applied": ws_id is not None}


def _id(value: Any) -> str | None:
    """Stripe fields are ids, or objects when expanded."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def _invoice_subscription(invoice: dict[str, Any]) -> str | None:
    # Newer API versions moved it under parent.subscription_details.
    parent = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id(invoice.get("subscription")) or _id(parent.get("subscription"))


async def _apply(session: AsyncSession, state: State, event: dict[str, Any]) -> uuid.UUID | None:
    etype = event["type"]
    obj = (event.get("data") or {}).get("object") or {}
    at = (
        datetime.fromtimestamp(event["created"], UTC)
        if isinstance(event.get("created"), int)
        else utcnow()
    )
    if etype == "checkout.session.completed":
        return await _checkout_completed(session, state, obj, at)
    if etype in SUBSCRIPTION_EVENTS:
        return await _sync_for_customer(
            session, state, _id(obj.get("customer")), _id(obj.get("id")), at
        )
    if etype in INVOICE_EVENTS:
        return await _sync_for_customer(
            session, state, _id(obj.get("customer")), _invoice_subscription(obj), at
        )
    log.info("stripe event %s (%s) ignored: not handled", event["id"], etype)
    return None


async def _checkout_completed(
    session: AsyncSession, state: State, obj: dict[str, Any], at: datetime
) -> uuid.UUID | None:
    cs = await session.get(BillingCheckoutSession, _id(obj.get("id")) or "")
    if cs is None:
        log.warning("checkout %s ignored: not created by this server", obj.get("id"))
        return None
    if _id(obj.get("customer")) != cs.stripe_customer_id:
        log.warning("checkout %s ignored: customer differs from the bound one", cs.id)
        return None
    claimed = (obj.get("metadata") or {}).get("workspace_id")
    if claimed and claimed != str(cs.workspace_id):
        log.warning(
            "checkout %s metadata names workspace %s; applying to the bound workspace %s",
            cs.id,
            claimed,
            cs.workspace_id,
        )
    cs.completed_at = cs.completed_at or utcnow()
    sub_id = _id(obj.get("subscription"))
    if not sub_id:
        return None
    return await _sync(session, state, cs.workspace_id, cs.stripe_customer_id, sub_id, at)


async def _sync_for_customer(
    session: AsyncSession, state: State, customer: str | None, sub_id: str | None, at: datetime
) -> uuid.UUID | None:
    if not customer or not sub_id:
        return None
    ws_id = (
        await session.execute(
            select(WorkspaceBilling.workspace_id).where(
                WorkspaceBilling.stripe_customer_id == customer
            )
        )
    ).scalar_one_or_none()
    if ws_id is None:
        log.warning(
            "subscription %s ignored: customer %s is not bound to a workspace", sub_id, customer
        )
        return None
    return await _sync(session, state, ws_id, customer, sub_id, at)


async def _sync(
    session: AsyncSession,
    state: State,
    workspace_id: uuid.UUID,
    customer: str,
    sub_id: str,
    at: datetime,
) -> uuid.UUID | None:
    ws, row = await lock_row(session, workspace_id)
    if row.stripe_customer_id != customer:
        return None
    sub = await call(
        "retrieve subscription", client_for(state).v1.subscriptions.retrieve_async(sub_id)
    )
    if _id(sub.get("customer")) != customer:
        log.warning("subscription %s ignored: belongs to another customer", sub_id)
        return None
    if row.stripe_subscription_id not in (None, sub_id) and row.stripe_status in LIVE:
        # One live subscription per workspace: a second one (made outside BugPort) is not adopted
        # while the first still pays.
        log.warning(
            "subscription %s ignored: workspace %s has live %s",
            sub_id,
            workspace_id,
            row.stripe_subscription_id,
        )
        return None
    apply_subscription(catalogue(state.settings), row, sub, at)
    ws.plan_id = (
        row.plan_id
        if row.stripe_status in LIVE and row.plan_id
        else catalogue(state.settings).default_plan
    )
    await session.flush()
    return workspace_id


def apply_subscription(
    cat: Catalogue, row: WorkspaceBilling, sub: dict[str, Any], at: datetime
) -> None:
    """Copy Stripe's current subscription state onto the row."""
    plan_id = interval = None
    blocks = 0
    period_ends: list[int] = []
    for item in (sub.get("items") or {}).get("data", []):
        price = _price_id(item)
        found = cat.price_lookup(price) if price else None
        if isinstance(item.get("current_period_end"), int):
            period_ends.append(item["current_period_end"])
        if found is None:
            log.warning(
                "subscription %s: price %s is not in the plan catalogue", sub.get("id"), price
            )
        elif found[0] == "storage_addon":
            blocks += int(item.get("quantity") or 0)
        else:
            plan_id, interval = found
    status = sub.get("status")
    if status == "past_due" and row.stripe_status != "past_due":
        row.past_due_since = at
    elif status != "past_due":
        row.past_due_since = None
    row.stripe_subscription_id = sub.get("id")
    row.stripe_status = status
    row.plan_id = plan_id
    row.interval = interval
    row.storage_blocks = blocks
    end = sub.get("current_period_end") or (max(period_ends) if period_ends else None)
    row.current_period_end = datetime.fromtimestamp(end, UTC) if isinstance(end, int) else None
    row.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    row.synced_at = utcnow()
