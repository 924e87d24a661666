"""The extension's live world: `bugport serve` (a real process, so it can be killed mid-upload) on
PostgreSQL with moto's S3 server behind a small HTTP proxy the tests can make drop uploads, a
loopback test page, and Debian's Chromium with the built unpacked extension loaded (persistent
context, new headless mode). The toolbar button is pressed through the DevTools protocol's
`Extensions.triggerAction` (needs --enable-unsafe-extension-debugging and the pipe Playwright
uses), which grants activeTab exactly as a click does."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from bugport.dashboard import signin
from bugport.dashboard.serving import DEFAULT_DIR as DASHBOARD_DIR
from tests.conftest import JWT_SECRET, database_url, make_settings
from tests.fixtures.live_browser import StaticSite, free_port
from tests.fixtures.s3 import S3Server
from tests.fixtures.users import Tenant, make_tenant
from tests.widget.browser import ARGS, CHROMIUM, need_chromium

ROOT = Path(__file__).resolve().parents[2]
UNPACKED = ROOT / "bugport" / "web" / "extension" / "unpacked"

SECRET = "secret-token-123"
BEARER = "sk_live_SECRET_abcdef"
PASSWORD = "hunter2-very-secret"
TYPED = "ada@example.com"

PAGE_JS = f"""
console.info('shop ready', {{items: 3}});
document.getElementById('pay').addEventListener('click', function () {{
  console.error(new Error('payment failed: card declined'));
  fetch('/api/pay?token={SECRET}&item=7', {{
    method: 'POST',
    headers: {{'Authorization': 'Bearer {BEARER}', 'Content-Type': 'application/json', 'X-Trace': 'abc'}},
    body: JSON.stringify({{password: '{PASSWORD}', amount: 42}}),
  }}).then(function (r) {{ document.getElementById('out').textContent = 'status ' + r.status; }});
  Promise.reject(new Error('unhandled in checkout'));
}});
""".encode()

PAGE_HTML = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Shop checkout</title>
<script src="/app.js" defer></script></head>
<body style="margin:0;background:#fff">
<h1>Checkout</h1><p>Total: 42.00 EUR</p>
<label>Email <input id="email" name="email" autocomplete="off"></label>
<button id="pay">Pay now</button><div id="out"></div>
</body></html>"""


def need_extension_build() -> None:
    missing = [
        p for p in (UNPACKED / "manifest.json", DASHBOARD_DIR / "index.html") if not p.is_file()
    ]
    if not missing:
        return
    msg = (
        f"not built: {', '.join(str(p) for p in missing)}; run scripts/build-web.sh "
        "(./dev test does)."
    )
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


class StorageProxy:
    """An HTTP proxy in front of the S3 server. `hold_uploads()` makes the next PUT hang until
    `drop()` closes it unanswered (a storage upload cut off mid-way)."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        self.host, self.upstream_port = target.hostname or "127.0.0.1", target.port or 80
        self.holding = False
        self.put_seen = threading.Event()
        self.release = threading.Event()
        self.puts: list[str] = []
        proxy = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "PUT":
                    proxy.puts.append(self.path)
                    if proxy.holding:
                        proxy.put_seen.set()
                        proxy.release.wait(30)
                        self.close_connection = True
                        return  # no answer at all: the upload never completed
                conn = http.client.HTTPConnection(proxy.host, proxy.upstream_port, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                r = conn.getresponse()
                data = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(k, v)
                # A HEAD answer has no body but the object's length (what completion checks).
                length = r.getheader("content-length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                self.close_connection = True
                conn.close()

            do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward  # noqa: N815

            def do_OPTIONS(self) -> None:  # noqa: N802
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "GET, HEAD, PUT")
                self.send_header("Access-Control-Allow-Headers", "Content-Type")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hold_uploads(self) -> None:
        self.put_seen.clear()
        self.release.clear()
        self.holding = True

    def drop(self) -> None:
        self.holding = False
        self.release.set()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class Serve:
    """`bugport serve` as a child process on a fixed port (restartable on the same port)."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bugport.cli",
                "serve",
                "--port",
                str(self.port),
                "--no-migrate",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bugport serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("bugport serve did not answer /v1/health in 30 s")

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, as when a server dies."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class ExtWorld:
    serve: Serve
    settings: Any
    http: httpx.AsyncClient
    tenant: Tenant
    s3: S3Server
    proxy: StorageProxy
    site: StaticSite
    context: Any
    extension_id: str
    worker: Any
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.serve.url

    @property
    def site_url(self) -> str:
        return f"http://127.0.0.1:{self.site.port}/"

    def ext(self, page: str) -> str:
        return f"chrome-extension://{self.extension_id}/{page}"

    def signin_link(self, email: str) -> str:
        return f"{self.url}/signin#code={signin.issue(self.settings, email, 'Member')}"

    async def press_toolbar_button(self, page: Any) -> Any:
        """Click the extension's action on `page`'s tab; return the capture page it opens."""
        cdp = await self.context.browser.new_browser_cdp_session()
        try:
            tabs = (await cdp.send("Target.getTargets", {"filter": [{"type": "tab"}]}))[
                "targetInfos"
            ]
            tab = next(t for t in tabs if t["url"] == page.url)
            async with self.context.expect_page(
                lambda p: p.url.startswith(self.ext("capture.html"))
            ) as opened:
                await cdp.send(
                    "Extensions.triggerAction",
                    {"id": self.extension_id, "targetId": tab["targetId"]},
                )
            capture = await opened.value
        finally:
            await cdp.detach()
        capture.set_default_timeout(20_000)
        await capture.wait_for_load_state()
        return capture


def serve_env(settings: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGPORT_")}
    for name in (
        "database_url",
        "data_dir",
        "supabase_jwt_secret",
        "secret_key",
        "public_base_url",
        "storage_backend",
        "s3_endpoint_url",
        "s3_bucket",
        "s3_region",
        "s3_access_key_id",
        "s3_secret_access_key",
        "s3_path_style",
        "rate_limit_per_credential",
        "rate_limit_per_ip",
    ):
        value = getattr(settings, name)
        env[f"BUGPORT_{name.upper()}"] = (
            str(value).lower() if isinstance(value, bool) else str(value)
        )
    env["BUGPORT_LOG_LEVEL"] = "WARNING"
    return env


@pytest_asyncio.fixture(scope="module")
async def ext_world(
    tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server
) -> AsyncIterator[ExtWorld]:
    need_chromium()
    need_extension_build()
    from playwright.async_api import async_playwright

    tmp: Path = tmp_path_factory.mktemp("ext")
    url = await database_url("postgresql", tmp, label="_ext")
    port = free_port()
    proxy = StorageProxy(s3_server.endpoint_url)
    storage = {**s3_server.settings(), "s3_endpoint_url": proxy.url}
    settings = make_settings(
        url, tmp / "data", public_base_url=f"http://127.0.0.1:{port}", **storage
    )
    assert settings.supabase_jwt_secret == JWT_SECRET
    serve = Serve(serve_env(settings), port, tmp / "serve.log")
    serve.start()
    site = StaticSite(
        {
            "/": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE_HTML),
            "/app.js": (200, {"Content-Type": "text/javascript"}, PAGE_JS),
        }
    )
    try:
        with site:
            async with httpx.AsyncClient(base_url=serve.url, timeout=20) as http:
                tenant = await make_tenant(http, settings)
                async with async_playwright() as pw:
                    context = await pw.chromium.launch_persistent_context(
                        str(tmp / "profile"),
                        executable_path=CHROMIUM,
                        headless=False,
                        args=[
                            *ARGS,
                            "--headless=new",
                            "--enable-unsafe-extension-debugging",
                            # A fake microphone (a beep every half second) for the recording
                            # with the microphone; the permission is granted below, as a user
                            # allowing the capture page's prompt would.
                            "--use-fake-device-for-media-stream",
                            f"--disable-extensions-except={UNPACKED}",
                            f"--load-extension={UNPACKED}",
                        ],
                        viewport={"width": 1100, "height": 700},
                        permissions=["microphone"],
                    )
                    try:
                        worker = (
                            context.service_workers[0]
                            if context.service_workers
                            else await context.wait_for_event("serviceworker", timeout=15_000)
                        )
                        ext_id = worker.url.split("/")[2]
                        yield ExtWorld(
                            serve,
                            settings,
                            http,
                            tenant,
                            s3_server,
                            proxy,
                            site,
                            context,
                            ext_id,
                            worker,
                        )
                    finally:
                        await context.close()
    finally:
        serve.stop()
        proxy.close()
