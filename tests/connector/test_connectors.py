"""Catalogue, get, test (with token refresh) and disconnect."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update

from bugport.models import Connector
from bugport.models.base import utcnow
from tests.conftest import assert_error, client_for, make_settings
from tests.connector.conftest import Stubs, connect
from tests.fixtures.users import Tenant, make_tenant

PROVIDERS = ["github", "linear", "jira"]


async def _expire_token(app: FastAPI, connector_id: str) -> None:
    async with app.state.sessionmaker() as s:
        await s.execute(
            update(Connector)
            .where(Connector.id == uuid.UUID(connector_id))
            .values(token_expires_at=utcnow() - timedelta(minutes=5))
        )
        await s.commit()


class TestCatalogue:
    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.get("/v1/connectors", params={"workspace_id": ta.workspace_id})
        assert_error(r, 401, "unauthorized")

    async def test_other_workspace(self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant) -> None:
        r = await cc.get(
            "/v1/connectors", params={"workspace_id": ta.workspace_id}, headers=tb.owner.headers
        )
        assert_error(r, 403, "workspace_forbidden")

    async def test_workspace_required(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.get("/v1/connectors", headers=ta.admin.headers)
        assert_error(r, 422, "validation_error", "query.workspace_id")

    async def test_configured_providers(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.get(
            "/v1/connectors", params={"workspace_id": ta.workspace_id}, headers=ta.viewer.headers
        )
        assert r.status_code == 200, r.text
        providers = {p["id"]: p for p in r.json()["providers"]}
        assert set(providers) == {"github", "linear", "jira"}
        assert all(p["configured"] for p in providers.values())
        assert providers["jira"]["supports_pkce"] is False
        assert providers["jira"]["supports_revoke"] is False
        assert providers["github"]["supports_pkce"] and providers["linear"]["supports_revoke"]
        assert providers["linear"]["redirect_uri"] == "http://test/integrations/linear/callback"
        assert r.json()["connections"] == []

    async def test_unconfigured_server(self, client: httpx.AsyncClient, user: object) -> None:
        # The default test app has no provider credentials: listed, not configured, can't start.
        from tests.fixtures.users import ApiUser

        assert isinstance(user, ApiUser)
        ws = user.personal_workspace_id
        r = await client.get("/v1/connectors", params={"workspace_id": ws}, headers=user.headers)
        assert r.status_code == 200, r.text
        assert not any(p["configured"] for p in r.json()["providers"])
        r = await client.post(
            "/v1/connectors/jira/oauth/start", json={"workspace_id": ws}, headers=user.headers
        )
        err = assert_error(r, 409, "provider_not_configured")
        assert "BUGPORT_JIRA_CLIENT_ID" in err["message"]

    async def test_connections_are_per_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        a = await connect(cc, stubs, ta, "github")
        b = await connect(cc, stubs, tb, "github")  # the same GitHub account, another workspace
        assert a["id"] != b["id"]
        for t, mine in ((ta, a), (tb, b)):
            r = await cc.get(
                "/v1/connectors", params={"workspace_id": t.workspace_id}, headers=t.owner.headers
            )
            assert [c["id"] for c in r.json()["connections"]] == [mine["id"]]


class TestGet:
    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs) -> None:
        conn = await connect(cc, stubs, ta, "github")
        assert_error(await cc.get(f"/v1/connectors/{conn['id']}"), 401, "unauthorized")

    async def test_other_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=tb.owner.headers)
        assert_error(r, 404, "not_found")

    async def test_bad_id(self, cc: httpx.AsyncClient, ta: Tenant) -> None:
        r = await cc.get("/v1/connectors/not-a-uuid", headers=ta.admin.headers)
        assert_error(r, 422, "validation_error", "path.connector_id")


class TestTest:
    @pytest.mark.parametrize("provider", PROVIDERS)
    async def test_ok_and_stored(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs, provider: str
    ) -> None:
        conn = await connect(cc, stubs, ta, provider)
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.member.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ok"] is True and body["reason"] is None and body["status"] == "active"
        assert body["tested_at"].endswith("Z")
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=ta.viewer.headers)
        assert r.json()["last_test"] == {"ok": True, "reason": None, "tested_at": body["tested_at"]}

    async def test_identity_call_shapes(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        for provider in PROVIDERS:
            conn = await connect(cc, stubs, ta, provider)
            r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
            assert r.json()["ok"], r.text
        gh = stubs.github.requests[-1]
        assert (gh[0], gh[1]) == ("GET", "/user")
        assert gh[2]["authorization"].startswith("Bearer gho-at-")
        assert gh[2]["x-github-api-version"] == "2022-11-28"
        lin = stubs.linear.requests[-1]
        assert (lin[0], lin[1]) == ("POST", "/graphql") and b"viewer" in lin[3]
        jira = stubs.jira.requests[-1]
        assert jira[1] == f"/ex/jira/{stubs.jira.CLOUD_ID}/rest/api/3/myself"

    async def test_viewer_cannot_test(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.viewer.headers)
        assert_error(r, 403, "insufficient_role")

    async def test_other_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        n = len(stubs.github.requests)
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=tb.owner.headers)
        assert_error(r, 404, "not_found")
        assert len(stubs.github.requests) == n  # no provider call on B's behalf

    async def test_revoked_token_is_an_error_verdict(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        stubs.github.access.clear()  # the user revoked the app on github.com
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["ok"] is False and body["status"] == "needs_reauth"
        assert body["reason"].startswith("GitHub rejected the connection's token (401)")
        assert "Bad credentials" not in r.text  # our words, not the provider's body
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert r.json()["status"] == "needs_reauth"
        assert r.json()["last_test"]["ok"] is False

    async def test_provider_down_is_an_error_verdict(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "jira")
        stubs.jira.fail["identity"] = [(503, {"message": "down <html>"})]
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        body = r.json()
        assert body["ok"] is False and body["status"] == "active"
        assert body["reason"] == "Jira failed (503) while reading the account (GET /myself)."

    async def test_linear_graphql_auth_error(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "linear")
        auth_error = (
            400,
            {
                "errors": [
                    {
                        "message": "Authentication required, not authenticated",
                        "extensions": {
                            "type": "authentication error",
                            "code": "AUTHENTICATION_ERROR",
                        },
                    }
                ]
            },
        )
        # Refused before and after the one refresh the test allows itself.
        stubs.linear.fail["identity"] = [auth_error, auth_error]
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        body = r.json()
        assert body["ok"] is False and body["status"] == "needs_reauth"
        assert "AUTHENTICATION_ERROR" in body["reason"]
        assert stubs.linear.fail["identity"] == []
        assert "not authenticated" not in body["reason"]

    @pytest.mark.parametrize("provider", ["linear", "jira"])
    async def test_expired_token_is_refreshed_and_rotated(
        self,
        cc: httpx.AsyncClient,
        ta: Tenant,
        stubs: Stubs,
        conn_app: FastAPI,
        provider: str,
    ) -> None:
        stub = stubs[provider]
        conn = await connect(cc, stubs, ta, provider)
        refresh_before = set(stub.refresh)
        await _expire_token(conn_app, conn["id"])
        stub.expire_all_access_tokens()  # the old access token really is dead upstream
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        assert r.json()["ok"] is True, r.text
        token_calls = [q for q in stub.requests if q[1] == "/oauth/token"]
        assert b"refresh_token" in token_calls[-1][3]
        # Rotation: the old refresh token is spent, the new one was stored and works next time.
        assert set(stub.refresh) - refresh_before
        await _expire_token(conn_app, conn["id"])
        stub.expire_all_access_tokens()
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        assert r.json()["ok"] is True, r.text

    async def test_rejected_token_is_refreshed_once(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        """The token died before its announced expiry: one refresh, then the verdict."""
        conn = await connect(cc, stubs, ta, "linear")
        stubs.linear.expire_all_access_tokens()
        n = len([q for q in stubs.linear.requests if q[1] == "/oauth/token"])
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        assert r.json()["ok"] is True, r.text
        assert len([q for q in stubs.linear.requests if q[1] == "/oauth/token"]) == n + 1

    async def test_refresh_rejected_needs_reauth(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs, conn_app: FastAPI
    ) -> None:
        conn = await connect(cc, stubs, ta, "jira")
        await _expire_token(conn_app, conn["id"])
        stubs.jira.refresh.clear()  # refresh token revoked / expired upstream
        r = await cc.post(f"/v1/connectors/{conn['id']}/test", headers=ta.admin.headers)
        body = r.json()
        assert body["ok"] is False and body["status"] == "needs_reauth"
        assert body["reason"] == (
            "Jira no longer accepts this connection's refresh token (invalid_grant); reconnect."
        )


class TestDelete:
    async def test_no_credential(self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs) -> None:
        conn = await connect(cc, stubs, ta, "github")
        assert_error(await cc.delete(f"/v1/connectors/{conn['id']}"), 401, "unauthorized")

    async def test_member_cannot(self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs) -> None:
        conn = await connect(cc, stubs, ta, "github")
        r = await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.member.headers)
        assert_error(r, 403, "insufficient_role")

    async def test_other_workspace(
        self, cc: httpx.AsyncClient, ta: Tenant, tb: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        r = await cc.delete(f"/v1/connectors/{conn['id']}", headers=tb.owner.headers)
        assert_error(r, 404, "not_found")
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert r.status_code == 200

    @pytest.mark.parametrize("provider", ["github", "linear"])
    async def test_disconnect_revokes_upstream(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs, provider: str
    ) -> None:
        stub = stubs[provider]
        conn = await connect(cc, stubs, ta, provider)
        live = set(stub.access)
        r = await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert r.status_code == 204, r.text
        revoked = stub.revoked[-1]
        assert revoked in live and revoked not in stub.access
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert_error(r, 404, "not_found")
        r = await cc.get(
            "/v1/connectors", params={"workspace_id": ta.workspace_id}, headers=ta.admin.headers
        )
        assert r.json()["connections"] == []

    async def test_github_revoke_call_shape(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        method, path, headers, _ = stubs.github.requests[-1]
        assert (method, path) == ("DELETE", "/applications/gh-client/token")
        assert headers["authorization"].startswith("Basic ")

    async def test_jira_has_no_revoke_but_disconnects(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "jira")
        n = len(stubs.jira.requests)
        r = await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert r.status_code == 204
        assert len(stubs.jira.requests) == n  # nothing to call upstream
        r = await cc.get(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert_error(r, 404, "not_found")

    async def test_revoke_failure_still_disconnects(
        self, cc: httpx.AsyncClient, ta: Tenant, stubs: Stubs
    ) -> None:
        conn = await connect(cc, stubs, ta, "github")
        stubs.github.access.clear()  # upstream already forgot it: revoke answers 404
        r = await cc.delete(f"/v1/connectors/{conn['id']}", headers=ta.admin.headers)
        assert r.status_code == 204


async def test_workspace_connection_cap(
    backend_url: tuple[str, str], tmp_root: object, stubs: Stubs
) -> None:
    from pathlib import Path

    from bugport.app import create_app
    from tests.fixtures.providers import stub_settings

    assert isinstance(tmp_root, Path)
    app = create_app(
        make_settings(
            backend_url[1],
            tmp_root / "data-cap",
            **stub_settings(stubs.github, stubs.linear, stubs.jira),
            connector_max_per_workspace=1,
        )
    )
    try:
        async with client_for(app) as c:
            t = await make_tenant(c, app.state.settings)
            await connect(c, stubs, t, "github")
            with pytest.raises(AssertionError, match="409"):
                await connect(c, stubs, t, "linear")
    finally:
        await app.state.engine.dispose()
