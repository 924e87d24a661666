"""CORS for the public widget routes (/v1/widget/*), separate from the dashboard's CORS.

A preflight carries no Authorization header, so it can't know which key will be used. It is
answered (204, the exact origin echoed, never `*`, no credentials) when the Origin is allowed by at
least one live widget key, and refused (403 `origin_not_allowed`, no CORS headers, so the browser
blocks the request) otherwise. The key's own origin list is then enforced on the real request by
the route (403 `origin_not_allowed`). Real responses echo the origin under the same rule, so the
widget can read a refusal (403, 429) and show why. Every answer carries `Vary: Origin`.

The set of live origin rules is cached per process: a key change made through this process reloads
it at once; changes made through another process show within CACHE_TTL seconds for removals and
about a second for additions (a miss re-reads at most once per second). The real request is
always checked against the key itself, so the cache never lets a refused origin write anything."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bugport.kit.middleware import send_error
from bugport.widget_key import origins
from bugport.widget_key.service import GENERATION, live_origin_rules

WIDGET_PREFIX = "/v1/widget/"
# The embedded storage backend's signed URLs (/storage/...) are answered by StorageCors
# (bugport/storage/http.py) for any origin: the signature is the credential there.
REPORT_PATH = "/v1/widget/bugs"
CACHE_TTL = 10.0
MISS_REFRESH = 1.0
ALLOW_METHODS = "POST"
ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Request-ID"
EXPOSE_HEADERS = (
    "X-Request-ID, Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, "
    "RateLimit-Reset, Idempotent-Replayed"
)
MAX_AGE = "600"


class OriginRules:
    def __init__(self, get_state: Callable[[], Any]) -> None:
        self.get_state = get_state
        self.rules: list[str] = []
        self.loaded_at = float("-inf")
        self.generation = -1

    async def _load(self) -> None:
        state = self.get_state()
        generation = GENERATION.value
        async with state.sessionmaker() as session:
            self.rules = await live_origin_rules(session)
        self.loaded_at = time.monotonic()
        self.generation = generation

    def invalidate(self) -> None:
        self.loaded_at = float("-inf")

    async def allows(self, header: str | None) -> bool:
        origin = origins.request_origin(header)
        if origin is None:
            return False
        age = time.monotonic() - self.loaded_at
        if age > CACHE_TTL or self.generation != GENERATION.value:
            await self._load()
        if any(origins.matches(origin, r) for r in self.rules):
            return True
        if age > MISS_REFRESH and time.monotonic() - self.loaded_at > MISS_REFRESH:
            await self._load()
            return any(origins.matches(origin, r) for r in self.rules)
        return False


class WidgetCORS:
    def __init__(self, app: ASGIApp, get_state: Callable[[], Any]) -> None:
        self.app = app
        self.get_state = get_state
        self.rules = OriginRules(get_state)
        get_state().widget_origin_rules = self.rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        if not path.startswith(WIDGET_PREFIX):
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        ok = await self.rules.allows(origin)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            return await self._preflight(scope, send, origin, ok, ALLOW_METHODS, ALLOW_HEADERS)

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for name in list(h.keys()):
                    if name.startswith("access-control-"):
                        del h[name]  # the dashboard CORS never speaks for widget routes
                h.add_vary_header("Origin")
                if ok and origin:
                    h["Access-Control-Allow-Origin"] = origin
                    h["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
            await send(message)

        if scope["method"] == "POST" and path == REPORT_PATH and self._too_large(headers):
            # The report's own cap, before parsing (chunked bodies meet the default body limit).
            limit = self.get_state().settings.widget_max_report_bytes
            return await send_error(
                scope,
                _send,
                413,
                "payload_too_large",
                f"A widget report is at most {limit} bytes.",
            )
        await self.app(scope, receive, _send)

    def _too_large(self, headers: Headers) -> bool:
        length = headers.get("content-length")
        limit = self.get_state().settings.widget_max_report_bytes
        return length is not None and length.isdigit() and int(length) > limit

    async def _preflight(
        self,
        scope: Scope,
        send: Send,
        origin: str | None,
        ok: bool,
        methods: str = ALLOW_METHODS,
        allow_headers: str = ALLOW_HEADERS,
    ) -> None:
        if not ok or not origin:
            return await send_error(
                scope,
                send,
                403,
                "origin_not_allowed",
                "No widget key allows this origin.",
                {"Vary": "Origin"},
            )
        start: Message = {
            "type": "http.response.start",
            "status": 204,
            "headers": [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", methods.encode()),
                (b"access-control-allow-headers", allow_headers.encode()),
                (b"access-control-max-age", MAX_AGE.encode()),
                (b"vary", b"Origin"),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": b""})
