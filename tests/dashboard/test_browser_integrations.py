"""The integrations page in Chromium against a live `bugport serve` on PostgreSQL and loopback
stand-ins for GitHub, Linear and Jira (issue 20, point 7): the OAuth round trip through the
provider's consent page and the dashboard's callback page (/integrations/{provider}/callback),
denial and a tampered state, a project's target and auto-push, testing, status-sync secret,
disconnecting after a confirmation, and what members and viewers may do."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from playwright.async_api import Route, expect

from bugport.events.outbox import ALL_TYPES
from tests.connector.conftest import Stubs, connect, query
from tests.dashboard.browser import World, open_world
from tests.fixtures.http_stub import StubServer
from tests.fixtures.providers import stub_settings

NAMES = {"github": "GitHub", "linear": "Linear", "jira": "Jira"}
ACCOUNTS = {"github": "octocat", "linear": "Ada Lovelace", "jira": "Grace Hopper"}


@pytest.fixture(scope="module")
def stubs() -> Iterator[Stubs]:
    s = Stubs()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def receiver() -> Iterator[StubServer]:
    """A webhook receiver on loopback that answers 200."""
    with StubServer(lambda method, path, headers, body: (200, {"ok": True})) as s:
        yield s


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory, stubs: Stubs) -> AsyncIterator[World]:
    async with open_world(
        tmp_path_factory.mktemp("dash-integ"),
        seeded=False,
        label="_dash_integ",
        webhook_net_allowlist=["127.0.0.1"],
        **stub_settings(stubs.github, stubs.linear, stubs.jira),
    ) as w:
        yield w


def integrations_url(w: World) -> str:
    return f"{w.url}/settings/integrations?ws={w.a.workspace_id}"


async def connections(w: World) -> list[dict[str, Any]]:
    data = await w.get("/v1/connectors", w.a.owner.headers, workspace_id=w.a.workspace_id)
    return data["connections"]  # type: ignore[no-any-return]


async def project_key(w: World) -> str:
    project = await w.get(f"/v1/projects/{w.a.project_id}", w.a.owner.headers)
    return str(project["key"])


async def consent_page(page: Any, stubs: Stubs, provider: str, *, tamper: bool = False) -> None:
    """Play the provider's authorize page: it checks the request as the provider would
    (`grant`) and offers "Authorize" (redirect with code + state) and "Cancel" (access_denied)."""
    stub = stubs[provider]

    async def handle(route: Route) -> None:
        url = route.request.url
        q = query(url)
        code = stub.grant(url)
        state = q["state"]
        if tamper:  # one hex digit of the signature changed
            state = state[:-1] + ("0" if state[-1] != "0" else "1")
        ok = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': state})}"
        deny = f"{q['redirect_uri']}?" + urlencode(
            {
                "error": "access_denied",
                "error_description": "The user has denied your application access.",
                "state": q["state"],
            }
        )
        body = (
            f"<!doctype html><title>{NAMES[provider]}</title><h1>Authorize BugPort?</h1>"
            f'<a href="{html.escape(ok)}">Authorize</a> <a href="{html.escape(deny)}">Cancel</a>'
        )
        await route.fulfill(status=200, content_type="text/html", body=body)

    await page.route(re.compile(rf"^{re.escape(stub.url)}/.*authorize\?"), handle)


async def start_connect(w: World, stubs: Stubs, provider: str, **kw: Any) -> Any:
    page = await w.page("admin")
    await consent_page(page, stubs, provider, **kw)
    await page.goto(integrations_url(w))
    item = page.get_by_test_id("provider").and_(page.locator(f"[data-provider={provider}]"))
    await expect(item).to_contain_text("available")
    await item.get_by_role("button", name=f"Connect {NAMES[provider]}").click()
    await expect(page.get_by_role("heading", name="Authorize BugPort?")).to_be_visible()
    assert page.url.startswith(stubs[provider].url)
    return page


async def assert_no_secrets(page: Any, stubs: Stubs) -> None:
    """No provider token anywhere the page can reach: text, URL, local or session storage."""
    storage = await page.evaluate(
        "() => JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    content = await page.content()
    for stub in (stubs.github, stubs.linear, stubs.jira):
        for token in [*stub.access, *stub.refresh, stub.client_secret]:
            assert token not in content and token not in storage and token not in page.url


@pytest.mark.parametrize("provider", ["github", "linear", "jira"])
async def test_connect_round_trip(world: World, stubs: Stubs, provider: str) -> None:
    before = {c["id"] for c in await connections(world)}
    page = await start_connect(world, stubs, provider)
    await page.get_by_role("link", name="Authorize").click()
    # The callback page posts code + state, then returns to the integrations page.
    await page.wait_for_url(re.compile(r"/settings/integrations\?ws="))
    notice = page.get_by_test_id("connected-notice")
    await expect(notice).to_have_text(
        re.compile(f"Connected {NAMES[provider]} as {ACCOUNTS[provider]}")
    )
    row = page.get_by_test_id("connection").and_(page.locator(f"[data-provider={provider}]"))
    await expect(row).to_contain_text(ACCOUNTS[provider])
    await expect(row).to_contain_text("active")
    await expect(row.get_by_test_id("last-test")).to_have_text("never tested")
    # Neither the code nor the state stays in the address bar or in history: the callback's
    # entry was replaced, so one step back is the provider's page, not our callback.
    assert "state=" not in page.url and "code=" not in page.url
    await page.go_back()
    await page.wait_for_load_state()
    assert page.url.startswith(stubs[provider].url), page.url
    await page.go_forward()
    await page.wait_for_url(re.compile(r"/settings/integrations\?ws="))
    await assert_no_secrets(page, stubs)
    after = await connections(world)
    new = [c for c in after if c["id"] not in before]
    assert [(c["provider"], c["account_name"]) for c in new] == [(provider, ACCOUNTS[provider])]
    await page.context.close()


async def test_denial_shows_its_message_and_connects_nothing(world: World, stubs: Stubs) -> None:
    before = await connections(world)
    page = await start_connect(world, stubs, "github")
    await page.get_by_role("link", name="Cancel").click()
    callback = page.get_by_test_id("oauth-callback")
    await expect(callback).to_have_attribute("data-outcome", "denied")
    await expect(page.get_by_role("heading", name="GitHub was not connected")).to_be_focused()
    await expect(page.get_by_role("alert")).to_have_text(
        re.compile("You declined to give BugPort access at GitHub, so nothing was connected")
    )
    assert re.search(r"/integrations/github/callback$", page.url), page.url
    await page.get_by_role("link", name="Back to Integrations").click()
    await expect(page.get_by_role("heading", name="Integrations", exact=True)).to_be_visible()
    assert await connections(world) == before
    await page.context.close()


async def test_tampered_state_is_refused_with_the_apis_message(world: World, stubs: Stubs) -> None:
    before = await connections(world)
    page = await start_connect(world, stubs, "github", tamper=True)
    await page.get_by_role("link", name="Authorize").click()
    await expect(page.get_by_test_id("oauth-callback")).to_have_attribute("data-outcome", "state")
    await expect(
        page.get_by_role("heading", name="This GitHub connection can't be verified")
    ).to_be_visible()
    await expect(page.get_by_role("alert")).to_have_text("The state is not one this server issued.")
    assert "state=" not in page.url and "code=" not in page.url
    await expect(page.get_by_role("link", name="Back to Integrations")).to_be_visible()
    assert await connections(world) == before
    await page.context.close()


async def test_a_refused_start_shows_the_apis_message(world: World, stubs: Stubs) -> None:
    page = await world.page("admin")
    await page.goto(integrations_url(world))
    form = page.get_by_role("form", name="Connect Jira")
    await form.get_by_label("Atlassian site").fill("http://acme.atlassian.net")
    await form.get_by_role("button", name="Connect Jira").click()
    await expect(form.get_by_role("alert")).to_contain_text("must be an https URL")
    await expect(form.get_by_role("alert")).to_contain_text("body.site_url")
    assert page.url.startswith(world.url)
    await page.context.close()


async def github_connection(w: World, stubs: Stubs) -> dict[str, Any]:
    found = [c for c in await connections(w) if c["provider"] == "github"]
    return found[0] if found else await connect(w.http, stubs, w.a, "github")


async def test_target_auto_push_test_sync_secret_and_disconnect(world: World, stubs: Stubs) -> None:
    a, h = world.a, world.a.owner.headers
    conn = await github_connection(world, stubs)
    key = await project_key(world)
    page = await world.page("admin")
    await page.goto(integrations_url(world))

    # Pick the target: the GitHub connection and a repository.
    target = page.get_by_test_id("project-target").and_(page.locator(f"[data-project={key}]"))
    await expect(target.get_by_test_id("target-summary")).to_have_text("Not pushed to a tracker.")
    form = target.get_by_role("form", name=f"Tracker target of {key}")
    await form.get_by_label("Connection").select_option(
        label=f"GitHub · {conn['account_name']} ({conn['site_name']})"
    )
    await form.get_by_label("Repository (owner/repo)").fill("not a repo")
    await expect(form.get_by_role("button", name="Save target")).to_be_disabled()
    await form.get_by_label("Repository (owner/repo)").fill("acme/web")
    await form.get_by_role("button", name="Save target").click()
    await expect(target.get_by_test_id("target-summary")).to_have_text(
        re.compile(r"Bugs go to GitHub acme/web through octocat; auto-push is off")
    )
    got = await world.get(f"/v1/projects/{a.project_id}/tracker-target", h)
    assert (got["connector_id"], got["repo"], got["auto_push"]) == (conn["id"], "acme/web", False)

    # Toggle auto-push on.
    toggle = target.get_by_label(f"Push new bugs of {key} automatically (auto-push)")
    await toggle.check()
    await expect(target.get_by_role("status")).to_have_text("Auto-push on: new bugs are pushed.")
    await expect(target.get_by_test_id("target-summary")).to_contain_text("auto-push is on")
    got = await world.get(f"/v1/projects/{a.project_id}/tracker-target", h)
    assert got["auto_push"] is True and got["repo"] == "acme/web"

    # Test the connection: the verdict, and the stored last test.
    row = page.locator(f"[data-testid=connection][data-id='{conn['id']}']")
    await expect(row).to_contain_text(key)
    await row.get_by_role("button", name="Test connection").click()
    await expect(row.get_by_test_id("test-result")).to_have_text(
        "Connection works: signed in to GitHub as octocat."
    )
    await expect(row.get_by_test_id("last-test")).to_contain_text("works")
    stored = next(c for c in await connections(world) if c["id"] == conn["id"])
    assert stored["last_test"]["ok"] is True

    # A failing test says why, in the API's words.
    stubs.github.fail["identity"] = [(500, {"message": "boom"})]
    await row.get_by_role("button", name="Test connection").click()
    await expect(row.get_by_test_id("test-result")).to_have_text(re.compile(r"^Test failed: "))
    await expect(row.get_by_test_id("last-test")).to_contain_text("failed:")
    stored = next(c for c in await connections(world) if c["id"] == conn["id"])
    assert stored["last_test"]["ok"] is False
    assert stored["last_test"]["reason"] in await row.get_by_test_id("test-result").inner_text()

    # Status sync: the webhook secret, shown once with the URL to paste.
    await row.get_by_role("button", name="Set up status sync").click()
    dialog = page.get_by_role("dialog", name="Set up status sync from GitHub?")
    await dialog.get_by_role("button", name="Issue webhook secret").click()
    box = page.get_by_test_id("webhook-secret")
    await expect(box.get_by_label("Payload URL")).to_have_value(
        f"{world.url}/v1/trackers/{conn['id']}/webhook"
    )
    secret = await box.get_by_label("Secret").input_value()
    assert len(secret) >= 20
    await expect(box).to_contain_text("X-Hub-Signature-256")
    await box.get_by_role("button", name="I've copied it — hide the secret").click()
    await expect(box).to_have_count(0)
    assert secret not in await page.content()

    # Disconnect: the dialog names what stops; Escape cancels; then confirm.
    await row.get_by_role("button", name="Disconnect", exact=True).click()
    dialog = page.get_by_role("dialog", name=f"Disconnect GitHub ({conn['account_name']})?")
    await expect(dialog.get_by_test_id("disconnect-impact")).to_have_text(
        f"Auto-push stops for 1 project ({key}), and 1 project loses its tracker target ({key})."
    )
    await expect(dialog.get_by_role("button", name="Disconnect GitHub")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    assert any(c["id"] == conn["id"] for c in await connections(world))
    await row.get_by_role("button", name="Disconnect", exact=True).click()
    await dialog.get_by_role("button", name="Disconnect GitHub").click()
    await expect(row).to_have_count(0)
    await expect(target.get_by_test_id("target-summary")).to_have_text("Not pushed to a tracker.")
    assert all(c["id"] != conn["id"] for c in await connections(world))
    r = await world.http.get(f"/v1/projects/{a.project_id}/tracker-target", headers=h)
    assert r.status_code == 404, r.text
    await assert_no_secrets(page, stubs)
    await page.context.close()


@pytest.mark.parametrize("role", ["member", "viewer"])
async def test_members_and_viewers_read_only(world: World, stubs: Stubs, role: str) -> None:
    conn = await github_connection(world, stubs)
    key = await project_key(world)
    r = await world.http.put(
        f"/v1/projects/{world.a.project_id}/tracker-target",
        json={"connector_id": conn["id"], "repo": "acme/api", "auto_push": True},
        headers=world.a.owner.headers,
    )
    assert r.status_code == 200, r.text
    page = await world.page(role)
    await page.goto(integrations_url(world))
    row = page.locator(f"[data-testid=connection][data-id='{conn['id']}']")
    await expect(row).to_contain_text("octocat")
    target = page.get_by_test_id("project-target").and_(page.locator(f"[data-project={key}]"))
    await expect(target.get_by_test_id("target-summary")).to_have_text(
        re.compile(r"Bugs go to GitHub acme/api through octocat; auto-push is on")
    )
    await expect(page.get_by_role("button", name=re.compile(r"^Connect "))).to_have_count(0)
    await expect(page.get_by_role("button", name="Disconnect", exact=True)).to_have_count(0)
    await expect(page.get_by_role("button", name="Set up status sync")).to_have_count(0)
    await expect(page.get_by_role("button", name="Save target")).to_have_count(0)
    await expect(page.get_by_role("checkbox")).to_have_count(0)
    tests = row.get_by_role("button", name="Test connection")
    if role == "member":  # connector.use
        await tests.click()
        await expect(row.get_by_test_id("test-result")).to_have_text(
            "Connection works: signed in to GitHub as octocat."
        )
    else:
        await expect(tests).to_have_count(0)
    await page.context.close()


async def test_a_hand_made_callback_url_is_refused(world: World, stubs: Stubs) -> None:
    """A callback URL with a state the server never issued: the API's words, URL cleaned."""
    page = await world.page("viewer")
    await page.goto(f"{world.url}/integrations/github/callback?code=abc&state=v1.x")
    await expect(page.get_by_test_id("oauth-callback")).to_have_attribute("data-outcome", "state")
    await expect(page.get_by_role("alert")).to_have_text("The state is malformed.")
    assert "state=" not in page.url
    await page.context.close()


async def webhooks(w: World) -> list[dict[str, Any]]:
    data = await w.get(f"/v1/workspaces/{w.a.workspace_id}/webhooks", w.a.owner.headers)
    return data["data"]  # type: ignore[no-any-return]


async def test_outgoing_webhooks_create_ping_disable_delete(
    world: World, receiver: StubServer
) -> None:
    page = await world.page("admin")
    await page.goto(integrations_url(world))
    form = page.get_by_role("form", name="Add a webhook")
    # The page offers exactly the server's event types.
    offered = form.get_by_role("group", name="Event types").locator("code")
    await expect(offered).to_have_count(len(ALL_TYPES))
    assert await offered.all_inner_texts() == list(ALL_TYPES)
    # A refusal shows the API's message (plain http to a host that is not allowlisted).
    await form.get_by_label("Endpoint URL").fill("http://example.com/hook")
    await form.get_by_role("button", name="Add webhook").click()
    await expect(form.get_by_role("alert")).to_contain_text("body.url")
    assert await webhooks(world) == []

    url = f"{receiver.url}/bugport"
    await form.get_by_label("Endpoint URL").fill(url)
    await form.get_by_label("Description (optional)").fill("CI notifier")
    await form.get_by_label("bug.created").check()
    await form.get_by_label("bug.status_changed").check()
    await form.get_by_role("button", name="Add webhook").click()
    box = page.get_by_test_id("webhook-created")
    secret = await box.get_by_label("Signing secret").input_value()
    assert secret.startswith("whsec_")
    [hook] = await webhooks(world)
    assert (hook["url"], hook["event_types"], hook["enabled"]) == (
        url,
        ["bug.created", "bug.status_changed"],
        True,
    )
    await box.get_by_role("button", name="I've copied it — hide the secret").click()
    assert secret not in await page.content()

    item = page.locator(f"[data-testid=webhook][data-url='{url}']")
    await expect(item).to_contain_text("Events: bug.created, bug.status_changed")
    # A signed ping, and the delivery log.
    await item.get_by_role("button", name="Send test event").click()
    await expect(item.get_by_test_id("ping-result")).to_have_text(
        re.compile(r"^Test event delivered: HTTP 200 in \d+ ms\.$")
    )
    assert any(p == "/bugport" and "webhook-signature" in h for _, p, h, _ in receiver.requests)
    await expect(item.get_by_test_id("delivery").first).to_contain_text("webhook.ping")
    await expect(item.get_by_test_id("delivery").first).to_contain_text("HTTP 200")

    # Disable, then enable.
    await item.get_by_label("Enabled").uncheck()
    await expect(item).to_contain_text("disabled")
    assert (await webhooks(world))[0]["enabled"] is False
    await item.get_by_label("Enabled").check()
    await expect(item.locator(".badge")).to_have_text("enabled")
    assert (await webhooks(world))[0]["enabled"] is True

    # Delete after a confirmation (Escape first cancels it).
    await item.get_by_role("button", name="Delete webhook").click()
    dialog = page.get_by_role("dialog", name="Delete this webhook?")
    await expect(dialog).to_contain_text(url)
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    assert len(await webhooks(world)) == 1
    await item.get_by_role("button", name="Delete webhook").click()
    await dialog.get_by_role("button", name="Delete webhook").click()
    await expect(item).to_have_count(0)
    await expect(page.get_by_text("No webhooks yet")).to_be_visible()
    assert await webhooks(world) == []
    await page.context.close()


async def test_webhooks_are_for_admins_only(world: World) -> None:
    page = await world.page("member")
    await page.goto(integrations_url(world))
    section = page.get_by_role("region", name="Outgoing webhooks")
    await expect(section).to_contain_text("Only admins and owners see and manage webhooks.")
    await expect(page.get_by_role("form", name="Add a webhook")).to_have_count(0)
    await page.context.close()


async def test_an_unconfigured_provider_says_how_to_configure_it(
    tmp_path_factory: pytest.TempPathFactory, stubs: Stubs
) -> None:
    """A server with only GitHub configured: Linear and Jira say so, and how; no Connect."""
    only_github = {
        k: v
        for k, v in stub_settings(stubs.github, stubs.linear, stubs.jira).items()
        if not k.startswith(("linear_", "jira_"))
    }
    async with open_world(
        tmp_path_factory.mktemp("dash-integ-unconf"),
        seeded=False,
        label="_dash_integ_unconf",
        **only_github,
    ) as w:
        page = await w.page("owner")
        await page.goto(integrations_url(w))
        for pid, env in (("linear", "BUGPORT_LINEAR"), ("jira", "BUGPORT_JIRA")):
            item = page.get_by_test_id("provider").and_(page.locator(f"[data-provider={pid}]"))
            await expect(item).to_contain_text("not configured on this server")
            await expect(item).to_contain_text(f"{env}_CLIENT_ID")
            await expect(item).to_contain_text(f"{w.url}/integrations/{pid}/callback")
            await expect(item.get_by_role("button")).to_have_count(0)
        github = page.get_by_test_id("provider").and_(page.locator("[data-provider=github]"))
        await expect(github.get_by_role("button", name="Connect GitHub")).to_be_visible()
        await expect(page.get_by_text("No trackers connected yet")).to_be_visible()
        # The API refuses the same way the page says.
        r = await w.http.post(
            "/v1/connectors/linear/oauth/start",
            json={"workspace_id": w.a.workspace_id},
            headers=w.a.owner.headers,
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "provider_not_configured"
        await page.context.close()
