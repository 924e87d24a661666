"""Public widget: the intake routes a `bp_pub_` key may call, and the built script at /widget.js."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from bugport.errors import NotFound
from bugport.widget.auth import WidgetCaller
from bugport.widget.schemas import WidgetCheck

router = APIRouter(prefix="/widget", tags=["widget"])
script_router = APIRouter(tags=["widget"], include_in_schema=False)

# Built by scripts/build-web.sh (which `./dev serve` and `./dev test` run) and shipped in the wheel.
DEFAULT_SCRIPT = Path(__file__).resolve().parents[1] / "web" / "widget" / "bugport-widget.js"


@router.post(
    "/check",
    response_model=WidgetCheck,
    summary="Check a widget key from this page's origin (the widget calls it when it opens)",
)
async def check(principal: WidgetCaller) -> WidgetCheck:
    assert principal.project_ids
    (project_id,) = principal.project_ids
    return WidgetCheck(ok=True, project_id=project_id)


_cache: dict[Path, tuple[float, bytes]] = {}


def _script(path: Path) -> bytes:
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError as exc:
        raise NotFound(
            "The widget script is not built on this server (run `scripts/build-web.sh widget`, or `./dev serve`)."
        ) from exc
    hit = _cache.get(path)
    if hit is None or hit[0] != mtime:
        hit = (mtime, path.read_bytes())
        _cache[path] = hit
    return hit[1]


@script_router.get("/widget.js")
async def widget_script(request: Request) -> Response:
    """The built widget for a drop-in <script> tag. Public: it holds no secret."""
    path = request.app.state.settings.widget_script_path or DEFAULT_SCRIPT
    return Response(
        _script(path),
        media_type="text/javascript; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
            "Cross-Origin-Resource-Policy": "cross-origin",
        },
    )
