"""The embedded backend's own enforcement of its signed URLs (moto can't prove these for S3):
signature over method/key/type/length/expiry, expiry, exact headers and length, no traversal."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from fastapi import FastAPI

from bugport.storage import check_key
from bugport.storage.local import LocalStorage
from tests.conftest import assert_error


def fresh_key() -> str:
    # Unique per test run: the session's apps (SQLite and PostgreSQL) share one data dir.
    return f"ws/{uuid.uuid4()}/media/{uuid.uuid4()}"


KEY = "ws/11111111-1111-1111-1111-111111111111/media/22222222-2222-2222-2222-222222222222"


def storage(app: FastAPI) -> LocalStorage:
    s = app.state.storage
    assert isinstance(s, LocalStorage)
    return s


async def put(
    client: httpx.AsyncClient, url: str, data: bytes, ctype: str = "text/plain"
) -> httpx.Response:
    return await client.put(url, content=data, headers={"Content-Type": ctype})


async def test_round_trip_and_download(app: FastAPI, client: httpx.AsyncClient) -> None:
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY, "text/plain", 5, 60)
    assert up.headers == {"Content-Type": "text/plain", "Content-Length": "5"}
    r = await put(client, up.url, b"hello")
    assert r.status_code == 200, r.text
    info = await s.head(KEY)
    assert info is not None and info.size == 5 and info.content_type == "text/plain"
    get = s.presign_get(KEY, 60, filename="notes.txt")
    r = await client.get(get.url)
    assert r.status_code == 200 and r.content == b"hello"
    assert r.headers["content-type"].startswith("text/plain")
    assert (
        "attachment" in r.headers["content-disposition"]
        and "notes.txt" in r.headers["content-disposition"]
    )
    # HEAD with the same signed GET URL
    assert (await client.head(get.url)).status_code == 200


async def test_expired_url_is_refused(app: FastAPI, client: httpx.AsyncClient) -> None:
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY + "x", "text/plain", 5, -1)
    err = assert_error(await put(client, up.url, b"hello"), 403, "forbidden")
    assert "expired" in err["message"]
    get = s.presign_get(KEY, -1)
    assert_error(await client.get(get.url), 403, "forbidden")


@pytest.mark.parametrize("change", ["exp", "sig", "key", "method"])
async def test_any_change_breaks_the_signature(
    app: FastAPI, client: httpx.AsyncClient, change: str
) -> None:
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY + "y", "text/plain", 5, 60)
    u = urlparse(up.url)
    q = {k: v[0] for k, v in parse_qs(u.query).items()}
    path = u.path
    if change == "exp":
        q["exp"] = str(int(q["exp"]) + 3600)
    elif change == "sig":
        q["sig"] = "0" * 64
    elif change == "key":
        path = path.replace("media/", "media/other-")
    url = f"http://test{path}?{urlencode(q)}"
    if change == "method":  # a PUT URL used for a download
        r = await client.get(url)
    else:
        r = await put(client, url, b"hello")
    assert_error(r, 403, "forbidden")
    assert await s.head(KEY + "y") is None


async def test_type_and_length_must_match_signed(app: FastAPI, client: httpx.AsyncClient) -> None:
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY + "z", "image/png", 5, 60)
    assert_error(await put(client, up.url, b"hello", "image/jpeg"), 403, "forbidden")
    assert_error(await put(client, up.url, b"hello!", "image/png"), 403, "forbidden")
    assert_error(await put(client, up.url, b"hey", "image/png"), 403, "forbidden")
    assert await s.head(KEY + "z") is None
    assert (await put(client, up.url, b"hello", "image/png")).status_code == 200


async def test_body_longer_than_declared_length_is_cut_off(app: FastAPI) -> None:
    """A client announcing 5 bytes and streaming more never gets more than 5 stored."""
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY + "w", "text/plain", 5, 60)
    sent: list[dict[str, object]] = [
        {"type": "http.request", "body": b"hel", "more_body": True},
        {"type": "http.request", "body": b"lo, world", "more_body": False},
    ]
    u = urlparse(up.url)
    scope = {
        "type": "http", "http_version": "1.1", "method": "PUT", "path": u.path, "raw_path": u.path.encode(),
        "query_string": u.query.encode(), "root_path": "", "scheme": "http", "server": ("test", 80),
        "client": ("127.0.0.1", 1), "headers": [(b"host", b"test"), (b"content-type", b"text/plain"), (b"content-length", b"5")],
    }  # fmt: skip
    out: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return sent.pop(0)

    async def send(msg: dict[str, object]) -> None:
        out.append(msg)

    await app(scope, receive, send)
    assert out[0]["status"] == 400
    assert await s.head(KEY + "w") is None


@pytest.mark.parametrize(
    "path",
    [
        "/storage/../secret_key",
        "/storage/%2e%2e/secret_key",
        "/storage/ws/..%2f..%2fsecret_key",
        "/storage//etc/passwd",
        "/storage/ws/a/../../../secret_key",
    ],
)
async def test_no_path_traversal(app: FastAPI, client: httpx.AsyncClient, path: str) -> None:
    s = storage(app)
    exp = int(time.time()) + 60
    key = path.removeprefix("/storage/")
    sig = s.signature("GET", key, "", "", exp)
    r = await client.get(f"{path}?exp={exp}&sig={sig}")
    assert r.status_code in (403, 404), r.text
    assert b"test-signing-key" not in r.content


def test_check_key_rejects_unsafe_keys(tmp_path: Path) -> None:
    for bad in ("../x", "a/../b", "/abs", "a//b", "a/./b", ".hidden", "a\\b", "a b", ""):
        with pytest.raises(ValueError):
            check_key(bad)
    s = LocalStorage(tmp_path, "http://x", b"k")
    with pytest.raises(ValueError):
        s.path_for("a/../../etc")
    assert s.path_for(KEY).is_relative_to(tmp_path)


async def test_delete_prefix_removes_only_that_folder(tmp_path: Path) -> None:
    s = LocalStorage(tmp_path, "http://x", b"k")
    for key in ("ws/a/media/1", "ws/a/media/1.thumb.webp", "ws/ab/media/2", "ws/b/media/3"):
        await s.put_bytes(key, b"x", "image/png")
    assert await s.delete_prefix("ws/a/") == 2
    assert [await s.head(k) is None for k in ("ws/a/media/1", "ws/ab/media/2", "ws/b/media/3")] == [
        True,
        False,
        False,
    ]
    assert await s.delete_prefix("ws/a/") == 0
    for bad in ("ws/a", "ws/../", "/ws/a/", ""):
        with pytest.raises(ValueError):
            await s.delete_prefix(bad)


async def test_browsers_may_use_signed_urls_from_any_origin(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    s = storage(app)
    KEY = fresh_key()
    up = s.presign_put(KEY + "c", "image/png", 5, 60)
    pre = await client.options(
        up.url,
        headers={
            "Origin": "https://customer.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "PUT" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"].lower() == "content-type"
    r = await client.put(
        up.url,
        content=b"hello",
        headers={"Content-Type": "image/png", "Origin": "https://customer.example"},
    )
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "*"
