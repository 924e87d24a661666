"""Credential → Principal. The form decides the kind: bp_pub_ widget key, bp_mcp_ MCP token,
anything else a Supabase JWT. Features register resolvers for their prefixes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bugport.auth.principal import Principal
from bugport.errors import Unauthorized
from bugport.models import User
from bugport.models.base import utcnow

Resolver = Callable[[str, Request, AsyncSession], Awaitable[Principal]]
RESOLVERS: dict[str, Resolver] = {}
KNOWN_PREFIXES = ("bp_pub_", "bp_mcp_")


def register_resolver(prefix: str, resolver: Resolver) -> None:
    RESOLVERS[prefix] = resolver


def bearer_token(request: Request) -> str | None:
    auth = request.headers.get("authorization")
    if not auth:
        return None
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <credential>'.", code="invalid_token")
    return token.strip()


async def user_from_claims(session: AsyncSession, claims: dict[str, Any]) -> User:
    """The profile row for this identity; created on first sight (sync-profile fills it in)."""
    sub = claims["sub"]
    user = (
        await session.execute(select(User).where(User.auth_subject == sub))
    ).scalar_one_or_none()
    if user is None:
        meta = claims.get("user_metadata") or {}
        user = User(
            auth_subject=sub,
            email=(claims.get("email") or None),
            name=(meta.get("name") or meta.get("full_name") or None),
            created_at=utcnow(),
        )
        session.add(user)
        await session.flush()
    return user


async def resolve(request: Request, session: AsyncSession) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("A credential is required: 'Authorization: Bearer <credential>'.")
    for prefix in KNOWN_PREFIXES:
        if token.startswith(prefix):
            resolver = RESOLVERS.get(prefix)
            if resolver is None:
                raise Unauthorized(
                    "This kind of credential is not accepted here.", code="invalid_token"
                )
            return await resolver(token, request, session)
    claims = await request.app.state.jwt_verifier.verify(token)
    user = await user_from_claims(session, claims)
    return Principal(kind="user", user=user, claims=claims)
