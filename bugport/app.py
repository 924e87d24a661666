"""create_app(settings) -> FastAPI: every feature router under /v1, one error model."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from bugport import hooks
from bugport.audit.middleware import AuditMiddleware
from bugport.config import API_VERSION, Settings
from bugport.db import make_engine, make_sessionmaker
from bugport.errors import install_error_handlers
from bugport.kit.jobs import JobContext, Jobs, run_periodic
from bugport.kit.middleware import (
    BodyGuard,
    DefaultRateLimit,
    RequestContext,
    body_limit_for,
    register_body_limit,
)
from bugport.kit.ratelimit import RateLimiter
from bugport.media.rules import max_media_bytes
from bugport.storage import http as storage_http
from bugport.storage import make_storage

ERROR_STATUSES = {
    "400": "Malformed request (`invalid_request`, `invalid_json`, `invalid_cursor`)",
    "401": "Missing, invalid or expired credential",
    "403": "Valid credential, not allowed",
    "404": "Not found, or not visible to this credential",
    "405": "Method not allowed",
    "409": "Conflict with the current state",
    "413": "Body over the route's limit",
    "415": "Body is not JSON",
    "422": "Field validation failed; `details` name each field",
    "429": "Rate limited; see Retry-After",
    "500": "Internal error; quote the request id",
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "message"],
                        "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                    },
                },
                "request_id": {"type": "string"},
            },
        }
    },
}


def routers() -> list[APIRouter]:
    from bugport.account.endpoints import router as account
    from bugport.audit.endpoints import router as audit
    from bugport.billing.endpoints import router as billing
    from bugport.bug.endpoints import router as bug
    from bugport.connector.endpoints import router as connector
    from bugport.dashboard.endpoints import router as dashboard
    from bugport.health.endpoints import router as health
    from bugport.mcp.endpoints import router as mcp
    from bugport.mcp_token.endpoints import router as mcp_token
    from bugport.media.endpoints import bug_router as bug_media
    from bugport.media.endpoints import router as media
    from bugport.notify.endpoints import router as notify
    from bugport.plugin.endpoints import router as plugin
    from bugport.project.endpoints import router as project
    from bugport.public_share.endpoints import router as public_share
    from bugport.similar.endpoints import router as similar
    from bugport.webhook.endpoints import router as webhooks
    from bugport.widget.endpoints import router as widget
    from bugport.widget.intake import router as widget_intake
    from bugport.widget.media_flow import router as widget_media
    from bugport.widget_key.endpoints import router as widget_keys
    from bugport.workspace.endpoints import router as workspace

    # Matched in this order: public intake, the busiest route, is looked at first.
    return [
        widget_intake,
        health,
        account,
        workspace,
        project,
        billing,
        similar,  # POST /v1/bugs/similar before the bug routes' /{bug_id}
        bug,
        public_share,
        dashboard,
        media,
        bug_media,
        plugin,
        connector,
        mcp_token,
        audit,
        mcp,
        widget_keys,
        webhooks,
        notify,
        widget,
        widget_media,
    ]


def _document_errors(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        comps["Error"] = ERROR_SCHEMA
        comps.pop("HTTPValidationError", None)
        comps.pop("ValidationError", None)
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path_item in schema.get("paths", {}).values():
            for op in path_item.values():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                for status, desc in ERROR_STATUSES.items():
                    op["responses"][status] = {"description": desc, "content": ref}
                op["responses"].setdefault("503", {"description": "Unavailable", "content": ref})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    hooks.install()
    from bugport.auth.jwt import SupabaseVerifier

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Embedded mode runs periodic jobs (upload sweeps) in this process; with Redis the
        # `bugport worker` does.
        stop = asyncio.Event()
        ticker = (
            None
            if app.state.jobs.uses_redis
            else asyncio.create_task(run_periodic(app.state.jobs, stop))
        )
        # Everything loaded at start (modules, routes, schemas, mappers) lives as long as the
        # process: moved out of the collector's sight, so the full collections that allocation-
        # heavy requests (intake) trigger don't walk it again and again (~1.5 ms per report).
        gc.collect()
        gc.freeze()
        # A report allocates thousands of short-lived objects: collecting the young generation
        # every 20,000 allocations instead of 700 cuts ~10% of intake CPU (bench/RESULTS-widget.md)
        # for a few MB of garbage held a little longer.
        gc.set_threshold(20_000, 10, 10)
        # The remote MCP endpoint's session manager lives as long as the app.
        async with app.state.mcp_running():
            yield
        from bugport.billing.gateway import close as close_stripe

        await close_stripe(app.state)
        await app.state.widget_intake.drain()
        stop.set()
        if ticker is not None:
            await ticker
        await app.state.jobs.drain()
        await app.state.jobs.shutdown()
        await app.state.engine.dispose()
        if app.state.redis is not None:
            await app.state.redis.aclose()

    app = FastAPI(
        title="BugPort API",
        version=API_VERSION,
        description="Bug reports from widget, extension and AI assistants. Every route lives under /v1.",
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url="/v1/docs/oauth2-redirect",
        lifespan=lifespan,
    )
    app.state.settings = settings
    from bugport.billing.plans import catalogue

    catalogue(settings)  # a broken plan file fails at start, not on the first checkout
    app.state.engine = make_engine(settings.resolved_database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.jwt_verifier = SupabaseVerifier(settings)
    app.state.storage = make_storage(settings)
    app.state.jobs = Jobs(settings, JobContext(settings, app.state.sessionmaker, app.state.storage))
    from bugport.widget.auth import KeyCache
    from bugport.widget.batch import make_batcher

    app.state.widget_key_cache = KeyCache()
    app.state.widget_intake = make_batcher(app.state)
    app.state.redis = None
    if settings.redis_url:
        import redis.asyncio as aioredis

        app.state.redis = aioredis.from_url(settings.redis_url)
    app.state.rate_limiter = RateLimiter(app.state.redis, settings.redis_namespace)

    install_error_handlers(app)
    for r in routers():
        app.include_router(r, prefix="/v1")
    # The local storage backend's signed URLs: raw bytes, outside /v1, not in the OpenAPI.
    app.add_route(storage_http.PATH, storage_http.storage_object, methods=["GET", "HEAD", "PUT"])
    # The signature binds the exact length; the default 1 MB JSON limit would refuse real files.
    if body_limit_for("PUT", "/storage/x", -1) == -1:
        register_body_limit("PUT", storage_http.PATH_REGEX, max_media_bytes(settings))
    from bugport.mcp.http_transport import mount as mount_mcp

    # Outside /v1 on purpose: a stable URL for the drop-in <script> tag (docs/widget.md).
    from bugport.widget.endpoints import script_router

    app.include_router(script_router)

    app.state.mcp_running = mount_mcp(app)
    from bugport.dashboard.serving import mount as mount_dashboard

    # Last: the dashboard answers only the GETs no other route matched.
    mount_dashboard(app, settings)

    # Added innermost first: a request meets RequestContext, the MCP audit log, BodyGuard, rate
    # limits, then CORS. The audit log sits outside BodyGuard and the limits to record refusals.
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-ID"],
            expose_headers=[
                "X-Request-ID",
                "Location",
                "Retry-After",
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            allow_credentials=False,
        )
    app.add_middleware(storage_http.StorageCors)
    app.add_middleware(DefaultRateLimit, get_state=lambda: app.state)
    app.add_middleware(BodyGuard, default_limit=settings.max_body_bytes)
    app.add_middleware(AuditMiddleware, get_state=lambda: app.state)
    # Outside the limits and the body guard, so the widget can read their 429/413 answers.
    from bugport.widget.cors import WidgetCORS

    app.add_middleware(WidgetCORS, get_state=lambda: app.state)
    # Outermost but one: a widget report is announced to the batcher as soon as it arrives.
    from bugport.widget.batch import ReportsOnTheWay

    app.add_middleware(ReportsOnTheWay, get_state=lambda: app.state)
    app.add_middleware(RequestContext)
    _document_errors(app)
    return app
