"""The remote MCP endpoint (Streamable HTTP) mounted in the API at /mcp.

Authenticated by the same `bp_mcp_` tokens, resolved by the same resolver before the SDK sees the
request (revoked, expired, removed-creator tokens get the API's 401). Stateless JSON mode: no
server-side MCP session state, so it works behind several API processes. The session manager's
task group is started by the API's lifespan (bugport/app.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bugport import __version__
from bugport.auth.credentials import resolve
from bugport.errors import BugPortError, Forbidden, Unavailable, render
from bugport.kit.client_ip import client_ip
from bugport.mcp.server import BridgeServer
from bugport.mcp_token.resolver import PREFIX

MCP_PATH = "/mcp"


def _bridge_client(app: FastAPI) -> Any:
    async def client_for(ctx: Any) -> httpx.AsyncClient:
        request: Request = ctx.request
        ip = client_ip(request.scope, app.state.settings.trusted_proxies)
        headers = {
            "Authorization": request.headers.get("authorization", ""),
            "User-Agent": request.headers.get("user-agent", f"bugport-mcp/{__version__} (http)"),
        }
        if request.headers.get("x-request-id"):
            headers["X-Request-ID"] = request.headers["x-request-id"]
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 0)),
            base_url=app.state.settings.public_base_url,
            headers=headers,
            timeout=60.0,
        )

    return client_for


class TokenGate:
    """Only a live MCP token gets through to the SDK; everything else gets the API's error."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        try:
            auth = request.headers.get("authorization", "")
            if auth and not auth[7:].strip().startswith(PREFIX):
                raise Forbidden("The MCP endpoint takes an MCP token (bp_mcp_…).")
            async with self.app.state.sessionmaker() as session:
                principal = await resolve(request, session)
            scope.setdefault("state", {})["principal"] = principal
            manager = getattr(self.app.state, "mcp_session_manager", None)
            if manager is None:  # the app's lifespan is not running (e.g. a bare ASGI client)
                raise Unavailable("The MCP endpoint is not running.")
        except BugPortError as exc:
            resp = render(request, exc.status, exc.code, exc.message, exc.details, exc.headers)
            return await resp(scope, receive, send)
        await StreamableHTTPASGIApp(manager)(scope, receive, send)


def mount(app: FastAPI) -> Callable[[], AbstractAsyncContextManager[None]]:
    """Add the /mcp route; returns what the app's lifespan runs. A session manager runs once, so
    each lifespan (tests start several) gets a fresh one."""
    server = BridgeServer(_bridge_client(app))
    app.router.routes.append(
        Route(MCP_PATH, endpoint=TokenGate(app), methods=["GET", "POST", "DELETE"])
    )

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        manager = StreamableHTTPSessionManager(
            app=server._lowlevel_server,
            json_response=True,
            stateless=True,
            # Bearer tokens, no cookies: a rebinding page has no ambient credential to abuse.
            security_settings=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        async with manager.run():
            app.state.mcp_session_manager = manager
            try:
                yield
            finally:
                app.state.mcp_session_manager = None

    return running
