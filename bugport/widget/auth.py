"""The widget routes' credential chain: a live `bp_pub_` key → the request's Origin is one the key
allows → the intake budgets (per key, per client IP, per workspace) have room. Each step raises
before the route's body is used, so a refused or limited request creates nothing."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response

from bugport.auth.dependencies import require
from bugport.auth.principal import Principal
from bugport.errors import Forbidden, RateLimited
from bugport.kit.client_ip import client_ip
from bugport.kit.ratelimit import LimitResult, RateLimiter
from bugport.widget_key import origins

_widget_key = require(kinds=("widget_key",))


class OriginNotAllowed(Forbidden):
    code = "origin_not_allowed"


async def intake_limits(request: Request, principal: Principal) -> LimitResult | None:
    settings = request.app.state.settings
    if not settings.rate_limits_enabled:
        return None
    limiter: RateLimiter = request.app.state.rate_limiter
    ip = getattr(request.state, "client_ip", None) or client_ip(
        request.scope, settings.trusted_proxies
    )
    return await limiter.check(
        [
            (settings.widget_rate_limit_per_key, ("widget", "key", str(principal.credential_id))),
            (settings.widget_rate_limit_per_ip, ("widget", "ip", ip)),
            (
                settings.widget_rate_limit_per_workspace,
                ("widget", "ws", str(principal.workspace_id)),
            ),
        ]
    )


async def widget_caller(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(_widget_key)],
) -> Principal:
    header = request.headers.get("origin")
    if not origins.allowed(header, principal.credential.allowed_origins):
        shown = header if header else "(none)"
        raise OriginNotAllowed(
            f"Origin {shown} is not allowed for this widget key. Add the page's exact origin "
            "(scheme://host[:port]) to the key's allowed origins."
        )
    result = await intake_limits(request, principal)
    if result is not None:
        if not result.allowed:
            raise RateLimited(
                "Too many widget submissions; retry after the time in Retry-After.",
                headers=result.headers(),
            )
        # These win over the general limit's headers (see DefaultRateLimit); routes that return
        # their own Response (idempotent intake) copy them from request.state.
        response.headers.update(result.headers())
        request.state.widget_limit_headers = result.headers()
    return principal


WidgetCaller = Annotated[Principal, Depends(widget_caller)]
