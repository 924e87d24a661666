"""The dashboard's public routes: its configuration, and the local one-time sign-in exchange.
Both are on the public allowlist (tests/test_route_allowlist.py): the code is the credential."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bugport.config import Settings
from bugport.dashboard import signin
from bugport.dashboard.schemas import AuthMode, LocalSession, LocalSignin, PublicConfig
from bugport.errors import Unauthorized

router = APIRouter(tags=["dashboard"])


def auth_modes(settings: Settings) -> list[AuthMode]:
    modes: list[AuthMode] = []
    if signin.enabled(settings):
        modes.append("signin_link")
    if settings.supabase_url and settings.supabase_anon_key:
        modes += ["password", "magic_link"]
    if settings.jwt_secret:
        # Tokens from `bugport token` verify only where BugPort knows the HS256 secret.
        modes.append("token")
    return modes


@router.get(
    "/public/config",
    response_model=PublicConfig,
    summary="What the dashboard needs before sign-in: Supabase's public URL and anon key, sign-in modes",
)
async def public_config(request: Request, response: Response) -> PublicConfig:
    settings: Settings = request.app.state.settings
    response.headers["Cache-Control"] = "no-cache"
    has_supabase = bool(settings.supabase_url and settings.supabase_anon_key)
    return PublicConfig(
        supabase_url=settings.supabase_url if has_supabase else None,
        supabase_anon_key=settings.supabase_anon_key if has_supabase else None,
        auth_modes=auth_modes(settings),
    )


@router.post(
    "/auth/local-signin",
    response_model=LocalSession,
    summary="Exchange the one-time code of the sign-in link `bugport serve` prints for a token",
    description="Local mode only (no Supabase configured). A code works once and expires after "
    "`BUGPORT_SIGNIN_LINK_TTL_SECONDS`; an unknown, used or expired code is 401 `invalid_token`.",
)
async def local_signin(body: LocalSignin, request: Request, response: Response) -> LocalSession:
    from bugport.auth.jwt import mint_dev_token

    settings: Settings = request.app.state.settings
    who = signin.redeem(settings, body.code)
    if who is None:
        raise Unauthorized(
            "This sign-in link is invalid, already used or expired: restart `bugport serve` "
            "for a new one, or paste a token from `bugport token`.",
            code="invalid_token",
        )
    email, name = who
    response.headers["Cache-Control"] = "no-store"
    return LocalSession(
        access_token=mint_dev_token(settings, email, name),
        expires_in=settings.dev_token_ttl_seconds,
        email=email,
    )
