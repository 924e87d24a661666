from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text

from bugport import __version__
from bugport.config import API_VERSION
from bugport.errors import Unavailable

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str]


class Version(BaseModel):
    version: str
    api_version: str


@router.get("/health", response_model=Health, summary="Liveness and dependency checks")
async def health(request: Request) -> Health:
    checks: dict[str, str] = {}
    failing: list[dict[str, str]] = []
    try:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # the check itself must not become a 500
        failing.append({"field": "checks.database", "message": type(exc).__name__})
    redis = getattr(request.app.state, "redis", None)
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            failing.append({"field": "checks.redis", "message": type(exc).__name__})
    if failing:
        names = ", ".join(f["field"].split(".")[1] for f in failing)
        raise Unavailable(f"Health check failed: {names}.", details=failing)
    return Health(status="ok", checks=checks)


@router.get("/version", response_model=Version, summary="Package and API version")
async def version() -> Version:
    return Version(version=__version__, api_version=API_VERSION)
