"""Pure-ASGI middleware on every request: request id + access log, body guard, default limits."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bugport.errors import error_body
from bugport.kit import text
from bugport.kit.client_ip import client_ip
from bugport.kit.ratelimit import LimitResult, RateLimiter

access_log = logging.getLogger("bugport.access")
error_log = logging.getLogger("bugport.errors")
_RID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def credential_kind(headers: Headers) -> str:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return "none"
    token = auth[7:].strip()
    if token.startswith("bp_pub_"):
        return "widget_key"
    if token.startswith("bp_mcp_"):
        return "mcp_token"
    return "jwt"


def route_template(scope: Scope) -> str | None:
    """The matched route's full path template (`/v1/bugs/{bug_id}`), for logs and audit rows.
    FastAPI keeps included routers nested, so the router prefix is added back here."""
    route = scope.get("route")
    if route is None:
        return None
    included = (scope.get("fastapi") or {}).get("included_router")
    prefix = getattr(getattr(included, "include_context", None), "prefix", "") or ""
    return f"{prefix}{getattr(route, 'path', '')}"


def _rid(scope: Scope) -> str:
    return scope.setdefault("state", {}).get("request_id", "")


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> None:
    rid = _rid(scope)
    resp = JSONResponse(
        error_body(rid, code, message, details),
        status_code=status,
        headers={"X-Request-ID": rid, **(headers or {})},
    )
    await resp({"type": "http"}, _noop_receive, send)


async def _noop_receive() -> Message:
    return {"type": "http.disconnect"}


class RequestContext:
    """Assigns the request id, stamps X-Request-ID on every response, logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        rid = incoming if _RID.match(incoming) else secrets.token_hex(12)
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = 500
        started = False

        async def _send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                raw = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"
                ]
                raw.append((b"x-request-id", rid.encode()))
                message["headers"] = raw
            await send(message)

        try:
            await self.app(scope, receive, _send)
        except Exception:
            # The one place an unhandled error ends: logged once with its traceback, answered
            # with the error body, and not re-raised, since an exception that reaches the ASGI
            # server makes it drop the keep-alive connection under the next request.
            error_log.exception("unhandled error", extra={"request_id": rid})
            if not started:
                body = error_body(rid, "internal_error", "Internal error; quote the request id.")
                await JSONResponse(body, status_code=500)(scope, receive, _send)
        finally:
            route = route_template(scope)
            access_log.info(
                "%s %s %s",
                scope["method"],
                route or scope["path"],
                status,
                extra={
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route,
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    "credential_kind": credential_kind(headers),
                },
            )


# Routes whose body limit differs from the default, registered by the feature that owns them.
_BODY_LIMITS: list[tuple[str, re.Pattern[str], int]] = []
# Routes whose body is not JSON (webhooks verify raw bytes but are still JSON; storage is raw).
_NON_JSON: list[tuple[str, re.Pattern[str]]] = []


def register_body_limit(method: str, path_regex: str, limit: int) -> None:
    _BODY_LIMITS.append((method, re.compile(path_regex), limit))


def register_non_json(method: str, path_regex: str) -> None:
    _NON_JSON.append((method, re.compile(path_regex)))


def body_limit_for(method: str, path: str, default: int) -> int:
    for m, rx, limit in _BODY_LIMITS:
        if m == method and rx.fullmatch(path):
            return limit
    return default


class BodyGuard:
    """What every /v1 request must be before any parser sees it: a path and query without
    control characters (422, kit/text.py's rule), a JSON body that is UTF-8 (415/400), and a body
    within the route's limit (413)."""

    def __init__(self, app: ASGIApp, default_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["path"].startswith("/v1/") and (bad := text.bad_request_text(scope)):
            field, message = bad
            return await send_error(
                scope,
                send,
                422,
                "validation_error",
                "The request failed validation.",
                details=[{"field": field, "message": message}],
            )
        if scope["method"] not in ("POST", "PUT", "PATCH", "DELETE"):
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        headers = Headers(scope=scope)
        limit = body_limit_for(method, path, self.default_limit)
        length = headers.get("content-length")
        has_body = (length is not None and length != "0") or "chunked" in headers.get(
            "transfer-encoding", ""
        )
        is_json = (
            has_body
            and path.startswith("/v1/")
            and not any(m == method and rx.fullmatch(path) for m, rx in _NON_JSON)
        )
        if is_json:
            raw_type = headers.get("content-type", "")
            ctype, _, params = raw_type.partition(";")
            ctype = ctype.strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                return await send_error(
                    scope, send, 415, "unsupported_media_type", "Send the body as application/json."
                )
            charset = _charset(params)
            if charset not in (None, "utf-8", "utf8"):
                return await send_error(
                    scope,
                    send,
                    415,
                    "unsupported_media_type",
                    f"JSON bodies must be UTF-8 (RFC 8259); this one says charset={charset}.",
                )
        too_large = f"The request body exceeds this route's limit of {limit} bytes."
        if length is not None:
            try:
                if int(length) > limit:
                    return await send_error(scope, send, 413, "payload_too_large", too_large)
            except ValueError:
                return await send_error(scope, send, 400, "invalid_request", "Bad Content-Length.")
            if not is_json:
                return await self.app(scope, receive, send)
        if not has_body:
            return await self.app(scope, receive, send)
        # Buffer up to the limit, check, then replay: an oversized or non-UTF-8 body never
        # reaches a parser (the standard library's json.loads would guess UTF-16 from the bytes).
        chunks: list[bytes] = []
        size = 0
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            body = msg.get("body", b"")
            size += len(body)
            if size > limit:
                return await send_error(scope, send, 413, "payload_too_large", too_large)
            chunks.append(body)
            if not msg.get("more_body"):
                break
        whole = b"".join(chunks)
        if is_json and (problem := _not_utf8_json(whole)):
            return await send_error(scope, send, 400, "invalid_json", problem)
        replay = [{"type": "http.request", "body": whole, "more_body": False}]

        async def _receive() -> Message:
            return replay.pop() if replay else await receive()

        await self.app(scope, _receive, send)


def _charset(params: str) -> str | None:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return None


def _not_utf8_json(body: bytes) -> str | None:
    """Why a JSON body is not UTF-8 (a byte order mark, raw NUL bytes as UTF-16/32 text has,
    invalid sequences), or None. RFC 8259 section 8.1: JSON between systems is UTF-8, no BOM."""
    if body.startswith((b"\xef\xbb\xbf", b"\xfe\xff", b"\xff\xfe")):
        return "The body starts with a byte order mark: send UTF-8 JSON without one."
    if b"\x00" in body:
        return "The body holds NUL bytes: JSON bodies must be UTF-8 (RFC 8259), not UTF-16/32."
    if not body.isascii():
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return f"The body is not valid UTF-8 (byte {exc.start}): JSON bodies must be UTF-8."
    return None


def _cred_key(headers: Headers) -> str | None:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer ") or not auth[7:].strip():
        return None
    return hashlib.sha256(auth[7:].strip().encode()).hexdigest()[:32]


WIDGET_PREFIX = "/v1/widget/"


class DefaultRateLimit:
    """Every /v1 request spends from a per-credential and a per-client-IP budget, except the
    public widget routes: they have budgets of their own, per client IP (spent before the key is
    looked at), per key and per workspace (widget/auth.py)."""

    def __init__(self, app: ASGIApp, get_state: Callable[[], Any]) -> None:
        self.app = app
        self.get_state = get_state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self.get_state()
        settings = state.settings
        if (
            scope["type"] != "http"
            or not settings.rate_limits_enabled
            or not scope["path"].startswith("/v1/")
            or scope["path"].startswith(WIDGET_PREFIX)  # they spend the widget budgets instead
            or scope["method"] == "OPTIONS"
        ):
            return await self.app(scope, receive, send)
        limiter: RateLimiter = state.rate_limiter
        headers = Headers(scope=scope)
        ip = client_ip(scope, settings.trusted_proxies)
        scope.setdefault("state", {})["client_ip"] = ip
        specs: list[tuple[str, tuple[str, ...]]] = [(settings.rate_limit_per_ip, ("ip", ip))]
        cred = _cred_key(headers)
        if cred:
            specs.append((settings.rate_limit_per_credential, ("cred", cred)))
        result: LimitResult | None = await limiter.check(specs)
        if result is not None and not result.allowed:
            return await send_error(
                scope,
                send,
                429,
                "rate_limited",
                "Too many requests; retry after the time in Retry-After.",
                result.headers(),
            )
        extra = [
            (k.lower().encode(), v.encode())
            for k, v in (result.headers() if result else {}).items()
        ]

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                names = {k for k, _ in message.get("headers", [])}
                # A route with its own, tighter limit (widget intake) has already set these.
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names
                ]
            await send(message)

        await self.app(scope, receive, _send)
