"""The dashboard in Debian's Chromium against a live `bugport serve` on PostgreSQL: sign-in by the
one-time link, the inbox and its URL-held filters, a bug's console/network/screenshot, inline
triage seen in the timeline and the API, comments with mentions, bulk actions, share links for a
signed-out visitor, inert script payloads and another workspace's bug."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.async_api import expect

from bugport.dashboard import signin
from tests.dashboard.browser import XSS_LOG, XSS_TITLE, World, create_bug
from tests.widget.browser import artifacts


def read_text(path: Any) -> str:
    return Path(path).read_text()


def query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


async def rows(page: Any, count: int | None = None) -> list[str]:
    """The keys of the inbox rows once the list has settled (`count` rows when given)."""
    await page.wait_for_function(
        "n => { const m = document.querySelector('main.inbox');"
        " const r = document.querySelectorAll('[data-testid=bug-row]').length;"
        " return m && m.getAttribute('aria-busy') === 'false'"
        " && m.dataset.view === new URLSearchParams(location.search).toString()"
        " && (n === null ? r > 0 : r === n) }",
        arg=count,
    )
    return await page.locator("[data-testid=bug-row]").evaluate_all(
        "els => els.map(e => e.dataset.key)"
    )


async def test_sign_in_by_link_then_the_inbox(world: World) -> None:
    a = world.a
    page = await world.page()
    await page.goto(world.signin_link(a.owner.email))
    await page.wait_for_url(re.compile(r"/\?ws="))
    assert "code=" not in page.url
    assert query(page)["ws"] == [a.workspace_id]
    keys = await rows(page)
    assert {world.bugs[k]["key"] for k in ("pay", "login", "search", "xss")} == set(keys)
    assert "Another workspace" not in await page.locator("main").inner_text()
    row = page.locator("[data-testid=bug-row]", has_text="Pay button answers 404")
    text = await row.inner_text()
    assert "High" in text or "high" in text
    assert "checkout" in text and "payments" in text and "Open" in text
    await page.screenshot(path=str(artifacts() / "dashboard-inbox.png"))
    token = await page.evaluate("localStorage.getItem('bugport.token')")
    assert token
    # A used link is refused with the API's message and code, and token paste is offered.
    code = signin.issue(world.settings, a.owner.email, "Owner")
    fresh = await world.page()
    await fresh.goto(f"{world.url}/signin#code={code}")
    await fresh.wait_for_url(re.compile(r"/\?ws="))
    again = await world.page()
    await again.goto(f"{world.url}/signin#code={code}")
    err = again.get_by_role("alert")
    await err.filter(has_text="invalid_token").wait_for()
    # Signed out, a deep link goes through sign-in (token paste) and back to the page asked for.
    bug = world.bugs["login"]
    await again.goto(f"{world.url}/bugs/{bug['id']}")
    await again.wait_for_url(re.compile(r"/signin\?next="))
    await again.get_by_label("Access token").fill(a.member.token)
    await again.get_by_role("button", name="Sign in with token").click()
    await again.wait_for_url(f"{world.url}/bugs/{bug['id']}")
    await again.get_by_role("heading", name=re.compile("Login form loses focus")).wait_for()
    for p in (page, fresh, again):
        await p.context.close()


async def test_filters_live_in_the_url(world: World) -> None:
    page = await world.page("owner")
    await rows(page)
    await page.get_by_role("checkbox", name="low", exact=True).click()
    await page.wait_for_url(re.compile(r"severity=low"))
    assert await rows(page, 1) == [world.bugs["login"]["key"]]
    # Full-text search, with `/` focusing the box.
    await page.keyboard.press("/")
    await page.keyboard.type("stale")
    await page.keyboard.press("Enter")
    await page.wait_for_url(re.compile(r"q=stale"))
    await page.get_by_text("No bugs match these filters").wait_for()
    # The URL is the state: reload keeps it; back goes to the previous filter.
    await page.reload()
    await page.get_by_text("No bugs match these filters").wait_for()
    assert query(page)["q"] == ["stale"] and query(page)["severity"] == ["low"]
    assert await page.get_by_label("Search bugs").input_value() == "stale"
    await page.go_back()
    await page.wait_for_url(lambda u: "q=stale" not in u)
    assert await rows(page, 1) == [world.bugs["login"]["key"]]
    await page.go_back()
    await page.wait_for_url(lambda u: "severity" not in u)
    assert len(await rows(page, 4)) == 4
    # Sort, and a copied link opens the same view in another browser.
    await page.get_by_label("Sort").select_option("oldest")
    await page.wait_for_url(re.compile(r"sort=oldest"))
    keys = await rows(page, 4)
    assert keys[0] == world.bugs["pay"]["key"]
    other = await world.page("owner")
    await other.goto(page.url)
    assert await rows(other, 4) == keys
    # Keyboard: j/k move, Enter opens.
    await other.keyboard.press("j")
    await other.keyboard.press("k")
    await other.keyboard.press("j")
    await other.keyboard.press("Enter")
    await other.wait_for_url(f"{world.url}/bugs/{world.bugs['login']['id']}")
    for p in (page, other):
        await p.context.close()


async def test_bug_detail_console_network_screenshot(world: World) -> None:
    bug = world.bugs["pay"]
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    await page.get_by_role("heading", name=re.compile("Pay button answers 404")).wait_for()
    for text in ("Chrome", "macOS", "1280 × 720", "en-GB", "2026.11.28", "Add to cart"):
        await page.get_by_text(text, exact=False).first.wait_for()
    assert await page.get_by_text("https://shop.example.com/checkout?step=2").count() == 1
    # Console: three entries; the level filter and the search narrow them.
    entries = page.locator("[data-testid=log-entry]")
    await entries.first.wait_for()
    assert await entries.count() == 3
    await page.get_by_role("checkbox", name=re.compile(r"^log")).uncheck()
    await page.get_by_role("checkbox", name=re.compile(r"^warn")).uncheck()
    assert await entries.count() == 1
    assert "payment failed" in await entries.first.inner_text()
    await page.get_by_text("Stack trace").click()
    await page.get_by_text("at pay (app.js:10:5)").wait_for()
    await page.get_by_role("checkbox", name=re.compile(r"^warn")).check()
    await page.get_by_label("Search console").fill("slow")
    assert await entries.count() == 1
    # Network: failed-only, and the redacted header marked as redacted.
    await page.get_by_role("tab", name=re.compile("Network")).click()
    net = page.locator("[data-testid=net-row]")
    await net.first.wait_for()
    assert await net.count() == 2
    await page.get_by_role("checkbox", name=re.compile("Failed only")).check()
    assert await net.count() == 1
    await net.first.get_by_role("button").click()
    await page.screenshot(path=str(artifacts() / "dashboard-bug.png"), full_page=True)
    detail = page.locator(".net-detail")
    await detail.get_by_text("182 ms").count()
    auth = detail.locator("dd", has=page.locator("mark.redacted"))
    assert await auth.count() >= 1
    text = await detail.inner_text()
    assert "sk_live_SECRET" not in text and "secret-token-123" not in text
    assert "not found" in text
    # The screenshot opens in a lightbox, loaded from its signed URL.
    await page.get_by_role("button", name=re.compile("Open screenshot")).click()
    img = page.locator("dialog.lightbox img")
    await img.wait_for()
    await page.wait_for_function(
        "() => { const i = document.querySelector('dialog.lightbox img'); "
        "return i && i.complete && i.naturalWidth === 320 }"
    )
    await page.keyboard.press("Escape")
    await img.wait_for(state="detached")
    await page.context.close()


async def test_triage_inline_timeline_and_comment(world: World) -> None:
    """Each step waits for what the previous one produced (the API's answer, the timeline entry,
    the field's value): nothing depends on how fast the machine is."""
    a = world.a
    bug = world.bugs["search"]
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    status = page.get_by_label("Status")
    # Editable only once the member's role is known (the select is disabled until then).
    await expect(status).to_be_enabled()
    await status.select_option("in_progress")
    await page.get_by_text("changed status from Open to In progress").wait_for()
    got = await world.get(f"/v1/bugs/{bug['id']}", a.owner.headers)
    assert got["status"] == "in_progress"
    await page.get_by_label("Assignee").select_option(a.admin.id)
    await page.get_by_text("assigned Admin").wait_for()
    await page.get_by_label("Add a label").fill("triaged")
    await page.get_by_label("Add a label").press("Enter")
    await page.get_by_text("labels: added triaged").wait_for()
    await expect(page.get_by_label("Remove label triaged")).to_be_visible()
    # A refused edit is rolled back and the API's error is shown with its code.
    refused: list[str] = []

    async def refuse(route: Any) -> None:
        if route.request.method != "PATCH":
            await route.continue_()
            return
        refused.append(route.request.url)
        await route.fulfill(
            status=422,
            content_type="application/json",
            body='{"error": {"code": "validation_error", "message": "Severity refused",'
            ' "request_id": "r1", "details": [{"field": "body.severity", "message": "no"}]}}',
        )

    await page.route(re.compile(r".*/v1/bugs/[^/]+$"), refuse)
    await page.get_by_label("Severity").select_option("critical")
    await page.get_by_test_id("update-error").filter(has_text="validation_error").wait_for()
    await expect(page.get_by_label("Severity")).to_have_value("medium")
    assert len(refused) == 1
    await page.unroute(re.compile(r".*/v1/bugs/[^/]+$"))
    got = await world.get(f"/v1/bugs/{bug['id']}", a.owner.headers)
    assert got["severity"] == "medium" and got["labels"] == ["triaged"]
    # A comment with an @mention picked from the autocomplete.
    box = page.get_by_label("Comment", exact=True)
    await box.fill("Looks like the cache; @Adm")
    await page.get_by_role("listbox").get_by_role("option", name=re.compile("Admin")).wait_for()
    await box.press("Enter")
    await page.get_by_role("listbox").wait_for(state="detached")
    await expect(box).to_have_value(f"Looks like the cache; @{a.admin.email} ")
    # The caret sits after the inserted mention before more is typed.
    await page.wait_for_function(
        "() => { const t = document.getElementById('comment-box');"
        " return document.activeElement === t && t.selectionStart === t.value.length }"
    )
    await box.press_sequentially("can you check?")
    await expect(box).to_have_value(f"Looks like the cache; @{a.admin.email} can you check?")
    await page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("[data-testid=comment]", has_text="can you check?")
    await comment.wait_for()
    await expect(box).to_have_value("")
    comments = await world.get(f"/v1/bugs/{bug['id']}/comments", a.owner.headers)
    (c,) = comments["data"]
    assert c["mentions"] == [a.admin.id] and c["body"].startswith("Looks like the cache")
    assert c["body"].endswith("can you check?")
    await page.context.close()


async def test_bulk_status_and_assignee(world: World) -> None:
    a = world.a
    page = await world.page("owner")
    login, pay = world.bugs["login"], world.bugs["pay"]
    await rows(page)
    await page.get_by_label(f"Select {login['key']}").check()
    await page.get_by_label(f"Select {pay['key']}").check()
    bar = page.get_by_role("region", name="Bulk actions")
    await bar.get_by_text("2 selected").wait_for()
    await bar.get_by_label("Assign to").select_option(a.member.id)
    await page.get_by_text("Updated 2 bugs").wait_for()
    await page.get_by_label(f"Select {login['key']}").check()
    await page.get_by_label(f"Select {pay['key']}").check()
    await bar.get_by_label("Set status").select_option("resolved")
    await page.get_by_text("Updated 2 bugs").wait_for()
    for b in (login, pay):
        got = await world.get(f"/v1/bugs/{b['id']}", a.owner.headers)
        assert got["status"] == "resolved" and got["assignee_id"] == a.member.id
        row = page.locator(f"[data-key='{b['key']}']")
        await row.get_by_text("Resolved").wait_for()
        await row.get_by_text("Member").wait_for()
    acts = await world.get(f"/v1/bugs/{login['id']}/activity", a.owner.headers)
    assert {"assignee_changed", "status_changed"} <= {e["type"] for e in acts["data"]}
    # Bulk label removal: the choices are the labels the selection carries.
    await page.get_by_label(f"Select {login['key']}").check()
    await page.get_by_label(f"Select {pay['key']}").check()
    remove = bar.get_by_label("Remove label")
    choices = await remove.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert choices == ["", "auth", "checkout", "payments"]
    await remove.select_option("payments")
    await page.get_by_text("Updated 2 bugs").wait_for()
    await (
        page.locator(f"[data-key='{pay['key']}']")
        .get_by_text("payments")
        .wait_for(state="detached")
    )
    assert (await world.get(f"/v1/bugs/{pay['id']}", a.owner.headers))["labels"] == ["checkout"]
    assert (await world.get(f"/v1/bugs/{login['id']}", a.owner.headers))["labels"] == ["auth"]
    acts = await world.get(f"/v1/bugs/{pay['id']}/activity", a.owner.headers)
    assert {"added": [], "removed": ["payments"]} in [
        e["payload"] for e in acts["data"] if e["type"] == "labels_changed"
    ]
    await page.context.close()


async def test_share_link_for_a_signed_out_visitor_then_revoked(world: World) -> None:
    bug = world.bugs["pay"]
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    await page.get_by_role("button", name="Create share link").click()
    link = page.get_by_label("Share link URL")
    await link.wait_for()
    url = await link.input_value()
    assert re.fullmatch(rf"{re.escape(world.url)}/s/[A-Za-z0-9_-]{{32,}}", url), url
    visitor = await world.browser.new_context()
    public = await visitor.new_page()
    response = await public.goto(url)
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    assert response.headers["referrer-policy"] == "no-referrer"
    await public.get_by_role("heading", name=re.compile("Pay button answers 404")).wait_for()
    await public.get_by_text("payment failed").first.wait_for()
    await public.get_by_text("1280 × 720").wait_for()
    # The screenshot, through the share's own file route (302 to a signed URL), really loads.
    shot = public.get_by_role("button", name=re.compile("Open screenshot")).locator("img")
    await shot.wait_for()
    assert "/v1/public/share/bug/" in (await shot.get_attribute("src") or "")
    await public.wait_for_function(
        "() => [...document.images].some((i) => i.complete && i.naturalWidth > 0)"
    )
    body = await public.locator("body").inner_text()
    for private in ("2026.11.28", world.a.owner.email, "Owner", "sk_live_SECRET"):
        assert private not in body
    assert await public.locator("meta[name=robots]").get_attribute("content") == "noindex, nofollow"
    assert await public.evaluate("localStorage.getItem('bugport.token')") is None
    # Revoked: the visitor's reload shows the not-found page, as an unknown id does.
    await page.get_by_role("button", name="Revoke").click()
    await link.wait_for(state="detached")
    await public.reload()
    await public.get_by_test_id("share-not-found").wait_for()
    await public.goto(f"{world.url}/s/NoSuchShareLinkAbCdEf0123456789xyz")
    await public.get_by_test_id("share-not-found").wait_for()
    await visitor.close()
    await page.context.close()


async def test_script_payloads_stay_inert(world: World) -> None:
    bug = world.bugs["xss"]
    page = await world.page("owner")
    await rows(page)
    await page.get_by_text(XSS_TITLE).wait_for()
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    await page.get_by_role("heading", name=re.compile("Checkout")).wait_for()
    assert XSS_TITLE in await page.get_by_role("heading", level=1).inner_text()
    await page.get_by_text(XSS_LOG).wait_for()
    comment = page.locator("[data-testid=comment]")
    await comment.locator("strong", has_text="bold stays").wait_for()
    await page.get_by_role("tab", name=re.compile("Network")).click()
    await page.locator("[data-testid=net-row]").first.get_by_role("button").click()
    await page.get_by_text("<img src=x onerror=alert(6)>").wait_for()
    await page.get_by_text("<img src=x onerror=alert(7)>").wait_for()
    # Links from Markdown never run script.
    hrefs = await page.locator(".markdown a").evaluate_all("els => els.map(e => e.href)")
    assert all(not h.startswith("javascript:") for h in hrefs), hrefs
    assert await page.locator(".markdown img[onerror], .markdown script").count() == 0
    await page.wait_for_timeout(300)
    assert await page.evaluate("window.__xss") is None
    assert page.dialogs == []
    await page.context.close()


async def test_another_workspaces_bug_is_not_found(world: World) -> None:
    page = await world.page("owner")
    await page.goto(f"{world.url}/bugs/{world.bugs['other']['id']}")
    await page.get_by_test_id("not-found").wait_for()
    assert "Another workspace" not in await page.locator("body").inner_text()
    await page.goto(f"{world.url}/bugs/00000000-0000-0000-0000-000000000000")
    await page.get_by_test_id("not-found").wait_for()
    await page.goto(f"{world.url}/no/such/page")
    await page.get_by_test_id("not-found").wait_for()
    await page.context.close()


async def test_expired_session_returns_to_sign_in_then_to_the_page(world: World) -> None:
    bug = world.bugs["search"]
    page = await world.page()
    await page.goto(f"{world.url}/signin")
    await page.evaluate("localStorage.setItem('bugport.token', 'expired.token.value')")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    await page.wait_for_url(re.compile(r"/signin\?next=%2Fbugs%2F"))
    assert await page.evaluate("localStorage.getItem('bugport.token')") is None
    code = signin.issue(world.settings, world.a.owner.email, "Owner")
    await page.goto(f"{page.url}#code={code}")
    await page.wait_for_url(f"{world.url}/bugs/{bug['id']}")
    await page.get_by_role("heading", name=re.compile("Search returns stale")).wait_for()
    await page.context.close()


async def test_a_typed_comment_survives_a_dropped_connection(world: World) -> None:
    bug = world.bugs["login"]
    page = await world.page("member")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    box = page.get_by_label("Comment", exact=True)
    await page.route(
        re.compile(r".*/comments$"),
        lambda route: (
            route.abort("internetdisconnected")
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    await box.fill("Reproduced on Firefox too")
    await page.get_by_role("button", name="Comment", exact=True).click()
    await page.get_by_role("alert").filter(has_text="network_error").wait_for()
    assert await box.input_value() == "Reproduced on Firefox too"
    await page.reload()
    await box.wait_for()
    assert await box.input_value() == "Reproduced on Firefox too"
    await page.unroute(re.compile(r".*/comments$"))
    await page.get_by_role("button", name="Comment", exact=True).click()
    await page.locator("[data-testid=comment]", has_text="Reproduced on Firefox").wait_for()
    assert await box.input_value() == ""
    assert await page.evaluate(f"localStorage.getItem('bugport.draft.{bug['id']}')") is None
    await page.context.close()


async def test_rate_limited_calls_wait_for_retry_after(world: World) -> None:
    page = await world.page("owner")
    await rows(page, 4)
    seen: list[float] = []

    async def limited(route: Any) -> None:
        seen.append(time.monotonic())
        if len(seen) == 1:
            await route.fulfill(
                status=429,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error": {"code": "rate_limited", "message": "Slow down", "request_id": "r"}}',
            )
        else:
            await route.continue_()

    await page.route(re.compile(r".*/v1/bugs\?.*severity=high.*"), limited)
    await page.get_by_role("checkbox", name="high", exact=True).click()
    assert await rows(page, 1) == [world.bugs["pay"]["key"]]
    assert len(seen) == 2 and seen[1] - seen[0] >= 0.9
    await page.context.close()


async def test_viewer_reads_but_cannot_edit(world: World) -> None:
    page = await world.page("viewer")
    await page.goto(f"{world.url}/bugs/{world.bugs['pay']['id']}")
    await page.get_by_role("heading", name=re.compile("Pay button")).wait_for()
    assert await page.get_by_label("Status").is_disabled()
    assert await page.get_by_label("Comment", exact=True).count() == 0
    assert await page.get_by_role("button", name="Create share link").count() == 0
    await page.context.close()


async def test_export_and_delete_as_admin(world: World) -> None:
    a = world.a
    bug = await create_bug(world.http, a, title="Duplicate of the pay bug")
    page = await world.page("admin")
    await page.goto(f"{world.url}/bugs/{bug['id']}")
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Export Markdown").click()
    download = await info.value
    assert download.suggested_filename == f"{bug['key']}.md"
    text = read_text(await download.path())
    assert "Duplicate of the pay bug" in text and bug["key"] in text
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Export JSON").click()
    exported = json.loads(read_text(await (await info.value).path()))
    assert exported["id"] == bug["id"]
    await page.get_by_role("button", name="Delete bug").click()
    await page.wait_for_url(re.compile(r"/\?ws="))
    assert any(m.startswith("Delete") for m in page.dialogs)
    r = await world.http.get(f"/v1/bugs/{bug['id']}", headers=a.owner.headers)
    assert r.status_code == 404
    await page.context.close()
