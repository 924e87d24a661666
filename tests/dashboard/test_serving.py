"""`bugport serve` serves the built dashboard at /: SPA fallback, caching, CSP, reserved paths."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bugport.app import create_app
from tests.conftest import assert_error, client_for, make_settings

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>'


def _build(root: Path) -> Path:
    """A tiny stand-in for `scripts/build-web.sh dashboard`'s output."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "assets" / "index-abc123.css").write_text("body{}")
    (root / "favicon.svg").write_text("<svg/>")
    (root / ".built").write_text("")
    return root


async def _client(tmp: Path, **overrides: Any) -> httpx.AsyncClient:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp / 'x.db'}", tmp / "data", **overrides)
    return client_for(create_app(settings))


@pytest_asyncio.fixture
async def dash(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with await _client(tmp_path, dashboard_dir=_build(tmp_path / "dist")) as c:
        yield c


def _csp(r: httpx.Response) -> dict[str, str]:
    out = {}
    for part in r.headers["content-security-policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


async def test_index_for_root_and_spa_routes(dash: httpx.AsyncClient) -> None:
    for path in ("/", "/bugs/4f3c", "/w/abc/inbox?status=open", "/signin"):
        r = await dash.get(path, headers=HTML)
        assert r.status_code == 200, path
        assert r.text == INDEX
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
    r = await dash.head("/", headers=HTML)
    assert r.status_code == 200 and r.content == b""


async def test_strict_csp(dash: httpx.AsyncClient) -> None:
    csp = _csp(await dash.get("/", headers=HTML))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert "unsafe" not in " ".join(csp.values())
    assert csp["connect-src"] == "'self'"  # no Supabase configured
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"


async def test_csp_names_supabase_and_storage(tmp_path: Path) -> None:
    async with await _client(
        tmp_path,
        dashboard_dir=_build(tmp_path / "dist"),
        supabase_url="https://abc.supabase.co",
        s3_bucket="media",
        s3_endpoint_url="https://acct.r2.cloudflarestorage.com",
        s3_path_style=True,
    ) as c:
        csp = _csp(await c.get("/", headers=HTML))
    assert csp["connect-src"] == "'self' https://abc.supabase.co"
    assert "https://acct.r2.cloudflarestorage.com" in csp["img-src"].split()
    assert "https://acct.r2.cloudflarestorage.com" in csp["media-src"].split()
    assert "supabase" not in csp["script-src"]


async def test_hashed_assets_cached_forever(dash: httpx.AsyncClient) -> None:
    r = await dash.get("/assets/index-abc123.js")
    assert r.status_code == 200 and r.text == "console.log('app')"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert "javascript" in r.headers["content-type"]
    assert r.headers["x-content-type-options"] == "nosniff"
    r = await dash.get("/favicon.svg")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    # A missing asset is a 404, never index.html (a stale chunk must fail loudly, not parse HTML).
    r = await dash.get("/assets/gone-000.js", headers=HTML)
    assert_error(r, 404, "route_not_found")


@pytest.mark.parametrize(
    "path", ["/.built", "/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"]
)
async def test_no_files_outside_the_build(
    dash: httpx.AsyncClient, tmp_path: Path, path: str
) -> None:
    (tmp_path / "secret.txt").write_text("planted-secret")
    r = await dash.get(path)
    assert r.status_code == 404
    assert "planted-secret" not in r.text


async def test_api_paths_keep_their_errors(dash: httpx.AsyncClient) -> None:
    assert_error(await dash.get("/v1/nope", headers=HTML), 404, "route_not_found")
    r = await dash.get("/v1/health", headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    # `/` is the dashboard for any client once built (curl sees the page, not a 404).
    r = await dash.get("/")
    assert r.status_code == 200 and r.text == INDEX
    # Non-HTML clients (curl, fetch) still get the API's hint for a path missing /v1.
    err = assert_error(await dash.get("/bugs"), 404, "route_not_found")
    assert "/v1" in err["message"]
    assert_error(await dash.post("/bugs", json={}), 404, "route_not_found")
    # A method-mismatched API route is still a 405.
    assert_error(await dash.get("/v1/bugs/x/share-links/y"), 405, "method_not_allowed")


async def test_not_built_page(tmp_path: Path) -> None:
    async with await _client(tmp_path, dashboard_dir=tmp_path / "missing") as c:
        r = await c.get("/", headers=HTML)
        assert r.status_code == 404
        assert "scripts/build-web.sh dashboard" in r.text
        assert "<script" not in r.text
        assert "content-security-policy" in r.headers
        assert_error(await c.get("/"), 404, "route_not_found")


async def test_share_page_is_not_indexed_and_leaks_no_referrer(dash: httpx.AsyncClient) -> None:
    r = await dash.get("/s/AbCdEf0123456789AbCdEf0123456789", headers=HTML)
    assert r.status_code == 200 and r.text == INDEX
    assert r.headers["x-robots-tag"] == "noindex, nofollow"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    # The signed-in app's pages keep a same-origin referrer (and are not marked noindex).
    r = await dash.get("/bugs/1", headers=HTML)
    assert r.headers["referrer-policy"] == "same-origin" and "x-robots-tag" not in r.headers
