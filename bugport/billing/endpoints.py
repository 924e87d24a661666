from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from bugport.billing import service, webhooks
from bugport.billing.auth import BillingUser
from bugport.billing.plans import catalogue
from bugport.billing.schemas import (
    Billing,
    CheckoutCreate,
    CheckoutSession,
    Plan,
    PlanList,
    PortalSession,
    StorageAddonOffer,
    StorageAddons,
    StorageAddonsChange,
    StorageAddonsRequested,
    WebhookAck,
)
from bugport.db import Session

router = APIRouter(tags=["billing"])
WEBHOOK_DOC = (
    "Point a Stripe webhook endpoint here. Handled: checkout.session.completed, "
    "customer.subscription.created/updated/deleted, invoice.paid, invoice.payment_failed. "
    "400 `invalid_signature` for a bad or stale signature; a repeated event id answers 200 "
    "with `duplicate: true` and changes nothing."
)
WorkspaceId = Annotated[uuid.UUID, Path(description="Workspace id")]
PROVIDER: dict[int | str, dict[str, Any]] = {
    409: {"description": "`billing_disabled` on self-hosted servers, or a state conflict"},
    502: {"description": "`payment_provider_error`: Stripe refused the request"},
}


@router.get("/plans", response_model=PlanList, summary="List plans and the storage add-on offer")
async def list_plans(request: Request) -> PlanList:
    settings = request.app.state.settings
    cat = catalogue(settings)
    offer = cat.storage_addon
    return PlanList(
        data=[
            Plan(
                id=p.id,
                name=p.name,
                monthly_price=p.monthly_price,
                yearly_price=p.yearly_price,
                storage_bytes=p.storage_bytes,
                limits=dict(p.limits),
                storage_addons=p.storage_addons,
                intervals=sorted(p.stripe_prices),
                unlimited_members=True,
            )
            for p in cat.plans
        ],
        next_cursor=None,
        currency=cat.currency,
        default_plan=cat.default_plan,
        storage_addon=StorageAddonOffer(
            block_bytes=offer.block_bytes,
            monthly_price=offer.monthly_price,
            yearly_price=offer.yearly_price,
            max_quantity=offer.max_blocks,
        ),
        billing_enabled=settings.billing_enabled,
    )


@router.get(
    "/workspaces/{workspace_id}/billing",
    response_model=Billing,
    summary="A workspace's plan, subscription status, storage and add-ons (admin)",
)
async def get_billing(
    workspace_id: WorkspaceId, principal: BillingUser, session: Session, request: Request
) -> Billing:
    return Billing.model_validate(
        await service.get_billing(session, principal, workspace_id, request.app.state.settings)
    )


@router.post(
    "/workspaces/{workspace_id}/billing/checkout",
    status_code=201,
    response_model=CheckoutSession,
    responses=PROVIDER,
    summary="Start a Stripe Checkout for a plan (owner); Location is the Checkout URL",
)
async def checkout(
    workspace_id: WorkspaceId,
    body: CheckoutCreate,
    principal: BillingUser,
    session: Session,
    request: Request,
    response: Response,
) -> CheckoutSession:
    cs = await service.start_checkout(
        session, principal, workspace_id, body.plan, body.interval, request.app.state
    )
    response.headers["Location"] = cs["url"]
    return CheckoutSession.model_validate(cs)


@router.post(
    "/workspaces/{workspace_id}/billing/portal",
    status_code=201,
    response_model=PortalSession,
    responses=PROVIDER,
    summary="Open the Stripe Customer Portal (owner); Location is the portal URL",
)
async def portal(
    workspace_id: WorkspaceId,
    principal: BillingUser,
    session: Session,
    request: Request,
    response: Response,
) -> PortalSession:
    ps = await service.open_portal(session, principal, workspace_id, request.app.state)
    response.headers["Location"] = ps["url"]
    return PortalSession.model_validate(ps)


@router.get(
    "/workspaces/{workspace_id}/billing/storage-addons",
    response_model=StorageAddons,
    summary="Storage blocks on the subscription and the offer (admin)",
)
async def get_storage_addons(
    workspace_id: WorkspaceId, principal: BillingUser, session: Session, request: Request
) -> StorageAddons:
    return StorageAddons.model_validate(
        await service.get_addons(session, principal, workspace_id, request.app.state.settings)
    )


@router.post(
    "/workspaces/{workspace_id}/billing/storage-addons",
    status_code=202,
    response_model=StorageAddonsRequested,
    responses=PROVIDER,
    summary="Change the number of storage blocks (owner); applies when Stripe confirms",
)
async def change_storage_addons(
    workspace_id: WorkspaceId,
    body: StorageAddonsChange,
    principal: BillingUser,
    session: Session,
    request: Request,
) -> StorageAddonsRequested:
    return StorageAddonsRequested.model_validate(
        await service.change_addons(
            session, principal, workspace_id, body.quantity, request.app.state
        )
    )


@router.post(
    "/billing/webhooks/stripe",
    response_model=WebhookAck,
    responses={
        409: {"description": "`billing_disabled`: Stripe is not configured"},
        502: {"description": "Stripe refused the subscription re-fetch; Stripe will retry"},
    },
    summary="Stripe webhook endpoint (public; authenticated by the Stripe-Signature header)",
    description=WEBHOOK_DOC,
    openapi_extra={
        "parameters": [
            {
                "name": "Stripe-Signature",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "`t=<unix time>,v1=<hex HMAC-SHA256 of '<t>.<raw body>'>`",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "A Stripe event, verified over the exact raw bytes.",
                        "required": ["id", "type", "data"],
                        "properties": {
                            "id": {"type": "string"},
                            "type": {"type": "string"},
                            "created": {"type": "integer"},
                            "data": {"type": "object"},
                        },
                    }
                }
            },
        },
    },
)
async def stripe_webhook(request: Request, session: Session) -> WebhookAck:
    # The raw bytes: the signature covers them exactly, so the body is never parsed first.
    payload = await request.body()
    result = await webhooks.handle(
        session, request.app.state, payload, request.headers.get("stripe-signature")
    )
    return WebhookAck.model_validate(result)
