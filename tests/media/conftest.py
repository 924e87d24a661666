"""Media test worlds: every media test runs on both databases x both storage backends (the
embedded local folder, and S3 over real HTTP against moto on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bugport.app import create_app
from tests.conftest import client_for, make_settings
from tests.fixtures.s3 import S3Server, s3_server  # noqa: F401  (session fixture)

QUOTA = 5_000_000
PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8ffff3f0005fe02fea7d6a0f60000000049454e44ae426082"
)


@dataclass
class MediaEnv:
    mode: str  # "local" | "s3"
    app: FastAPI
    client: httpx.AsyncClient  # the API (ASGI); also answers local /storage URLs
    net: httpx.AsyncClient  # real HTTP, for presigned S3 URLs
    s3: S3Server | None

    async def put(
        self,
        upload: dict[str, Any],
        data: bytes,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """PUT as a client would: to the URL, with the headers it was issued with."""
        hdrs = dict(upload["headers"]) if headers is None else headers
        target = url or upload["url"]
        c = self.client if target.startswith("http://test/") else self.net
        return await c.request(upload["method"], target, content=data, headers=hdrs)

    async def drain(self) -> None:
        await self.app.state.jobs.drain()


def png(width: int = 64, height: int = 48, color: str = "red") -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


@pytest_asyncio.fixture(scope="session", params=["local", "s3"])
async def media_app(
    request: pytest.FixtureRequest, backend_url: tuple[str, str], tmp_root: Path
) -> AsyncIterator[tuple[str, FastAPI, S3Server | None]]:
    mode = request.param
    s3: S3Server | None = request.getfixturevalue("s3_server") if mode == "s3" else None
    overrides: dict[str, Any] = {"storage_quota_bytes": QUOTA}
    if s3 is not None:
        overrides.update(s3.settings())
    _, url = backend_url
    app = create_app(make_settings(url, tmp_root / f"data-{mode}", **overrides))
    yield mode, app, s3
    await app.state.engine.dispose()


@pytest_asyncio.fixture
async def env(media_app: tuple[str, FastAPI, S3Server | None]) -> AsyncIterator[MediaEnv]:
    mode, app, s3 = media_app
    async with client_for(app) as c, httpx.AsyncClient(timeout=10) as net:
        yield MediaEnv(mode, app, c, net, s3)


async def request_upload(
    env: MediaEnv,
    headers: dict[str, str],
    project_id: str,
    *,
    size: int,
    kind: str = "screenshot",
    content_type: str = "image/png",
    filename: str = "shot.png",
) -> httpx.Response:
    body = {
        "filename": filename,
        "content_type": content_type,
        "size_bytes": size,
        "kind": kind,
        "project_id": project_id,
    }
    return await env.client.post("/v1/media/upload-url", json=body, headers=headers)


async def upload_ready(
    env: MediaEnv, headers: dict[str, str], project_id: str, data: bytes, **kw: Any
) -> dict[str, Any]:
    """The whole happy path; returns the completed media."""
    r = await request_upload(env, headers, project_id, size=len(data), **kw)
    assert r.status_code == 201, r.text
    put = await env.put(r.json()["upload"], data)
    assert put.status_code == 200, put.text
    r = await env.client.post(
        "/v1/media/complete", json={"media_id": r.json()["media_id"]}, headers=headers
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def storage_of(env: MediaEnv, headers: dict[str, str], workspace_id: str) -> dict[str, Any]:
    r = await env.client.get(f"/v1/workspaces/{workspace_id}/storage", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]
