"""The bug page in Chromium against a live server: console and network on one timeline with a
recording's playhead (seek by click, entries highlighted while it plays), and "push to tracker"
against the loopback GitHub stand-in, showing the created issue's link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.connector.conftest import Stubs
from tests.connector.test_targets import BODIES
from tests.dashboard.browser import World, create_bug, open_world
from tests.fixtures.providers import stub_settings
from tests.fixtures.users import Tenant
from tests.widget.browser import artifacts

RECORDING = Path(__file__).parent / "data" / "recording.webm"  # 2.35 s, VP8, from MediaRecorder


@pytest.fixture(scope="module")
def stubs() -> Iterator[Stubs]:
    s = Stubs()
    yield s
    s.stop()


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, stubs: Stubs) -> AsyncIterator[World]:
    async with open_world(
        tmp_path_factory.mktemp("dash-extras"),
        seeded=False,
        label="_dash_extras",
        **stub_settings(stubs.github, stubs.linear, stubs.jira),
    ) as w:
        yield w


async def upload(http: httpx.AsyncClient, t: Tenant, bug_id: str, data: bytes, **meta: Any) -> None:
    h = t.owner.headers
    body = {"size_bytes": len(data), "bug_id": bug_id, **meta}
    r = await http.post("/v1/media/upload-url", json=body, headers=h)
    assert r.status_code == 201, r.text
    up = r.json()["upload"]
    put = await http.request(up["method"], up["url"], content=data, headers=up["headers"])
    assert put.status_code == 200, put.text
    r = await http.post("/v1/media/complete", json={"media_id": r.json()["media_id"]}, headers=h)
    assert r.status_code == 200, r.text


def at(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"2026-12-01T10:00:0{ms // 1000}.{ms % 1000:03d}Z"


async def video_time(page: Any) -> float:
    return float(await page.evaluate("document.querySelector('.recording video').currentTime"))


async def test_console_and_network_on_one_timeline_with_the_video(world: World) -> None:
    a = world.a
    bug = await create_bug(
        world.http,
        a,
        title="Cart empties on reload",
        logs=[
            {"level": "log", "message": "page loaded", "timestamp": at(0)},
            {"level": "warn", "message": "cart cache miss", "timestamp": at(0.5)},
            {"level": "error", "message": "cart lost", "timestamp": at(1.5)},
            {"level": "info", "message": "no time on this one"},
        ],
        network=[
            {
                "method": "GET",
                "url": "https://shop.example.com/api/cart",
                "status": 500,
                "timing": {"duration": 120},
                "started_at": at(1.0),
            },
            {
                "method": "POST",
                "url": "https://shop.example.com/api/log",
                "status": 204,
                "started_at": at(2.0),
            },
        ],
    )
    await upload(
        world.http,
        a,
        bug["id"],
        RECORDING.read_bytes(),
        filename="rec.webm",
        content_type="video/webm",
        kind="video",
    )
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    # With a recording, the timeline is the first view; the video is next to it.
    await expect(page.get_by_role("tab", name="Timeline")).to_have_attribute(
        "aria-selected", "true"
    )
    video = page.get_by_label("Recording: rec.webm")
    await video.wait_for()
    await page.wait_for_function(
        "() => { const v = document.querySelector('.recording video');"
        " return v && v.readyState >= 1 && v.duration > 2 }"
    )
    entries = page.get_by_test_id("timeline-entry")
    await expect(entries).to_have_count(5)
    # One timeline, in time order, relative to the report's start (the first capture).
    texts = await entries.all_inner_texts()
    assert [re.sub(r"\s+", " ", t).strip() for t in texts] == [
        "+0 ms console log page loaded",
        "+500 ms console warn cart cache miss",
        "+1.00 s network GET https://shop.example.com/api/cart → 500",
        "+1.50 s console error cart lost",
        "+2.00 s network POST https://shop.example.com/api/log → 204",
    ]
    await page.get_by_text("1 entry has no time").wait_for()
    # Clicking an entry seeks the video there, and that entry is the current one.
    await page.get_by_role("button", name=re.compile(r"^Play from \+1\.50 s")).click()
    await page.wait_for_function(
        "() => Math.abs(document.querySelector('.recording video').currentTime - 1.5) < 0.05"
    )
    current = page.locator("[data-testid=timeline-entry][aria-current=true]")
    await expect(current).to_have_count(1)
    await expect(current).to_contain_text("cart lost")
    await expect(page.get_by_test_id("playhead-time")).to_have_text("+1.50 s")
    await page.get_by_role("button", name=re.compile(r"^Play from \+500 ms")).click()
    await expect(current).to_contain_text("cart cache miss")
    assert abs(await video_time(page) - 0.5) < 0.05
    # The playhead slider seeks too (keyboard: the range input).
    await page.get_by_label("Playhead").fill("1.05")
    await expect(current).to_contain_text("api/cart")
    # Playing: the highlight follows the playing position to the last entries.
    await page.evaluate("document.querySelector('.recording video').play()")
    await expect(current.first).to_contain_text("api/log", timeout=15_000)
    await page.wait_for_function("() => document.querySelector('.recording video').ended")
    await page.screenshot(path=str(artifacts() / "dashboard-timeline.png"), full_page=True)
    # The console and network tabs use the same zero.
    await page.get_by_role("tab", name=re.compile("Console")).click()
    await (
        page.locator("[data-testid=log-entry]", has_text="cart lost")
        .get_by_text("+1.50 s")
        .wait_for()
    )
    # The recording is shown once: next to the timeline, not again in the gallery.
    assert await page.locator("video").count() == 1
    await page.context.close()


async def test_timeline_without_a_video_lists_without_seeking(world: World) -> None:
    bug = await create_bug(
        world.http,
        world.a,
        title="No recording here",
        logs=[{"level": "error", "message": "boom", "timestamp": at(0.2)}],
        network=[
            {"method": "GET", "url": "https://x.example/a", "status": 200, "started_at": at(0)}
        ],
    )
    page = await world.page("viewer")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    # Without a recording the console stays the first view; the timeline is one tab away.
    await page.get_by_test_id("log-entry").first.wait_for()
    await page.get_by_role("tab", name="Timeline").click()
    entries = page.get_by_test_id("timeline-entry")
    await expect(entries).to_have_count(2)
    await expect(entries.first).to_contain_text("+0 ms")
    await expect(entries.nth(1)).to_contain_text("+200 ms")
    assert await page.get_by_role("button", name=re.compile("^Play from")).count() == 0
    assert await page.get_by_label("Playhead").count() == 0
    await page.context.close()


async def test_push_to_tracker_shows_the_created_issue(world: World, stubs: Stubs) -> None:
    a, http = world.a, world.http
    # An admin connects GitHub (the OAuth dance against the stand-in) and maps the project.
    r = await http.post(
        "/v1/connectors/github/oauth/start",
        json={"workspace_id": a.workspace_id},
        headers=a.admin.headers,
    )
    assert r.status_code == 200, r.text
    started = r.json()
    code = stubs.github.grant(started["authorize_url"])
    r = await http.post(
        "/v1/connectors/github/oauth/callback",
        json={"code": code, "state": started["state"]},
        headers=a.admin.headers,
    )
    assert r.status_code == 201, r.text
    conn = r.json()
    r = await http.put(
        f"/v1/projects/{a.project_id}/tracker-target",
        json={"connector_id": conn["id"], **BODIES["github"]},
        headers=a.admin.headers,
    )
    assert r.status_code == 200, r.text
    bug = await create_bug(http, a, title="Coupon field rejects valid codes")
    before = len(stubs.github.issues)
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    tracker = page.get_by_role("region", name="Tracker")
    await tracker.get_by_role("button", name="Push to GitHub").click()
    link = tracker.get_by_role("link")
    await link.wait_for()
    pushes = await world.get(f"/v1/bugs/{bug['id']}/pushes", a.owner.headers)
    (push,) = pushes
    assert push["status"] == "succeeded"
    assert len(stubs.github.issues) == before + 1
    assert stubs.github.issues[-1]["title"].endswith("Coupon field rejects valid codes")
    assert await link.get_attribute("href") == push["external_url"]
    await expect(link).to_have_text(push["external_key"])
    # The bug's own fields name the issue too, after a reload.
    await page.reload()
    await (
        page.get_by_role("complementary", name="Details")
        .get_by_role("link", name=push["external_key"])
        .wait_for()
    )
    await page.context.close()


async def test_self_hosted_billing_page_says_billing_is_off(world: World) -> None:
    page = await world.page("owner")
    await page.goto(f"{world.url}/settings/billing?ws={world.a.workspace_id}")
    off = page.get_by_test_id("billing-off")
    await expect(off).to_contain_text("Billing is off on this server")
    await expect(off).to_contain_text("currently unlimited")
    await expect(page.get_by_role("button", name=re.compile("^Upgrade"))).to_have_count(0)
    await expect(page.get_by_test_id("storage-summary")).to_contain_text("unlimited")
    assert await page.get_by_role("alert").count() == 0
    await page.context.close()
