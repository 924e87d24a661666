"""One error base class, its subclasses, and the one renderer every error goes through."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("bugport.errors")


class BugPortError(Exception):
    status = 400
    code = "invalid_request"
    message = "The request is invalid."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.code = code or self.code
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(BugPortError):
    status, code = 400, "invalid_request"


class InvalidCursor(BugPortError):
    status, code, message = 400, "invalid_cursor", "The cursor is invalid or was tampered with."


class Unauthorized(BugPortError):
    status, code, message = 401, "unauthorized", "A valid credential is required."

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class QuotaExceeded(BugPortError):
    status, code, message = (
        402,
        "quota_exceeded",
        "The workspace's storage quota would be exceeded.",
    )


class Forbidden(BugPortError):
    status, code, message = 403, "forbidden", "This credential is not allowed to do that."


class InsufficientRole(Forbidden):
    code = "insufficient_role"


class WorkspaceForbidden(Forbidden):
    code, message = "workspace_forbidden", "You are not a member of this workspace."


class InsufficientScope(Forbidden):
    code = "insufficient_scope"

    def __init__(self, scope: str) -> None:
        super().__init__(
            f"This token lacks the '{scope}' scope.",
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{scope}"'},
        )
        self.details = [{"field": "scope", "message": scope}]


class NotFound(BugPortError):
    status, code, message = 404, "not_found", "Not found."


class Conflict(BugPortError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class PayloadTooLarge(BugPortError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UnsupportedMediaType(BugPortError):
    status, code = 415, "unsupported_media_type"
    message = "Send the body as application/json."


class ValidationFailed(BugPortError):
    status, code, message = 422, "validation_error", "The request failed validation."

    def __init__(self, field: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, details=[{"field": field, "message": message}])


class RateLimited(BugPortError):
    status, code, message = 429, "rate_limited", "Too many requests; retry later."


class UpstreamError(BugPortError):
    """An issue tracker (or its OAuth server) failed or refused; the message says which and why,
    never relaying the provider's raw response."""

    status, code, message = 502, "upstream_error", "The provider failed to answer usefully."


class Unavailable(BugPortError):
    status, code, message = 503, "unavailable", "The service is temporarily unavailable."


def request_id_of(request: Request) -> str:
    return getattr(request.state, "request_id", "") or ""


def error_body(
    request_id: str, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if details:
        err["details"] = details
    err["request_id"] = request_id
    return {"error": err}


def render(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    rid = request_id_of(request)
    hdrs = {"X-Request-ID": rid, **(headers or {})}
    return JSONResponse(error_body(rid, code, message, details), status_code=status, headers=hdrs)


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(p) for p in loc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BugPortError)
    async def _bugport(request: Request, exc: BugPortError) -> JSONResponse:
        return render(request, exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return render(request, 400, "invalid_json", "The body is not valid JSON.")
        details = []
        for e in errors:
            loc = list(e.get("loc", ()))
            msg = str(e.get("msg", "invalid"))
            if e.get("type") == "extra_forbidden":
                msg = "Unknown or read-only field."
            details.append({"field": _field_path(loc), "message": msg})
        return render(request, 422, "validation_error", "The request failed validation.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            path = request.url.path
            if not path.startswith("/v1/") and path != "/v1":
                msg = f"No route {path}. API routes live under the /v1 prefix (e.g. /v1{path})."
            else:
                msg = f"No route {request.method} {path}."
            return render(request, 404, "route_not_found", msg)
        if exc.status_code == 405:
            return render(
                request,
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.url.path}.",
                headers=dict(exc.headers or {}),
            )
        code = {
            400: "invalid_request",
            401: "unauthorized",
            403: "forbidden",
            413: "payload_too_large",
            415: "unsupported_media_type",
        }.get(exc.status_code, "error")
        return render(
            request, exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {})
        )

    # Unhandled exceptions end in kit/middleware.RequestContext (logged once, a clean 500).
