"""The browser extension in Debian's Chromium, against a live `bugport serve` on PostgreSQL with
the S3 test server: connect through the dashboard, capture + annotate + submit, read the bug back
through the API, and a server killed mid-upload (the draft is kept and sent once it is back).
The tests of this module run in order and share one browser profile (the connection persists)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
from typing import Any

from playwright.async_api import expect

from tests.extension import webm
from tests.extension.browser import BEARER, PASSWORD, SECRET, TYPED, ExtWorld

# Two Chromiums and two servers share two cores under `./dev test`: allow for a slow step.
expect.set_options(timeout=20_000)


async def api_get(w: ExtWorld, path: str, **params: Any) -> Any:
    r = await w.http.get(path, headers=w.tenant.member.headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def drag(
    page: Any, box: dict[str, float], a: tuple[float, float], b: tuple[float, float]
) -> None:
    await page.mouse.move(box["x"] + a[0], box["y"] + a[1])
    await page.mouse.down()
    await page.mouse.move(box["x"] + (a[0] + b[0]) / 2, box["y"] + (a[1] + b[1]) / 2)
    await page.mouse.move(box["x"] + b[0], box["y"] + b[1])
    await page.mouse.up()


async def open_shop(w: ExtWorld) -> Any:
    page = await w.context.new_page()
    page.set_default_timeout(20_000)
    await page.goto(w.site_url)
    await page.locator("#email").press_sequentially(TYPED)
    await page.click("#pay")
    await expect(page.locator("#out")).to_have_text("status 404")
    return page


async def drafts_in_storage(page: Any) -> list[dict[str, Any]]:
    """The extension's IndexedDB drafts, read from one of its own pages."""
    return await page.evaluate(  # type: ignore[no-any-return]
        """() => new Promise((resolve, reject) => {
          const r = indexedDB.open('bugport');
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const q = r.result.transaction('drafts').objectStore('drafts').getAll();
            q.onsuccess = () => resolve(q.result.map((d) => ({
              title: d.form.title, status: d.status, key: d.idempotency_key,
              bug: d.result ? d.result.bug.id : null, uploads: d.uploads.map((u) => u.state)})));
          };
        })"""
    )


def stored_bytes(w: ExtWorld, media: dict[str, Any]) -> bytes:
    key = f"ws/{media['workspace_id']}/media/{media['id']}"
    return w.s3.client().get_object(Bucket=w.s3.bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]


async def connect_flow(w: ExtWorld) -> tuple[Any, Any]:
    """From a fresh extension state: sign in to the dashboard, set the server in the options,
    Connect, confirm on the dashboard's connect page. Returns (dashboard page, options page)."""
    member = w.tenant.member
    await w.worker.evaluate("() => chrome.storage.local.clear()")
    dash = await w.context.new_page()
    dash.set_default_timeout(20_000)
    await dash.goto(w.signin_link(member.email))
    await dash.wait_for_url(lambda u: "/signin" not in u)
    await dash.evaluate("localStorage.removeItem('bugport.extensions')")  # not approved yet
    options = await w.context.new_page()
    options.set_default_timeout(20_000)
    await options.goto(w.ext("options.html"))
    await expect(options.locator("#account")).to_have_text("Not connected.")
    await expect(options.locator("#server")).to_have_value("http://127.0.0.1:8000")
    # The server URL is normalised for the user: a trailing /v1 is fine.
    await options.locator("#server").fill(f"{w.url}/v1/")
    await options.get_by_role("button", name="Save").click()
    await expect(options.locator("#server-state")).to_have_text(f"Saved: {w.url}")
    await expect(options.locator("#api")).to_have_text(f"{w.url}/v1")
    async with w.context.expect_page(lambda p: "/connect/extension" in p.url) as opened:
        await options.get_by_role("button", name="Connect to BugPort").click()
    connect = await opened.value
    assert "eyJ" not in connect.url and "token" not in connect.url  # no credential in a URL
    await expect(connect.get_by_text(f"asks to file bugs as {member.email}")).to_be_visible()
    await connect.get_by_role("button", name="Connect", exact=True).click()
    await expect(connect.get_by_text("Connected. The extension files bugs as")).to_be_visible()
    await expect(options.locator("#account")).to_have_text(
        f"Connected as {member.email} to {w.url}."
    )
    await connect.close()
    return dash, options


async def ensure_connected(w: ExtWorld) -> None:
    """Each test stands alone (xdist may run them on different workers, each with its world)."""
    session = await w.worker.evaluate(
        "async () => (await chrome.storage.local.get('session')).session"
    )
    if session and session["server"] == w.url:
        return
    dash, options = await connect_flow(w)
    await dash.close()
    await options.close()


async def test_connect_through_the_dashboard(ext_world: ExtWorld) -> None:
    w = ext_world
    member = w.tenant.member
    dash, options = await connect_flow(w)
    # A page of another origin cannot hand the extension a session (externally_connectable
    # lists loopback origins, and the worker accepts only the configured server's origin).
    shop = await w.context.new_page()
    await shop.goto(w.site_url)
    answer = await shop.evaluate(
        """(id) => new Promise((resolve) => chrome.runtime.sendMessage(id,
            {type: 'bugport.session', access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig'},
            (r) => resolve(r)))""",
        w.extension_id,
    )
    assert answer["ok"] is False and "set up for" in answer["error"]

    # Session refresh: a new dashboard token for the same account is pushed to the extension;
    # one for another account is not taken.
    async def extension_token() -> str:
        return await w.worker.evaluate(  # type: ignore[no-any-return]
            "async () => (await chrome.storage.local.get('session')).session.access_token"
        )

    first = await extension_token()
    assert first == await dash.evaluate("localStorage.getItem('bugport.token')")
    await dash.goto(w.signin_link(member.email))
    await dash.wait_for_url(lambda u: "/signin" not in u)
    renewed = await dash.evaluate("localStorage.getItem('bugport.token')")
    assert renewed != first
    await asyncio.wait_for(
        w.worker.evaluate(
            """(token) => new Promise((resolve) => {
                const check = async () => {
                  const s = (await chrome.storage.local.get('session')).session;
                  if (s && s.access_token === token) resolve(true);
                };
                chrome.storage.onChanged.addListener(check);
                check();
            })""",
            renewed,
        ),
        15,
    )
    owner = w.tenant.owner.token  # another account's token, from the dashboard's origin
    refused = await dash.evaluate(
        """([id, token]) => new Promise((resolve) => chrome.runtime.sendMessage(id,
            {type: 'bugport.session', access_token: token}, (r) => resolve(r)))""",
        [w.extension_id, owner],
    )
    assert refused == {"ok": False, "error": "not connected to this account"}
    assert await extension_token() == renewed
    # Sign-out ends the extension's session.
    await options.get_by_role("button", name="Sign out").click()
    await expect(options.locator("#account")).to_have_text("Not connected.")
    assert (
        await w.worker.evaluate("async () => (await chrome.storage.local.get('session')).session")
        is None
    )
    # Reconnecting from a browser that approved the extension goes through without asking.
    async with w.context.expect_page(lambda p: "/connect/extension" in p.url) as opened:
        await options.get_by_role("button", name="Connect to BugPort").click()
    again = await opened.value
    await expect(again.get_by_text("Connected. The extension files bugs as")).to_be_visible()
    await expect(options.locator("#account")).to_contain_text("Connected as")
    for p in (dash, again, shop, options):
        await p.close()


async def test_capture_annotate_and_submit(ext_world: ExtWorld) -> None:
    w = ext_world
    await ensure_connected(w)
    page = await open_shop(w)
    cap = await w.press_toolbar_button(page)
    await expect(cap.locator("#conn")).to_contain_text(f"Connected as {w.tenant.member.email}")
    await expect(cap.locator("#n-console")).to_have_text(re.compile(r"\([1-9]\d*\)"))
    await expect(cap.locator("#n-network")).to_have_text(re.compile(r"\([1-9]\d*\)"))
    canvas = cap.locator("#canvas")
    await expect(canvas).to_be_visible()
    box = await canvas.bounding_box()
    assert box
    await cap.get_by_role("button", name="Arrow").click()
    await drag(cap, box, (40, 40), (260, 160))
    await cap.get_by_role("button", name="Rectangle").click()
    await drag(cap, box, (300, 60), (460, 140))
    await cap.get_by_role("button", name="Redact").click()
    await drag(cap, box, (0, 0), (200, 30))
    await cap.get_by_role("button", name="Text").click()
    await cap.locator("#annot-text").fill("declined here")
    await canvas.click(position={"x": 60, "y": 200})
    await cap.locator("#project").select_option(w.tenant.project_id)
    await cap.locator("#title").fill("Pay button fails on checkout")
    await cap.locator("#description").fill("Clicking **Pay now** shows nothing.")
    await cap.get_by_role("button", name="Send to BugPort").click()
    await expect(cap.get_by_text("Sent. All attachments are uploaded.")).to_be_visible()
    link = cap.locator("#result-link")
    await expect(link).to_contain_text("Pay button fails on checkout")
    href = await link.get_attribute("href")
    assert href and re.fullmatch(rf"{re.escape(w.url)}/bugs/[0-9a-f-]{{36}}", href), href
    bug_id = href.rsplit("/", 1)[1]

    bug = await api_get(w, f"/v1/bugs/{bug_id}")
    assert bug["source"] == "extension" and bug["project_id"] == w.tenant.project_id
    assert bug["page_url"] == w.site_url
    assert bug["environment"]["browser"] == "Chrome"
    assert bug["environment"]["viewport_width"] == 1100
    steps = bug["repro_steps"]
    assert f"Opened {w.site_url}" in steps
    assert 'Clicked button#pay "Pay now"' in steps
    assert f"typed {len(TYPED)} characters (value masked)" in steps
    logs = (await api_get(w, f"/v1/bugs/{bug_id}/logs"))["data"]
    error = next(x for x in logs if "payment failed: card declined" in x["message"])
    assert error["level"] == "error" and "app.js" in (error["stack"] or "")
    assert any("Unhandled promise rejection" in x["message"] for x in logs)
    assert any(x["level"] == "info" and "shop ready" in x["message"] for x in logs)
    network = (await api_get(w, f"/v1/bugs/{bug_id}/network"))["data"]
    pay = next(n for n in network if "/api/pay" in n["url"])
    assert pay["method"] == "POST" and pay["status"] == 404 and pay["failed"] is True
    assert "token=[REDACTED]" in pay["url"]
    assert pay["request_headers"]["authorization"] == "[REDACTED]"
    assert pay["request_headers"]["x-trace"] == "abc"
    assert json.loads(pay["request_body"]) == {"password": "[REDACTED]", "amount": 42}
    assert pay["timing"]["duration"] >= 0
    everything = json.dumps([bug, logs, network])
    for secret in (SECRET, BEARER, PASSWORD, TYPED):
        assert secret not in everything

    media = (await api_get(w, f"/v1/bugs/{bug_id}/media"))["data"]
    assert [(m["kind"], m["status"], m["source"]) for m in media] == [
        ("screenshot", "ready", "extension")
    ]
    data = stored_bytes(w, media[0])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) == media[0]["size_bytes"]
    from PIL import Image

    img = Image.open(io.BytesIO(data)).convert("RGB")
    assert img.size == (1100, 700)
    # The annotation is in the uploaded image: the arrow's colour on the page's white.
    red = sum(
        1
        for px in img.crop((40, 40, 260, 160)).getdata()
        if px[0] > 180 and px[1] < 90 and px[2] < 120
    )
    assert red > 200, red
    await page.close()


async def test_server_killed_mid_upload_keeps_the_draft(ext_world: ExtWorld) -> None:
    w = ext_world
    await ensure_connected(w)
    page = await open_shop(w)
    cap = await w.press_toolbar_button(page)
    await expect(cap.locator("#project")).to_have_value(w.tenant.project_id)  # remembered
    await cap.locator("#title").fill("Checkout hangs after pay")
    w.proxy.hold_uploads()
    await cap.get_by_role("button", name="Send to BugPort").click()
    assert await asyncio.to_thread(w.proxy.put_seen.wait, 20), "the screenshot upload never started"
    w.serve.kill()
    w.proxy.drop()
    await expect(cap.get_by_text("Saved as a draft")).to_be_visible()
    await expect(cap.locator("#error")).to_contain_text("could not be reached")
    (draft,) = [d for d in await drafts_in_storage(cap) if d["title"] == "Checkout hangs after pay"]
    assert draft["status"] == "queued" and draft["bug"] and draft["uploads"] == ["pending"]
    # Typing is not lost: reloading the page shows the draft as it was.
    await cap.reload()
    await expect(cap.locator("#title")).to_have_value("Checkout hangs after pay")

    w.serve.start()
    await expect(cap.get_by_text("Sent. All attachments are uploaded.")).to_be_visible(
        timeout=45_000
    )
    assert [d for d in await drafts_in_storage(cap) if d["title"] == draft["title"]] == []
    bugs = (await api_get(w, "/v1/bugs", q="Checkout hangs after pay"))["data"]
    assert [b["id"] for b in bugs] == [draft["bug"]]  # one bug: no duplicate
    media = (await api_get(w, f"/v1/bugs/{draft['bug']}/media"))["data"]
    # The cut-off upload was given up on the server (fail endpoint), then sent again.
    assert [(m["kind"], m["status"], m["failure_reason"]) for m in media] == [
        ("screenshot", "failed", "client: retrying the upload"),
        ("screenshot", "ready", None),
    ]
    ready = [m for m in media if m["status"] == "ready"]
    assert stored_bytes(w, ready[0])[:8] == b"\x89PNG\r\n\x1a\n"
    await page.close()


async def test_record_the_tab_and_submit(ext_world: ExtWorld) -> None:
    w = ext_world
    await ensure_connected(w)
    page = await open_shop(w)
    cap = await w.press_toolbar_button(page)
    await cap.locator("#title").fill("Recorded: checkout flow")
    await cap.get_by_role("button", name="Record the tab").click()
    await expect(cap.locator("#rec-state")).to_contain_text("Recording the tab")
    # What happens during the recording is on the timeline, at its offset.
    await page.bring_to_front()
    await page.click("#pay")
    await expect(page.locator("#out")).to_have_text("status 404")
    await cap.get_by_role("button", name="Stop recording").click()
    await expect(cap.locator("#rec-state")).to_contain_text(re.compile(r"Recorded \d+ s\."))
    await expect(cap.locator("#video-box")).to_be_visible()
    await cap.get_by_role("button", name="Send to BugPort").click()
    await expect(cap.get_by_text("Sent. All attachments are uploaded.")).to_be_visible()
    href = await cap.locator("#result-link").get_attribute("href")
    assert href
    bug_id = href.rsplit("/", 1)[1]
    bug = await api_get(w, f"/v1/bugs/{bug_id}")
    rec = bug["metadata"]["extension"]["recording"]
    assert rec["timeline"] == "timeline.json" and rec["duration_ms"] > 0
    media = {m["filename"]: m for m in (await api_get(w, f"/v1/bugs/{bug_id}/media"))["data"]}
    assert {k: (m["kind"], m["status"]) for k, m in media.items()} == {
        "screenshot.png": ("screenshot", "ready"),
        "recording.webm": ("video", "ready"),
        "timeline.json": ("attachment", "ready"),
    }
    video = stored_bytes(w, media["recording.webm"])
    assert video[:4] == b"\x1aE\xdf\xa3"  # EBML: a WebM file
    timeline = json.loads(stored_bytes(w, media["timeline.json"]))
    assert timeline["recording_started_at"] == rec["started_at"]
    clicks = [
        e for e in timeline["entries"] if e["type"] == "action" and "button#pay" in e["summary"]
    ]
    # The second click on Pay happened during the recording: a non-negative offset within it.
    assert any(0 <= e["offset_ms"] <= rec["duration_ms"] for e in clicks), json.dumps(
        timeline["entries"]
    )[-3000:]
    assert any(e["type"] == "network" and e["offset_ms"] >= 0 for e in timeline["entries"])
    await page.close()


async def record_and_send(w: ExtWorld, title: str, *, mic: bool) -> tuple[Any, Any, bytes]:
    """Record the (silent) shop tab for about three seconds, with or without the microphone,
    and send. Returns (the capture page, the bug, the uploaded WebM's bytes from storage)."""
    page = await open_shop(w)
    cap = await w.press_toolbar_button(page)
    await cap.locator("#title").fill(title)
    await cap.locator("#mic").set_checked(mic)
    await cap.get_by_role("button", name="Record the tab").click()
    await expect(cap.locator("#rec-state")).to_contain_text("Recording the tab")
    await expect(cap.locator("#error")).to_be_hidden()  # the microphone was allowed
    await page.bring_to_front()
    await asyncio.sleep(3)
    await cap.get_by_role("button", name="Stop recording").click()
    await expect(cap.locator("#rec-state")).to_contain_text(re.compile(r"Recorded \d+ s\."))
    await cap.get_by_role("button", name="Send to BugPort").click()
    await expect(cap.get_by_text("Sent. All attachments are uploaded.")).to_be_visible()
    href = await cap.locator("#result-link").get_attribute("href")
    assert href
    bug = await api_get(w, f"/v1/bugs/{href.rsplit('/', 1)[1]}")
    media = {m["filename"]: m for m in (await api_get(w, f"/v1/bugs/{bug['id']}/media"))["data"]}
    await page.close()
    return cap, bug, stored_bytes(w, media["recording.webm"])


async def audio_of(page: Any, video: bytes) -> dict[str, float]:
    """Decode the WebM's audio in the browser (Web Audio): its length and peak level."""
    return await page.evaluate(  # type: ignore[no-any-return]
        """async (b64) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const buf = await new OfflineAudioContext(1, 1, 48000).decodeAudioData(bytes.buffer);
          let peak = 0;
          for (let c = 0; c < buf.numberOfChannels; c++)
            for (const v of buf.getChannelData(c)) peak = Math.max(peak, Math.abs(v));
          return { duration: buf.duration, peak };
        }""",
        base64.b64encode(video).decode(),
    )


async def test_record_with_the_microphone(ext_world: ExtWorld) -> None:
    """The microphone option mixes the (fake, beeping) microphone into the recording's audio;
    without it, the recording of a silent tab is silent."""
    w = ext_world
    await ensure_connected(w)
    cap, bug, video = await record_and_send(w, "Recorded with the microphone", mic=True)
    assert bug["metadata"]["extension"]["recording"]["mic"] is True
    found = webm.tracks(video)
    assert [(t.type, t.codec) for t in found] == [("video", "V_VP9"), ("audio", "A_OPUS")], found
    # Both carry frames, not just a header (a still page gives few video frames).
    assert found[0].blocks >= 1 and found[1].blocks > 10, found
    heard = await audio_of(cap, video)
    assert heard["duration"] > 2 and heard["peak"] > 0.05, heard  # the beeps are in it
    await cap.close()

    cap, bug, video = await record_and_send(w, "Recorded without the microphone", mic=False)
    assert bug["metadata"]["extension"]["recording"]["mic"] is False
    found = webm.tracks(video)
    assert [t.type for t in found if t.blocks][:1] == ["video"], found
    # The tab's own sound is always recorded (tabCapture gives an audio track even for a silent
    # page), so there may be an audio track; the page is silent, so it must be digital silence.
    if any(t.type == "audio" and t.blocks for t in found):
        heard = await audio_of(cap, video)
        assert heard["peak"] < 0.001, heard
    await cap.close()


async def test_recording_stops_at_the_length_limit(ext_world: ExtWorld) -> None:
    w = ext_world
    await ensure_connected(w)
    await w.worker.evaluate(
        """async () => {
          const { settings } = await chrome.storage.local.get('settings');
          await chrome.storage.local.set({ settings: { ...settings, maxRecordSeconds: 1 } });
        }"""
    )
    try:
        page = await open_shop(w)
        cap = await w.press_toolbar_button(page)
        await cap.get_by_role("button", name="Record the tab").click()
        await expect(cap.locator("#rec-state")).to_contain_text("Recording the tab")
        # Nobody presses Stop: the recorder ends itself at the limit.
        await expect(cap.locator("#rec-state")).to_have_text(re.compile(r"Recorded 1 s\."))
        await expect(cap.locator("#video-box")).to_be_visible()
        await expect(cap.get_by_role("button", name="Record the tab")).to_be_visible()
        await page.close()
    finally:
        await w.worker.evaluate(
            """async () => {
              const { settings } = await chrome.storage.local.get('settings');
              await chrome.storage.local.set({ settings: { ...settings, maxRecordSeconds: 120 } });
            }"""
        )
