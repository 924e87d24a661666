"""Shared pieces of the widget's browser tests: Debian's Chromium under Playwright, a live BugPort
and a customer site with a strict Content-Security-Policy (no inline script, no eval)."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

APP_JS = b"""
document.getElementById('pay').addEventListener('click', function () {
  console.log('checkout clicked', {cart: 3});
  console.error('payment failed', {code: 42});
  fetch('/api/pay?token=secret-token-123&item=7', {
    method: 'POST',
    headers: {'Authorization': 'Bearer sk_live_SECRET', 'X-Trace': 'abc'},
  }).then(function (r) { document.getElementById('out').textContent = 'status ' + r.status; });
});
"""


def need_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    msg = "Debian's chromium is not installed (scripts/test-services.sh installs it)."
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


def page_html(api: str, key: str, *, metadata: dict[str, Any] | None = None) -> bytes:
    meta = json.dumps(metadata or {"plan": "pro", "build": "2026.11.28"})
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Shop checkout</title>
<script src="/app.js" defer></script>
<script src="{api}/widget.js" data-public-key="{key}" data-api-base-url="{api}/v1"
  data-reporter-name="Ada Lovelace" data-metadata='{meta}' defer></script>
</head><body>
<h1>Checkout</h1><p>Total: 42.00 EUR</p>
<button id="pay">Pay now</button><div id="out"></div>
</body></html>""".encode()


def csp(api: str) -> str:
    return (
        f"default-src 'self'; script-src 'self' {api}; connect-src 'self' {api}; "
        "img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'"
    )


def site_pages(api: str, key: str) -> dict[str, tuple[int, dict[str, str], bytes]]:
    html = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp(api)}
    return {
        "/": (200, html, page_html(api, key)),
        "/app.js": (200, {"Content-Type": "text/javascript"}, APP_JS),
    }


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    need_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


def artifacts() -> Path:
    p = Path(__file__).resolve().parents[2] / ".test-artifacts"
    p.mkdir(exist_ok=True)
    return p
