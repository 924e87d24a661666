"""Every route without a credential dependency must be on this allowlist, on purpose."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from bugport.auth.dependencies import AUTH_MARKER

PUBLIC = {
    ("GET", "/v1/health"),
    ("GET", "/v1/version"),
    ("GET", "/v1/plans"),  # the plan catalogue is public
    ("POST", "/v1/billing/webhooks/stripe"),  # authenticated by the Stripe-Signature header
    # A tracker's webhook: authenticated by its HMAC signature with the connection's secret.
    ("POST", "/v1/trackers/{connector_id}/webhook"),
    # An email's unsubscribe link: its HMAC signature is the credential; GET only asks.
    ("GET", "/v1/notifications/unsubscribe"),
    ("POST", "/v1/notifications/unsubscribe"),
    # The share id is the credential (192 random bits); rate limited per IP.
    ("GET", "/v1/public/share/bug/{share_id}"),
    # The same link's files: 302 to a short-lived signed URL; the same limit and 404s.
    ("GET", "/v1/public/share/bug/{share_id}/media/{index}"),
    ("GET", "/v1/public/share/bug/{share_id}/media/{index}/thumbnail"),
    # The dashboard's pre-sign-in configuration (Supabase URL and its public anon key only).
    ("GET", "/v1/public/config"),
    # The one-time sign-in code `bugport serve` prints is the credential (256 random bits).
    ("POST", "/v1/auth/local-signin"),
    # The built widget script for the drop-in <script> tag: public by design, holds no secret.
    ("GET", "/widget.js"),
}
NON_API = {
    "/v1/openapi.json",
    "/v1/docs",
    "/v1/docs/oauth2-redirect",
    # The embedded storage backend's signed URLs (raw bytes; the HMAC signature is the
    # credential, verified in bugport/storage/http.py and tested in tests/storage/).
    "/storage/{key:path}",
    # The remote MCP transport (a raw ASGI route): its token gate is tested in tests/mcp/.
    "/mcp",
}


def _has_auth(dependant: Any) -> bool:
    if getattr(dependant.call, AUTH_MARKER, None) is not None:
        return True
    return any(_has_auth(d) for d in dependant.dependencies)


def routes(app: FastAPI) -> list[tuple[str, Any]]:
    """(full path, original route) for every route, through FastAPI's included routers."""
    return [(ctx.path, ctx.original_route) for ctx in iter_route_contexts(app.routes)]


def test_only_allowlisted_routes_are_public(app: FastAPI) -> None:
    public, authed = set(), set()
    for path, route in routes(app):
        if isinstance(route, APIRoute):
            target = authed if _has_auth(route.dependant) else public
            target.update((m, path) for m in route.methods)
    assert authed, "the walk found no authenticated routes: it is broken"
    assert public == PUBLIC, (
        f"unexpected public routes: {public - PUBLIC}; allowlisted but gone: {PUBLIC - public}"
    )


def test_non_api_routes_are_only_docs(app: FastAPI) -> None:
    others = {path for path, r in routes(app) if not isinstance(r, APIRoute)}
    assert others <= NON_API, others
