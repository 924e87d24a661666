"""GET /widget.js serves the built script-tag bundle (public, outside /v1)."""

from __future__ import annotations

from pathlib import Path

import httpx

from bugport.widget.endpoints import DEFAULT_SCRIPT
from tests.conftest import assert_error, client_for, make_settings


def built() -> Path:
    assert DEFAULT_SCRIPT.exists(), (
        "bugport/web/widget/bugport-widget.js is missing: run `scripts/build-web.sh widget` "
        "(scripts/test-services.sh does it)"
    )
    return DEFAULT_SCRIPT


async def test_widget_js_is_served(client: httpx.AsyncClient) -> None:
    path = built()
    r = await client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == path.read_bytes()
    # Strict-CSP friendly: no eval or Function constructor in the bundle.
    assert b"eval(" not in r.content and b"new Function" not in r.content
    assert b"BugPort" in r.content


async def test_widget_js_missing_build_is_a_clear_404(backend_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bugport.app import create_app

    app = create_app(make_settings(backend_url[1], tmp_path, widget_script_path=tmp_path / "x.js"))
    async with client_for(app) as c:
        err = assert_error(await c.get("/widget.js"), 404, "not_found")
        assert "scripts/build-web.sh widget" in err["message"]
    await app.state.engine.dispose()
