"""The Stripe webhook: signature over the raw body, tolerance, dedupe, ordering, and binding
events to the workspace that created the Checkout Session — never to one named in metadata."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.billing.conftest import WEBHOOK, deliver, sign
from tests.billing.helpers import storage, subscribe, view
from tests.conftest import assert_error
from tests.fixtures.stripe_stub import StripeStub
from tests.fixtures.users import Tenant

GIB = 1024**3


async def _post_raw(c: httpx.AsyncClient, payload: bytes, header: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if header is not None:
        headers["stripe-signature"] = header
    return await c.post(WEBHOOK, content=payload, headers=headers)


class TestSignature:
    """Each forged delivery would upgrade the workspace if accepted; each must leave it free."""

    async def _paid_but_unconfirmed(
        self, c: httpx.AsyncClient, stub: StripeStub, t: Tenant
    ) -> dict[str, object]:
        r = await c.post(
            f"/v1/workspaces/{t.workspace_id}/billing/checkout",
            json={"plan": "team"},
            headers=t.owner.headers,
        )
        assert r.status_code == 201, r.text
        return stub.event("checkout.session.completed", stub.pay_checkout(r.json()["id"]))

    @pytest.mark.parametrize(
        "case",
        ["wrong_secret", "stale", "future", "reserialised", "missing", "garbage", "tampered"],
    )
    async def test_refused_and_nothing_changes(
        self, bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant, case: str
    ) -> None:
        event = await self._paid_but_unconfirmed(bclient, stripe_stub, tenant_a)
        payload = json.dumps(event, separators=(",", ":"))
        now = int(time.time())
        body, header = payload.encode(), sign(payload)
        if case == "wrong_secret":
            header = sign(payload, secret="whsec_forged")
        elif case == "stale":
            header = sign(payload, timestamp=now - 301)  # tolerance is 300 s
        elif case == "future":
            header = sign(payload, timestamp=now + 3600)
        elif case == "reserialised":
            body = json.dumps(json.loads(payload), indent=2).encode()  # same JSON, other bytes
        elif case == "missing":
            header = None
        elif case == "garbage":
            header = "v1=deadbeef"
        elif case == "tampered":
            body = payload.replace('"livemode":false', '"livemode":true').encode()
        r = await _post_raw(bclient, body, header)
        assert_error(r, 400, "invalid_signature")
        v = await view(bclient, tenant_a)
        assert v["plan_id"] == "free" and v["subscribed_plan_id"] is None
        # The genuine delivery still works afterwards (the refused ones did not burn the event id).
        r = await _post_raw(bclient, payload.encode(), sign(payload))
        assert r.status_code == 200 and r.json() == {
            "received": True,
            "duplicate": False,
            "applied": True,
        }
        assert (await view(bclient, tenant_a))["plan_id"] == "team"

    async def test_a_fresh_signature_inside_tolerance_is_accepted(
        self, bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
    ) -> None:
        event = await self._paid_but_unconfirmed(bclient, stripe_stub, tenant_a)
        r = await deliver(bclient, event, timestamp=int(time.time()) - 250)
        assert r.status_code == 200 and r.json()["applied"] is True


async def test_duplicate_event_is_acknowledged_not_reapplied(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a)
    updated = stripe_stub.event("customer.subscription.updated", stripe_stub.subscription(sub_id))
    assert (await deliver(bclient, updated)).json()["duplicate"] is False
    # Stripe's state moves on; a redelivery of the old event must not re-sync anything.
    stripe_stub.set_status(sub_id, "past_due")
    r = await deliver(bclient, updated)
    assert r.status_code == 200 and r.json() == {
        "received": True,
        "duplicate": True,
        "applied": False,
    }
    assert (await view(bclient, tenant_a))["status"] == "active"


async def test_out_of_order_events_end_in_stripes_state(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    t0 = int(time.time())
    _, sub_id = await subscribe(bclient, stripe_stub, tenant_a)
    first = stripe_stub.event("customer.subscription.updated", stripe_stub.subscription(sub_id), t0)
    stripe_stub.change_plan(sub_id, "price_business_monthly")  # in the portal
    second = stripe_stub.event(
        "customer.subscription.updated", stripe_stub.subscription(sub_id), t0 + 5
    )
    stripe_stub.set_status(sub_id, "canceled")
    third = stripe_stub.event(
        "customer.subscription.deleted", stripe_stub.subscription(sub_id), t0 + 9
    )
    # Delivered newest first: the older events carry older copies (team, active) and must not win.
    for ev in (third, first, second):
        assert (await deliver(bclient, ev)).status_code == 200
    v = await view(bclient, tenant_a)
    assert v["status"] == "canceled" and v["plan_id"] == "free"
    assert v["subscribed_plan_id"] == "business"
    assert (await storage(bclient, tenant_a))["quota_bytes"] == 1 * GIB


async def test_subscription_created_before_checkout_completed(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    r = await bclient.post(
        f"/v1/workspaces/{tenant_a.workspace_id}/billing/checkout",
        json={"plan": "business", "interval": "yearly"},
        headers=tenant_a.owner.headers,
    )
    cs = stripe_stub.pay_checkout(r.json()["id"])
    sub = stripe_stub.subscription(cs["subscription"])
    assert (await deliver(bclient, stripe_stub.event("customer.subscription.created", sub))).json()[
        "applied"
    ]
    assert (await deliver(bclient, stripe_stub.event("checkout.session.completed", cs))).json()[
        "applied"
    ]
    v = await view(bclient, tenant_a)
    assert (v["plan_id"], v["interval"], v["status"]) == ("business", "yearly", "active")
    assert v["current_period_end"].endswith("Z")


class TestWorkspaceBinding:
    async def test_checkout_metadata_naming_another_workspace_is_not_trusted(
        self,
        bclient: httpx.AsyncClient,
        stripe_stub: StripeStub,
        tenant_a: Tenant,
        tenant_b: Tenant,
    ) -> None:
        # B's owner pays for B, but the completed session claims to be for A.
        r = await bclient.post(
            f"/v1/workspaces/{tenant_b.workspace_id}/billing/checkout",
            json={"plan": "business"},
            headers=tenant_b.owner.headers,
        )
        cs = stripe_stub.pay_checkout(r.json()["id"])
        cs["metadata"] = {"workspace_id": tenant_a.workspace_id}
        cs["client_reference_id"] = tenant_a.workspace_id
        assert (
            await deliver(bclient, stripe_stub.event("checkout.session.completed", cs))
        ).status_code == 200
        a = await view(bclient, tenant_a)
        assert a["plan_id"] == "free" and a["has_customer"] is False
        assert (await storage(bclient, tenant_a))["quota_bytes"] == 1 * GIB
        b = await view(bclient, tenant_b)
        assert b["plan_id"] == "business"  # applied to the workspace that created the session

    async def test_a_session_this_server_did_not_create_is_ignored(
        self,
        bclient: httpx.AsyncClient,
        stripe_stub: StripeStub,
        tenant_a: Tenant,
        tenant_b: Tenant,
    ) -> None:
        # A real subscription of B's customer, reported through a session id nobody bound.
        _, sub_b = await subscribe(bclient, stripe_stub, tenant_b)
        forged = {
            "id": "cs_test_not_ours",
            "object": "checkout.session",
            "mode": "subscription",
            "customer": stripe_stub.subscription(sub_b)["customer"],
            "subscription": sub_b,
            "metadata": {"workspace_id": tenant_a.workspace_id},
            "client_reference_id": tenant_a.workspace_id,
            "status": "complete",
        }
        r = await deliver(bclient, stripe_stub.event("checkout.session.completed", forged))
        assert r.status_code == 200 and r.json()["applied"] is False
        assert (await view(bclient, tenant_a))["plan_id"] == "free"

    async def test_subscription_of_an_unknown_customer_is_ignored(
        self, bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
    ) -> None:
        sub = {
            "id": "sub_x",
            "object": "subscription",
            "customer": "cus_nobody",
            "status": "active",
            "metadata": {"workspace_id": tenant_a.workspace_id},
        }
        r = await deliver(bclient, stripe_stub.event("customer.subscription.created", sub))
        assert r.status_code == 200 and r.json()["applied"] is False
        assert (await view(bclient, tenant_a))["plan_id"] == "free"


async def test_unhandled_event_types_are_acknowledged(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub
) -> None:
    r = await deliver(
        bclient, stripe_stub.event("charge.refunded", {"id": "ch_1", "object": "charge"})
    )
    assert r.status_code == 200 and r.json() == {
        "received": True,
        "duplicate": False,
        "applied": False,
    }


async def test_provider_failure_during_sync_is_retried_by_stripe(
    bclient: httpx.AsyncClient, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    """A re-fetch that fails answers 503 and records nothing, so Stripe's retry applies it."""
    r = await bclient.post(
        f"/v1/workspaces/{tenant_a.workspace_id}/billing/checkout",
        json={"plan": "team"},
        headers=tenant_a.owner.headers,
    )
    event = stripe_stub.event(
        "checkout.session.completed", stripe_stub.pay_checkout(r.json()["id"])
    )
    stripe_stub.fail_next = 400  # a non-retryable provider error on the re-fetch
    r = await deliver(bclient, event)
    assert r.status_code == 502 and r.json()["error"]["code"] == "payment_provider_error"
    assert (await view(bclient, tenant_a))["plan_id"] == "free"
    r = await deliver(bclient, event)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    assert (await view(bclient, tenant_a))["plan_id"] == "team"
