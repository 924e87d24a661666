"""`bugport serve` answers every non-API GET with the built dashboard (bugport/web/dashboard/,
from scripts/build-web.sh): hashed `/assets/*` cached for a year, `index.html` for `/` and the
SPA's own routes (revalidated on every load, so a deploy shows at once), all under a strict CSP.
API paths keep their JSON 404s: the fallback never answers under a reserved prefix."""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bugport.config import Settings
from bugport.dashboard.csp import content_security_policy

# Built by scripts/build-web.sh (which `./dev serve` runs) and shipped in the wheel.
DEFAULT_DIR = Path(__file__).resolve().parents[1] / "web" / "dashboard"
# Owned by the API, the storage backend, the MCP transport and the widget script.
RESERVED = ("/v1", "/storage", "/mcp", "/widget.js")
IMMUTABLE = "public, max-age=31536000, immutable"

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BugPort: dashboard not built</title></head>
<body><main><h1>The dashboard is not built on this server</h1>
<p>Build it with <code>scripts/build-web.sh dashboard</code> (or start with <code>./dev serve</code>,
which builds it), then reload. The API is up: <a href="/v1/docs">/v1/docs</a>.</p></main></body></html>
"""


def _reserved(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in RESERVED)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def page_headers(settings: Settings) -> dict[str, str]:
    """Headers of every dashboard document (index.html and the not-built page)."""
    return {
        "Content-Security-Policy": content_security_policy(settings),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


# The public share page: not indexed, and the share id in its URL never leaks as a Referer.
SHARE_HEADERS = {"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"}


def _static_file(root: Path, relative: str) -> Path | None:
    """A file of the build, by URL path; never outside it, never a dotfile (the `.built` stamp)."""
    if not relative or any(part.startswith(".") for part in relative.split("/")):
        return None
    candidate = (root / relative).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def mount(app: FastAPI, settings: Settings) -> None:
    """Answer the router's "no route matches" with the dashboard where that makes sense.

    Hooked on the 404 the router raises, not as a catch-all route: a catch-all would also match
    every method-mismatched API path and turn its 405 into a 404. Everything the dashboard does
    not answer falls through to the API's own `route_not_found` body."""
    root = (settings.dashboard_dir or DEFAULT_DIR).resolve()
    headers = page_headers(settings)
    api_not_found = app.exception_handlers[StarletteHTTPException]

    def serve(request: Request) -> Response | None:
        path = request.url.path
        if request.method not in ("GET", "HEAD") or _reserved(path):
            return None
        relative = path.lstrip("/")
        found = _static_file(root, relative)
        if found is not None and found.name != "index.html":
            # Vite names everything under assets/ by content hash: it never changes in place.
            cache = IMMUTABLE if relative.startswith("assets/") else "no-cache"
            return FileResponse(
                found, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"}
            )
        index = root / "index.html"
        # `/` is the dashboard for every client (curl too) once it is built; other paths are the
        # SPA's only for browsers, so a non-HTML client keeps the API's "/v1 prefix" hint.
        front_door = path == "/" and index.is_file()
        if relative.startswith("assets/") or not (_wants_html(request) or front_door):
            return None
        page = dict(headers)
        if path.startswith("/s/"):
            page.update(SHARE_HEADERS)
        if not index.is_file():
            return HTMLResponse(NOT_BUILT, status_code=404, headers=page)
        return FileResponse(index, media_type="text/html; charset=utf-8", headers=page)

    async def not_found(request: Request, exc: Exception) -> Response:
        response = serve(request)
        if response is not None:
            return response
        answer = api_not_found(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(404, not_found)
