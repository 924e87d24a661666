"""Workspace administration in Chromium against a live `bugport serve` on PostgreSQL (issue 20):
each role sees and can do exactly what docs/roles.md says on the members, projects, keys and
tokens pages; invite → accept in a second browser context; widget keys whose snippet files a
report from a loopback page; MCP tokens used by the official MCP client, revoked, and the denial
in the audit log page; storage and billing against the Stripe stand-in; connectors' OAuth round
trip through the dashboard's callback page; workspace create/rename/delete; the profile page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from playwright.async_api import expect

from tests.connector.conftest import Stubs
from tests.dashboard.browser import World, open_world
from tests.fixtures.providers import stub_settings
from tests.fixtures.stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub
from tests.fixtures.users import make_user
from tests.widget.browser import artifacts


@pytest.fixture(scope="module")
def stubs() -> Iterator[Stubs]:
    s = Stubs()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def stripe() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


@pytest_asyncio.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, stubs: Stubs, stripe: StripeStub
) -> AsyncIterator[World]:
    async with open_world(
        tmp_path_factory.mktemp("dash-admin"),
        seeded=False,
        label="_dash_admin",
        stripe_secret_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe.url,
        **stub_settings(stubs.github, stubs.linear, stubs.jira),
    ) as w:
        yield w


def read_text(path: Any) -> str:
    return Path(path).read_text()


def settings_url(w: World, page: str) -> str:
    return f"{w.url}/settings/{page}?ws={w.a.workspace_id}"


async def members_page(w: World, role: str) -> Any:
    page = await w.page(role)
    await page.goto(settings_url(w, "members"))
    await expect(page.get_by_test_id("member-row")).to_have_count(4)
    return page


# ---- members and invites ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
async def test_members_page_shows_only_what_the_role_allows(world: World, role: str) -> None:
    a = world.a
    page = await members_page(world, role)
    await expect(page.get_by_test_id("my-role")).to_have_text(role)
    others = [r for r in ("owner", "admin", "member", "viewer") if r != role]
    role_selects = page.get_by_role("combobox", name=re.compile(r"^Role of "))
    removes = page.get_by_role("button", name="Remove", exact=True)
    # Everyone may leave (their own row only).
    await expect(page.get_by_role("button", name="Leave workspace")).to_have_count(1)
    own = page.locator(f"[data-testid=member-row][data-email='{a.user(role).email}']")
    await expect(own.get_by_role("button", name="Leave workspace")).to_be_visible()
    if role in ("member", "viewer"):
        await expect(role_selects).to_have_count(0)
        await expect(removes).to_have_count(0)
        await expect(page.get_by_role("heading", name="Invites")).to_have_count(0)
    else:
        # Admins manage everyone but owners; owners manage everyone (never themselves here).
        manageable = [r for r in others if role == "owner" or r != "owner"]
        await expect(role_selects).to_have_count(len(manageable))
        await expect(removes).to_have_count(len(manageable))
        options = await role_selects.first.locator("option").all_inner_texts()
        expected = (
            ["viewer", "member", "admin", "owner"]
            if role == "owner"
            else [
                "viewer",
                "member",
                "admin",
            ]
        )
        assert options == expected
        await expect(page.get_by_role("heading", name="Invites")).to_be_visible()
        invite_roles = (
            await page.get_by_role("form", name="Invite someone")
            .get_by_label("Role")
            .locator("option")
            .all_inner_texts()
        )
        assert invite_roles == expected
    # The audit log entry in the menu is for admins and owners only.
    audit = page.get_by_role("navigation", name="Settings").get_by_role("link", name="Audit log")
    await expect(audit).to_have_count(1 if role in ("owner", "admin") else 0)
    await page.context.close()


async def test_admin_changes_a_role_and_the_last_owner_rule_is_explained(world: World) -> None:
    a = world.a
    page = await members_page(world, "admin")
    select = page.get_by_label("Role of Viewer")
    await select.select_option("member")
    await expect(select).to_have_value("member")
    members = await world.get(f"/v1/workspaces/{a.workspace_id}/members", a.owner.headers)
    by_id = {m["user_id"]: m["role"] for m in members["data"]}
    assert by_id[a.viewer.id] == "member"
    await select.select_option("viewer")
    await expect(select).to_have_value("viewer")
    members = await world.get(f"/v1/workspaces/{a.workspace_id}/members", a.owner.headers)
    assert {m["user_id"]: m["role"] for m in members["data"]}[a.viewer.id] == "viewer"
    await page.context.close()
    # The only owner can't leave: the refusal is shown with the rule and how to get past it.
    page = await members_page(world, "owner")
    await page.get_by_role("button", name="Leave workspace").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("You lose access")
    await dialog.get_by_role("button", name="Leave workspace").click()
    await page.get_by_role("alert").filter(has_text="conflict").wait_for()
    await expect(page.get_by_test_id("last-owner")).to_contain_text("at least one owner")
    members = await world.get(f"/v1/workspaces/{a.workspace_id}/members", a.owner.headers)
    assert a.owner.id in {m["user_id"] for m in members["data"]}
    await page.context.close()


async def test_invite_accepted_in_a_second_browser_context(world: World) -> None:
    a = world.a
    newcomer = await make_user(world.http, world.settings, name="Newcomer")
    page = await members_page(world, "admin")
    form = page.get_by_role("form", name="Invite someone")
    await form.get_by_label("Email").fill(newcomer.email)
    await form.get_by_label("Role").select_option("member")
    await form.get_by_role("button", name="Send invite").click()
    created = page.get_by_test_id("invite-created")
    await expect(created).to_contain_text("you won't see it again")
    link = await page.get_by_label("Invite link").input_value()
    assert re.fullmatch(rf"{re.escape(world.url)}/invite#token=[^&]+", link), link
    row = page.get_by_test_id("invite-row").filter(has_text=newcomer.email)
    await expect(row).to_have_count(1)
    token = link.split("#token=", 1)[1]
    # The list shows a hint, never the token.
    assert token not in await page.get_by_role("table", name="Pending invites").inner_text()
    # The invitee, in another browser, signed out: sign in (token paste), come back, accept.
    context = await world.browser.new_context()
    guest = await context.new_page()
    await guest.goto(link)
    await guest.get_by_role("heading", name="Join a BugPort workspace").wait_for()
    assert "token" not in guest.url  # the secret left the address bar at once
    await guest.get_by_role("button", name="Sign in to accept").click()
    await guest.wait_for_url(re.compile(r"/signin\?next=%2Finvite"))
    await guest.get_by_label("Access token").fill(newcomer.token)
    await guest.get_by_role("button", name="Sign in with token").click()
    await guest.wait_for_url(f"{world.url}/invite")
    await guest.get_by_role("button", name="Accept invite").click()
    await guest.wait_for_url(re.compile(rf"/\?ws={a.workspace_id}"))
    # exact: the invite page (labelled "Join a BugPort workspace") may still be on screen
    await expect(guest.get_by_label("Workspace", exact=True)).to_have_value(a.workspace_id)
    storage = await guest.evaluate(
        "JSON.stringify([Object.values(localStorage), Object.values(sessionStorage)])"
    )
    assert token not in storage
    members = await world.get(f"/v1/workspaces/{a.workspace_id}/members", a.owner.headers)
    assert {m["user_id"]: m["role"] for m in members["data"]}[newcomer.id] == "member"
    # The admin's list no longer shows it as pending; removing the newcomer names them.
    await page.reload()
    await expect(page.get_by_test_id("invite-row").filter(has_text=newcomer.email)).to_have_count(0)
    await (
        page.locator(f"[data-testid=member-row][data-email='{newcomer.email}']")
        .get_by_role("button", name="Remove")
        .click()
    )
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(newcomer.email)
    await dialog.get_by_role("button", name="Remove member").click()
    await expect(page.get_by_test_id("member-row")).to_have_count(4)
    await page.screenshot(path=str(artifacts() / "dashboard-members.png"), full_page=True)
    await context.close()
    await page.context.close()


async def test_revoking_an_invite_confirms_and_the_link_stops_working(world: World) -> None:
    a = world.a
    page = await members_page(world, "owner")
    form = page.get_by_role("form", name="Invite someone")
    await form.get_by_label("Email").fill("later@example.com")
    await form.get_by_role("button", name="Send invite").click()
    link = await page.get_by_label("Invite link").input_value()
    row = page.get_by_test_id("invite-row").filter(has_text="later@example.com")
    await row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("later@example.com")
    await dialog.get_by_role("button", name="Revoke invite").click()
    await expect(row).to_have_count(0)
    invitee = await make_user(world.http, world.settings, email="later@example.com")
    token = link.split("#token=", 1)[1]
    r = await world.http.post(f"/v1/invites/{token}/accept", headers=invitee.headers)
    assert r.status_code >= 400
    members = await world.get(f"/v1/workspaces/{a.workspace_id}/members", a.owner.headers)
    assert invitee.id not in {m["user_id"] for m in members["data"]}
    await page.context.close()


# ---- projects and widget keys -----------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
async def test_projects_page_per_role(world: World, role: str) -> None:
    page = await world.page(role)
    await page.goto(settings_url(world, "projects"))
    await page.get_by_role("heading", name="Projects & widget keys").wait_for()
    project = page.get_by_test_id("project").first
    await project.wait_for()
    admin = role in ("owner", "admin")
    await expect(page.get_by_role("form", name="Create a project")).to_have_count(int(admin))
    await expect(project.get_by_role("button", name="Delete project")).to_have_count(int(admin))
    await expect(project.get_by_role("form", name=re.compile("^New widget key"))).to_have_count(
        int(admin)
    )
    if not admin:
        await expect(project.get_by_text("Widget keys are managed by admins.")).to_be_visible()
        await expect(page.get_by_text("Only admins and owners change projects")).to_be_visible()
    await page.context.close()


async def test_widget_key_snippet_files_a_report_from_an_allowed_origin(world: World) -> None:
    from tests.fixtures.live_browser import StaticSite

    a = world.a
    page = await world.page("admin")
    await page.goto(settings_url(world, "projects"))
    form = page.get_by_role("form", name=re.compile("^New widget key"))
    await form.get_by_label("Label").fill("Shop")
    origins = form.get_by_label("Allowed origins (one per line)")
    create = form.get_by_role("button", name="Create widget key")
    # Validated as you type, with the rule named.
    await origins.fill("https://shop.example.com/checkout")
    await expect(page.get_by_test_id("origin-errors")).to_contain_text("no path")
    await expect(create).to_be_disabled()
    await origins.fill("ftp://shop.example.com")
    await expect(page.get_by_test_id("origin-errors")).to_contain_text("http or https")
    await origins.fill("https://*.com")
    await expect(page.get_by_test_id("origin-errors")).to_contain_text("at least two labels")
    with StaticSite({}) as site:
        origin = f"http://localhost:{site.port}"
        await origins.fill(origin)
        await expect(form.get_by_text("1 origin looks right.")).to_be_visible()
        await create.click()
        created = page.get_by_test_id("widget-key-created")
        await expect(created).to_contain_text("only shown now")
        key = await page.get_by_label("Widget key", exact=True).input_value()
        assert key.startswith("bp_pub_")
        script = await page.get_by_test_id("snippet-script").inner_text()
        assert f'data-public-key="{key}"' in script
        assert f'src="{world.url}/widget.js"' in script
        assert f'data-api-base-url="{world.url}/v1"' in script
        react = await page.get_by_test_id("snippet-react").inner_text()
        assert f'publicKey="{key}"' in react and f'apiBaseUrl="{world.url}/v1"' in react
        row = page.get_by_test_id("widget-key-row").filter(has_text="Shop")
        await expect(row).to_contain_text(key[-4:])
        await expect(row).to_contain_text("never")
        # The snippet, pasted into a page on the allowed origin, files a report.
        html = f"<!doctype html><title>Shop</title><h1>Shop</h1>\n{script}\n".encode()
        site.pages = {"/": (200, {"Content-Type": "text/html; charset=utf-8"}, html)}
        shop = await (await world.browser.new_context()).new_page()
        await shop.goto(f"{origin}/")
        await shop.locator("[data-bugport=launcher]").click()
        await shop.locator("[data-bugport=title]").fill("Basket badge shows 0")
        await shop.locator("[data-bugport=send]").click()
        await (
            shop.locator("[data-bugport=status]").filter(has_text="Thanks").wait_for(timeout=20_000)
        )
        await shop.context.close()
    inbox = await world.page("member")
    await inbox.goto(f"{world.url}/?ws={a.workspace_id}")
    await inbox.get_by_role("link", name="Basket badge shows 0").wait_for()
    await inbox.context.close()
    # Last use shows once the key has been used; disable, rotate, revoke.
    await page.reload()
    row = page.get_by_test_id("widget-key-row").filter(has_text=key[-4:])
    await expect(row).not_to_contain_text("never")
    async with page.expect_response(
        lambda r: r.request.method == "PATCH" and "/widget-keys/" in r.url
    ) as answer:
        await row.get_by_label("Enabled: Shop").click()
    assert (await answer.value).status == 200
    await expect(row.get_by_label("Enabled: Shop")).not_to_be_checked()
    keys = await world.get(f"/v1/projects/{a.project_id}/widget-keys", a.admin.headers)
    assert [k["enabled"] for k in keys["data"] if k["key_hint"].endswith(key[-4:])] == [False]
    await row.get_by_role("button", name="Rotate").click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("Grace period").select_option(label="Keep the old key 1 day")
    await dialog.get_by_role("button", name="Rotate key").click()
    new_key = await page.get_by_label("Widget key", exact=True).input_value()
    assert new_key != key and new_key.startswith("bp_pub_")
    await expect(row).to_contain_text("rotated; stops")
    new_row = page.get_by_test_id("widget-key-row").filter(has_text=new_key[-4:])
    await new_row.get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(origin)
    await dialog.get_by_role("button", name="Revoke key").click()
    await expect(new_row).to_have_count(0)
    r = await world.http.post(
        "/v1/widget/check",
        json={},
        headers={"Authorization": f"Bearer {new_key}", "Origin": origin},
    )
    assert r.status_code == 401, r.text
    # Nothing secret was put in the URL or the browser's storage on the way.
    assert key not in page.url
    stored = await page.evaluate("JSON.stringify(Object.values(localStorage))")
    assert key not in stored and new_key not in stored
    await page.context.close()


async def test_create_rename_redact_and_delete_a_project(world: World) -> None:
    a = world.a
    page = await world.page("owner")
    await page.goto(settings_url(world, "projects"))
    form = page.get_by_role("form", name="Create a project")
    await form.get_by_label("Project name").fill("Mobile app")
    key = form.get_by_label(re.compile("^Key"))
    await key.fill("9x")
    await expect(form.get_by_role("button", name="Create project")).to_be_disabled()
    await key.fill("mob")
    await expect(key).to_have_value("MOB")
    await form.get_by_role("button", name="Create project").click()
    panel = page.get_by_role("region", name="Project MOB")
    await panel.wait_for()
    settings = panel.get_by_role("form", name="Settings of MOB")
    await settings.get_by_label("Name", exact=True).fill("Mobile apps")
    await settings.get_by_label(re.compile("^Extra headers")).fill("X-Session, X-Device")
    await settings.get_by_label(re.compile("^Extra query")).fill("bad name!")
    await expect(settings.get_by_role("button", name="Save project")).to_be_disabled()
    await settings.get_by_label(re.compile("^Extra query")).fill("ssn")
    await settings.get_by_role("button", name="Save project").click()
    await expect(settings.get_by_role("status")).to_contain_text("Saved")
    projects = await world.get("/v1/projects", a.owner.headers, workspace_id=a.workspace_id)
    (mob,) = [p for p in projects["data"] if p["key"] == "MOB"]
    assert mob["name"] == "Mobile apps"
    assert mob["redact_headers"] == ["X-Session", "X-Device"] and mob["redact_params"] == ["ssn"]
    # Delete: the dialog names what goes, and needs the key typed.
    await panel.get_by_role("button", name="Delete project").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text("all its bugs")
    await expect(dialog).to_contain_text("screenshots, videos and attachments")
    confirm = dialog.get_by_role("button", name="Delete project")
    await expect(confirm).to_be_disabled()
    await dialog.get_by_label("Type the name to confirm").fill("MO")
    await expect(confirm).to_be_disabled()
    await dialog.get_by_label("Type the name to confirm").fill("MOB")
    await confirm.click()
    await expect(page.get_by_role("region", name="Project MOB")).to_have_count(0)
    r = await world.http.get(f"/v1/projects/{mob['id']}", headers=a.owner.headers)
    assert r.status_code == 404
    await page.context.close()


# ---- MCP tokens and the audit log -------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin", "member", "viewer"])
async def test_tokens_page_per_role(world: World, role: str) -> None:
    from tests.fixtures.mcp import make_token

    a = world.a
    # Someone else's token: admins and owners see it, members and viewers don't.
    other = "member" if role != "member" else "viewer"
    theirs = await make_token(world.http, a.user(other), a.workspace_id, scopes=("bugs:read",))
    page = await world.page(role)
    await page.goto(settings_url(world, "mcp-tokens"))
    form = page.get_by_role("form", name="Create an MCP token")
    await form.wait_for()
    # Read-only is preselected; write is offered from the member role up.
    write = form.get_by_role("checkbox", name=re.compile("bugs:write"))
    await expect(write).not_to_be_checked()
    await expect(form.get_by_role("checkbox", name=re.compile("bugs:read"))).to_be_checked()
    if role == "viewer":
        await expect(write).to_be_disabled()
        await expect(form).to_contain_text("needs the member role")
    else:
        await expect(write).to_be_enabled()
    await expect(
        page.get_by_test_id("token-row").first.or_(page.get_by_text("No MCP tokens yet"))
    ).to_be_visible()
    hints = await page.get_by_test_id("token-row").all_inner_texts()
    seen = any(theirs["token_hint"] in h for h in hints)
    assert seen is (role in ("owner", "admin")), (role, hints)
    await page.context.close()


async def test_mcp_token_to_a_real_client_then_revoked_and_denied_in_the_audit_log(
    world: World,
) -> None:
    import json as jsonlib

    import httpx2
    from mcp import Client
    from mcp.client.streamable_http import streamable_http_client

    a = world.a
    page = await world.page("member")
    await page.goto(settings_url(world, "mcp-tokens"))
    form = page.get_by_role("form", name="Create an MCP token")
    await form.get_by_label("Name (what it is for)").fill("Claude on the laptop")
    await form.get_by_label("Only these:").check()
    await expect(form.get_by_role("button", name="Create token")).to_be_disabled()
    await (
        form.get_by_role("group", name="Projects the token may read")
        .get_by_role("checkbox")
        .first.check()
    )
    await form.get_by_label("Expires after").select_option(label="30 days")
    await form.get_by_role("button", name="Create token").click()
    box = page.get_by_test_id("token-created")
    await expect(box).to_contain_text("you won't see this token again")
    token = await page.get_by_label("New MCP token").input_value()
    assert token.startswith("bp_mcp_")
    # The ready-to-paste VS Code config (Streamable HTTP), filled with the token.
    await box.get_by_label("MCP client").select_option(label="VS Code")
    config = jsonlib.loads(await box.get_by_test_id("client-config").inner_text())
    server = config["servers"]["bugport"]
    assert server["type"] == "http" and server["url"] == f"{world.url}/mcp"
    assert server["headers"]["Authorization"] == f"Bearer {token}"
    await box.get_by_label(re.compile("^stdio")).check()
    stdio = jsonlib.loads(await box.get_by_test_id("client-config").inner_text())
    assert stdio["servers"]["bugport"]["env"]["BUGPORT_MCP_TOKEN"] == token
    # A real MCP client, configured from what the page showed.
    http = httpx2.AsyncClient(headers=server["headers"], timeout=30)
    async with Client(streamable_http_client(server["url"], http_client=http)) as mcp:
        res = await mcp.call_tool("list_projects", {})
        assert not res.is_error, res.content
        assert [p["id"] for p in res.structured_content["projects"]] == [a.project_id]
        # Read-only: a write is refused.
        bug = (
            await world.http.post(
                "/v1/bugs",
                json={"project_id": a.project_id, "title": "For the agent"},
                headers=a.owner.headers,
            )
        ).json()
        res = await mcp.call_tool("update_bug", {"bug_id": bug["id"], "status": "closed"})
        assert res.is_error
    # Hidden once copied; the list shows the hint only, and nothing was stored.
    await box.get_by_role("button", name=re.compile("hide the token")).click()
    await expect(page.get_by_label("New MCP token")).to_have_count(0)
    assert token not in await page.locator("body").inner_text()
    stored = await page.evaluate(
        "JSON.stringify([Object.values(localStorage), Object.values(sessionStorage)])"
    )
    assert token not in stored and token not in page.url
    await page.reload()
    row = page.get_by_test_id("token-row").filter(has_text="Claude on the laptop")
    await expect(row).to_contain_text("bugs:read")
    await expect(row).not_to_contain_text("bugs:write")
    await expect(row).to_contain_text(token[-4:])
    await expect(row).not_to_contain_text("never")  # used just now
    # Revoke: effective at once.
    await row.get_by_role("button", name="Revoke").click()
    await page.get_by_role("dialog").get_by_role("button", name="Revoke token").click()
    await expect(row).to_have_attribute("data-status", "revoked")
    http = httpx2.AsyncClient(headers=server["headers"], timeout=30)
    with pytest.raises(Exception):  # noqa: B017  the SDK refuses to connect: 401
        async with Client(streamable_http_client(server["url"], http_client=http)) as mcp:
            await mcp.list_tools()
    await page.context.close()
    # The admin sees the denial in the audit log page, filtered, with its details, and exports it.
    admin = await world.page("admin")
    await admin.goto(settings_url(world, "audit-log"))
    await admin.get_by_test_id("audit-row").first.wait_for()
    listed = await world.get(f"/v1/workspaces/{a.workspace_id}/mcp-tokens", a.admin.headers)
    (tok,) = [t for t in listed["data"] if t["name"] == "Claude on the laptop"]
    await admin.get_by_label("Token").select_option(tok["id"])
    await admin.get_by_label("Outcome").select_option("denied")
    await admin.wait_for_url(re.compile(r"outcome=denied"))
    rows = admin.get_by_test_id("audit-row")
    await expect(rows.first).to_have_attribute("data-outcome", "denied")
    texts = await rows.all_inner_texts()
    assert texts and all("denied" in t for t in texts)
    assert any("invalid_token" in t for t in texts), texts
    assert any("insufficient_scope" in t for t in texts), texts
    await rows.filter(has_text="invalid_token").first.get_by_role("button").click()
    await expect(admin.get_by_test_id("audit-detail")).to_contain_text("/mcp")
    # Reload keeps the filters (they live in the URL).
    await admin.reload()
    await expect(admin.get_by_label("Outcome")).to_have_value("denied")
    async with admin.expect_download() as info:
        await admin.get_by_role("button", name="Export CSV").click()
    download = await info.value
    text = read_text(await download.path())
    lines = text.strip().splitlines()
    assert lines[0].startswith("created_at,token_id,outcome")
    assert len(lines) - 1 == len(texts)
    assert all('"denied"' in line for line in lines[1:])
    await expect(admin.get_by_role("status").filter(has_text="Exported")).to_be_visible()
    # Allowed calls are there too, under another filter.
    await admin.get_by_label("Outcome").select_option("allowed")
    await expect(admin.get_by_test_id("audit-row").first).to_have_attribute(
        "data-outcome", "allowed"
    )
    # The tool/route box filters on the server (exact tool name, or a route template).
    call_box = admin.get_by_label("Tool or route")
    async with admin.expect_request(lambda r: "tool=list_projects" in r.url) as sent:
        await call_box.fill("list_projects")
        await call_box.press("Enter")
    assert "outcome=allowed" in (await sent.value).url
    await admin.wait_for_url(re.compile(r"q=list_projects"))
    await expect(admin.get_by_test_id("audit-row")).to_have_count(1)
    await expect(admin.get_by_test_id("audit-row")).to_contain_text("tool list_projects")
    await admin.get_by_label("Outcome").select_option("")
    async with admin.expect_request(
        lambda r: "/audit-log" in r.url and _query(r.url).get("route") == ["/mcp"]
    ) as sent:
        await call_box.fill("/mcp")
        await call_box.press("Enter")
    assert "tool" not in _query((await sent.value).url)
    await expect(admin.get_by_test_id("audit-row").first).to_have_attribute("data-route", "/mcp")
    routes = await admin.get_by_test_id("audit-row").evaluate_all(
        "rows => rows.map(r => r.dataset.route)"
    )
    assert routes and set(routes) == {"/mcp"}, routes
    await admin.context.close()


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


async def test_audit_log_is_for_admins(world: World) -> None:
    page = await world.page("member")
    await page.goto(settings_url(world, "audit-log"))
    await page.get_by_test_id("forbidden").wait_for()
    await page.context.close()


# ---- storage and billing ----------------------------------------------------------------------


async def test_storage_by_kind_and_the_biggest_bugs(world: World) -> None:
    from tests.dashboard.browser import attach_screenshot, create_bug

    a = world.a
    bug = await create_bug(world.http, a, title="Heavy screenshot bug")
    await attach_screenshot(world.http, a, bug["id"])
    storage = await world.get(f"/v1/workspaces/{a.workspace_id}/storage", a.owner.headers)
    page = await world.page("viewer")
    await page.goto(settings_url(world, "billing"))
    kinds = page.get_by_test_id("storage-kinds")
    shot = storage["by_kind"]["screenshot"]
    assert shot > 0
    await expect(kinds).to_contain_text("Screenshots:")
    await expect(kinds).to_contain_text("Videos: 0 B")
    await expect(page.get_by_role("img", name=re.compile("^Storage by kind"))).to_be_visible()
    await expect(page.get_by_text("visible to admins and managed by owners")).to_be_visible()
    row = page.get_by_test_id("big-bug").filter(has_text="Heavy screenshot bug")
    await row.get_by_role("link").click()
    await page.wait_for_url(f"{world.url}/bugs/{bug['id']}")
    await page.get_by_role("heading", name=re.compile("Heavy screenshot bug")).wait_for()
    await page.context.close()


async def test_checkout_and_portal_redirect_to_stripe(world: World, stripe: StripeStub) -> None:
    a = world.a
    # Admins see the plan but can't change it.
    admin = await world.page("admin")
    await admin.goto(settings_url(world, "billing"))
    await expect(admin.get_by_test_id("billing-status")).to_contain_text("Free")
    await expect(admin.get_by_text("Only owners change the plan.")).to_be_visible()
    await expect(admin.get_by_role("button", name=re.compile("^Upgrade"))).to_have_count(0)
    await admin.context.close()
    page = await world.page("owner")
    # Stripe's hosted pages are out on the internet: the browser's visit is answered locally.
    stripe_pages: list[str] = []

    async def hosted(route: Any) -> None:
        stripe_pages.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<h1>Stripe</h1>")

    await page.context.route(re.compile(r"https://(checkout|billing)\.stripe\.com/.*"), hosted)
    await page.goto(settings_url(world, "billing"))
    team = page.locator("[data-testid=plan][data-plan=team]")
    await expect(team).to_contain_text("/ month")
    await page.get_by_label("yearly").check()
    await expect(team).to_contain_text("/ year")
    before = len(stripe.calls_to("POST", "/v1/checkout/sessions"))
    await team.get_by_role("button", name="Upgrade to Team").click()
    await page.wait_for_url(re.compile(r"https://checkout\.stripe\.com/c/pay/cs_"))
    sessions = stripe.calls_to("POST", "/v1/checkout/sessions")
    assert len(sessions) == before + 1
    assert sessions[-1]["line_items"][0]["price"] == "price_team_yearly"
    assert stripe_pages and stripe_pages[-1] == page.url
    # Back in BugPort: a billing account exists now, so the portal opens.
    await page.goto(settings_url(world, "billing"))
    await page.get_by_role("button", name="Manage billing (Stripe)").click()
    await page.wait_for_url(re.compile(r"https://billing\.stripe\.com/p/session/bps_"))
    assert stripe.calls_to("POST", "/v1/billing_portal/sessions")
    r = await world.http.get(f"/v1/workspaces/{a.workspace_id}/billing", headers=a.owner.headers)
    assert r.json()["has_customer"] is True
    await page.context.close()
