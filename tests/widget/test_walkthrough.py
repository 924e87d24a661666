"""docs/widget.md's "Try it on your machine" run exactly as written (on free ports instead of 8000
and 8080): `bugport serve` on embedded defaults, the shell blocks, the demo page in Chromium, a
report with its screenshot, read back by the last block."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.live_browser import free_port
from tests.widget.browser import chromium
from tests.widget.test_browser_client import SEL, open_widget

DOC = Path(__file__).resolve().parents[2] / "docs" / "widget.md"
BIN = Path(sys.executable).parent / "bugport"


def walkthrough_blocks() -> list[str]:
    text = DOC.read_text()
    section = text.split("## Try it on your machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


def test_the_doc_has_the_four_steps() -> None:
    blocks = walkthrough_blocks()
    assert len(blocks) == 4, blocks
    assert blocks[0].strip() == "./dev serve"
    assert "http.server 8080" in blocks[2]


def _bash(script: str, cwd: Path, env: dict[str, str]) -> str:
    r = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, f"{script}\n---\n{r.stdout}\n{r.stderr}"
    return r.stdout


async def report_from_the_demo_page(url: str) -> str:
    """What the doc tells the reader to do in the browser; returns the widget's closing text."""
    async with chromium() as browser:
        page = await browser.new_page()
        for _ in range(50):
            try:
                await page.goto(url)
                break
            except Exception:  # noqa: BLE001 - the page server is still starting
                await asyncio.sleep(0.1)
        await open_widget(page)
        note = page.locator(SEL.format("screenshot-note"))
        await note.filter(has_text="Screenshot ready").wait_for(timeout=15000)
        await page.locator(SEL.format("title")).fill("Total shows the wrong currency")
        await page.locator(SEL.format("send")).click()
        status = page.locator(SEL.format("status"))
        await status.filter(has_text="Thanks").wait_for(timeout=20000)
        return await status.text_content() or ""


def test_widget_walkthrough_as_written(tmp_path: Path) -> None:
    _, setup, page_server, check = walkthrough_blocks()
    api_port, site_port = free_port(), free_port()

    def ported(block: str) -> str:
        return block.replace("8000", str(api_port)).replace("8080", str(site_port))

    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    # `./dev serve` is `uv sync`, the front-end build and then this (tests/test_fresh_clone.py
    # runs ./dev serve itself); the suite has already built the widget.
    server = subprocess.Popen(
        [str(BIN), "serve", "--port", str(api_port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    site: subprocess.Popen[str] | None = None
    try:
        token = None
        assert server.stdout is not None
        for line in server.stdout:
            if m := re.match(r"export BUGPORT_TOKEN=(\S+)", line):
                token = m.group(1)
                break
        assert token, "serve printed no token"
        base = f"http://127.0.0.1:{api_port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/v1/health", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        script = httpx.get(f"{base}/widget.js", timeout=5)
        assert script.status_code == 200, script.text
        env = {**env, "BUGPORT_TOKEN": token}
        _bash(ported(setup), tmp_path, env)
        site = subprocess.Popen(
            ["bash", "-c", ported(page_server)], cwd=tmp_path, env=env, start_new_session=True
        )
        closing = asyncio.run(report_from_the_demo_page(f"http://localhost:{site_port}/"))
        assert "APP-1" in closing, closing
        out = _bash(ported(setup) + "\n" + ported(check), tmp_path, env)
        assert out.splitlines()[-2:] == ["Total shows the wrong currency", "screenshot"], out
    finally:
        if site is not None and site.poll() is None:
            os.killpg(site.pid, signal.SIGTERM)
        server.send_signal(signal.SIGTERM)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            pytest.fail("bugport serve did not stop")
