"""Widget key management over HTTP: create/list/get/patch/revoke/rotate, and the credential itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bugport.kit.crypto import generate_token
from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.fixtures.widget import ORIGIN, make_key, widget_headers
from tests.test_route_allowlist import PUBLIC


def keys_url(t: Tenant) -> str:
    return f"/v1/projects/{t.project_id}/widget-keys"


async def check(client: httpx.AsyncClient, key: str, origin: str | None = ORIGIN) -> httpx.Response:
    return await client.post("/v1/widget/check", headers=widget_headers(key, origin))


class TestCreate:
    async def test_admin_creates_key_shown_once(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await client.post(
            keys_url(tenant_a),
            json={
                "label": "Marketing site",
                "allowed_origins": ["HTTPS://App.Example.COM:443/", "https://*.example.org"],
            },
            headers=tenant_a.admin.headers,
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["key"].startswith("bp_pub_")
        assert body["key_hint"] == f"bp_pub_…{body['key'][-4:]}"
        assert body["allowed_origins"] == ["https://app.example.com", "https://*.example.org"]
        assert body["enabled"] is True and body["expires_at"] is None
        assert body["project_id"] == tenant_a.project_id
        assert r.headers["location"] == f"{keys_url(tenant_a)}/{body['id']}"
        # Afterwards only the hint: the full key never appears again.
        r = await client.get(r.headers["location"], headers=tenant_a.admin.headers)
        assert r.status_code == 200
        assert "key" not in r.json() and body["key"] not in r.text
        r = await client.get(keys_url(tenant_a), headers=tenant_a.owner.headers)
        assert [k["id"] for k in r.json()["data"]] == [body["id"]]
        assert body["key"] not in r.text
        # And it works from its origin.
        assert (await check(client, body["key"])).status_code == 200

    async def test_no_credential_401(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        r = await client.post(keys_url(tenant_a), json={"label": "x", "allowed_origins": [ORIGIN]})
        assert_error(r, 401, "unauthorized")
        assert_error(await client.get(keys_url(tenant_a)), 401, "unauthorized")

    @pytest.mark.parametrize("role", ["member", "viewer"])
    async def test_below_admin_403(
        self, client: httpx.AsyncClient, tenant_a: Tenant, role: str
    ) -> None:
        h = tenant_a.user(role).headers
        r = await client.post(
            keys_url(tenant_a), json={"label": "x", "allowed_origins": [ORIGIN]}, headers=h
        )
        assert_error(r, 403, "insufficient_role")
        assert_error(await client.get(keys_url(tenant_a), headers=h), 403, "insufficient_role")

    async def test_other_workspace_404(
        self, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
    ) -> None:
        r = await client.post(
            keys_url(tenant_a),
            json={"label": "x", "allowed_origins": [ORIGIN]},
            headers=tenant_b.owner.headers,
        )
        assert_error(r, 404, "not_found")
        r = await client.get(keys_url(tenant_a), headers=tenant_a.owner.headers)
        assert r.json()["data"] == []

    @pytest.mark.parametrize(
        "origin",
        [
            "app.example.com",
            "ftp://app.example.com",
            "https://app.example.com/path",
            "https://app.example.com?q=1",
            "https://user@app.example.com",
            "https://*.com",
            "https://a.*.example.com",
            "https://*example.com",
            "https://*.1.2.3.4",
            "https://app.example.com:0",
            "https://app.example.com:70000",
            "null",
            "*",
        ],
    )
    async def test_bad_origin_422(
        self, client: httpx.AsyncClient, tenant_a: Tenant, origin: str
    ) -> None:
        r = await client.post(
            keys_url(tenant_a),
            json={"label": "x", "allowed_origins": [origin]},
            headers=tenant_a.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.allowed_origins")

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"label": "", "allowed_origins": [ORIGIN]}, "body.label"),
            ({"label": "x", "allowed_origins": []}, "body.allowed_origins"),
            ({"label": "x"}, "body.allowed_origins"),
            ({"label": "x", "allowed_origins": [ORIGIN], "key_hint": "x"}, "body.key_hint"),
            ({"label": "x", "allowed_origins": [ORIGIN], "project_id": "x"}, "body.project_id"),
        ],
    )
    async def test_bad_body_422(
        self, client: httpx.AsyncClient, tenant_a: Tenant, body: dict, field: str
    ) -> None:
        r = await client.post(keys_url(tenant_a), json=body, headers=tenant_a.admin.headers)
        assert_error(r, 422, "validation_error", field)

    async def test_mcp_and_widget_credentials_refused(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        key = (await make_key(client, tenant_a))["key"]
        r = await client.get(keys_url(tenant_a), headers=widget_headers(key))
        assert_error(r, 403, "forbidden")
        r = await client.post(
            keys_url(tenant_a),
            json={"label": "x", "allowed_origins": [ORIGIN]},
            headers=widget_headers(key),
        )
        assert_error(r, 403, "forbidden")


class TestUpdateAndRevoke:
    async def test_patch_changes_only_sent_fields(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        k = await make_key(client, tenant_a)
        url = f"{keys_url(tenant_a)}/{k['id']}"
        r = await client.patch(
            url, json={"allowed_origins": ["http://localhost:3000"]}, headers=tenant_a.admin.headers
        )
        assert r.status_code == 200, r.text
        assert r.json()["allowed_origins"] == ["http://localhost:3000"]
        assert r.json()["label"] == "site"
        # The new origin list applies at once: the old origin is refused, the new one allowed.
        assert_error(await check(client, k["key"]), 403, "origin_not_allowed")
        assert (await check(client, k["key"], "http://localhost:3000")).status_code == 200

    async def test_disable_then_enable(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        k = await make_key(client, tenant_a)
        url = f"{keys_url(tenant_a)}/{k['id']}"
        r = await client.patch(url, json={"enabled": False}, headers=tenant_a.admin.headers)
        assert r.json()["enabled"] is False
        assert_error(await check(client, k["key"]), 401, "invalid_token")
        await client.patch(url, json={"enabled": True}, headers=tenant_a.admin.headers)
        assert (await check(client, k["key"])).status_code == 200

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"label": None}, "body.label"),
            ({"allowed_origins": None}, "body.allowed_origins"),
            ({"enabled": None}, "body.enabled"),
            ({"allowed_origins": ["https://x.com/p"]}, "body.allowed_origins"),
            ({"key_hash": "x"}, "body.key_hash"),
            ({"last_used_at": "2026-01-01T00:00:00Z"}, "body.last_used_at"),
        ],
    )
    async def test_patch_bad_input_422(
        self, client: httpx.AsyncClient, tenant_a: Tenant, body: dict, field: str
    ) -> None:
        k = await make_key(client, tenant_a)
        r = await client.patch(
            f"{keys_url(tenant_a)}/{k['id']}", json=body, headers=tenant_a.admin.headers
        )
        assert_error(r, 422, "validation_error", field)

    async def test_patch_and_delete_need_admin(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        k = await make_key(client, tenant_a)
        url = f"{keys_url(tenant_a)}/{k['id']}"
        h = tenant_a.member.headers
        assert_error(
            await client.patch(url, json={"label": "y"}, headers=h), 403, "insufficient_role"
        )
        assert_error(await client.delete(url, headers=h), 403, "insufficient_role")
        assert_error(await client.delete(url), 401, "unauthorized")
        assert (await check(client, k["key"])).status_code == 200

    async def test_delete_revokes_at_once(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        k = await make_key(client, tenant_a)
        assert (await check(client, k["key"])).status_code == 200
        url = f"{keys_url(tenant_a)}/{k['id']}"
        r = await client.delete(url, headers=tenant_a.admin.headers)
        assert r.status_code == 204
        err = assert_error(await check(client, k["key"]), 401, "invalid_token")
        assert "revoked" in err["message"]
        assert_error(await client.get(url, headers=tenant_a.admin.headers), 404, "not_found")
        r = await client.get(keys_url(tenant_a), headers=tenant_a.admin.headers)
        assert k["id"] not in [x["id"] for x in r.json()["data"]]
        assert_error(await client.delete(url, headers=tenant_a.admin.headers), 404, "not_found")

    async def test_key_of_other_project_is_404_under_this_project(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        r = await client.post(
            "/v1/projects",
            json={"workspace_id": tenant_a.workspace_id, "name": "Two", "key": "TWO"},
            headers=tenant_a.admin.headers,
        )
        other = r.json()["id"]
        k = await make_key(client, tenant_a)
        r = await client.get(
            f"/v1/projects/{other}/widget-keys/{k['id']}", headers=tenant_a.admin.headers
        )
        assert_error(r, 404, "not_found")


class TestRotate:
    async def test_rotation_with_grace(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        old = await make_key(client, tenant_a, origins=[ORIGIN, "http://localhost:8080"])
        until = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        r = await client.post(
            f"{keys_url(tenant_a)}/{old['id']}/rotate",
            json={"grace_until": until},
            headers=tenant_a.admin.headers,
        )
        assert r.status_code == 201, r.text
        new = r.json()
        assert new["key"] != old["key"] and new["id"] != old["id"]
        assert new["allowed_origins"] == old["allowed_origins"] and new["label"] == old["label"]
        assert r.headers["location"].endswith(new["id"])
        # Both work during the grace period.
        assert (await check(client, new["key"])).status_code == 200
        assert (await check(client, old["key"])).status_code == 200
        r = await client.get(f"{keys_url(tenant_a)}/{old['id']}", headers=tenant_a.admin.headers)
        assert r.json()["rotated_to_id"] == new["id"]
        assert r.json()["expires_at"].startswith(until[:16])

    async def test_rotation_without_grace_stops_old_key_now(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        old = await make_key(client, tenant_a)
        r = await client.post(
            f"{keys_url(tenant_a)}/{old['id']}/rotate", json={}, headers=tenant_a.admin.headers
        )
        assert r.status_code == 201
        assert_error(await check(client, old["key"]), 401, "invalid_token")
        assert (await check(client, r.json()["key"])).status_code == 200
        # An expired key can't be rotated again.
        r = await client.post(
            f"{keys_url(tenant_a)}/{old['id']}/rotate", json={}, headers=tenant_a.admin.headers
        )
        assert_error(r, 422, "validation_error", "key_id")

    @pytest.mark.parametrize(
        "until",
        [
            lambda: (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            lambda: (datetime.now(UTC) + timedelta(days=31)).isoformat(),
            lambda: "2030-01-01T00:00:00",
            lambda: "tomorrow",
        ],
    )
    async def test_bad_grace_422(self, client: httpx.AsyncClient, tenant_a: Tenant, until) -> None:
        old = await make_key(client, tenant_a)
        r = await client.post(
            f"{keys_url(tenant_a)}/{old['id']}/rotate",
            json={"grace_until": until()},
            headers=tenant_a.admin.headers,
        )
        assert_error(r, 422, "validation_error", "body.grace_until")
        assert (await check(client, old["key"])).status_code == 200

    async def test_rotate_needs_admin(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        old = await make_key(client, tenant_a)
        r = await client.post(
            f"{keys_url(tenant_a)}/{old['id']}/rotate", json={}, headers=tenant_a.member.headers
        )
        assert_error(r, 403, "insufficient_role")
        assert (await check(client, old["key"])).status_code == 200


class TestCredential:
    @pytest.mark.parametrize(
        "key",
        [
            "bp_pub_",
            "bp_pub_short",
            "bp_pub_" + "a" * 46,  # right length, wrong checksum
            "bp_pub_" + "a" * 45 + "!",  # a character outside the alphabet
        ],
        ids=["empty", "short", "bad-checksum", "bad-char"],
    )
    async def test_malformed_key_401(self, client: httpx.AsyncClient, key: str) -> None:
        err = assert_error(await check(client, key), 401, "invalid_token")
        assert "malformed" in err["message"]

    async def test_unknown_well_formed_key_401(self, client: httpx.AsyncClient) -> None:
        err = assert_error(await check(client, generate_token("bp_pub_")), 401, "invalid_token")
        assert "malformed" not in err["message"]

    async def test_tampered_key_fails_checksum(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        key = (await make_key(client, tenant_a))["key"]
        body = key[len("bp_pub_") :]
        flipped = "bp_pub_" + ("b" if body[0] != "b" else "c") + body[1:]
        err = assert_error(await check(client, flipped), 401, "invalid_token")
        assert "malformed" in err["message"]

    async def test_last_used_at_recorded(self, client: httpx.AsyncClient, tenant_a: Tenant) -> None:
        k = await make_key(client, tenant_a)
        assert k["last_used_at"] is None
        assert (await check(client, k["key"])).status_code == 200
        r = await client.get(f"{keys_url(tenant_a)}/{k['id']}", headers=tenant_a.admin.headers)
        assert r.json()["last_used_at"] is not None

    @pytest.mark.parametrize(
        "path",
        [
            "/v1/projects",
            "/v1/workspaces",
            "/v1/auth/me",
            "/v1/projects/{project_id}",
            "/v1/workspaces/{workspace_id}",
            "/v1/workspaces/{workspace_id}/members",
            "/v1/workspaces/{workspace_id}/storage",
            "/v1/projects/{project_id}/widget-keys",
        ],
    )
    async def test_widget_key_reads_nothing(
        self, client: httpx.AsyncClient, tenant_a: Tenant, path: str
    ) -> None:
        key = (await make_key(client, tenant_a))["key"]
        url = path.format(project_id=tenant_a.project_id, workspace_id=tenant_a.workspace_id)
        r = await client.get(url, headers=widget_headers(key))
        assert_error(r, 403, "forbidden")

    async def test_every_get_route_refuses_widget_keys(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        """Walks the OpenAPI schema: no GET under /v1 (public ones aside) answers a widget key."""
        key = (await make_key(client, tenant_a))["key"]
        schema = (await client.get("/v1/openapi.json")).json()
        public = {path for method, path in PUBLIC if method == "GET"}
        tried = 0
        for path, item in schema["paths"].items():
            if "get" not in item or path in public:
                continue
            url = path
            for name in ("project_id", "workspace_id"):
                url = url.replace("{" + name + "}", getattr(tenant_a, name))
            url = url.replace("{", "").replace(
                "}", ""
            )  # other ids: any value; kind is checked first
            r = await client.get(url, headers=widget_headers(key))
            assert r.status_code == 403, f"GET {path}: {r.status_code} {r.text}"
            tried += 1
        assert tried >= 5
