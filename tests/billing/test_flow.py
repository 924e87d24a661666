"""free → paid → add storage → downgrade, driven over HTTP and signed webhooks; the quota that
media uploads use (`workspace.quota.reserve`) follows each step.

The HTTP upload path (POST /v1/media/upload-url → 402 quota_exceeded) comes with the media merge;
until then the refusal is proven through `quota.reserve`, the function that route calls."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from bugport.errors import QuotaExceeded
from bugport.models import WorkspaceBilling
from bugport.models.base import utcnow
from bugport.workspace import quota
from tests.billing.conftest import deliver
from tests.billing.helpers import storage, subscribe, view
from tests.conftest import assert_error
from tests.fixtures.stripe_stub import StripeStub
from tests.fixtures.users import Tenant

GIB = 1024**3


async def _reserve(app: FastAPI, ws: str, nbytes: int) -> None:
    async with app.state.sessionmaker() as s, s.begin():
        await quota.reserve(s, app.state.settings, uuid.UUID(ws), nbytes)


async def _use(app: FastAPI, ws: str, nbytes: int) -> None:
    """An upload of nbytes that completed (reserve, then settle at its real size)."""
    await _reserve(app, ws, nbytes)
    async with app.state.sessionmaker() as s, s.begin():
        await quota.settle(s, uuid.UUID(ws), nbytes, nbytes)


async def test_free_to_paid_to_storage_addon_to_downgrade(
    bclient: httpx.AsyncClient, billing_app: FastAPI, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    ws, h = tenant_a.workspace_id, tenant_a.owner.headers

    # Free: 1 GiB. A 2 GiB upload is refused.
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 1 * GIB
    with pytest.raises(QuotaExceeded):
        await _reserve(billing_app, ws, 2 * GIB)

    # Paid: Team, 50 GiB, once Stripe confirms.
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a, "team")
    v = await view(bclient, tenant_a)
    assert (v["plan_id"], v["status"], v["interval"]) == ("team", "active", "monthly")
    assert v["storage"]["quota_bytes"] == 50 * GIB and v["storage"]["addon_bytes"] == 0
    ws_body = (await bclient.get(f"/v1/workspaces/{ws}", headers=h)).json()
    assert ws_body["plan_id"] == "team"
    await _use(billing_app, ws, 45 * GIB)
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 50 * GIB

    # Add storage: 2 blocks of 10 GiB. The request alone changes nothing ...
    r = await bclient.post(
        f"/v1/workspaces/{ws}/billing/storage-addons", json={"quantity": 2}, headers=h
    )
    assert r.status_code == 202, r.text
    assert r.json()["requested_quantity"] == 2 and r.json()["quantity"] == 0
    items = stripe_stub.subscription(sub_id)["items"]["data"]
    assert [(i["price"]["id"], i["quantity"]) for i in items] == [
        ("price_team_monthly", 1),
        ("price_storage_block_monthly", 2),
    ]
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 50 * GIB
    with pytest.raises(QuotaExceeded):
        await _reserve(billing_app, ws, 10 * GIB)
    # ... until Stripe confirms.
    event = stripe_stub.event("customer.subscription.updated", stripe_stub.subscription(sub_id))
    assert (await deliver(bclient, event)).json()["applied"] is True
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 70 * GIB
    addons = (await bclient.get(f"/v1/workspaces/{ws}/billing/storage-addons", headers=h)).json()
    assert (addons["quantity"], addons["addon_bytes"], addons["available"]) == (2, 20 * GIB, True)
    await _use(billing_app, ws, 20 * GIB)  # 65 GiB used: only possible with the add-on

    # Changing the quantity again updates the same subscription item.
    r = await bclient.post(
        f"/v1/workspaces/{ws}/billing/storage-addons", json={"quantity": 3}, headers=h
    )
    assert r.status_code == 202
    items = stripe_stub.subscription(sub_id)["items"]["data"]
    assert [i["quantity"] for i in items] == [1, 3]
    await deliver(
        bclient,
        stripe_stub.event("customer.subscription.updated", stripe_stub.subscription(sub_id)),
    )
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 80 * GIB

    # Downgrade: the subscription is canceled in the portal → free, 1 GiB, below the 65 GiB used.
    stripe_stub.set_status(sub_id, "canceled")
    event = stripe_stub.event("customer.subscription.deleted", stripe_stub.subscription(sub_id))
    assert (await deliver(bclient, event)).json()["applied"] is True
    v = await view(bclient, tenant_a)
    assert (v["plan_id"], v["status"], v["subscribed_plan_id"]) == ("free", "canceled", "team")
    assert v["storage"]["addon_bytes"] == 0 and v["storage_addons"]["quantity"] == 0
    s = await storage(bclient, tenant_a)
    assert s["quota_bytes"] == 1 * GIB
    assert s["used_bytes"] == 65 * GIB  # nothing was deleted; reads keep working
    with pytest.raises(QuotaExceeded) as exc:
        await _reserve(billing_app, ws, 1)
    assert exc.value.status == 402 and exc.value.code == "quota_exceeded"
    assert (await bclient.get(f"/v1/workspaces/{ws}", headers=h)).status_code == 200
    # The workspace can subscribe again.
    await subscribe(bclient, stripe_stub, tenant_a, "business")
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 500 * GIB
    await _reserve(billing_app, ws, 1)


async def test_plan_downgrade_under_usage_refuses_new_uploads(
    bclient: httpx.AsyncClient, billing_app: FastAPI, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    ws = tenant_a.workspace_id
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a, "business")
    await _use(billing_app, ws, 60 * GIB)
    stripe_stub.change_plan(sub_id, "price_team_monthly")  # business → team in the portal
    await deliver(
        bclient,
        stripe_stub.event("customer.subscription.updated", stripe_stub.subscription(sub_id)),
    )
    v = await view(bclient, tenant_a)
    assert v["plan_id"] == "team" and v["status"] == "active"
    s = await storage(bclient, tenant_a)
    assert (s["quota_bytes"], s["used_bytes"]) == (50 * GIB, 60 * GIB)
    with pytest.raises(QuotaExceeded):
        await _reserve(billing_app, ws, 1024)


async def test_past_due_keeps_the_paid_quota_for_the_grace_period(
    bclient: httpx.AsyncClient, billing_app: FastAPI, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    ws = tenant_a.workspace_id
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a, "team")
    stripe_stub.set_status(sub_id, "past_due")
    r = await deliver(
        bclient, stripe_stub.event("invoice.payment_failed", stripe_stub.invoice(sub_id, "open"))
    )
    assert r.json()["applied"] is True
    v = await view(bclient, tenant_a)
    assert (v["status"], v["plan_id"]) == ("past_due", "team")
    assert v["grace_period_ends_at"] is not None and v["storage"]["quota_bytes"] == 50 * GIB
    await _reserve(billing_app, ws, 2 * GIB)  # still the paid quota

    # Eight days later (the default grace is 7): the free quota applies.
    async with billing_app.state.sessionmaker() as s, s.begin():
        row = await s.get(WorkspaceBilling, uuid.UUID(ws))
        assert row is not None and row.past_due_since is not None
        row.past_due_since = utcnow() - timedelta(days=8)
    v = await view(bclient, tenant_a)
    assert (v["status"], v["plan_id"], v["subscribed_plan_id"]) == ("past_due", "free", "team")
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 1 * GIB
    with pytest.raises(QuotaExceeded):
        await _reserve(billing_app, ws, 1)

    # The invoice is paid: back to the paid plan, grace cleared.
    stripe_stub.set_status(sub_id, "active")
    await deliver(bclient, stripe_stub.event("invoice.paid", stripe_stub.invoice(sub_id)))
    v = await view(bclient, tenant_a)
    assert (v["status"], v["plan_id"], v["grace_period_ends_at"]) == ("active", "team", None)
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 50 * GIB


async def test_checkout_while_subscribed_is_409(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    await subscribe(bclient, stripe_stub, tenant_a, "team")
    r = await bclient.post(
        f"/v1/workspaces/{tenant_a.workspace_id}/billing/checkout",
        json={"plan": "business"},
        headers=tenant_a.owner.headers,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


async def test_deleting_a_workspace_cancels_its_subscription(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """A deleted workspace is never billed again; if Stripe refuses the cancellation, the
    workspace stays (and stays billed) until it is deleted again."""
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a, "team")
    _, other_id = await subscribe(bclient, stripe_stub, tenant_b, "team")
    url = f"/v1/workspaces/{tenant_a.workspace_id}"
    stripe_stub.fail_next = 400
    r = await bclient.delete(url, headers=tenant_a.owner.headers)
    assert_error(r, 502, "payment_provider_error")
    assert stripe_stub.subscription(sub_id)["status"] == "active"
    assert (await view(bclient, tenant_a))["status"] == "active"

    r = await bclient.delete(url, headers=tenant_a.owner.headers)
    assert r.status_code == 204, r.text
    assert stripe_stub.subscription(sub_id)["status"] == "canceled"
    assert stripe_stub.calls[-1][:2] == ("DELETE", f"/v1/subscriptions/{sub_id}")
    assert stripe_stub.subscription(other_id)["status"] == "active"
    assert_error(await bclient.get(url, headers=tenant_a.owner.headers), 403, "workspace_forbidden")
    # Stripe's own event for the cancellation arrives after the workspace is gone.
    event = stripe_stub.event("customer.subscription.deleted", stripe_stub.subscription(sub_id))
    assert (await deliver(bclient, event)).status_code == 200
