"""The dashboard's Supabase sign-in in Chromium, against a loopback GoTrue (tests/dashboard/
gotrue.py) and a live BugPort configured for it: email + password (a wrong password shows the
error), the profile synced on first sign-in, the session refreshed by supabase-js, sign-out, and
the magic link returning to the page the user asked for."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio

from tests.conftest import database_url, make_settings
from tests.dashboard.browser import need_build
from tests.dashboard.gotrue import GoTrue
from tests.fixtures.live_browser import LiveServer, free_port
from tests.widget.browser import chromium

PASSWORD = "correct horse battery staple"
ANON = jwt.encode({"role": "anon", "iss": "supabase"}, "k" * 32, algorithm="HS256")


@dataclass
class Supa:
    api: LiveServer
    gotrue: GoTrue
    browser: Any

    async def page(self) -> Any:
        context = await self.browser.new_context()
        page = await context.new_page()
        page.set_default_timeout(10_000)
        return page


@pytest_asyncio.fixture(scope="module")
async def supa(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Supa]:
    need_build()
    tmp: Path = tmp_path_factory.mktemp("supa")
    url = await database_url("postgresql", tmp, label="_supa")
    # expires_in under supabase-js's refresh margin: it refreshes right after signing in.
    with GoTrue(PASSWORD, expires_in=60) as gotrue:
        port = free_port()
        settings = make_settings(
            url,
            tmp / "data",
            public_base_url=f"http://127.0.0.1:{port}",
            supabase_url=gotrue.url,
            supabase_anon_key=ANON,
        )
        with LiveServer(settings, port) as api:
            gotrue.settings = api.settings
            async with chromium() as browser:
                yield Supa(api, gotrue, browser)


async def test_password_sign_in_refresh_and_sign_out(supa: Supa) -> None:
    page = await supa.page()
    await page.goto(f"{supa.api.url}/")
    await page.wait_for_url(re.compile(r"/signin"))
    email = "supa-ann@example.com"
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password").fill("wrong")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_role("alert").filter(has_text="Invalid login credentials").wait_for()
    await page.get_by_role("alert").filter(has_text="invalid_credentials").wait_for()
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.wait_for_url(re.compile(r"/\?ws="))
    # First sign-in synced the profile: a personal workspace with its project.
    await page.get_by_text("No bugs yet").wait_for()
    token = await page.evaluate("localStorage.getItem('bugport.token')")
    async with httpx.AsyncClient(base_url=supa.api.url) as http:
        me = await http.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == email
        assert me.json()["memberships"]
    # The session is about to expire: on the next load supabase-js refreshes it before the
    # first API call, and the API token follows it.
    await page.reload()
    await page.wait_for_function("t => localStorage.getItem('bugport.token') !== t", arg=token)
    assert any(c[2].get("grant_type") == "refresh_token" for c in supa.gotrue.calls)
    await page.get_by_text("No bugs yet").wait_for()
    # Signing out ends the Supabase session too.
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(re.compile(r"/signin"))
    assert ("POST", "/auth/v1/logout", {}) in [(m, p, {}) for m, p, _ in supa.gotrue.calls]
    assert await page.evaluate("localStorage.getItem('bugport.token')") is None
    await page.goto(f"{supa.api.url}/")
    await page.wait_for_url(re.compile(r"/signin"))
    await page.context.close()


async def test_magic_link_returns_to_the_page_asked_for(supa: Supa) -> None:
    page = await supa.page()
    await page.goto(f"{supa.api.url}/bugs/00000000-0000-0000-0000-000000000001")
    await page.wait_for_url(re.compile(r"/signin\?next="))
    email = "supa-bob@example.com"
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await page.get_by_role("status").filter(has_text=email).wait_for()
    link = supa.gotrue.magic_link(email)
    assert link.startswith(f"{supa.api.url}/signin?next=")
    # Opened from the email: a new tab, and also this very tab (the app is already running).
    fresh = await page.context.new_page()
    for tab, url in ((fresh, link), (page, supa.gotrue.magic_link(email))):
        await tab.goto(url)
        await tab.wait_for_url(f"{supa.api.url}/bugs/00000000-0000-0000-0000-000000000001")
        await tab.get_by_test_id("not-found").wait_for()
        assert "access_token" not in tab.url
    await page.context.close()
