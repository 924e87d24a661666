"""The widget routes' credential chain: a live `bp_pub_` key → the request's Origin is one the key
allows → the client IP's, the key's and the workspace's budgets have room. A request refused for
its credential or origin spends the IP's budget only. Each step raises before the route's body is
used, so a refused or limited request creates nothing. (Widget routes spend these budgets instead
of the general ones, kit/middleware.py.)"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import Depends, Request, Response

from bugport.auth.credentials import bearer_token
from bugport.auth.dependencies import AUTH_MARKER, PRINCIPAL_HOOKS, require
from bugport.auth.principal import Principal
from bugport.errors import BugPortError, Forbidden, RateLimited, Unauthorized
from bugport.kit.client_ip import client_ip
from bugport.kit.crypto import hash_token, token_is_well_formed
from bugport.kit.ratelimit import LimitResult, RateLimiter
from bugport.models import WidgetKey
from bugport.models.base import utcnow
from bugport.widget_key import origins
from bugport.widget_key.service import (
    GENERATION,
    PREFIX,
    find_key,
    invalid_key,
    is_live,
    widget_principal,
)

_widget_key = require(kinds=("widget_key",))


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"


def _limited(result: LimitResult) -> RateLimited:
    return RateLimited(
        "Too many widget submissions; retry after the time in Retry-After.",
        headers=result.headers(),
    )


async def ip_budget(request: Request) -> None:
    """The client IP's widget budget, spent before the key is even looked at (requests with bad
    keys count too). Widget routes spend the widget budgets instead of the general ones."""
    settings = request.app.state.settings
    if not settings.rate_limits_enabled:
        return
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = client_ip(request.scope, settings.trusted_proxies)
    result = await limiter.check([(settings.widget_rate_limit_per_ip, ("widget", "ip", ip))])
    assert result is not None
    if not result.allowed:
        raise _limited(result)
    request.state.widget_ip_limit = result


async def intake_limits(
    request: Request, principal: Principal, *, with_ip: bool = False
) -> LimitResult | None:
    """The key's and the workspace's budgets (and the IP's, unless already spent), at once; the
    result is the refusing budget, else the tightest."""
    settings = request.app.state.settings
    if not settings.rate_limits_enabled:
        return None
    limiter: RateLimiter = request.app.state.rate_limiter
    specs: list[tuple[str, tuple[str, ...]]] = [
        (settings.widget_rate_limit_per_key, ("widget", "key", str(principal.credential_id))),
        (settings.widget_rate_limit_per_workspace, ("widget", "ws", str(principal.workspace_id))),
    ]
    if with_ip:
        ip = client_ip(request.scope, settings.trusted_proxies)
        specs.insert(0, (settings.widget_rate_limit_per_ip, ("widget", "ip", ip)))
    result = await limiter.check(specs)
    by_ip: LimitResult | None = getattr(request.state, "widget_ip_limit", None)
    if result is None or (
        result.allowed and by_ip is not None and by_ip.remaining < result.remaining
    ):
        return by_ip
    return result


def origin_refused(origin: str | None) -> OriginNotAllowed:
    shown = origin if origin else "(none)"
    return OriginNotAllowed(
        f"Origin {shown} is not allowed for this widget key. Add the page's exact origin "
        "(scheme://host[:port]) to the key's allowed origins."
    )


def check_origin(request: Request, principal: Principal) -> None:
    header = request.headers.get("origin")
    if not origins.allowed(header, principal.credential.allowed_origins):
        raise origin_refused(header)


async def spend_budgets(
    request: Request, response: Response, principal: Principal, *, with_ip: bool = False
) -> None:
    result = await intake_limits(request, principal, with_ip=with_ip)
    if result is not None:
        if not result.allowed:
            raise _limited(result)
        # Routes that return their own Response (intake) copy them from request.state.
        response.headers.update(result.headers())
        request.state.widget_limit_headers = result.headers()


async def widget_caller(
    request: Request,
    response: Response,
    _ip: Annotated[None, Depends(ip_budget)],  # declared first: spent before the key lookup
    principal: Annotated[Principal, Depends(_widget_key)],
) -> Principal:
    check_origin(request, principal)
    await spend_budgets(request, response, principal)
    return principal


WidgetCaller = Annotated[Principal, Depends(widget_caller)]


# ---- report intake: the same chain without a database transaction per request ----------------


class KeyCache:
    """Live widget keys by token hash, for report intake only (POST /v1/widget/bugs).

    Intake checks key, origin and budgets against this cache, then the batch writer checks the
    key, its origins and its project again inside the transaction that stores the report
    (widget/batch.py): a revoked or narrowed key stores nothing from the moment its change
    commits, whatever the cache holds. Entries live TTL seconds and are dropped at once in
    this process when any key changes (widget_key.service.GENERATION)."""

    TTL = 5.0
    MAX_ENTRIES = 10_000

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, int, WidgetKey]] = {}

    def get(self, token_hash: str) -> WidgetKey | None:
        hit = self._entries.get(token_hash)
        if hit is None:
            return None
        at, generation, key = hit
        if generation != GENERATION.value or time.monotonic() - at > self.TTL:
            self._entries.pop(token_hash, None)
            return None
        return key

    def put(self, token_hash: str, key: WidgetKey) -> None:
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic(), GENERATION.value, key)


async def _cached_key(request: Request, token: str) -> WidgetKey:
    cache: KeyCache = request.app.state.widget_key_cache
    token_hash = hash_token(token)
    key = cache.get(token_hash)
    if key is None:
        async with request.app.state.sessionmaker() as session:
            key = await find_key(session, token_hash)
        if key is None:
            raise invalid_key()
        cache.put(token_hash, key)
    if not is_live(key, utcnow()):
        raise invalid_key()
    return key


async def _intake_key(request: Request) -> Principal:
    token = bearer_token(request)
    if token is None or not token.startswith(PREFIX):
        async with request.app.state.sessionmaker() as session:
            await _widget_key(request, session)  # raises: not a widget key
        raise AssertionError("unreachable: a non-widget credential was accepted")
    if not token_is_well_formed(token, PREFIX):
        raise Unauthorized("The widget key is malformed.", code="invalid_token")
    return widget_principal(await _cached_key(request, token))


async def intake_caller(request: Request, response: Response) -> Principal:
    """Widget key → allowed Origin → the IP's, key's and workspace's budgets (one round trip),
    for report intake. A refused credential or origin spends the IP's budget only (so guessing
    runs into it: 429 once spent). Anything that is not a widget key is answered by the general
    chain (401 / 403 exactly as on every route)."""
    try:
        principal = await _intake_key(request)
        request.state.principal = principal
        for hook in PRINCIPAL_HOOKS:
            hook(request, principal)
        check_origin(request, principal)
    except BugPortError:
        await ip_budget(request)
        raise
    await spend_budgets(request, response, principal, with_ip=True)
    return principal


setattr(intake_caller, AUTH_MARKER, (frozenset({"widget_key"}), ()))
IntakeCaller = Annotated[Principal, Depends(intake_caller)]
