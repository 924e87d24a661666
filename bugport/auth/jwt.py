"""Supabase access-token verification: HS256 with the shared secret, ES256/RS256 from a JWKS."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import jwt
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bugport.config import Settings
from bugport.errors import Unauthorized

ASYMMETRIC: dict[str, Any] = {"ES256": ECAlgorithm, "RS256": RSAAlgorithm}


class JWKSCache:
    """Keys by kid, fetched asynchronously; an unknown kid refreshes at most once per interval."""

    def __init__(self, url: str, interval: int) -> None:
        self.url = url
        self.interval = interval
        self.keys: dict[str, tuple[str, Any]] = {}
        self.fetched_at: float | None = None  # never fetched yet
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            resp = await client.get(self.url)
            resp.raise_for_status()
            doc = resp.json()
        keys: dict[str, tuple[str, Any]] = {}
        for jwk in doc.get("keys", []):
            alg = jwk.get("alg") or {"EC": "ES256", "RSA": "RS256"}.get(jwk.get("kty", ""))
            if alg not in ASYMMETRIC or "kid" not in jwk:
                continue
            keys[jwk["kid"]] = (alg, ASYMMETRIC[alg].from_jwk(json.dumps(jwk)))
        self.keys = keys
        self.fetched_at = time.monotonic()

    async def get(self, kid: str) -> tuple[str, Any] | None:
        if kid in self.keys:
            return self.keys[kid]
        async with self._lock:
            if kid not in self.keys and (
                self.fetched_at is None or time.monotonic() - self.fetched_at >= self.interval
            ):
                try:
                    await self._fetch()
                except (httpx.HTTPError, ValueError):
                    self.fetched_at = time.monotonic()  # don't hammer a failing endpoint
        return self.keys.get(kid)


class SupabaseVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.secret = settings.jwt_secret
        self.jwks = (
            JWKSCache(settings.supabase_jwks_url, settings.jwks_refresh_interval_seconds)
            if settings.supabase_jwks_url
            else None
        )

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is malformed.", code="invalid_token") from exc
        alg = header.get("alg")
        key: Any
        if alg == "HS256":
            if not self.secret:
                raise Unauthorized("HS256 tokens are not accepted here.", code="invalid_token")
            key = self.secret
        elif alg in ASYMMETRIC:
            found = await self.jwks.get(str(header.get("kid", ""))) if self.jwks else None
            if found is None or found[0] != alg:
                raise Unauthorized("The token's signing key is unknown.", code="invalid_token")
            key = found[1]
        else:
            raise Unauthorized("The token's algorithm is not accepted.", code="invalid_token")
        issuer = self.settings.expected_issuer
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],  # pinned to what the key is for: no algorithm confusion
                audience="authenticated",
                issuer=issuer,
                leeway=self.settings.jwt_leeway_seconds,
                options={
                    "require": ["exp", "iat", "sub", "aud", "role"] + (["iss"] if issuer else [])
                },
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The access token has expired.", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The access token is invalid.", code="invalid_token") from exc
        if claims.get("role") != "authenticated":
            # anon and service_role keys are JWTs too; they never identify a person.
            raise Unauthorized(
                "Only a signed-in user's access token is accepted.", code="invalid_token"
            )
        if not isinstance(claims.get("sub"), str) or not claims["sub"].strip():
            raise Unauthorized("The access token has no subject.", code="invalid_token")
        return claims


def dev_subject(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bugport-dev:{email.lower()}"))


def mint_dev_token(
    settings: Settings, email: str, name: str | None = None, ttl: int | None = None
) -> str:
    """A Supabase-shaped access token signed with the configured HS256 secret (local development)."""
    secret = settings.jwt_secret
    if not secret:
        raise RuntimeError("No HS256 secret is configured (BUGPORT_SUPABASE_JWT_SECRET).")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.expected_issuer or f"{settings.public_base_url.rstrip('/')}/auth/v1",
        "aud": "authenticated",
        "sub": dev_subject(email),
        "iat": now,
        "exp": now + (ttl or settings.dev_token_ttl_seconds),
        "role": "authenticated",
        "aal": "aal1",
        "session_id": str(uuid.uuid4()),
        "email": email,
        "phone": "",
        "is_anonymous": False,
        "app_metadata": {"provider": "email", "providers": ["email"]},
        "user_metadata": {"name": name} if name else {},
    }
    return jwt.encode(claims, secret, algorithm="HS256")
