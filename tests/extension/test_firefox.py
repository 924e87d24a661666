"""The extension in Debian's Firefox ESR, driven without geckodriver: Firefox's own WebDriver BiDi
server (`--remote-debugging-port`, a websocket at /session). `webExtension.install` loads the
built package as a temporary add-on (the folder and the zip); then the page script (a MAIN-world
content script) must record a loopback shop page's console and network, redacted in the page,
as it does in Chromium. A package with a broken manifest is refused."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import websockets

from tests.extension.browser import BEARER, PAGE_HTML, PAGE_JS, PASSWORD, SECRET, UNPACKED
from tests.fixtures.live_browser import StaticSite, free_port

FIREFOX = "/usr/bin/firefox-esr"
ZIP = UNPACKED.parent / "bugport-extension.zip"
GECKO_ID = "extension@bugport.dev"


def need_firefox() -> None:
    missing = [p for p in (FIREFOX, UNPACKED / "manifest.json", ZIP) if not os.path.exists(p)]
    if not missing:
        return
    msg = (
        f"missing: {', '.join(str(p) for p in missing)} (scripts/test-services.sh installs "
        "firefox-esr; scripts/build-web.sh builds the extension)."
    )
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


class BiDiError(Exception):
    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(f"{answer.get('error')}: {answer.get('message')}")
        self.error = answer.get("error")


class BiDi:
    """A minimal WebDriver BiDi client: one command at a time, events ignored."""

    def __init__(self, ws: Any) -> None:
        self.ws, self.next_id = ws, 0

    async def send(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        await self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.recv(), 20))
            if msg.get("id") != self.next_id:
                continue  # an event
            if msg["type"] == "error":
                raise BiDiError(msg)
            return msg["result"]  # type: ignore[no-any-return]

    async def evaluate(self, context: str, expression: str) -> Any:
        r = await self.send(
            "script.evaluate",
            {
                "expression": expression,
                "target": {"context": context},
                "awaitPromise": True,
                "serializationOptions": {"maxObjectDepth": 0},
            },
        )
        assert r["type"] == "success", r
        return r["result"].get("value")


@pytest_asyncio.fixture
async def firefox(tmp_path: Path) -> AsyncIterator[BiDi]:
    need_firefox()
    port = free_port()
    (tmp_path / "profile").mkdir()
    log = (tmp_path / "firefox.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        FIREFOX,
        "--headless",
        "--no-remote",
        "--profile",
        str(tmp_path / "profile"),
        f"--remote-debugging-port={port}",
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        ws = None
        for _ in range(150):  # Firefox answers within a second or two; allow for a busy machine
            if proc.returncode is not None:
                break
            try:
                ws = await websockets.connect(f"ws://127.0.0.1:{port}/session", max_size=None)
                break
            except (OSError, websockets.exceptions.WebSocketException):
                await asyncio.sleep(0.1)
        assert ws is not None, (tmp_path / "firefox.log").read_text()[-2000:]
        async with ws:
            bidi = BiDi(ws)
            caps = (await bidi.send("session.new", {"capabilities": {}}))["capabilities"]
            assert caps["browserName"] == "firefox"
            assert int(caps["browserVersion"].split(".")[0]) >= 128, caps["browserVersion"]
            yield bidi
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


SNAPSHOT = """(() => {
  const c = window[Symbol.for('bugport.extension.capture')];
  if (!c) return null;
  return JSON.stringify(c.snapshot({console: true, network: true, bodies: true, actions: true}));
})()"""


async def open_shop(bidi: BiDi, context: str, url: str) -> None:
    await bidi.send(
        "browsingContext.navigate", {"context": context, "url": url, "wait": "complete"}
    )
    await bidi.evaluate(context, "document.getElementById('pay').click()")
    out = await bidi.evaluate(
        context,
        """new Promise((resolve) => {
          const el = document.getElementById('out');
          const check = () => el.textContent ? resolve(el.textContent) : setTimeout(check, 50);
          check();
        })""",
    )
    assert out == "status 404"


async def test_firefox_installs_the_package_and_the_page_script_records(
    firefox: BiDi, tmp_path: Path
) -> None:
    bidi = firefox
    site = StaticSite(
        {
            "/": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE_HTML),
            "/app.js": (200, {"Content-Type": "text/javascript"}, PAGE_JS),
        }
    )
    with site:
        url = f"http://127.0.0.1:{site.port}/"
        context = (await bidi.send("browsingContext.getTree", {}))["contexts"][0]["context"]
        # Without the extension the page has no capture buffers (the check below means it).
        await open_shop(bidi, context, url)
        assert await bidi.evaluate(context, SNAPSHOT) is None

        # A broken manifest is refused.
        broken = tmp_path / "broken"
        shutil.copytree(UNPACKED, broken)
        manifest = json.loads((broken / "manifest.json").read_text())
        del manifest["name"]
        (broken / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(BiDiError) as refused:
            await bidi.send(
                "webExtension.install", {"extensionData": {"type": "path", "path": str(broken)}}
            )
        assert refused.value.error == "invalid web extension"

        # The zip installs (and uninstalls), then the folder: the manifest's Gecko id comes back.
        r = await bidi.send(
            "webExtension.install", {"extensionData": {"type": "archivePath", "path": str(ZIP)}}
        )
        assert r == {"extension": GECKO_ID}
        await bidi.send("webExtension.uninstall", {"extension": GECKO_ID})
        r = await bidi.send(
            "webExtension.install", {"extensionData": {"type": "path", "path": str(UNPACKED)}}
        )
        assert r == {"extension": GECKO_ID}

        # The page script runs from document start in the page's world, and what it hands over
        # is redacted in the page, as in Chromium.
        await open_shop(bidi, context, url)
        raw = await bidi.evaluate(context, SNAPSHOT)
        assert raw, "the extension's page script did not run in Firefox"
        snap = json.loads(raw)
        assert snap["page_url"] == url and snap["title"] == "Shop checkout"
        assert any(x["level"] == "info" and "shop ready" in x["message"] for x in snap["logs"]), (
            snap["logs"]
        )
        error = next(x for x in snap["logs"] if "payment failed: card declined" in x["message"])
        assert error["level"] == "error" and "app.js" in (error["stack"] or "")
        pay = next(n for n in snap["network"] if "/api/pay" in n["url"])
        assert pay["method"] == "POST" and pay["status"] == 404
        assert "token=[REDACTED]" in pay["url"]
        assert pay["request_headers"]["authorization"] == "[REDACTED]"
        assert json.loads(pay["request_body"]) == {"password": "[REDACTED]", "amount": 42}
        assert snap["environment"]["browser"] == "Firefox", snap["environment"]
        for secret in (SECRET, BEARER, PASSWORD):
            assert secret not in raw
