from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from bugport.config import Settings
from bugport.connector import pushes, service, sync, targets
from bugport.connector.auth import ConnectorUser
from bugport.connector.http import ProviderHttp
from bugport.connector.schemas import (
    Catalogue,
    ConnectedConnection,
    Connection,
    OAuthCallback,
    OAuthStart,
    OAuthStarted,
    ProviderId,
    PushRequest,
    TestResult,
    TrackerPushOut,
    TrackerTarget,
    TrackerTargetPut,
    TrackerWebhook,
    TrackerWebhookAck,
)
from bugport.db import Session
from bugport.errors import UpstreamError, render
from bugport.models import Connector
from bugport.models import TrackerTarget as TargetRow

UPSTREAM: dict[int | str, dict[str, Any]] = {
    502: {
        "description": "The provider failed or refused (`upstream_error`); the message says why",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}

router = APIRouter(tags=["connectors"])


def provider_http(request: Request) -> ProviderHttp:
    state = request.app.state
    if getattr(state, "provider_http", None) is None:
        state.provider_http = ProviderHttp.from_settings(state.settings)
    http: ProviderHttp = state.provider_http
    return http


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Http = Annotated[ProviderHttp, Depends(provider_http)]
AppSettings = Annotated[Settings, Depends(app_settings)]


def connection_out(c: Connector) -> dict[str, Any]:
    last = (
        {"ok": bool(c.last_test_ok), "reason": c.last_test_reason, "tested_at": c.last_test_at}
        if c.last_test_at is not None
        else None
    )
    return {
        "id": c.id,
        "workspace_id": c.workspace_id,
        "provider": c.provider,
        "status": c.status,
        "account_name": c.account_name,
        "site_name": c.site_name,
        "site_url": c.site_url,
        "scopes": [s for s in c.scopes.replace(",", " ").split() if s],
        "created_by_id": c.created_by_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "last_test": last,
    }


def target_out(t: TargetRow, c: Connector) -> TrackerTarget:
    return TrackerTarget.model_validate(
        {
            **{
                k: getattr(t, k)
                for k in (
                    "project_id",
                    "workspace_id",
                    "connector_id",
                    "repo",
                    "team_id",
                    "project_key",
                    "issue_type",
                    "auto_push",
                    "updated_by_id",
                    "created_at",
                    "updated_at",
                )
            },
            "provider": c.provider,
        }
    )


@router.get(
    "/connectors",
    response_model=Catalogue,
    summary="Available tracker providers and this workspace's connections",
)
async def catalogue(
    principal: ConnectorUser,
    session: Session,
    settings: AppSettings,
    http: Http,
    workspace_id: Annotated[
        uuid.UUID, Query(description="The workspace whose connections to list")
    ],
) -> Catalogue:
    conns = await service.list_connections(session, principal, workspace_id)
    return Catalogue.model_validate(
        {
            "providers": service.providers_info(settings, http),
            "connections": [connection_out(c) for c in conns],
        }
    )


@router.post(
    "/connectors/{provider}/oauth/start",
    response_model=OAuthStarted,
    summary="Start connecting a tracker (admin): the provider's authorize URL with a single-use state",
)
async def oauth_start(
    provider: ProviderId,
    body: OAuthStart,
    principal: ConnectorUser,
    session: Session,
    settings: AppSettings,
    http: Http,
) -> OAuthStarted:
    return OAuthStarted.model_validate(
        await service.start_oauth(session, principal, settings, http, provider, body)
    )


@router.post(
    "/connectors/{provider}/oauth/callback",
    status_code=201,
    response_model=ConnectedConnection,
    responses={
        200: {"description": "An existing connection to the same account was renewed"},
        **UPSTREAM,
    },
    summary="Finish connecting: exchange the code for tokens and store the connection (admin)",
)
async def oauth_callback(
    provider: ProviderId,
    body: OAuthCallback,
    principal: ConnectorUser,
    session: Session,
    settings: AppSettings,
    http: Http,
    request: Request,
    response: Response,
) -> Any:
    try:
        conn, created, return_path = await service.complete_oauth(
            session, principal, settings, http, provider, body
        )
    except UpstreamError as exc:
        # Answer the error without raising, so the request's transaction still commits the spent
        # state: a failed code can't be retried upstream, and the state must stay single-use.
        return render(request, exc.status, exc.code, exc.message, exc.details)
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/connectors/{conn.id}"
    return ConnectedConnection.model_validate({**connection_out(conn), "return_path": return_path})


@router.get("/connectors/{connector_id}", response_model=Connection, summary="Get a connection")
async def get_connector(
    connector_id: uuid.UUID, principal: ConnectorUser, session: Session
) -> Connection:
    conn = await service.get_connector(session, principal, connector_id)
    return Connection.model_validate(connection_out(conn))


@router.post(
    "/connectors/{connector_id}/test",
    response_model=TestResult,
    summary="Check a connection against the provider's identity endpoint (member)",
)
async def test_connector(
    connector_id: uuid.UUID,
    principal: ConnectorUser,
    session: Session,
    settings: AppSettings,
    http: Http,
) -> TestResult:
    conn = await service.test_connector(session, principal, settings, http, connector_id)
    return TestResult.model_validate(
        {
            "ok": bool(conn.last_test_ok),
            "reason": conn.last_test_reason,
            "tested_at": conn.last_test_at,
            "status": conn.status,
            "account_name": conn.account_name,
        }
    )


@router.delete(
    "/connectors/{connector_id}",
    status_code=204,
    summary="Disconnect (admin): revokes the token upstream where the provider supports it",
)
async def delete_connector(
    connector_id: uuid.UUID,
    principal: ConnectorUser,
    session: Session,
    settings: AppSettings,
    http: Http,
) -> Response:
    await service.delete_connector(session, principal, settings, http, connector_id)
    return Response(status_code=204)


@router.get(
    "/projects/{project_id}/tracker-target",
    response_model=TrackerTarget,
    summary="Where this project's bugs are pushed (404 when none is set)",
)
async def get_target(
    project_id: uuid.UUID, principal: ConnectorUser, session: Session
) -> TrackerTarget:
    return target_out(*await targets.get_target(session, principal, project_id))


@router.put(
    "/projects/{project_id}/tracker-target",
    response_model=TrackerTarget,
    summary="Set where this project's bugs are pushed (admin)",
)
async def put_target(
    project_id: uuid.UUID,
    body: TrackerTargetPut,
    principal: ConnectorUser,
    session: Session,
) -> TrackerTarget:
    target, conn, _ = await targets.put_target(session, principal, project_id, body)
    return target_out(target, conn)


@router.delete(
    "/projects/{project_id}/tracker-target",
    status_code=204,
    summary="Stop pushing this project's bugs anywhere (admin)",
)
async def delete_target(
    project_id: uuid.UUID, principal: ConnectorUser, session: Session
) -> Response:
    await targets.delete_target(session, principal, project_id)
    return Response(status_code=204)


@router.post(
    "/bugs/{bug_id}/push",
    status_code=202,
    response_model=TrackerPushOut,
    responses={200: {"description": "Already pushed (or being pushed): the existing push"}},
    summary="Push a bug into its project's tracker as an issue (member); runs in the background",
    description="Idempotent: a bug is pushed to a target once; asking again returns that push "
    "(a failed push is queued again). Poll `GET /v1/bugs/{bug_id}/pushes`; the bug's "
    "`external_issue` and activity (`tracker_pushed`) show the result.",
)
async def push_bug(
    bug_id: uuid.UUID,
    principal: ConnectorUser,
    session: Session,
    response: Response,
    body: PushRequest | None = None,
) -> TrackerPushOut:
    push, queued = await pushes.push_bug(
        session, principal, bug_id, body.connector_id if body else None
    )
    response.status_code = 202 if queued else 200
    return TrackerPushOut.model_validate(push)


@router.get(
    "/bugs/{bug_id}/pushes",
    response_model=list[TrackerPushOut],
    summary="This bug's pushes to trackers, newest first",
)
async def list_pushes(
    bug_id: uuid.UUID, principal: ConnectorUser, session: Session
) -> list[TrackerPushOut]:
    return [
        TrackerPushOut.model_validate(p)
        for p in await pushes.list_pushes(session, principal, bug_id)
    ]


@router.post(
    "/connectors/{connector_id}/webhook-secret",
    response_model=TrackerWebhook,
    summary="Issue the secret the tracker signs its webhooks with, so closed/reopened issues "
    "update their bugs (admin); a new call replaces the old secret",
)
async def tracker_webhook_secret(
    connector_id: uuid.UUID, principal: ConnectorUser, session: Session, request: Request
) -> TrackerWebhook:
    settings = request.app.state.settings
    conn = await service.get_connector(
        session, principal, connector_id, "connector.manage", for_update=True
    )
    secret = sync.new_secret(settings, conn)
    return TrackerWebhook(
        url=sync.receive_url(settings, conn.id),
        secret=secret,
        signature_header=sync.SIGNATURE_HEADER[conn.provider],
        events=sync.EVENTS[conn.provider],
    )


@router.post(
    "/trackers/{connector_id}/webhook",
    response_model=TrackerWebhookAck,
    summary="Receive a tracker's webhook (GitHub, Linear, Jira), authenticated by its signature",
    responses={401: {"description": "Unknown connection, or the signature does not match"}},
)
async def tracker_webhook(
    connector_id: uuid.UUID, request: Request, session: Session
) -> TrackerWebhookAck:
    raw = await request.body()
    result = await sync.receive(
        session, request.app.state.settings, connector_id, raw, request.headers
    )
    return TrackerWebhookAck(result=result)
