"""Every call made with an MCP token, allowed or denied, becomes one audit row.

Pure ASGI, so it sees what the client sees: denials raised in dependencies and error handlers,
body/limit refusals from the middleware below it, unknown routes. The request's own session has
committed or rolled back by then, so the row is written in a separate short transaction — before
the response start is passed on, so a client that reads the log right after a call finds it."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bugport.audit.summary import summarise
from bugport.kit.client_ip import client_ip
from bugport.mcp_token.resolver import PREFIX, find_token
from bugport.models import AuditEntry
from bugport.models.base import utcnow

log = logging.getLogger("bugport.audit")
MAX_CAPTURE = 64 * 1024  # enough for any tool call; larger bodies are summarised as unreadable
MCP_CLIENT_HEADER = "x-mcp-client"


def mcp_token_of(headers: Headers) -> str | None:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return None
    token = auth[7:].strip()
    return token if token.startswith(PREFIX) else None


def outcome_of(status: int) -> str:
    if status < 400:
        return "allowed"
    if status in (401, 403, 429):
        return "denied"
    return "failed"


def _details(scope: Scope, body: bytes) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(tool, bug id, arguments summary) from the path, the query and a JSON body."""
    path_params = scope.get("path_params") or {}
    bug_id = path_params.get("bug_id")
    tool: str | None = None
    args: dict[str, Any] = {}
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        from urllib.parse import parse_qsl

        args.update({k: v for k, v in parse_qsl(query)[:20]})
    parsed: Any = None
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            args["body"] = f"<{len(body)} bytes, not JSON>"
    if isinstance(parsed, dict):
        is_call = scope["path"].endswith("/mcp/tools/invoke")
        if isinstance(parsed.get("params"), dict) and parsed.get("method") == "tools/call":
            parsed, is_call = parsed["params"], True  # JSON-RPC tools/call on the HTTP transport
        if is_call:
            tool = parsed["name"][:100] if isinstance(parsed.get("name"), str) else None
            parsed = parsed.get("arguments") if isinstance(parsed.get("arguments"), dict) else {}
        if isinstance(parsed.get("bug_id"), str) and bug_id is None:
            bug_id = parsed["bug_id"]
        args.update(parsed)
    return tool, (str(bug_id)[:64] if bug_id else None), summarise(args)


class AuditMiddleware:
    def __init__(self, app: ASGIApp, get_state: Callable[[], Any]) -> None:
        self.app = app
        self.get_state = get_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        token = mcp_token_of(headers)
        if token is None:
            return await self.app(scope, receive, send)
        captured: list[bytes] = []
        size = 0

        async def _receive() -> Message:
            nonlocal size
            msg = await receive()
            if msg["type"] == "http.request" and size <= MAX_CAPTURE:
                chunk = msg.get("body", b"")
                size += len(chunk)
                if size <= MAX_CAPTURE:
                    captured.append(chunk)
            return msg

        pending: Message | None = None
        error_body: list[bytes] = []
        done = False

        async def _send(message: Message) -> None:
            nonlocal pending, done
            if done:
                return await send(message)
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    done = True
                    await self._record(scope, headers, token, message["status"], None, captured)
                    return await send(message)
                pending = message  # hold an error's start until its (small) body names the code
                return None
            if message["type"] == "http.response.body" and pending is not None:
                error_body.append(message.get("body", b""))
                if message.get("more_body"):
                    return None
                done = True
                code = _error_code(b"".join(error_body))
                await self._record(scope, headers, token, pending["status"], code, captured)
                await send(pending)
                return await send(
                    {"type": "http.response.body", "body": b"".join(error_body), "more_body": False}
                )
            return await send(message)

        await self.app(scope, _receive, _send)

    async def _record(
        self,
        scope: Scope,
        headers: Headers,
        token: str,
        status: int,
        code: str | None,
        captured: list[bytes],
    ) -> None:
        state = self.get_state()
        route_path = route_template(scope)
        if route_path == "/mcp" or scope["path"].startswith("/mcp"):
            # The HTTP transport's tools run through the REST bridge, which records each call
            # with its tool name; the transport itself is recorded only when it refuses a call.
            if status < 400:
                return
        req_state = scope.get("state", {})
        principal = req_state.get("principal")
        ip = req_state.get("client_ip") or client_ip(scope, state.settings.trusted_proxies)
        try:
            tool, bug_id, args = _details(scope, b"".join(captured))
            async with state.sessionmaker() as session, session.begin():
                row = await find_token(session, token)
                if row is None:  # unknown or malformed: no workspace to file it under
                    return
                now = utcnow()
                session.add(
                    AuditEntry(
                        id=uuid.uuid4(),
                        workspace_id=row.workspace_id,
                        token_id=row.id,
                        created_at=now,
                        request_id=str(req_state.get("request_id", ""))[:64],
                        method=scope["method"][:10],
                        route=route_path[:300],
                        tool=tool,
                        bug_id=bug_id,
                        status=status,
                        outcome=outcome_of(status),
                        error_code=code,
                        client_ip=ip[:64] if ip else None,
                        user_agent=(headers.get("user-agent") or "")[:300] or None,
                        mcp_client=(headers.get(MCP_CLIENT_HEADER) or "")[:200] or None,
                        arguments=args,
                    )
                )
                if principal is not None and getattr(principal, "credential_id", None) == row.id:
                    row.last_used_at = now
                    row.last_used_ip = ip[:64] if ip else None
        except Exception:  # the call itself already happened; never turn it into a 500
            log.exception("audit write failed", extra={"request_id": req_state.get("request_id")})


def route_template(scope: Scope) -> str:
    """`/v1/bugs/{bug_id}` for `/v1/bugs/3f…`: the matched route's parameters put back by name
    (the included router's own `path` lacks the /v1 prefix)."""
    path: str = scope["path"]
    params = scope.get("path_params") or {}
    if not params:
        return path
    parts = path.split("/")
    by_value = {str(v): k for k, v in params.items()}
    return "/".join("{" + by_value[p] + "}" if p in by_value else p for p in parts)


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return str(code)[:50] if code else None
