"""A billing-enabled app (Stripe SDK → loopback stub) on the same database as the default app,
and helpers that deliver webhooks signed with Stripe's real scheme."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import stripe
from fastapi import FastAPI

from bugport.app import create_app
from tests.conftest import client_for, make_settings
from tests.fixtures.stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub

WEBHOOK = "/v1/billing/webhooks/stripe"
SUCCESS = "https://app.example.com/w/{workspace_id}/billing?paid=1&session={CHECKOUT_SESSION_ID}"
CANCEL = "https://app.example.com/w/{workspace_id}/billing?canceled=1"
PORTAL_RETURN = "https://app.example.com/w/{workspace_id}/billing"


@pytest.fixture(scope="session")
def stripe_stub() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


def billing_settings(url: str, data_dir: Path, stub: StripeStub, **extra: Any) -> Any:
    return make_settings(
        url,
        data_dir,
        stripe_secret_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stub.url,
        billing_success_url=SUCCESS,
        billing_cancel_url=CANCEL,
        billing_portal_return_url=PORTAL_RETURN,
        **extra,
    )


@pytest_asyncio.fixture(scope="session")
async def billing_app(
    backend_url: tuple[str, str], tmp_root: Path, stripe_stub: StripeStub
) -> AsyncIterator[FastAPI]:
    application = create_app(billing_settings(backend_url[1], tmp_root / "data", stripe_stub))
    yield application
    await application.state.engine.dispose()


@pytest_asyncio.fixture
async def bclient(billing_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(billing_app) as c:
        yield c


def sign(payload: str, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp)


async def deliver(
    client: httpx.AsyncClient, event: dict[str, Any], **sign_kw: Any
) -> httpx.Response:
    """POST the event as Stripe does: raw JSON bytes + a Stripe-Signature over exactly them."""
    payload = json.dumps(event, separators=(",", ":"))
    return await client.post(
        WEBHOOK,
        content=payload.encode(),
        headers={
            "content-type": "application/json; charset=utf-8",
            "stripe-signature": sign(payload, **sign_kw),
        },
    )
