"""The Origin check on widget routes (each look-alike its own test) and the widget-only CORS."""

from __future__ import annotations

import httpx
import pytest

from bugport.widget_key import origins
from tests.conftest import assert_error
from tests.fixtures.users import Tenant
from tests.fixtures.widget import ORIGIN, make_key, widget_headers

CHECK = "/v1/widget/check"


@pytest.fixture
async def key(client: httpx.AsyncClient, tenant_a: Tenant) -> str:
    k = await make_key(
        client, tenant_a, origins=[ORIGIN, "http://localhost:8080", "https://*.shop.example.net"]
    )
    return str(k["key"])


async def post(client: httpx.AsyncClient, key: str, origin: str | None) -> httpx.Response:
    return await client.post(CHECK, headers=widget_headers(key, origin))


class TestOriginCheck:
    async def test_exact_origin_allowed(self, client: httpx.AsyncClient, key: str) -> None:
        r = await post(client, key, ORIGIN)
        assert r.status_code == 200, r.text
        assert r.json()["ok"] is True
        assert r.headers["access-control-allow-origin"] == ORIGIN

    async def test_default_port_spelled_out_allowed(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        assert (await post(client, key, "https://app.example.com:443")).status_code == 200

    async def test_host_case_insensitive(self, client: httpx.AsyncClient, key: str) -> None:
        assert (await post(client, key, "https://APP.example.com")).status_code == 200

    async def test_lookalike_suffix_refused(self, client: httpx.AsyncClient, key: str) -> None:
        r = await post(client, key, "https://app.example.com.evil.net")
        assert_error(r, 403, "origin_not_allowed")

    async def test_lookalike_prefix_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert_error(
            await post(client, key, "https://evilapp.example.com"), 403, "origin_not_allowed"
        )

    async def test_http_instead_of_https_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert_error(await post(client, key, "http://app.example.com"), 403, "origin_not_allowed")

    async def test_other_port_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert_error(
            await post(client, key, "https://app.example.com:8443"), 403, "origin_not_allowed"
        )

    async def test_localhost_other_port_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert (await post(client, key, "http://localhost:8080")).status_code == 200
        assert_error(await post(client, key, "http://localhost:8081"), 403, "origin_not_allowed")

    async def test_null_origin_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert_error(await post(client, key, "null"), 403, "origin_not_allowed")

    async def test_missing_origin_refused(self, client: httpx.AsyncClient, key: str) -> None:
        err = assert_error(await post(client, key, None), 403, "origin_not_allowed")
        assert "(none)" in err["message"]

    async def test_garbage_origin_refused(self, client: httpx.AsyncClient, key: str) -> None:
        assert_error(
            await post(client, key, "https://app.example.com/path"), 403, "origin_not_allowed"
        )

    async def test_wildcard_matches_subdomains_only(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        assert (await post(client, key, "https://a.shop.example.net")).status_code == 200
        assert (await post(client, key, "https://a.b.shop.example.net")).status_code == 200
        for bad in (
            "https://shop.example.net",  # the domain itself
            "http://a.shop.example.net",  # scheme
            "https://a.shop.example.net:444",  # port
            "https://a.shop.example.net.evil.io",  # suffix look-alike
            "https://ashop.example.net",  # not a label boundary
        ):
            assert_error(await post(client, key, bad), 403, "origin_not_allowed")

    async def test_refused_origin_creates_no_last_use(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        k = await make_key(client, tenant_a)
        assert_error(await post(client, k["key"], "https://evil.net"), 403, "origin_not_allowed")


class TestCors:
    async def preflight(
        self, client: httpx.AsyncClient, origin: str, path: str = CHECK
    ) -> httpx.Response:
        return await client.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
            },
        )

    async def test_preflight_allowed_origin(self, client: httpx.AsyncClient, key: str) -> None:
        for path in (CHECK, "/v1/widget/bugs", "/v1/widget/media/upload-url"):
            r = await self.preflight(client, ORIGIN, path)
            assert r.status_code == 204, r.text
            assert r.headers["access-control-allow-origin"] == ORIGIN
            assert "*" not in r.headers["access-control-allow-origin"]
            assert "access-control-allow-credentials" not in r.headers
            assert "Origin" in r.headers["vary"]
            allowed = r.headers["access-control-allow-headers"].lower()
            for h in ("authorization", "content-type", "idempotency-key"):
                assert h in allowed
            assert "POST" in r.headers["access-control-allow-methods"]

    async def test_preflight_wildcard_origin(self, client: httpx.AsyncClient, key: str) -> None:
        r = await self.preflight(client, "https://x.shop.example.net")
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "https://x.shop.example.net"

    @pytest.mark.parametrize(
        "origin",
        ["https://app.example.com.evil.net", "http://app.example.com", "null", "https://never.io"],
    )
    async def test_preflight_refused_for_unknown_origin(
        self, client: httpx.AsyncClient, key: str, origin: str
    ) -> None:
        r = await self.preflight(client, origin)
        assert_error(r, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in r.headers
        assert "Origin" in r.headers["vary"]

    async def test_preflight_stops_after_revocation(
        self, client: httpx.AsyncClient, tenant_a: Tenant
    ) -> None:
        only = "https://only-here.example.com"
        k = await make_key(client, tenant_a, origins=[only])
        assert (await self.preflight(client, only)).status_code == 204
        await client.delete(
            f"/v1/projects/{tenant_a.project_id}/widget-keys/{k['id']}",
            headers=tenant_a.admin.headers,
        )
        assert_error(await self.preflight(client, only), 403, "origin_not_allowed")

    async def test_actual_response_no_acao_for_unknown_origin(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        r = await post(client, key, "https://never.io")
        assert_error(r, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in r.headers
        assert "Origin" in r.headers["vary"]

    async def test_actual_response_exposes_limit_headers(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        r = await post(client, key, ORIGIN)
        exposed = r.headers["access-control-expose-headers"]
        for h in ("Retry-After", "RateLimit-Remaining", "X-Request-ID", "Idempotent-Replayed"):
            assert h in exposed

    async def test_dashboard_cors_is_separate(self, tmp_path, backend_url) -> None:  # type: ignore[no-untyped-def]
        from bugport.app import create_app
        from tests.conftest import client_for, make_settings

        app = create_app(
            make_settings(backend_url[1], tmp_path, cors_origins=["https://dash.bugport.test"])
        )
        async with client_for(app) as c:
            # The dashboard origin gets dashboard CORS on dashboard routes...
            r = await c.options(
                "/v1/projects",
                headers={
                    "Origin": "https://dash.bugport.test",
                    "Access-Control-Request-Method": "GET",
                },
            )
            assert r.headers.get("access-control-allow-origin") == "https://dash.bugport.test"
            # ...but no widget key allows it, so widget routes refuse it.
            r = await self.preflight(c, "https://dash.bugport.test")
            assert r.status_code == 403
            assert "access-control-allow-origin" not in r.headers
            # And a widget origin gets nothing from the dashboard CORS.
            r = await c.options(
                "/v1/projects",
                headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
            )
            assert "access-control-allow-origin" not in r.headers
        await app.state.engine.dispose()


@pytest.mark.parametrize(
    ("origin", "rule", "ok"),
    [
        ("https://app.example.com", "https://app.example.com", True),
        ("https://app.example.com:443", "https://app.example.com", True),
        ("http://app.example.com:80", "http://app.example.com", True),
        ("https://app.example.com", "https://app.example.com:8443", False),
        ("https://a.example.com", "https://*.example.com", True),
        ("https://example.com", "https://*.example.com", False),
        ("https://a.example.com.evil.net", "https://*.example.com", False),
        ("https://[::1]:8080", "https://[::1]:8080", True),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173", True),
        ("http://127.0.0.1:5173", "http://localhost:5173", False),
    ],
)
def test_match_table(origin: str, rule: str, ok: bool) -> None:
    assert origins.allowed(origin, [origins.normalise_allowed([rule])[0]]) is ok
