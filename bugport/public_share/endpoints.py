"""GET /v1/public/share/bug/{share_id}: no credential; the share id is the secret.

Every answer (200, 404, 429) carries the privacy headers; unknown, expired and revoked ids are
the same 404; probing is limited per client IP (BUGPORT_SHARE_RATE_LIMIT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from bugport.bug import share
from bugport.bug.schemas import PublicBug
from bugport.db import Session
from bugport.errors import NotFound, RateLimited
from bugport.kit.client_ip import client_ip

router = APIRouter(prefix="/public/share", tags=["public share"])

PRIVACY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


@router.get(
    "/bug/{share_id}",
    response_model=PublicBug,
    summary="Public read-only view of a shared bug (no credential)",
    description="Only the fields documented in docs/api.md (Public share) are shown. Unknown, "
    "expired and revoked links are the same 404. Rate limited per client IP.",
)
async def public_bug(
    share_id: Annotated[str, Path(max_length=64)],
    request: Request,
    session: Session,
    response: Response,
) -> PublicBug:
    settings = request.app.state.settings
    ip = client_ip(request.scope, settings.trusted_proxies)
    result = await request.app.state.rate_limiter.hit(settings.share_rate_limit, "share", ip)
    limit_headers = {**PRIVACY_HEADERS, **result.headers()}
    if not result.allowed:
        raise RateLimited(headers=limit_headers)
    try:
        view = await share.public_view(session, share_id)
    except NotFound as exc:
        raise NotFound(headers=limit_headers) from exc
    response.headers.update(limit_headers)
    return view
