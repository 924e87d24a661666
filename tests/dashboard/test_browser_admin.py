"""Workspace administration in Chromium against a live `bugport serve` on PostgreSQL (issue 20):
each role sees and can do exactly what docs/roles.md says on the members, projects, keys and
tokens pages; invite → accept in a second browser context; widget keys whose snippet files a
report from a loopback page; MCP tokens used by the official MCP client, revoked, and the denial
in the audit log page; storage and billing against the Stripe stand-in; connectors' OAuth round
trip through the dashboard's callback page; workspace create/rename/delete; the profile page."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

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
    await expect(guest.get_by_label("Workspace")).to_have_value(a.workspace_id)
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
