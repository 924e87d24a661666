"""End to end in real Chromium: a customer page (strict CSP) on an allowed origin opens the widget,
triggers console errors and a failing fetch, submits with a screenshot; the team then reads the
report through the API. The same page on a disallowed origin shows a clear error and stores
nothing."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import make_settings
from tests.fixtures.live_browser import LiveServer, StaticSite, free_port
from tests.fixtures.users import Tenant
from tests.fixtures.widget import make_key
from tests.widget.browser import artifacts, chromium, site_pages
from tests.widget.test_browser_client import SEL, open_widget


async def test_report_with_screenshot_end_to_end(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    with StaticSite({}) as site:
        origin = f"http://localhost:{site.port}"
        k = await make_key(client, tenant_a, origins=[origin])
        port = free_port()
        settings = make_settings(
            backend_url[1], tmp_path, public_base_url=f"http://127.0.0.1:{port}"
        )
        with LiveServer(settings, port) as api:
            site.pages = site_pages(api.url, k["key"])
            async with chromium() as browser:
                page = await browser.new_page()
                await page.goto(f"{origin}/")
                await page.locator("#pay").click()
                await page.locator("#out").filter(has_text="status 404").wait_for()
                await open_widget(page)
                await (
                    page.locator(SEL.format("screenshot-note"))
                    .filter(has_text="Screenshot ready")
                    .wait_for(timeout=15000)
                )
                await page.locator(SEL.format("title")).fill("Pay button answers 404")
                await page.locator(SEL.format("description")).fill("Clicked Pay on checkout.")
                await page.locator(SEL.format("email")).fill("ada@example.com")
                await page.locator(SEL.format("send")).click()
                status = page.locator(SEL.format("status"))
                await status.filter(has_text="Thanks").wait_for(timeout=20000)
                text = await status.text_content()
                assert "could not be attached" not in text and "No screenshot" not in text, text
                await page.screenshot(path=str(artifacts() / "widget-e2e.png"))
    h = tenant_a.member.headers
    bugs = (
        await client.get("/v1/bugs", params={"project_id": tenant_a.project_id}, headers=h)
    ).json()["data"]
    assert len(bugs) == 1
    bug = (await client.get(f"/v1/bugs/{bugs[0]['id']}", headers=h)).json()
    assert bug["key"] in text
    assert bug["title"] == "Pay button answers 404"
    assert bug["source"] == "widget"
    assert (
        bug["reporter"]["name"] == "Ada Lovelace" and bug["reporter"]["email"] == "ada@example.com"
    )
    assert bug["page_url"] == f"{origin}/"
    assert bug["environment"]["browser"] == "Chrome" and bug["environment"]["viewport_width"] > 0
    assert bug["metadata"] == {"plan": "pro", "build": "2026.11.28"}
    logs = (await client.get(f"/v1/bugs/{bug['id']}/logs", headers=h)).json()["data"]
    assert any(e["level"] == "error" and e["message"].startswith("payment failed") for e in logs)
    net = (await client.get(f"/v1/bugs/{bug['id']}/network", headers=h)).json()["data"]
    (pay,) = [n for n in net if "/api/pay" in n["url"]]
    assert pay["status"] == 404 and pay["method"] == "POST"
    # The readable marker, as the docs show it: not percent-encoded by URLSearchParams.
    assert "token=[REDACTED]&item=7" in pay["url"], pay["url"]
    assert "secret-token-123" not in str(bug) + str(net) and "sk_live_SECRET" not in str(net)
    media = (await client.get(f"/v1/bugs/{bug['id']}/media", headers=h)).json()["data"]
    assert len(media) == 1
    shot = media[0]
    assert shot["kind"] == "screenshot" and shot["status"] == "ready"
    assert shot["content_type"] == "image/png" and shot["size_bytes"] > 1000
    assert shot["download_url"]


async def test_disallowed_origin_stores_nothing(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    with StaticSite({}) as site:
        k = await make_key(client, tenant_a, origins=[f"http://localhost:{site.port}"])
        with LiveServer(make_settings(backend_url[1], tmp_path)) as api:
            site.pages = site_pages(api.url, k["key"])
            async with chromium() as browser:
                page = await browser.new_page()
                await page.goto(f"http://127.0.0.1:{site.port}/")
                await open_widget(page)
                await page.locator(SEL.format("title")).fill("Should not be stored")
                await page.locator(SEL.format("send")).click()
                status = page.locator(SEL.format("status"))
                await status.filter(has_text="Not sent").wait_for(timeout=20000)
                assert "origin" in await status.text_content()
    h = tenant_a.member.headers
    r = await client.get("/v1/bugs", params={"project_id": tenant_a.project_id}, headers=h)
    assert r.json()["data"] == []
