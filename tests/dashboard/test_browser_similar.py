"""Similar bugs in the dashboard, in Debian's Chromium against a live `bugport serve` on
PostgreSQL: the bug page's "Similar bugs" panel (the look-alike with its reason, the failure's
report count, untrusted titles as text), marking a duplicate and undoing it (seen on the page and
in the API), a refused cycle with the API's message, a viewer without merge controls, and the
inbox's "Group similar" view held in the URL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest_asyncio
from playwright.async_api import expect

from tests.dashboard.browser import World, create_bug, open_world
from tests.widget.browser import artifacts

SAME_REASON = "same failing request POST /api/orders/:id/pay → 5xx"
TRICKY_TITLE = "Checkout <b>payment</b> broken <img src=x onerror=alert(1)>"


def pay_report(title: str, order: int, http_status: int, **extra: Any) -> dict[str, Any]:
    """A report whose failing request is POST /api/orders/{order}/pay → `http_status`."""
    return {
        "title": title,
        "page_url": f"https://shop.example.com/orders/{order}",
        "network": [
            {"method": "GET", "url": "https://shop.example.com/api/cart", "status": 200},
            {
                "method": "POST",
                "url": f"https://api.example.com/api/orders/{order}/pay?session=s{order}",
                "status": http_status,
            },
        ],
        **extra,
    }


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: Any) -> AsyncIterator[World]:
    async with open_world(tmp_path_factory.mktemp("sim"), seeded=False, label="_sim") as w:
        a, http = w.a, w.http
        # Oldest first: the unrelated report, then three reports of one failure (different ids).
        w.bugs["avatar"] = await create_bug(
            http, a, title="Avatar upload is blurry", severity="low"
        )
        w.bugs["pay500"] = await create_bug(
            http, a, **pay_report("Pay fails on order 123", 123, 500, severity="high")
        )
        w.bugs["pay503"] = await create_bug(
            http,
            a,
            **pay_report(TRICKY_TITLE, 456, 503, severity="medium", status="in_progress"),
        )
        w.bugs["pay_new"] = await create_bug(
            http, a, **pay_report("Paying an order errors out", 789, 502, severity="medium")
        )
        yield w


async def bug(world: World, key: str) -> dict[str, Any]:
    return await world.get(f"/v1/bugs/{world.bugs[key]['id']}", world.a.owner.headers)  # type: ignore[no-any-return]


async def open_bug(world: World, role: str, key: str) -> Any:
    page = await world.page(role)
    await page.goto(f"{world.url}/bugs/{world.bugs[key]['id']}")
    await page.get_by_role("heading", name="Similar bugs").wait_for()
    return page


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


async def rows(page: Any, count: int) -> list[str]:
    """The keys of the inbox rows once the list has settled on `count` rows."""
    await page.wait_for_function(
        "n => { const m = document.querySelector('main.inbox');"
        " const r = document.querySelectorAll('[data-testid=bug-row]').length;"
        " return m && m.getAttribute('aria-busy') === 'false'"
        " && m.dataset.view === new URLSearchParams(location.search).toString() && r === n }",
        arg=count,
    )
    return await page.locator("[data-testid=bug-row]").evaluate_all(  # type: ignore[no-any-return]
        "els => els.map(e => e.dataset.key)"
    )


async def test_the_panel_lists_the_look_alike_with_its_reason(world: World) -> None:
    page = await open_bug(world, "member", "pay500")
    panel = page.get_by_test_id("similar-panel")
    await expect(panel.get_by_text("This failure has 3 reports")).to_be_visible()
    item = panel.get_by_test_id("similar-item").filter(has_text=world.bugs["pay503"]["key"])
    await expect(item).to_contain_text(SAME_REASON)
    await expect(item).to_contain_text("In progress")
    # The title is text: its markup is shown, never rendered.
    link = item.get_by_role("link")
    await expect(link).to_contain_text(TRICKY_TITLE)
    assert await item.locator("b, img").count() == 0
    assert page.dialogs == []
    # The unrelated report is not offered.
    await expect(panel).not_to_contain_text(world.bugs["avatar"]["key"])
    # The status select never offers `duplicate` (the API refuses it there).
    options = await page.get_by_label("Status", exact=True).locator("option").all_inner_texts()
    assert "Duplicate" not in options and "In progress" in options
    await link.click()
    await page.wait_for_url(f"{world.url}/bugs/{world.bugs['pay503']['id']}")
    await expect(page.get_by_role("heading", level=1)).to_contain_text(TRICKY_TITLE)
    # A report with no failure of its own: no count line, and the panel says so when empty.
    await page.goto(f"{world.url}/bugs/{world.bugs['avatar']['id']}")
    panel = page.get_by_test_id("similar-panel")
    await expect(panel.get_by_text("No similar bugs found.")).to_be_visible()
    await expect(panel).not_to_contain_text("This failure has")
    await page.context.close()


async def test_mark_as_duplicate_then_undo(world: World) -> None:
    canonical, dup = world.bugs["pay500"], world.bugs["pay503"]
    page = await open_bug(world, "member", "pay503")
    panel = page.get_by_test_id("similar-panel")
    await panel.get_by_role("button", name="Mark as duplicate of…").click()
    await panel.get_by_role("radio", name=re.compile(re.escape(canonical["key"]))).check()
    await panel.get_by_role("button", name="Continue").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(f"becomes a duplicate of {canonical['key']}")
    await dialog.get_by_role("button", name="Mark as duplicate").click()
    await expect(dialog).to_have_count(0)
    # The page: "Duplicate of KEY" linking to it, the status a read-only badge, an Undo.
    banner = page.get_by_test_id("duplicate-of")
    await expect(banner).to_contain_text(f"Duplicate of {canonical['key']}")
    await expect(page.get_by_test_id("status-readonly")).to_have_text(re.compile("Duplicate"))
    await expect(page.get_by_label("Status", exact=True)).to_have_count(0)
    await expect(panel.get_by_role("button", name="Mark as duplicate of…")).to_have_count(0)
    await page.screenshot(path=str(artifacts() / "dashboard-duplicate.png"))
    got = await bug(world, "pay503")
    assert got["status"] == "duplicate" and got["duplicate_of_id"] == canonical["id"]
    # The canonical bug lists its duplicate.
    await banner.get_by_role("link", name=canonical["key"]).click()
    await page.wait_for_url(f"{world.url}/bugs/{canonical['id']}")
    dups = page.get_by_test_id("duplicates")
    await expect(dups).to_contain_text("1 duplicate")
    await expect(dups.get_by_role("link")).to_contain_text(dup["key"])
    # Marking the canonical bug a duplicate of its own duplicate (typed by key) is a cycle:
    # the API's message is shown and nothing changes.
    await panel.get_by_role("button", name="Mark as duplicate of…").click()
    await panel.get_by_label("Or type a bug key or id").fill(dup["key"].lower())
    await panel.get_by_role("button", name="Continue").click()
    await page.get_by_role("dialog").get_by_role("button", name="Mark as duplicate").click()
    alert = panel.get_by_role("alert")
    await expect(alert).to_contain_text("that would be a cycle")
    await expect(alert).to_contain_text("duplicate_cycle")
    assert (await bug(world, "pay500"))["duplicate_of_id"] is None
    # A key that names no bug is said so, before anything is sent.
    await panel.get_by_label("Or type a bug key or id").fill("NOPE-999")
    await panel.get_by_role("button", name="Continue").click()
    await expect(panel.get_by_role("alert").first).to_contain_text("No bug NOPE-999")
    await expect(page.get_by_role("dialog")).to_have_count(0)
    # Undo on the duplicate: the status it had comes back, on the page and in the API.
    await dups.get_by_role("link").click()
    await page.wait_for_url(f"{world.url}/bugs/{dup['id']}")
    await page.get_by_test_id("duplicate-of").get_by_role("button", name="Undo").click()
    await expect(page.get_by_test_id("duplicate-of")).to_have_count(0)
    await expect(page.get_by_label("Status", exact=True)).to_have_value("in_progress")
    got = await bug(world, "pay503")
    assert got["status"] == "in_progress" and got["duplicate_of_id"] is None
    await page.context.close()


async def test_a_viewer_sees_no_merge_control(world: World) -> None:
    canonical = world.bugs["pay500"]
    h = world.a.owner.headers
    r = await world.http.post(
        f"/v1/bugs/{world.bugs['pay_new']['id']}/duplicate-of",
        json={"bug_id": canonical["id"]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    try:
        page = await open_bug(world, "viewer", "pay_new")
        banner = page.get_by_test_id("duplicate-of")
        await expect(banner).to_contain_text(f"Duplicate of {canonical['key']}")
        await expect(banner.get_by_role("button", name="Undo")).to_have_count(0)
        await page.goto(f"{world.url}/bugs/{world.bugs['pay503']['id']}")
        panel = page.get_by_test_id("similar-panel")
        await expect(panel.get_by_test_id("similar-item").first).to_be_visible()
        await expect(panel.get_by_role("button", name="Mark as duplicate of…")).to_have_count(0)
        await page.context.close()
    finally:
        r = await world.http.delete(
            f"/v1/bugs/{world.bugs['pay_new']['id']}/duplicate-of", headers=h
        )
        assert r.status_code == 200, r.text


async def test_the_inbox_groups_similar_reports(world: World) -> None:
    a = world.a
    newest = world.bugs["pay_new"]
    page = await world.page("member")
    await page.goto(f"{world.url}/?ws={a.workspace_id}")
    assert len(await rows(page, 4)) == 4
    toggle = page.get_by_role("button", name="Group similar")
    await expect(toggle).to_have_attribute("aria-pressed", "false")
    # Keyboard: focus the toggle and press Space.
    await toggle.focus()
    await page.keyboard.press("Space")
    await page.wait_for_url(re.compile(r"group=fingerprint"))
    await expect(toggle).to_have_attribute("aria-pressed", "true")
    assert await rows(page, 2) == [newest["key"], world.bugs["avatar"]["key"]]
    row = page.get_by_test_id("bug-row").filter(has_text=newest["key"])
    await expect(row.get_by_test_id("group-count")).to_contain_text("×3")
    await expect(page.get_by_label("Sort")).to_be_disabled()
    await expect(page.get_by_text("Grouped: newest first only")).to_be_visible()
    # Reload keeps the view.
    await page.reload()
    assert await rows(page, 2) == [newest["key"], world.bugs["avatar"]["key"]]
    await expect(page.get_by_role("button", name="Group similar")).to_have_attribute(
        "aria-pressed", "true"
    )
    # Filters still apply: medium severity leaves the two medium reports of the failure.
    await page.get_by_role("checkbox", name="medium", exact=True).click()
    await page.wait_for_url(re.compile(r"severity=medium"))
    assert await rows(page, 1) == [newest["key"]]
    assert query(page)["group"] == ["fingerprint"]
    await expect(page.get_by_test_id("group-count")).to_contain_text("×2")
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=str(artifacts() / "dashboard-grouped-dark.png"))
    # Opening a group opens its newest report.
    await page.get_by_role("link", name=newest["title"]).click()
    await page.wait_for_url(f"{world.url}/bugs/{newest['id']}")
    await page.go_back()
    await page.wait_for_url(re.compile(r"group=fingerprint"))
    # Off again: every report, the sort control back.
    await page.get_by_role("button", name="Group similar").click()
    await page.wait_for_url(lambda u: "group=" not in u)
    assert len(await rows(page, 2)) == 2
    await expect(page.get_by_label("Sort")).to_be_enabled()
    await page.context.close()


async def test_grouped_pages_load_more_with_the_cursor(world: World) -> None:
    """More failures than one page (50): scrolling / "Load more" brings the rest, once each."""
    a = world.a
    r = await world.http.post(
        "/v1/projects",
        json={"workspace_id": a.workspace_id, "name": "Many failures", "key": "MANY"},
        headers=a.owner.headers,
    )
    assert r.status_code == 201, r.text
    project = r.json()["id"]
    for n in range(53):
        # Letters only, so no two paths normalise alike (`/api/resbd`, `/api/resbe`…).
        name = "res" + "".join(chr(97 + int(d)) for d in str(n))
        body = {
            "project_id": project,
            "title": f"Failure number {n}",
            "network": [
                {"method": "GET", "url": f"https://api.example.com/api/{name}", "status": 500}
            ],
        }
        got = await world.http.post("/v1/bugs", json=body, headers=a.owner.headers)
        assert got.status_code == 201, got.text
    page = await world.page("member")
    await page.goto(f"{world.url}/?ws={a.workspace_id}&project={project}&group=fingerprint")
    await rows(page, 50)
    await expect(page.get_by_role("button", name="Load more")).to_be_visible()
    # Scrolling to the end loads the next page (the button does the same for keyboard users).
    await page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    keys = await rows(page, 53)
    assert len(set(keys)) == 53
    await expect(page.get_by_test_id("group-count")).to_have_count(53)
    await expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    await page.context.close()
