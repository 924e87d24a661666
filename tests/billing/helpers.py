from __future__ import annotations

from typing import Any

import httpx

from tests.billing.conftest import deliver
from tests.fixtures.stripe_stub import StripeStub
from tests.fixtures.users import Tenant


async def view(c: httpx.AsyncClient, t: Tenant) -> dict[str, Any]:
    r = await c.get(f"/v1/workspaces/{t.workspace_id}/billing", headers=t.owner.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def storage(c: httpx.AsyncClient, t: Tenant) -> dict[str, Any]:
    r = await c.get(f"/v1/workspaces/{t.workspace_id}/storage", headers=t.viewer.headers)
    assert r.status_code == 200, r.text
    return r.json()


async def subscribe(
    c: httpx.AsyncClient, stub: StripeStub, t: Tenant, plan: str = "team", interval: str = "monthly"
) -> tuple[str, str]:
    """Checkout over HTTP, the customer pays at Stripe, Stripe sends checkout.session.completed."""
    r = await c.post(
        f"/v1/workspaces/{t.workspace_id}/billing/checkout",
        json={"plan": plan, "interval": interval},
        headers=t.owner.headers,
    )
    assert r.status_code == 201, r.text
    cs = stub.pay_checkout(r.json()["id"])
    r = await deliver(c, stub.event("checkout.session.completed", cs))
    assert r.status_code == 200 and r.json()["applied"] is True, r.text
    return cs["id"], cs["subscription"]
