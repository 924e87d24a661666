"""One live BugPort on PostgreSQL serving the built dashboard (bugport/web/dashboard/, from
scripts/build-web.sh dashboard, which ./dev test runs), one Chromium, and a seeded world: two
workspaces, bugs with console, network (some redacted), a screenshot through the real media flow,
and script payloads in every text field."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bugport.config import Settings
from bugport.dashboard import signin
from bugport.dashboard.serving import DEFAULT_DIR
from tests.conftest import database_url, make_settings
from tests.fixtures.live_browser import LiveServer, free_port
from tests.fixtures.users import Tenant, make_tenant
from tests.widget.browser import chromium

XSS_TITLE = '<img src=x onerror="window.__xss=1;alert(1)"> Checkout <b>breaks</b>'
XSS_LOG = "<script>window.__xss=2</script><img src=x onerror=alert(2)>"
XSS_COMMENT = (
    '<img src=x onerror="window.__xss=3;alert(3)"> [click me](javascript:window.__xss=4) '
    "<script>window.__xss=5</script> **bold stays**"
)


def need_build() -> None:
    if (DEFAULT_DIR / "index.html").is_file():
        return
    msg = "The dashboard is not built: run scripts/build-web.sh dashboard (./dev test does)."
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), "orange").save(out, "PNG")
    return out.getvalue()


@dataclass
class World:
    api: LiveServer
    http: httpx.AsyncClient
    a: Tenant
    b: Tenant
    browser: Any
    bugs: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.api.settings

    @property
    def url(self) -> str:
        return self.api.url

    def signin_link(self, email: str, name: str = "Owner") -> str:
        return f"{self.url}/signin#code={signin.issue(self.settings, email, name)}"

    async def page(self, role: str | None = None) -> Any:
        """A fresh browser context; signed in through a one-time link as that role of tenant A
        (the link carries the user's own name, so a sign-in never renames them)."""
        email = self.a.user(role).email if role else None
        context = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        page.set_default_timeout(10_000)
        page.dialogs = []  # type: ignore[attr-defined]

        async def on_dialog(d: Any) -> None:
            # alert() from a payload is recorded (and must never happen); confirm() is accepted.
            page.dialogs.append(d.message)
            await (d.accept() if d.type == "confirm" else d.dismiss())

        page.on("dialog", on_dialog)
        if email:
            await page.goto(self.signin_link(email, role.title() if role else "Owner"))
            await page.wait_for_url(lambda u: "/signin" not in u)
        return page

    async def get(self, path: str, headers: dict[str, str], **params: Any) -> Any:
        r = await self.http.get(path, headers=headers, params=params)
        assert r.status_code == 200, r.text
        return r.json()


async def create_bug(http: httpx.AsyncClient, t: Tenant, **body: Any) -> dict[str, Any]:
    r = await http.post(
        "/v1/bugs", json={"project_id": t.project_id, **body}, headers=t.owner.headers
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def attach_screenshot(http: httpx.AsyncClient, t: Tenant, bug_id: str) -> None:
    data = png_bytes()
    h = t.owner.headers
    body = {
        "filename": "checkout.png",
        "content_type": "image/png",
        "size_bytes": len(data),
        "kind": "screenshot",
        "bug_id": bug_id,
    }
    r = await http.post("/v1/media/upload-url", json=body, headers=h)
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    put = await http.request(up["method"], up["url"], content=data, headers=up["headers"])
    assert put.status_code == 200, put.text
    r = await http.post("/v1/media/complete", json={"media_id": r.json()["media_id"]}, headers=h)
    assert r.status_code == 200, r.text


async def seed(http: httpx.AsyncClient, a: Tenant, b: Tenant) -> dict[str, dict[str, Any]]:
    bugs: dict[str, dict[str, Any]] = {}
    bugs["pay"] = await create_bug(
        http,
        a,
        title="Pay button answers 404",
        description="Clicking **Pay** on checkout fails.",
        repro_steps="1. Add to cart\n2. Click Pay",
        severity="high",
        labels=["checkout", "payments"],
        page_url="https://shop.example.com/checkout?step=2",
        environment={
            "browser": "Chrome",
            "browser_version": "131",
            "os": "macOS",
            "viewport_width": 1280,
            "viewport_height": 720,
            "locale": "en-GB",
        },
        metadata={"plan": "pro", "build": "2026.11.28"},
        logs=[
            {"level": "log", "message": "checkout clicked", "args": [{"cart": 3}]},
            {
                "level": "error",
                "message": "payment failed",
                "stack": "Error: payment failed\n    at pay (app.js:10:5)",
            },
            {"level": "warn", "message": "slow response from /api/pay"},
        ],
        network=[
            {
                "method": "POST",
                "url": "https://shop.example.com/api/pay?token=secret-token-123&item=7",
                "status": 404,
                "request_headers": {"Authorization": "Bearer sk_live_SECRET", "X-Trace": "abc"},
                "response_headers": {"content-type": "application/json"},
                "response_body": '{"error": "not found"}',
                "timing": {"duration": 182},
                "started_at": "2026-12-01T10:00:01Z",
            },
            {
                "method": "GET",
                "url": "https://shop.example.com/api/cart",
                "status": 200,
                "timing": {"duration": 40},
                "started_at": "2026-12-01T10:00:00Z",
            },
        ],
    )
    await attach_screenshot(http, a, bugs["pay"]["id"])
    bugs["login"] = await create_bug(
        http, a, title="Login form loses focus", severity="low", labels=["auth"]
    )
    bugs["search"] = await create_bug(
        http, a, title="Search returns stale results", severity="medium"
    )
    bugs["xss"] = await create_bug(
        http,
        a,
        title=XSS_TITLE,
        description=XSS_COMMENT,
        logs=[{"level": "error", "message": XSS_LOG}],
        network=[
            {
                "method": "GET",
                "url": "https://x.example/<script>window.__xss=6</script>",
                "status": 500,
                "response_body": "<img src=x onerror=alert(6)>",
            }
        ],
        metadata={"<b>key</b>": "<img src=x onerror=alert(7)>"},
    )
    r = await http.post(
        f"/v1/bugs/{bugs['xss']['id']}/comments",
        json={"body": XSS_COMMENT},
        headers=a.owner.headers,
    )
    assert r.status_code == 201, r.text
    bugs["other"] = await create_bug(http, b, title="Another workspace's secret bug")
    return bugs


@asynccontextmanager
async def open_world(
    tmp: Path, *, seeded: bool = True, label: str = "_dash", **settings: Any
) -> AsyncIterator[World]:
    """The live server (settings overridden by `settings`), tenants A and B, the seeded bugs
    (unless `seeded` is false) and Chromium, on a PostgreSQL database of its own (`label`)."""
    need_build()
    url = await database_url("postgresql", tmp, label=label)
    port = free_port()
    conf = make_settings(url, tmp / "data", public_base_url=f"http://127.0.0.1:{port}", **settings)
    with LiveServer(conf, port) as api:
        async with httpx.AsyncClient(base_url=api.url, timeout=20) as http:
            a = await make_tenant(http, api.settings)
            b = await make_tenant(http, api.settings)
            bugs = await seed(http, a, b) if seeded else {}
            async with chromium() as browser:
                yield World(api, http, a, b, browser, bugs)


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_world(tmp_path_factory.mktemp("dash")) as w:
        yield w
