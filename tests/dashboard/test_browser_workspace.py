"""The workspace and profile pages in Chromium against a live `bugport serve` on PostgreSQL
(issue 20, point 1): per role, which workspace controls show and which work; rename (and the
API's refusal shown when the role changed meanwhile); "New workspace…" from the switcher; delete
after typing the name, with a confirmation that counts the bugs, the media bytes and the
subscription; the empty state of a user with no workspace; the profile (name, avatar or initials,
notification toggles) and sign-out everywhere: explained in local mode, and against the loopback
GoTrue (tests/dashboard/gotrue.py) in Supabase mode."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import pytest_asyncio
from playwright.async_api import expect

from bugport.auth.jwt import dev_subject, mint_dev_token
from tests.billing.helpers import subscribe
from tests.conftest import database_url, make_settings
from tests.dashboard.browser import World, attach_screenshot, need_build, open_world, png_bytes
from tests.dashboard.gotrue import GoTrue
from tests.fixtures.live_browser import LiveServer, free_port
from tests.fixtures.stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub
from tests.fixtures.users import ApiUser, Tenant, make_user
from tests.widget.browser import artifacts, chromium

ROLES = ["owner", "admin", "member", "viewer"]


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    async with open_world(tmp_path_factory.mktemp("dash-ws"), seeded=False, label="_dash_ws") as w:
        yield w


def ws_url(w: World, page: str, workspace_id: str) -> str:
    return f"{w.url}/settings/{page}?ws={workspace_id}"


async def page_as(w: World, user: ApiUser, name: str = "Someone") -> Any:
    """A fresh browser context signed in as `user` through a one-time link."""
    context = await w.browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(w.signin_link(user.email, name))
    await page.wait_for_url(lambda u: "/signin" not in u)
    return page


async def workspace_of(w: World, user: ApiUser, workspace_id: str) -> httpx.Response:
    return await w.http.get(f"/v1/workspaces/{workspace_id}", headers=user.headers)


async def set_role(w: World, t: Tenant, user: ApiUser, role: str) -> None:
    r = await w.http.patch(
        f"/v1/workspaces/{t.workspace_id}/members/{user.id}",
        json={"role": role},
        headers=t.owner.headers,
    )
    assert r.status_code == 200, r.text


# ---- the workspace page, per role -------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
async def test_workspace_page_shows_only_what_the_role_allows(world: World, role: str) -> None:
    a = world.a
    name = (await workspace_of(world, a.owner, a.workspace_id)).json()["name"]
    page = await world.page(role)
    await page.goto(ws_url(world, "workspace", a.workspace_id))
    await expect(page.get_by_role("heading", name="Workspace", exact=True)).to_be_visible()
    await expect(page.get_by_test_id("workspace-name")).to_have_text(name)
    await expect(page.get_by_test_id("my-role")).to_have_text(role)
    rename = page.get_by_role("form", name="Rename the workspace")
    delete = page.get_by_role("button", name="Delete workspace…")
    await expect(rename).to_have_count(1 if role in ("owner", "admin") else 0)
    await expect(delete).to_have_count(1 if role == "owner" else 0)
    if role in ("member", "viewer"):
        await expect(page.get_by_test_id("workspace-readonly")).to_contain_text(
            "only owners delete it"
        )
    if role == "admin":
        await expect(page.get_by_text("Only an owner can delete the workspace.")).to_be_visible()
    # Every role has the workspace page and the profile in the settings menu.
    nav = page.get_by_role("navigation", name="Settings")
    await expect(nav.get_by_role("link", name="Workspace", exact=True)).to_have_count(1)
    await nav.get_by_role("link", name="Your profile").click()
    await page.wait_for_url(re.compile(r"/settings/profile"))
    await expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    await page.context.close()


async def test_admin_renames_and_a_refusal_shows_the_apis_message(world: World) -> None:
    a = world.a
    before = (await workspace_of(world, a.owner, a.workspace_id)).json()["name"]
    page = await world.page("admin")
    await page.goto(ws_url(world, "workspace", a.workspace_id))
    field = page.get_by_label("Workspace name")
    await expect(field).to_have_value(before)
    save = page.get_by_role("button", name="Rename", exact=True)
    await expect(save).to_be_disabled()  # nothing changed yet
    await field.fill("Acme Web Team")
    await save.click()
    await expect(
        page.get_by_role("status").filter(has_text="Renamed to Acme Web Team")
    ).to_be_visible()
    await expect(page.get_by_test_id("workspace-name")).to_have_text("Acme Web Team")
    # The switcher in the shell follows.
    switcher = page.get_by_role("combobox", name="Workspace", exact=True)
    await expect(switcher.locator("option:checked")).to_have_text("Acme Web Team")
    assert (await workspace_of(world, a.owner, a.workspace_id)).json()["name"] == "Acme Web Team"
    # Demoted meanwhile (the page still offers the form): the API's refusal is shown as is, and
    # nothing changes.
    await set_role(world, a, a.admin, "member")
    try:
        await field.fill("Hijacked")
        await save.click()
        alert = page.get_by_role("alert")
        await expect(alert).to_contain_text("insufficient_role")
        await expect(alert).to_contain_text("workspace.update")
        await expect(alert).to_contain_text("HTTP 403")
        name = (await workspace_of(world, a.owner, a.workspace_id)).json()["name"]
        assert name == "Acme Web Team"
    finally:
        await set_role(world, a, a.admin, "admin")
        r = await world.http.patch(
            f"/v1/workspaces/{a.workspace_id}", json={"name": before}, headers=a.owner.headers
        )
        assert r.status_code == 200
    await page.context.close()


# ---- create from the switcher -----------------------------------------------------------------


async def test_new_workspace_from_the_switcher_and_land_in_it(world: World) -> None:
    a = world.a
    page = await world.page("member")
    await page.goto(f"{world.url}/?ws={a.workspace_id}")
    switcher = page.get_by_role("combobox", name="Workspace", exact=True)
    await expect(switcher).to_have_value(a.workspace_id)
    # Keyboard: the dialog takes the focus and Esc closes it, leaving the switcher as it was.
    await switcher.select_option(label="New workspace…")
    dialog = page.get_by_role("dialog", name="New workspace")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_label("Workspace name")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(switcher).to_have_value(a.workspace_id)
    # An empty name can't be sent.
    await switcher.select_option(label="New workspace…")
    create = dialog.get_by_role("button", name="Create workspace")
    await expect(create).to_be_disabled()
    name = f"Side project {uuid.uuid4().hex[:6]}"
    await dialog.get_by_label("Workspace name").fill(name)
    await create.click()
    await expect(dialog).to_have_count(0)
    await page.wait_for_url(re.compile(r"/\?ws=[0-9a-f-]{36}"))
    new_id = page.url.split("ws=", 1)[1].split("&", 1)[0]
    assert new_id != a.workspace_id
    await expect(switcher).to_have_value(new_id)
    await expect(switcher.locator("option:checked")).to_have_text(name)
    await expect(page.get_by_text("No bugs yet")).to_be_visible()
    # The API: the member owns it.
    mine = await world.get("/v1/workspaces", a.member.headers)
    created = [w for w in mine["data"] if w["id"] == new_id]
    assert created and created[0]["name"] == name and created[0]["role"] == "owner"
    # Its settings say so: owner, with the delete control.
    await page.goto(ws_url(world, "workspace", new_id))
    await expect(page.get_by_test_id("my-role")).to_have_text("owner")
    await expect(page.get_by_role("button", name="Delete workspace…")).to_be_visible()
    await page.context.close()


# ---- delete -----------------------------------------------------------------------------------


async def doomed_workspace(w: World, owner: ApiUser, name: str) -> tuple[str, list[str]]:
    """A workspace of `owner` with a project, two bugs and one screenshot."""
    r = await w.http.post("/v1/workspaces", json={"name": name}, headers=owner.headers)
    assert r.status_code == 201, r.text
    ws_id = r.json()["id"]
    r = await w.http.post(
        "/v1/projects",
        json={"workspace_id": ws_id, "name": "Doomed web", "key": "DOOM"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    project_id = r.json()["id"]
    bugs = []
    for title in ("First doomed bug", "Second doomed bug"):
        r = await w.http.post(
            "/v1/bugs", json={"project_id": project_id, "title": title}, headers=owner.headers
        )
        assert r.status_code == 201, r.text
        bugs.append(r.json()["id"])
    t = Tenant(ws_id, project_id, owner, owner, owner, owner, "", "")
    await attach_screenshot(w.http, t, bugs[0])
    return ws_id, bugs


async def test_delete_after_typing_the_name_says_what_goes(world: World) -> None:
    a = world.a
    name = f"Doomed {uuid.uuid4().hex[:6]}"
    ws_id, bugs = await doomed_workspace(world, a.owner, name)
    storage = await world.get(f"/v1/workspaces/{ws_id}/storage", a.owner.headers)
    assert storage["bug_count"] == 2 and storage["used_bytes"] == len(png_bytes())
    page = await world.page("owner")
    await page.goto(ws_url(world, "workspace", ws_id))
    await expect(page.get_by_test_id("workspace-name")).to_have_text(name)
    await page.get_by_role("button", name="Delete workspace…").click()
    dialog = page.get_by_role("dialog", name=f"Delete {name}?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_test_id("delete-bugs")).to_contain_text("2 bugs")
    kb = len(png_bytes()) / 1024
    await expect(dialog.get_by_test_id("delete-bytes")).to_contain_text(
        re.compile(rf"{kb:.0f}(\.\d)? KB|{len(png_bytes())} B")
    )
    await expect(dialog.get_by_test_id("delete-subscription")).to_have_text(
        "No subscription (billing is off on this server)"
    )
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=str(artifacts() / "dashboard-workspace-delete-dark.png"))
    await page.emulate_media(color_scheme="light")
    # Focus is in the dialog, on the name field; Esc closes and nothing is deleted.
    typed = dialog.get_by_label("Type the name to confirm")
    await expect(typed).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    assert (await workspace_of(world, a.owner, ws_id)).status_code == 200
    # A wrong (or partly right) name keeps the button disabled.
    await page.get_by_role("button", name="Delete workspace…").click()
    confirm = dialog.get_by_role("button", name="Delete workspace", exact=True)
    for wrong in ("doomed", name.lower(), name[:-1], f"{name} "):
        await typed.fill(wrong)
        await expect(confirm).to_be_disabled()
    await typed.press("Enter")  # Enter doesn't get past a wrong name either
    await expect(dialog).to_be_visible()
    assert (await workspace_of(world, a.owner, ws_id)).status_code == 200
    await typed.fill(name)
    await expect(confirm).to_be_enabled()
    await confirm.click()
    # Lands on another workspace's inbox.
    await page.wait_for_url(re.compile(r"/\?ws="))
    landed = page.url.split("ws=", 1)[1].split("&", 1)[0]
    assert landed != ws_id
    mine = {w["id"] for w in (await world.get("/v1/workspaces", a.owner.headers))["data"]}
    assert landed in mine and ws_id not in mine
    switcher = page.get_by_role("combobox", name="Workspace", exact=True)
    await expect(switcher).to_have_value(landed)
    await expect(switcher.locator("option", has_text=name)).to_have_count(0)
    # The API: the workspace is gone (403 for an id you are not a member of, existing or not,
    # per API-CONVENTIONS) and its bugs are 404.
    r = await workspace_of(world, a.owner, ws_id)
    assert r.status_code == 403 and r.json()["error"]["code"] == "workspace_forbidden"
    for bug_id in bugs:
        r = await world.http.get(f"/v1/bugs/{bug_id}", headers=a.owner.headers)
        assert r.status_code == 404, r.text
    await page.context.close()


async def test_delete_waits_for_the_numbers_and_shows_why_it_cant_count(world: World) -> None:
    """The storage summary failing: the error with its code, and no way to delete blind."""
    a = world.a
    name = f"Uncounted {uuid.uuid4().hex[:6]}"
    ws_id, _ = await doomed_workspace(world, a.owner, name)
    page = await world.page("owner")

    async def unavailable(route: Any) -> None:
        await route.fulfill(
            status=503,
            content_type="application/json",
            body='{"error": {"code": "unavailable", "message": "Storage is resting.", '
            '"request_id": "req_test"}}',
        )

    await page.route(re.compile(rf"/v1/workspaces/{ws_id}/storage$"), unavailable)
    await page.goto(ws_url(world, "workspace", ws_id))
    await page.get_by_role("button", name="Delete workspace…").click()
    dialog = page.get_by_role("dialog", name=f"Delete {name}?")
    alert = dialog.get_by_role("alert")
    await expect(alert).to_contain_text("Storage is resting.", timeout=20_000)
    await expect(alert).to_contain_text("unavailable")
    await dialog.get_by_label("Type the name to confirm").fill(name)
    await expect(dialog.get_by_role("button", name="Delete workspace", exact=True)).to_be_disabled()
    await expect(dialog.get_by_test_id("delete-summary")).to_have_count(0)
    # Once the API answers again, "Try again" fills it in and the button works.
    await page.unroute(re.compile(rf"/v1/workspaces/{ws_id}/storage$"))
    await alert.get_by_role("button", name="Try again").click()
    await expect(dialog.get_by_test_id("delete-bugs")).to_contain_text("2 bugs")
    await expect(dialog.get_by_role("button", name="Delete workspace", exact=True)).to_be_enabled()
    await page.keyboard.press("Escape")
    assert (await workspace_of(world, a.owner, ws_id)).status_code == 200
    await page.context.close()


async def test_no_workspace_left_shows_the_create_form(world: World) -> None:
    user = await make_user(world.http, world.settings, name="Lonely Lou")
    only = user.personal_workspace_id
    assert only
    page = await page_as(world, user, "Lonely Lou")
    await page.goto(ws_url(world, "workspace", only))
    await page.get_by_role("button", name="Delete workspace…").click()
    dialog = page.get_by_role("dialog")
    name = (await workspace_of(world, user, only)).json()["name"]
    await expect(dialog.get_by_test_id("delete-bugs")).to_contain_text("0 bugs")
    await dialog.get_by_label("Type the name to confirm").fill(name)
    await dialog.get_by_role("button", name="Delete workspace", exact=True).click()
    # The last one gone: the inbox's empty state, with the form.
    await expect(page.get_by_role("heading", name="No workspace yet")).to_be_visible()
    assert (await world.get("/v1/workspaces", user.headers))["data"] == []
    form = page.get_by_role("form", name="Create a workspace")
    await expect(form).to_be_visible()
    # Settings say the same, and the profile still opens.
    await page.goto(f"{world.url}/settings/workspace")
    await expect(page.get_by_role("heading", name="No workspace yet")).to_be_visible()
    await (
        page.get_by_role("navigation", name="Settings")
        .get_by_role("link", name="Your profile")
        .click()
    )
    await expect(page.get_by_test_id("profile-name")).to_have_text("Lonely Lou")
    await page.goto(f"{world.url}/")
    await form.get_by_label("Workspace name").fill("Fresh start")
    await form.get_by_role("button", name="Create workspace").click()
    await page.wait_for_url(re.compile(r"/\?ws=[0-9a-f-]{36}"))
    await expect(
        page.get_by_role("combobox", name="Workspace", exact=True).locator("option:checked")
    ).to_have_text("Fresh start")
    mine = (await world.get("/v1/workspaces", user.headers))["data"]
    assert [(w["name"], w["role"]) for w in mine] == [("Fresh start", "owner")]
    await page.context.close()


@pytest.fixture(scope="module")
def stripe() -> Iterator[StripeStub]:
    with StripeStub() as stub:
        yield stub


@pytest_asyncio.fixture(scope="module")
async def paid(
    tmp_path_factory: pytest.TempPathFactory, stripe: StripeStub
) -> AsyncIterator[World]:
    """A second live server with billing on (the Stripe stand-in)."""
    async with open_world(
        tmp_path_factory.mktemp("dash-ws-paid"),
        seeded=False,
        label="_dash_ws_paid",
        stripe_secret_key=API_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=stripe.url,
    ) as w:
        yield w


async def test_delete_names_the_subscription_and_cancels_it_at_stripe(
    paid: World, stripe: StripeStub
) -> None:
    b = paid.b  # its own workspace: nothing else in this module uses it
    _, sub_id = await subscribe(paid.http, stripe, b, "team", "yearly")
    billing = await paid.get(f"/v1/workspaces/{b.workspace_id}/billing", b.owner.headers)
    assert (billing["plan_id"], billing["status"]) == ("team", "active")
    name = (await workspace_of(paid, b.owner, b.workspace_id)).json()["name"]
    context = await paid.browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(paid.signin_link(b.owner.email, "Owner"))
    await page.wait_for_url(lambda u: "/signin" not in u)
    await page.goto(ws_url(paid, "workspace", b.workspace_id))
    await page.get_by_role("button", name="Delete workspace…").click()
    dialog = page.get_by_role("dialog", name=f"Delete {name}?")
    sub = dialog.get_by_test_id("delete-subscription")
    await expect(sub).to_contain_text("The Team subscription (active, billed yearly)")
    await expect(sub).to_contain_text("canceled at Stripe first")
    await expect(dialog.get_by_test_id("delete-bugs")).to_contain_text("0 bugs")
    assert not stripe.calls_to("DELETE", f"/v1/subscriptions/{sub_id}")
    await dialog.get_by_label("Type the name to confirm").fill(name)
    await dialog.get_by_role("button", name="Delete workspace", exact=True).click()
    # B's owner had only this workspace: the empty state.
    await expect(page.get_by_role("heading", name="No workspace yet")).to_be_visible()
    assert page.url == f"{paid.url}/"
    assert stripe.calls_to("DELETE", f"/v1/subscriptions/{sub_id}")
    assert stripe.subscription(sub_id)["status"] == "canceled"
    r = await workspace_of(paid, b.owner, b.workspace_id)
    assert r.status_code == 403 and r.json()["error"]["code"] == "workspace_forbidden"
    await context.close()


# ---- the profile ------------------------------------------------------------------------------


def token_with_metadata(w: World, email: str, meta: dict[str, Any]) -> str:
    """A Supabase-shaped access token whose user_metadata carries `meta` (name, avatar)."""
    secret = w.settings.jwt_secret
    assert secret
    now = int(time.time())
    claims = {
        "iss": w.settings.expected_issuer or f"{w.settings.public_base_url.rstrip('/')}/auth/v1",
        "aud": "authenticated",
        "sub": dev_subject(email),
        "iat": now,
        "exp": now + 3600,
        "role": "authenticated",
        "email": email,
        "app_metadata": {"provider": "email"},
        "user_metadata": meta,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


async def sign_in_with_token(w: World, token: str) -> Any:
    context = await w.browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(f"{w.url}/signin")
    await page.get_by_label("Access token").fill(token)
    await page.get_by_role("button", name="Sign in with token").click()
    await page.wait_for_url(lambda u: "/signin" not in u)
    return page


async def test_profile_shows_name_and_initials_and_saves_a_preference(world: World) -> None:
    a = world.a
    page = await world.page("member")
    # The name in the top bar opens the profile.
    await page.get_by_role("link", name="Member", exact=True).click()
    await page.wait_for_url(re.compile(r"/settings/profile"))
    await expect(page.get_by_test_id("profile-name")).to_have_text("Member")
    await expect(page.get_by_test_id("profile-email")).to_have_text(a.member.email)
    await expect(page.get_by_test_id("profile-initials")).to_have_text("M")
    await expect(page.get_by_test_id("profile-avatar")).to_have_count(0)
    prefs = await world.get("/v1/auth/me/notifications", a.member.headers)
    assert prefs["mentioned"] is True
    box = page.get_by_role("checkbox", name="Someone @mentions me")
    await expect(box).to_be_checked()
    await box.uncheck()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    after = await world.get("/v1/auth/me/notifications", a.member.headers)
    assert after == {**prefs, "mentioned": False}
    await page.reload()
    await expect(page.get_by_role("checkbox", name="Someone @mentions me")).not_to_be_checked()
    await expect(page.get_by_role("checkbox", name="A bug is assigned to me")).to_be_checked()
    # Local mode: no dead "Sign out everywhere" button, but why not.
    main = page.get_by_role("main")
    await expect(main.get_by_role("button", name="Sign out everywhere")).to_have_count(0)
    why = page.get_by_test_id("signout-everywhere-unavailable")
    await expect(why).to_contain_text("isn't available on this server")
    await expect(why).to_contain_text("local mode")
    await page.screenshot(path=str(artifacts() / "dashboard-profile.png"), full_page=True)
    # Sign out of this browser.
    await main.get_by_role("button", name="Sign out of this browser").click()
    await page.wait_for_url(re.compile(r"/signin"))
    assert await page.evaluate("localStorage.getItem('bugport.token')") is None
    r = await world.http.patch(
        "/v1/auth/me/notifications", json={"mentioned": True}, headers=a.member.headers
    )
    assert r.status_code == 200
    await page.context.close()


async def test_profile_avatar_from_metadata_or_initials_when_it_cant_load(world: World) -> None:
    email = f"ada-{uuid.uuid4().hex[:6]}@example.com"
    # An avatar the page may load (its own origin, as the CSP allows).
    token = token_with_metadata(
        world, email, {"full_name": "Ada Lovelace", "avatar_url": f"{world.url}/favicon.svg"}
    )
    page = await sign_in_with_token(world, token)
    await page.goto(f"{world.url}/settings/profile")
    await expect(page.get_by_test_id("profile-name")).to_have_text("Ada Lovelace")
    avatar = page.get_by_test_id("profile-avatar")
    await expect(avatar).to_have_attribute("src", f"{world.url}/favicon.svg")
    await page.wait_for_function(
        "() => document.querySelector('[data-testid=profile-avatar]')?.naturalWidth > 0"
    )
    me = await world.http.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["avatar_url"] == f"{world.url}/favicon.svg"
    await page.context.close()
    # One the page can't show (another origin, blocked by the CSP): the initials instead.
    token = token_with_metadata(
        world, email, {"name": "Ada Lovelace", "avatar_url": "https://avatars.example.com/ada.png"}
    )
    page = await sign_in_with_token(world, token)
    await page.goto(f"{world.url}/settings/profile")
    await expect(page.get_by_test_id("profile-initials")).to_have_text("AL")
    await expect(page.get_by_test_id("profile-avatar")).to_have_count(0)
    await page.context.close()


# ---- sign out everywhere, Supabase mode -------------------------------------------------------

PASSWORD = "correct horse battery staple"
ACCESS_TTL = 6
ANON = jwt.encode({"role": "anon", "iss": "supabase"}, "k" * 32, algorithm="HS256")


@pytest_asyncio.fixture(scope="module")
async def supa(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[str, GoTrue, Any]]:
    need_build()
    tmp: Path = tmp_path_factory.mktemp("supa-ws")
    url = await database_url("postgresql", tmp, label="_supa_ws")
    # Short-lived access tokens (under supabase-js's refresh margin: every load refreshes), so
    # the other device's token runs out within the test.
    with GoTrue(PASSWORD, expires_in=ACCESS_TTL) as gotrue:
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
                yield api.url, gotrue, browser


async def password_sign_in(browser: Any, base: str, email: str) -> Any:
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(f"{base}/signin")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.wait_for_url(re.compile(r"/\?ws="))
    return page


async def test_sign_out_everywhere_ends_every_supabase_session(
    supa: tuple[str, GoTrue, Any],
) -> None:
    base, gotrue, browser = supa
    email = f"supa-{uuid.uuid4().hex[:6]}@example.com"
    laptop = await password_sign_in(browser, base, email)
    phone = await password_sign_in(browser, base, email)
    assert sum(1 for e in gotrue.refresh_tokens.values() if e == email) >= 2
    await laptop.goto(f"{base}/settings/profile")
    await expect(laptop.get_by_test_id("profile-email")).to_have_text(email)
    await expect(laptop.get_by_test_id("signout-everywhere-unavailable")).to_have_count(0)
    await laptop.get_by_role("main").get_by_role("button", name="Sign out everywhere").click()
    dialog = laptop.get_by_role("dialog", name="Sign out everywhere?")
    await expect(dialog).to_contain_text(email)
    await dialog.get_by_role("button", name="Sign out everywhere").click()
    await laptop.wait_for_url(re.compile(r"/signin"))
    assert await laptop.evaluate("localStorage.getItem('bugport.token')") is None
    # GoTrue got one global logout, with an access token it issued to this user (supabase-js may
    # have refreshed it just before) and the anon key.
    mine = [lo for lo in gotrue.logouts if lo["email"] == email]
    assert [(lo["scope"], lo["apikey"]) for lo in mine] == [("global", ANON)]
    bearer = mine[0]["authorization"].removeprefix("Bearer ")
    assert gotrue.access_tokens.get(bearer) == email
    assert not [e for e in gotrue.refresh_tokens.values() if e == email]
    # The other device keeps the access token it holds until it expires (supabase-js keeps a
    # still-valid session when a refresh fails), then can't renew it: its next load ends at
    # sign-in, where without the global logout it would have refreshed and stayed.
    held = await phone.evaluate("localStorage.getItem('bugport.token')")
    exp = jwt.decode(held, options={"verify_signature": False})["exp"]
    await asyncio.sleep(max(0.0, exp - time.time()) + 1.5)
    await phone.reload()
    await phone.wait_for_url(re.compile(r"/signin"))
    assert await phone.evaluate("localStorage.getItem('bugport.token')") is None
    await laptop.context.close()
    await phone.context.close()


async def test_a_pasted_token_on_a_supabase_server_explains_why_not(
    supa: tuple[str, GoTrue, Any],
) -> None:
    base, gotrue, browser = supa
    assert gotrue.settings is not None
    token = mint_dev_token(gotrue.settings, f"paste-{uuid.uuid4().hex[:6]}@example.com", "Pat")
    context = await browser.new_context()
    page = await context.new_page()
    page.set_default_timeout(10_000)
    await page.goto(f"{base}/signin")
    await page.get_by_label("Access token").fill(token)
    await page.get_by_role("button", name="Sign in with token").click()
    await page.wait_for_url(lambda u: "/signin" not in u)
    await page.goto(f"{base}/settings/profile")
    why = page.get_by_test_id("signout-everywhere-unavailable")
    await expect(why).to_contain_text("pasted access token")
    await expect(
        page.get_by_role("main").get_by_role("button", name="Sign out everywhere")
    ).to_have_count(0)
    await context.close()
