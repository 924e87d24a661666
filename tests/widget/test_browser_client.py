"""The widget in real headless Chromium, on a customer page with a strict CSP.

These tests look at what the widget does in the browser: the key check and the refusal message
on a disallowed origin, what a report carries (console, failed fetch, environment, metadata,
client-side redaction), the screenshot under CSP, and that a failed send keeps the draft and
retries with the same Idempotency-Key (the lost response is simulated with Playwright's routing;
everything else is the real server). The end-to-end test through the real intake routes is in
test_browser_e2e.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import make_settings
from tests.fixtures.live_browser import LiveServer, StaticSite
from tests.fixtures.users import Tenant
from tests.fixtures.widget import make_key
from tests.widget.browser import artifacts, chromium, csp, site_pages

SEL = "[data-bugport={}]"
REACT_BUNDLE = Path(__file__).resolve().parents[2] / "widget/dist/examples/react-app.js"


async def open_widget(page: Any) -> None:
    await page.locator(SEL.format("launcher")).click()
    await page.locator(SEL.format("panel")).wait_for(state="visible")


async def test_disallowed_origin_gets_a_clear_error_and_nothing_is_sent(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    with StaticSite({}) as site:
        allowed = f"http://localhost:{site.port}"
        k = await make_key(client, tenant_a, origins=[allowed])
        with LiveServer(make_settings(backend_url[1], tmp_path)) as api:
            site.pages = site_pages(api.url, k["key"])
            async with chromium() as browser:
                page = await browser.new_page()
                # 127.0.0.1 is not localhost: a different origin, which no key allows.
                await page.goto(f"http://127.0.0.1:{site.port}/")
                await open_widget(page)
                status = page.locator(SEL.format("status"))
                await status.wait_for(state="visible")
                text = await status.text_content()
                assert "origin" in text and f"http://127.0.0.1:{site.port}" in text, text
                await page.locator(SEL.format("title")).fill("Pay button broken")
                await page.locator(SEL.format("send")).click()
                await page.wait_for_function(
                    "() => document.querySelector('[data-bugport-widget]').shadowRoot"
                    ".querySelector('[data-bugport=status]').textContent.startsWith('Not sent')"
                )
                assert await page.locator(SEL.format("title")).input_value() == "Pay button broken"
    # The key was never used: the browser stopped at the preflight.
    r = await client.get(
        f"/v1/projects/{tenant_a.project_id}/widget-keys/{k['id']}", headers=tenant_a.admin.headers
    )
    assert r.json()["last_used_at"] is None


async def test_origin_of_another_key_is_refused_with_the_reason(
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    tenant_b: Tenant,
    backend_url: tuple[str, str],
    tmp_path: Path,
) -> None:
    with StaticSite({}) as site:
        page_origin = f"http://127.0.0.1:{site.port}"
        mine = await make_key(client, tenant_a, origins=[f"http://localhost:{site.port}"])
        await make_key(client, tenant_b, origins=[page_origin])  # someone else's key allows it
        with LiveServer(make_settings(backend_url[1], tmp_path)) as api:
            site.pages = site_pages(api.url, mine["key"])
            async with chromium() as browser:
                page = await browser.new_page()
                await page.goto(f"{page_origin}/")
                await open_widget(page)
                status = page.locator(SEL.format("status"))
                await status.wait_for(state="visible")
                text = await status.text_content()
                assert text == (
                    f"This site ({page_origin}) is not allowed to send reports with this widget key."
                )
                assert await page.locator(SEL.format("send")).is_disabled()


async def test_report_contents_draft_kept_and_same_idempotency_key_on_retry(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    with StaticSite({}) as site:
        origin = f"http://localhost:{site.port}"
        k = await make_key(client, tenant_a, origins=[origin])
        with LiveServer(make_settings(backend_url[1], tmp_path)) as api:
            site.pages = site_pages(api.url, k["key"])
            async with chromium() as browser:
                page = await browser.new_page()
                console: list[str] = []
                page.on("console", lambda m: console.append(m.text))
                sent: list[tuple[dict[str, str], dict[str, Any]]] = []

                async def intake(route: Any) -> None:
                    req = route.request
                    sent.append((await req.all_headers(), json.loads(req.post_data)))
                    cors = {"Access-Control-Allow-Origin": origin}
                    if len(sent) == 1:  # the first attempt's response is lost
                        await route.fulfill(
                            status=503,
                            headers=cors,
                            json={
                                "error": {
                                    "code": "unavailable",
                                    "message": "down",
                                    "request_id": "r1",
                                }
                            },
                        )
                    else:
                        await route.fulfill(
                            status=201, headers=cors, json={"id": "x", "key": "APP-7"}
                        )

                await page.route(f"{api.url}/v1/widget/bugs", intake)
                await page.goto(f"{origin}/")
                await page.locator("#pay").click()
                await page.locator("#out").filter(has_text="status 404").wait_for()
                await open_widget(page)
                note = page.locator(SEL.format("screenshot-note"))
                await note.filter(has_text="Screenshot ready").wait_for(timeout=15000)
                assert not await page.locator(SEL.format("status")).is_visible()
                await page.locator(SEL.format("title")).fill("Payment fails with 404")
                await page.locator(SEL.format("description")).fill("Clicked Pay, nothing happened.")
                await page.locator(SEL.format("email")).fill("ada@example.com")
                await page.locator(SEL.format("send")).click()
                status = page.locator(SEL.format("status"))
                await status.filter(has_text="Not sent").wait_for()
                assert "draft is kept" in await status.text_content()
                # The draft survives the failure.
                assert (
                    await page.locator(SEL.format("title")).input_value()
                    == "Payment fails with 404"
                )
                await page.locator(SEL.format("send")).click()
                await status.filter(has_text="Thanks").wait_for()
                assert "APP-7" in await status.text_content()
                await page.screenshot(path=str(artifacts() / "widget-sent.png"))
    assert len(sent) == 2
    (h1, body1), (h2, body2) = sent
    assert h1["idempotency-key"] and h1["idempotency-key"] == h2["idempotency-key"]
    assert h1["authorization"] == f"Bearer {k['key']}"
    body = body2
    assert body["title"] == "Payment fails with 404"
    assert body["description"] == "Clicked Pay, nothing happened."
    assert body["reporter"] == {"name": "Ada Lovelace", "email": "ada@example.com"}
    assert body["metadata"] == {"plan": "pro", "build": "2026.11.28"}
    assert body["page_url"] == f"{origin}/"
    env = body["environment"]
    assert "Chrome" in env["user_agent"] and env["viewport_width"] > 0 and env["locale"]
    assert env["browser"] == "Chrome" and env["os"] == "Linux" and env["screen_width"] > 0
    errors = [e for e in body["logs"] if e["level"] == "error"]
    assert any(e["message"].startswith("payment failed") and "42" in e["message"] for e in errors)
    assert any(e["level"] == "log" and "checkout clicked" in e["message"] for e in body["logs"])
    (pay,) = [n for n in body["network"] if "/api/pay" in n["url"]]
    assert pay["method"] == "POST" and pay["status"] == 404 and pay["timing"]["duration"] >= 0
    # Stripped in the browser, before it left the page.
    assert "secret-token-123" not in json.dumps(body) and "sk_live_SECRET" not in json.dumps(body)
    assert "token=[REDACTED]&item=7" in pay["url"], pay["url"]
    assert pay["request_headers"]["authorization"] == "[REDACTED]"
    assert pay["request_headers"]["x-trace"] == "abc"
    # The widget's own calls to BugPort are never captured.
    assert not [n for n in body["network"] if api.url in n["url"]]
    # Nothing was blocked by the page's strict CSP.
    assert not [m for m in console if "Content Security Policy" in m], console


async def test_react_component_snippet_works(
    client: httpx.AsyncClient, tenant_a: Tenant, backend_url: tuple[str, str], tmp_path: Path
) -> None:
    """docs/widget.md's React snippet, bundled by `npm run build` (widget/examples/)."""
    bundle = REACT_BUNDLE
    assert bundle.exists(), "run `npm run build` in widget/"  # noqa: ASYNC240
    with StaticSite({}) as site:
        origin = f"http://localhost:{site.port}"
        k = await make_key(client, tenant_a, origins=[origin])
        with LiveServer(make_settings(backend_url[1], tmp_path)) as api:
            html = (
                '<!doctype html><html><head><meta charset="utf-8">'
                '<script src="/react-app.js" defer></script></head><body>'
                f'<div id="bugport-config" data-public-key="{k["key"]}" '
                f'data-api-base-url="{api.url}/v1"></div><div id="root"></div></body></html>'
            )
            site.pages = {
                "/": (
                    200,
                    {"Content-Type": "text/html", "Content-Security-Policy": csp(api.url)},
                    html.encode(),
                ),
                "/react-app.js": (200, {"Content-Type": "text/javascript"}, bundle.read_bytes()),  # noqa: ASYNC240
            }
            async with chromium() as browser:
                page = await browser.new_page()
                await page.goto(f"{origin}/")
                await page.get_by_text("React shop").wait_for()
                await open_widget(page)
                # The reporter identity from props pre-fills the email; the key check passes.
                email = page.locator(SEL.format("email"))
                assert await email.input_value() == "grace@example.com"
                await (
                    page.locator(SEL.format("screenshot-note"))
                    .filter(has_text="Screenshot ready")
                    .wait_for(timeout=15000)
                )
                assert not await page.locator(SEL.format("status")).is_visible()
                assert not await page.locator(SEL.format("send")).is_disabled()
    r = await client.get(
        f"/v1/projects/{tenant_a.project_id}/widget-keys/{k['id']}", headers=tenant_a.admin.headers
    )
    assert r.json()["last_used_at"] is not None  # the widget's key check reached the server
