"""Connectors: catalogue, OAuth connect, test, disconnect, token refresh. Takes (session,
principal, ...); never commits. Provider failures become UpstreamError (502) with our own words."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bugport import authz
from bugport.auth.principal import Principal
from bugport.config import Settings
from bugport.connector import state as oauth_state
from bugport.connector.http import ProviderCallFailed, ProviderHttp
from bugport.connector.providers import PROVIDERS, Connection, Provider, TokenSet, get_provider
from bugport.connector.schemas import OAuthCallback, OAuthStart
from bugport.connector.vault import TokenVault
from bugport.errors import Conflict, UpstreamError, ValidationFailed
from bugport.models import Connector, ConnectorOAuthState
from bugport.models.base import utcnow

log = logging.getLogger("bugport.connector")

# A token this close to its expiry is refreshed before use.
REFRESH_MARGIN = timedelta(seconds=60)


@lru_cache(maxsize=8)
def _vault(keys: tuple[str, ...]) -> TokenVault:
    return TokenVault(list(keys))


def vault_for(settings: Settings) -> TokenVault:
    return _vault(tuple(settings.connector_keys))


def provider_for(settings: Settings, http: ProviderHttp, provider_id: str) -> Provider:
    return get_provider(provider_id, settings, http)


# -- catalogue ---------------------------------------------------------------------------------


def providers_info(settings: Settings, http: ProviderHttp) -> list[dict[str, Any]]:
    out = []
    for pid in PROVIDERS:
        p = provider_for(settings, http, pid)
        out.append(
            {
                "id": pid,
                "name": p.name,
                "configured": p.configured,
                "supports_pkce": p.supports_pkce,
                "supports_revoke": p.supports_revoke,
                "redirect_uri": settings.connector_redirect_uri(pid),
            }
        )
    return out


async def list_connections(
    session: AsyncSession, principal: Principal, workspace_id: uuid.UUID
) -> list[Connector]:
    stmt, _ = await authz.in_workspace(
        session, principal, Connector, workspace_id, "connector.read"
    )
    stmt = stmt.order_by(Connector.created_at, Connector.id)
    return list((await session.execute(stmt)).scalars())


async def get_connector(
    session: AsyncSession,
    principal: Principal,
    connector_id: uuid.UUID,
    action: str = "connector.read",
    *,
    for_update: bool = False,
) -> Connector:
    conn = await authz.fetch_visible(
        session, principal, Connector, connector_id, for_update=for_update
    )
    await authz.require_role(session, principal, conn.workspace_id, action)
    return conn


# -- OAuth -------------------------------------------------------------------------------------


def _require_configured(p: Provider) -> None:
    if not p.configured:
        raise Conflict(
            f"{p.name} is not configured on this server; an operator must set "
            f"BUGPORT_{p.id.upper()}_CLIENT_ID and BUGPORT_{p.id.upper()}_CLIENT_SECRET.",
            code="provider_not_configured",
        )


async def start_oauth(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    http: ProviderHttp,
    provider_id: str,
    body: OAuthStart,
) -> dict[str, Any]:
    await authz.require_workspace(session, principal, body.workspace_id, "connector.manage")
    p = provider_for(settings, http, provider_id)
    _require_configured(p)
    if body.site_url and provider_id != "jira":
        raise ValidationFailed("body.site_url", "site_url applies to Jira connections only.")
    assert principal.user_id is not None
    now = utcnow()
    # Long-expired pending authorizations of this workspace are dead weight: drop them here.
    await session.execute(
        delete(ConnectorOAuthState).where(
            ConnectorOAuthState.workspace_id == body.workspace_id,
            ConnectorOAuthState.expires_at < now - timedelta(days=1),
        )
    )
    exp = int(now.timestamp()) + settings.connector_oauth_state_ttl_seconds
    verifier, challenge = oauth_state.pkce_pair() if p.supports_pkce else (None, None)
    row = ConnectorOAuthState(
        id=uuid.uuid4(),
        workspace_id=body.workspace_id,
        user_id=principal.user_id,
        provider=provider_id,
        code_verifier_enc=vault_for(settings).encrypt(verifier) if verifier else None,
        return_path=body.return_path,
        site_url=body.site_url,
        created_at=now,
        expires_at=datetime.fromtimestamp(exp, UTC),
    )
    session.add(row)
    await session.flush()
    state = oauth_state.make_state(
        settings.signing_key, row.id, provider_id, body.workspace_id, principal.user_id, exp
    )
    redirect_uri = settings.connector_redirect_uri(provider_id)
    return {
        "authorize_url": p.authorize_url(state, challenge, redirect_uri),
        "state": state,
        "expires_at": row.expires_at,
        "redirect_uri": redirect_uri,
        "pkce": bool(challenge),
    }


def _bad_state(message: str) -> ValidationFailed:
    return ValidationFailed("body.state", message, code="validation_error")


async def _claim_state(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    provider_id: str,
    raw: str,
) -> ConnectorOAuthState:
    """Check the state end to end and spend it. Every failure is a 422 on body.state."""
    parsed = oauth_state.parse_state(raw)
    if parsed is None:
        raise _bad_state("The state is malformed.")
    sid, exp, sig = parsed
    row = await session.get(ConnectorOAuthState, sid, with_for_update=True)
    if row is None or not oauth_state.signature_ok(
        settings.signing_key, sig, row.id, row.provider, row.workspace_id, row.user_id, exp
    ):
        raise _bad_state("The state is not one this server issued.")
    if int(row.expires_at.timestamp()) != exp:
        raise _bad_state("The state is not one this server issued.")
    if row.provider != provider_id:
        raise _bad_state(f"The state was issued for another provider ({row.provider}).")
    if row.user_id != principal.user_id:
        raise _bad_state("The state was issued to another user; start the connection yourself.")
    if row.consumed_at is not None:
        raise _bad_state("The state was already used; start the connection again.")
    now = utcnow()
    if row.expires_at <= now:
        raise _bad_state("The state has expired; start the connection again.")
    # Still allowed to manage connectors there (a member removed meanwhile is refused).
    await authz.require_workspace(session, principal, row.workspace_id, "connector.manage")
    # Spend it with a conditional update: of two concurrent callbacks only one matches.
    spent = await session.execute(
        update(ConnectorOAuthState)
        .where(ConnectorOAuthState.id == row.id, ConnectorOAuthState.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise _bad_state("The state was already used; start the connection again.")
    return row


def store_tokens(conn: Connector, tokens: TokenSet, vault: TokenVault) -> None:
    conn.access_token_enc = vault.encrypt(tokens.access_token)
    # Providers that rotate refresh tokens send a new one; the others keep the old one valid.
    if tokens.refresh_token:
        conn.refresh_token_enc = vault.encrypt(tokens.refresh_token)
    conn.token_expires_at = (
        utcnow() + timedelta(seconds=tokens.expires_in) if tokens.expires_in else None
    )
    if tokens.scope:
        conn.scopes = tokens.scope[:1000]


async def complete_oauth(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    http: ProviderHttp,
    provider_id: str,
    body: OAuthCallback,
) -> tuple[Connector, bool, str | None]:
    """(connection, created?, return path). Raises UpstreamError after the state is spent: the
    endpoint commits the spend anyway, since an authorization code is single-use upstream too."""
    row = await _claim_state(session, principal, settings, provider_id, body.state)
    p = provider_for(settings, http, provider_id)
    _require_configured(p)
    vault = vault_for(settings)
    verifier = vault.decrypt(row.code_verifier_enc) if row.code_verifier_enc else None
    try:
        tokens = await p.exchange_code(
            body.code, verifier, settings.connector_redirect_uri(provider_id)
        )
        ident = await p.identify(tokens.access_token, row.site_url)
    except ProviderCallFailed as exc:
        raise UpstreamError(exc.reason) from exc

    conn = (
        await session.execute(
            select(Connector).where(
                Connector.workspace_id == row.workspace_id,
                Connector.provider == provider_id,
                Connector.external_key == ident.external_key[:255],
            )
        )
    ).scalar_one_or_none()
    created = conn is None
    now = utcnow()
    if conn is None:
        count = await session.scalar(
            select(func.count())
            .select_from(Connector)
            .where(Connector.workspace_id == row.workspace_id)
        )
        if (count or 0) >= settings.connector_max_per_workspace:
            raise Conflict(
                f"This workspace already has {count} connections, the most allowed; "
                "disconnect one first."
            )
        conn = Connector(
            workspace_id=row.workspace_id,
            provider=provider_id,
            external_key=ident.external_key[:255],
            created_by_id=principal.user_id,
            created_at=now,
            refresh_token_enc=None,
        )
        session.add(conn)
    else:
        conn.refresh_token_enc = None  # a fresh grant replaces the old one entirely
    conn.status = "active"
    conn.account_name = ident.account_name
    conn.site_name = ident.site_name
    conn.site_url = ident.site_url
    conn.cloud_id = ident.cloud_id
    conn.scopes = ""
    conn.updated_at = now
    store_tokens(conn, tokens, vault)
    await session.flush()
    return conn, created, row.return_path


# -- using a connection ------------------------------------------------------------------------


async def usable_connection(
    settings: Settings, http: ProviderHttp, conn: Connector, *, force_refresh: bool = False
) -> tuple[Provider, Connection]:
    """The provider and a valid access token, refreshed first when (nearly) expired. The caller
    holds the connector row locked (FOR UPDATE), so two refreshes never race: with rotating
    refresh tokens the loser would otherwise present a spent token and look revoked."""
    p = provider_for(settings, http, conn.provider)
    if not p.configured:
        raise ProviderCallFailed(f"{p.name} is no longer configured on this server.")
    vault = vault_for(settings)
    try:
        token = vault.decrypt(conn.access_token_enc)
    except ValueError as exc:
        raise ProviderCallFailed(
            "The stored token can't be decrypted (was the encryption key changed?); reconnect.",
            auth=True,
        ) from exc
    expires = conn.token_expires_at
    refreshed = False
    if force_refresh or (expires is not None and expires - REFRESH_MARGIN <= utcnow()):
        if not conn.refresh_token_enc:
            conn.status = "needs_reauth"
            raise ProviderCallFailed(
                f"The {p.name} token expired and there is no refresh token; reconnect.", auth=True
            )
        try:
            tokens = await p.refresh(vault.decrypt(conn.refresh_token_enc))
        except ProviderCallFailed as exc:
            if exc.auth:
                conn.status = "needs_reauth"
            raise
        store_tokens(conn, tokens, vault)
        conn.updated_at = utcnow()
        token, refreshed = tokens.access_token, True
    return p, Connection(
        access_token=token, cloud_id=conn.cloud_id, site_url=conn.site_url, refreshed=refreshed
    )


async def test_connector(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    http: ProviderHttp,
    connector_id: uuid.UUID,
) -> Connector:
    conn = await get_connector(session, principal, connector_id, "connector.use", for_update=True)
    ok, reason = True, None
    try:
        p, c = await usable_connection(settings, http, conn)
        try:
            name = await p.whoami(c)
        except ProviderCallFailed as exc:
            # A token can die before its announced expiry (or expire without one announced):
            # with a refresh token, refresh once and ask again before calling it broken.
            if not (exc.auth and conn.refresh_token_enc and not c.refreshed):
                raise
            p, c = await usable_connection(settings, http, conn, force_refresh=True)
            name = await p.whoami(c)
        conn.account_name = name[:255]
        conn.status = "active"
    except ProviderCallFailed as exc:
        ok, reason = False, exc.reason[:500]
        if exc.auth:
            conn.status = "needs_reauth"
    now = utcnow()
    conn.last_test_at, conn.last_test_ok, conn.last_test_reason = now, ok, reason
    conn.updated_at = now
    await session.flush()
    return conn


async def delete_connector(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    http: ProviderHttp,
    connector_id: uuid.UUID,
) -> None:
    conn = await get_connector(
        session, principal, connector_id, "connector.manage", for_update=True
    )
    p = provider_for(settings, http, conn.provider)
    if p.supports_revoke and p.configured:
        vault = vault_for(settings)
        try:
            refresh = vault.decrypt(conn.refresh_token_enc) if conn.refresh_token_enc else None
            await p.revoke(vault.decrypt(conn.access_token_enc), refresh)
        except (ProviderCallFailed, ValueError) as exc:
            # Our copy goes regardless; the user can still revoke the app at the provider.
            log.warning(
                "token revocation failed",
                extra={"connector_id": str(conn.id), "provider": conn.provider, "error": str(exc)},
            )
    await session.delete(conn)
    await session.flush()
