"""Billing routes over HTTP: who may call them, input validation, Checkout, portal, add-ons, and
the self-hosted (billing disabled) answers."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.app import create_app
from bugport.auth.credentials import RESOLVERS
from bugport.auth.principal import Principal
from tests.billing.conftest import CANCEL, PORTAL_RETURN, SUCCESS
from tests.conftest import assert_error, client_for, make_settings
from tests.fixtures.stripe_stub import StripeStub
from tests.fixtures.users import Tenant

GIB = 1024**3


def billing(t: Tenant, tail: str = "") -> str:
    return f"/v1/workspaces/{t.workspace_id}/billing{tail}"


ROUTES = [
    ("GET", ""),
    ("POST", "/checkout"),
    ("POST", "/portal"),
    ("GET", "/storage-addons"),
    ("POST", "/storage-addons"),
]
BODIES = {"/checkout": {"plan": "team"}, "/storage-addons": {"quantity": 1}}


def _kw(method: str, tail: str) -> dict[str, object]:
    return {"json": BODIES[tail]} if method == "POST" and tail in BODIES else {}


class TestWhoMayCall:
    @pytest.mark.parametrize(("method", "tail"), ROUTES)
    async def test_no_credential_is_401(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, method: str, tail: str
    ) -> None:
        r = await bclient.request(method, billing(tenant_a, tail), **_kw(method, tail))  # type: ignore[arg-type]
        assert_error(r, 401, "unauthorized")

    @pytest.mark.parametrize(("method", "tail"), ROUTES)
    async def test_other_workspace_is_403(
        self,
        bclient: httpx.AsyncClient,
        tenant_a: Tenant,
        tenant_b: Tenant,
        method: str,
        tail: str,
    ) -> None:
        r = await bclient.request(
            method, billing(tenant_a, tail), headers=tenant_b.owner.headers, **_kw(method, tail)
        )  # type: ignore[arg-type]
        assert_error(r, 403, "workspace_forbidden")

    @pytest.mark.parametrize("role", ["viewer", "member"])
    @pytest.mark.parametrize(("method", "tail"), ROUTES)
    async def test_viewer_and_member_are_refused(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, role: str, method: str, tail: str
    ) -> None:
        r = await bclient.request(
            method,
            billing(tenant_a, tail),
            headers=tenant_a.user(role).headers,
            **_kw(method, tail),
        )  # type: ignore[arg-type]
        assert_error(r, 403, "insufficient_role")

    async def test_admin_reads_but_cannot_buy(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, stripe_stub: StripeStub
    ) -> None:
        h = tenant_a.admin.headers
        r = await bclient.get(billing(tenant_a), headers=h)
        assert r.status_code == 200, r.text
        assert r.json()["plan_id"] == "free"
        assert (
            await bclient.get(billing(tenant_a, "/storage-addons"), headers=h)
        ).status_code == 200
        calls = len(stripe_stub.calls)
        for method, tail in ROUTES:
            if method == "POST":
                r = await bclient.post(billing(tenant_a, tail), headers=h, **_kw(method, tail))  # type: ignore[arg-type]
                assert_error(r, 403, "insufficient_role")
        assert len(stripe_stub.calls) == calls  # refused before any Stripe call

    async def test_tokens_are_refused_even_for_an_owner(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The MCP token feature is built elsewhere; a resolver standing in for it yields a token
        # principal of the workspace owner, which billing routes must refuse by kind (403).
        from sqlalchemy import select

        from bugport.models import User

        async def resolver(token: str, request: Request, session: AsyncSession) -> Principal:
            owner = (
                await session.execute(select(User).where(User.id == uuid.UUID(tenant_a.owner.id)))
            ).scalar_one()
            return Principal(
                kind="mcp_token",
                user=owner,
                scopes=frozenset({"bugs:read", "bugs:write"}),
                workspace_id=uuid.UUID(tenant_a.workspace_id),
            )

        monkeypatch.setitem(RESOLVERS, "bp_mcp_", resolver)
        h = {"Authorization": "Bearer bp_mcp_standin"}
        for method, tail in ROUTES:
            r = await bclient.request(
                method, billing(tenant_a, tail), headers=h, **_kw(method, tail)
            )  # type: ignore[arg-type]
            assert_error(r, 403, "forbidden")


class TestCheckout:
    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"plan": "platinum"}, "body.plan"),
            ({"plan": "free"}, "body.plan"),
            ({"plan": "team", "interval": "weekly"}, "body.interval"),
            ({}, "body.plan"),
            ({"plan": "team", "success_url": "https://evil.example"}, "body.success_url"),
        ],
    )
    async def test_bad_input_is_422(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, body: dict[str, str], field: str
    ) -> None:
        r = await bclient.post(
            billing(tenant_a, "/checkout"), json=body, headers=tenant_a.owner.headers
        )
        assert_error(r, 422, "validation_error", field)

    async def test_owner_gets_a_checkout_url_with_configured_return_urls(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, stripe_stub: StripeStub
    ) -> None:
        r = await bclient.post(
            billing(tenant_a, "/checkout"),
            json={"plan": "team", "interval": "yearly"},
            headers=tenant_a.owner.headers,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["url"].startswith("https://checkout.stripe.com/") and body["id"].startswith(
            "cs_"
        )
        assert r.headers["location"] == body["url"]
        assert body["plan"] == "team" and body["interval"] == "yearly" and body["expires_at"]
        sent = stripe_stub.sessions[body["id"]]
        ws = tenant_a.workspace_id
        assert sent["success_url"] == SUCCESS.replace("{workspace_id}", ws)
        assert sent["cancel_url"] == CANCEL.replace("{workspace_id}", ws)
        assert sent["_line_items"] == [{"price": "price_team_yearly", "quantity": "1"}]
        assert sent["mode"] == "subscription" and sent["client_reference_id"] == ws
        customer = stripe_stub.customers[sent["customer"]]
        assert customer["metadata"] == {"workspace_id": ws}
        # Nothing changes until Stripe confirms: still free, no subscription.
        view = (await bclient.get(billing(tenant_a), headers=tenant_a.owner.headers)).json()
        assert view["plan_id"] == "free" and view["status"] == "active" and view["has_customer"]

        # A second checkout reuses the customer.
        r2 = await bclient.post(
            billing(tenant_a, "/checkout"),
            json={"plan": "business"},
            headers=tenant_a.owner.headers,
        )
        assert r2.status_code == 201, r2.text
        assert stripe_stub.sessions[r2.json()["id"]]["customer"] == sent["customer"]
        assert [
            c for c in stripe_stub.customers.values() if c["metadata"].get("workspace_id") == ws
        ] == [customer]

    async def test_concurrent_checkouts_create_one_customer(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, stripe_stub: StripeStub
    ) -> None:
        rs = await asyncio.gather(
            *[
                bclient.post(
                    billing(tenant_a, "/checkout"),
                    json={"plan": "team"},
                    headers=tenant_a.owner.headers,
                )
                for _ in range(4)
            ]
        )
        assert [r.status_code for r in rs] == [201] * 4, [r.text for r in rs]
        customers = {stripe_stub.sessions[r.json()["id"]]["customer"] for r in rs}
        assert len(customers) == 1
        ws = tenant_a.workspace_id
        mine = [
            c for c in stripe_stub.customers.values() if c["metadata"].get("workspace_id") == ws
        ]
        assert len(mine) == 1


class TestPortal:
    async def test_no_customer_yet_is_409(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await bclient.post(billing(tenant_a, "/portal"), headers=tenant_a.owner.headers)
        assert_error(r, 409, "conflict")

    async def test_owner_gets_a_portal_url(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, stripe_stub: StripeStub
    ) -> None:
        h = tenant_a.owner.headers
        assert (
            await bclient.post(billing(tenant_a, "/checkout"), json={"plan": "team"}, headers=h)
        ).status_code == 201
        r = await bclient.post(billing(tenant_a, "/portal"), headers=h)
        assert r.status_code == 201, r.text
        body = r.json()
        assert (
            body["url"].startswith("https://billing.stripe.com/")
            and r.headers["location"] == body["url"]
        )
        sent = stripe_stub.portals[body["id"]]
        assert sent["return_url"] == PORTAL_RETURN.replace("{workspace_id}", tenant_a.workspace_id)
        assert (
            stripe_stub.customers[sent["customer"]]["metadata"]["workspace_id"]
            == tenant_a.workspace_id
        )


class TestStorageAddons:
    async def test_view_for_a_free_workspace(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await bclient.get(billing(tenant_a, "/storage-addons"), headers=tenant_a.admin.headers)
        assert r.status_code == 200, r.text
        assert r.json() == {
            "workspace_id": tenant_a.workspace_id,
            "billing_enabled": True,
            "quantity": 0,
            "block_bytes": 10 * GIB,
            "addon_bytes": 0,
            "max_quantity": 100,
            "available": False,
            "currency": "usd",
            "monthly_price": 500,
            "yearly_price": 5000,
        }

    @pytest.mark.parametrize(
        "body",
        [{"quantity": -1}, {"quantity": 101}, {"quantity": "many"}, {}, {"quantity": 1, "x": 1}],
    )
    async def test_bad_quantity_is_422(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, body: dict[str, object]
    ) -> None:
        r = await bclient.post(
            billing(tenant_a, "/storage-addons"), json=body, headers=tenant_a.owner.headers
        )
        assert r.status_code == 422, r.text
        err = r.json()["error"]
        assert err["details"][0]["field"].startswith("body.")

    async def test_without_a_subscription_is_409(
        self, bclient: httpx.AsyncClient, tenant_a: Tenant, stripe_stub: StripeStub
    ) -> None:
        r = await bclient.post(
            billing(tenant_a, "/storage-addons"),
            json={"quantity": 2},
            headers=tenant_a.owner.headers,
        )
        assert_error(r, 409, "conflict")


class TestSelfHosted:
    """The default test app has no Stripe settings: the embedded/self-hosted mode."""

    async def test_billing_reports_disabled_and_quota_is_unlimited(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        h = tenant_a.owner.headers
        r = await client.get(billing(tenant_a), headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["billing_enabled"] is False and body["status"] == "billing_disabled"
        assert body["managed_by"] == "operator" and body["storage"]["quota_bytes"] is None
        storage = (
            await client.get(f"/v1/workspaces/{tenant_a.workspace_id}/storage", headers=h)
        ).json()
        assert storage["quota_bytes"] is None
        for tail, kw in (
            ("/checkout", {"json": {"plan": "team"}}),
            ("/portal", {}),
            ("/storage-addons", {"json": {"quantity": 1}}),
        ):
            r = await client.post(billing(tenant_a, tail), headers=h, **kw)  # type: ignore[arg-type]
            assert_error(r, 409, "billing_disabled")
        r = await client.post(
            "/v1/billing/webhooks/stripe",
            json={"id": "evt_1"},
            headers={"stripe-signature": "t=1,v1=x"},
        )
        assert_error(r, 409, "billing_disabled")

    async def test_operator_quota_applies(
        self,
        backend_url: tuple[str, str],
        tmp_path: Path,
        client: httpx.AsyncClient,
        tenant_a: Tenant,
    ) -> None:
        application: FastAPI = create_app(
            make_settings(backend_url[1], tmp_path, storage_quota_bytes=5 * GIB)
        )
        try:
            async with client_for(application) as c:
                h = tenant_a.owner.headers
                storage = (
                    await c.get(f"/v1/workspaces/{tenant_a.workspace_id}/storage", headers=h)
                ).json()
                view = (await c.get(billing(tenant_a), headers=h)).json()
        finally:
            await application.state.engine.dispose()
        assert storage["quota_bytes"] == 5 * GIB
        assert view["storage"]["quota_bytes"] == 5 * GIB and view["status"] == "billing_disabled"


async def test_stripe_unreachable_is_503_and_records_nothing(
    backend_url: tuple[str, str], tmp_path: Path, stripe_stub: StripeStub, tenant_a: Tenant
) -> None:
    from tests.billing.conftest import billing_settings

    settings = billing_settings(backend_url[1], tmp_path, stripe_stub, stripe_timeout_seconds=2)
    settings.stripe_api_base = "http://127.0.0.1:9"  # discard port: connection refused
    application: FastAPI = create_app(settings)
    try:
        async with client_for(application) as c:
            h = tenant_a.owner.headers
            r = await c.post(billing(tenant_a, "/checkout"), json={"plan": "team"}, headers=h)
            assert_error(r, 503, "unavailable")
            assert "127.0.0.1" not in r.text  # no provider detail leaks
            view = (await c.get(billing(tenant_a), headers=h)).json()
    finally:
        await application.state.engine.dispose()
    assert view["has_customer"] is False and view["plan_id"] == "free"
