"""Outbound webhook routes (admin; signed-in users only: MCP tokens and widget keys get 403)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal
from bugport.db import Session
from bugport.kit.pagination import PageParams, page_params, signing_key
from bugport.kit.schemas import Page
from bugport.models import WebhookAttempt as AttemptRow
from bugport.models import WebhookDelivery as DeliveryRow
from bugport.models import WebhookEndpoint as EndpointRow
from bugport.webhook import delivery, service
from bugport.webhook.schemas import (
    Webhook,
    WebhookAttempt,
    WebhookCreate,
    WebhookCreated,
    WebhookRotate,
    WebhookUpdate,
)

router = APIRouter(tags=["webhooks"])
Admin = Annotated[Principal, Depends(require(kinds=("user",)))]


def _created(ep: EndpointRow, secret: str, response: Response) -> WebhookCreated:
    response.headers["Location"] = f"/v1/webhooks/{ep.id}"
    return WebhookCreated.model_validate({**Webhook.of(ep).model_dump(), "secret": secret})


def _attempt(a: AttemptRow, d: DeliveryRow) -> WebhookAttempt:
    return WebhookAttempt(
        id=a.id,
        delivery_id=d.id,
        message_id=delivery.message_id(d.event_id),
        event_type=d.event_type,
        attempt=a.attempt,
        status_code=a.status_code,
        succeeded=a.succeeded,
        latency_ms=a.latency_ms,
        response_excerpt=a.response_excerpt,
        error=a.error,
        delivery_status=d.status,
        next_attempt_at=d.next_attempt_at if d.status == "pending" else None,
        created_at=a.created_at,
    )


@router.post(
    "/workspaces/{workspace_id}/webhooks",
    status_code=201,
    response_model=WebhookCreated,
    summary="Add a webhook endpoint (admin); its signing secret is shown only in this response",
)
async def create_webhook(
    workspace_id: uuid.UUID,
    body: WebhookCreate,
    principal: Admin,
    session: Session,
    request: Request,
    response: Response,
) -> WebhookCreated:
    ep, secret = await service.create(
        session, principal, request.app.state.settings, workspace_id, body
    )
    return _created(ep, secret, response)


@router.get(
    "/workspaces/{workspace_id}/webhooks",
    response_model=Page[Webhook],
    summary="List a workspace's webhook endpoints (admin)",
)
async def list_webhooks(
    workspace_id: uuid.UUID,
    principal: Admin,
    session: Session,
    paging: Annotated[PageParams, Depends(page_params)],
    request: Request,
) -> Page[Webhook]:
    rows, nxt = await service.list_endpoints(
        session, principal, workspace_id, signing_key(request), paging
    )
    return Page(data=[Webhook.of(e) for e in rows], next_cursor=nxt)


@router.get("/webhooks/{endpoint_id}", response_model=Webhook, summary="Get a webhook endpoint")
async def get_webhook(endpoint_id: uuid.UUID, principal: Admin, session: Session) -> Webhook:
    return Webhook.of(await service.get(session, principal, endpoint_id))


@router.patch(
    "/webhooks/{endpoint_id}",
    response_model=Webhook,
    summary="Change a webhook endpoint's URL, description, event types or enabled flag (admin)",
)
async def update_webhook(
    endpoint_id: uuid.UUID,
    body: WebhookUpdate,
    principal: Admin,
    session: Session,
    request: Request,
) -> Webhook:
    ep = await service.update(session, principal, request.app.state.settings, endpoint_id, body)
    return Webhook.of(ep)


@router.delete(
    "/webhooks/{endpoint_id}",
    status_code=204,
    summary="Delete a webhook endpoint with its delivery log (admin)",
)
async def delete_webhook(endpoint_id: uuid.UUID, principal: Admin, session: Session) -> Response:
    await service.remove(session, principal, endpoint_id)
    return Response(status_code=204)


@router.post(
    "/webhooks/{endpoint_id}/rotate-secret",
    response_model=WebhookCreated,
    summary="Issue a new signing secret (admin); the old one also signs during the grace period",
)
async def rotate_webhook_secret(
    endpoint_id: uuid.UUID,
    body: WebhookRotate,
    principal: Admin,
    session: Session,
    request: Request,
    response: Response,
) -> WebhookCreated:
    ep, secret = await service.rotate(
        session, principal, request.app.state.settings, endpoint_id, body
    )
    return _created(ep, secret, response)


@router.post(
    "/webhooks/{endpoint_id}/test",
    response_model=WebhookAttempt,
    summary="Send a signed `webhook.ping` to the endpoint now and return the attempt (admin)",
)
async def test_webhook(
    endpoint_id: uuid.UUID, principal: Admin, session: Session, request: Request
) -> WebhookAttempt:
    attempt = await service.ping(session, principal, request.app.state.settings, endpoint_id)
    return await _with_delivery(session, attempt)


@router.get(
    "/webhooks/{endpoint_id}/deliveries",
    response_model=Page[WebhookAttempt],
    summary="The endpoint's delivery log: every attempt, newest first (admin)",
)
async def list_webhook_deliveries(
    endpoint_id: uuid.UUID,
    principal: Admin,
    session: Session,
    paging: Annotated[PageParams, Depends(page_params)],
    request: Request,
    delivery_id: Annotated[uuid.UUID | None, Query(description="One delivery's attempts")] = None,
    succeeded: Annotated[bool | None, Query(description="Only (un)successful attempts")] = None,
) -> Page[WebhookAttempt]:
    rows, nxt = await service.list_attempts(
        session,
        principal,
        endpoint_id,
        signing_key(request),
        paging,
        delivery_id=delivery_id,
        succeeded=succeeded,
    )
    return Page(data=[_attempt(a, d) for a, d in rows], next_cursor=nxt)


@router.post(
    "/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=WebhookAttempt,
    summary="Send one delivery again now, with the same webhook-id (admin)",
)
async def redeliver_webhook(
    endpoint_id: uuid.UUID,
    delivery_id: uuid.UUID,
    principal: Admin,
    session: Session,
    request: Request,
) -> WebhookAttempt:
    attempt = await service.redeliver(
        session, principal, request.app.state.settings, endpoint_id, delivery_id
    )
    return await _with_delivery(session, attempt)


async def _with_delivery(session: Session, attempt: AttemptRow) -> WebhookAttempt:
    d = await session.get(DeliveryRow, attempt.delivery_id)
    assert d is not None
    await session.refresh(d)
    return _attempt(attempt, d)
