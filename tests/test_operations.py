"""Request logging, JSON logs and the dashboard's CORS."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from bugport.app import create_app
from bugport.kit.logging import JSONFormatter
from tests.conftest import client_for, make_settings
from tests.fixtures.users import ApiUser


async def test_one_log_line_per_request_without_the_credential(
    client: httpx.AsyncClient, user: ApiUser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bugport.access")
    r = await client.get(f"/v1/workspaces/{user.personal_workspace_id}", headers=user.headers)
    lines = [rec for rec in caplog.records if rec.name == "bugport.access"]
    assert len(lines) == 1
    rec = lines[0]
    assert rec.request_id == r.headers["x-request-id"]  # type: ignore[attr-defined]
    assert rec.method == "GET" and rec.status == 200  # type: ignore[attr-defined]
    assert rec.route == "/v1/workspaces/{workspace_id}"  # type: ignore[attr-defined]
    assert rec.credential_kind == "jwt" and rec.duration_ms >= 0  # type: ignore[attr-defined]
    assert user.token not in caplog.text


def test_json_log_format() -> None:
    rec = logging.LogRecord(
        "bugport.access", logging.INFO, "x", 1, "GET /v1/health 200", None, None
    )
    rec.request_id = "abc"
    out = json.loads(JSONFormatter().format(rec))
    assert (
        out["message"] == "GET /v1/health 200"
        and out["request_id"] == "abc"
        and out["level"] == "info"
    )


async def test_dashboard_cors_allows_only_configured_origins(
    backend_url: tuple[str, str], tmp_path: Path
) -> None:
    app = create_app(
        make_settings(backend_url[1], tmp_path, cors_origins=["https://dash.example.com"])
    )
    pre = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    async with client_for(app) as c:
        ok = await c.options(
            "/v1/workspaces", headers={"Origin": "https://dash.example.com", **pre}
        )
        bad = await c.options(
            "/v1/workspaces", headers={"Origin": "https://evil.example.com", **pre}
        )
        simple = await c.get("/v1/health", headers={"Origin": "https://dash.example.com"})
    assert (
        ok.status_code == 200
        and ok.headers["access-control-allow-origin"] == "https://dash.example.com"
    )
    assert "access-control-allow-origin" not in bad.headers
    assert simple.headers["access-control-allow-origin"] == "https://dash.example.com"
    assert "access-control-allow-credentials" not in simple.headers
    await app.state.engine.dispose()
