"""GET /v1/public/share/bug/{share_id}: no credential; the share id is the secret.

Every answer (200, 404, 429) carries the privacy headers; unknown, expired and revoked ids are
the same 404; probing is limited per client IP (BUGPORT_SHARE_RATE_LIMIT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from bugport.bug import share
from bugport.bug.schemas import PublicBug
from bugport.db import Session
from bugport.errors import NotFound, RateLimited
from bugport.kit.client_ip import client_ip

router = APIRouter(prefix="/public/share", tags=["public share"])
ShareId = Annotated[str, Path(max_length=64)]

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
    share_id: ShareId, request: Request, session: Session, response: Response
) -> PublicBug:
    headers = await _limited(request)
    try:
        view = await share.public_view(
            session, share_id, request.app.state.settings.public_base_url
        )
    except NotFound as exc:
        raise NotFound(headers=headers) from exc
    response.headers.update(headers)
    return view


async def _limited(request: Request) -> dict[str, str]:
    """The per-IP probing limit every public share route spends from; its headers."""
    settings = request.app.state.settings
    ip = client_ip(request.scope, settings.trusted_proxies)
    result = await request.app.state.rate_limiter.hit(settings.share_rate_limit, "share", ip)
    headers = {**PRIVACY_HEADERS, **result.headers()}
    if not result.allowed:
        raise RateLimited(headers=headers)
    return headers


async def _redirect(
    request: Request, session: Session, share_id: str, index: int, *, thumbnail: bool
) -> RedirectResponse:
    headers = await _limited(request)
    try:
        key, filename = await share.public_file(session, share_id, index, thumbnail=thumbnail)
    except NotFound as exc:
        raise NotFound(headers=headers) from exc
    ttl = request.app.state.settings.media_download_url_ttl_seconds
    signed = request.app.state.storage.presign_get(key, ttl, filename=filename)
    return RedirectResponse(signed.url, status_code=302, headers=headers)


@router.get(
    "/bug/{share_id}/media/{index}",
    status_code=302,
    response_class=RedirectResponse,
    summary="A shared bug's file: redirects to a short-lived signed URL (no credential)",
    responses={302: {"description": "Location: the signed URL of the file"}},
)
async def public_file(
    share_id: ShareId,
    index: Annotated[int, Path(ge=0, le=1000)],
    request: Request,
    session: Session,
) -> RedirectResponse:
    return await _redirect(request, session, share_id, index, thumbnail=False)


@router.get(
    "/bug/{share_id}/media/{index}/thumbnail",
    status_code=302,
    response_class=RedirectResponse,
    summary="A shared bug's file thumbnail (320 px WebP): redirects to a signed URL",
    responses={302: {"description": "Location: the signed URL of the thumbnail"}},
)
async def public_thumbnail(
    share_id: ShareId,
    index: Annotated[int, Path(ge=0, le=1000)],
    request: Request,
    session: Session,
) -> RedirectResponse:
    return await _redirect(request, session, share_id, index, thumbnail=True)
