"""`/storage/{key}`: the local backend's answer to its own signed URLs (raw bytes, not /v1 JSON).

PUT checks, before reading a byte: signature (method, key, content type, length, expiry), that the
request's Content-Type and Content-Length are exactly the signed ones, then streams the body to a
temporary file, refusing more or fewer bytes than signed, and moves it into place atomically.
GET serves the object with its stored content type. The route is registered only in local mode."""

from __future__ import annotations

import asyncio
import os
import secrets

from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bugport.errors import render
from bugport.storage.local import LocalStorage

PATH = "/storage/{key:path}"
PATH_REGEX = r"/storage/.+"


def _storage(request: Request) -> LocalStorage | None:
    storage = request.app.state.storage
    return storage if isinstance(storage, LocalStorage) else None


async def storage_object(request: Request) -> Response:
    storage = _storage(request)
    key = request.path_params["key"]
    if storage is None:
        return render(request, 404, "route_not_found", "Local storage is not in use here.")
    try:
        path = storage.path_for(key)
    except ValueError:
        return render(request, 404, "not_found", "No such object.")
    q = request.query_params
    method = "GET" if request.method == "HEAD" else request.method
    filename = q.get("filename", "") if method == "GET" else ""
    if method == "PUT":
        ctype = request.headers.get("content-type", "")
        length = request.headers.get("content-length", "")
    else:
        ctype = length = ""
    problem = storage.verify(
        method, key, ctype, length, q.get("exp", ""), filename, q.get("sig", "")
    )
    if problem:
        # Same answer S3 gives for a bad/expired signature or a changed signed header.
        return render(request, 403, "forbidden", problem)
    if method == "GET":
        return _get(request, storage, key, path, filename)
    return await _put(request, storage, key, path, ctype, int(length))


def _get(
    request: Request, storage: LocalStorage, key: str, path: os.PathLike[str], filename: str
) -> Response:
    meta = storage.read_meta(key)
    if meta is None or not os.path.isfile(path):
        return render(request, 404, "not_found", "No such object.")
    return FileResponse(
        path,
        media_type=str(meta.get("content_type") or "application/octet-stream"),
        filename=filename or None,
        content_disposition_type="attachment" if filename else "inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=60"},
    )


async def _put(
    request: Request,
    storage: LocalStorage,
    key: str,
    path: os.PathLike[str],
    ctype: str,
    length: int,
) -> Response:
    target = os.fspath(path)
    tmp = f"{target}.{secrets.token_hex(6)}.part"
    received = 0
    # File I/O in a thread, chunk by chunk: the event loop never blocks on the disk.
    await asyncio.to_thread(os.makedirs, os.path.dirname(target), exist_ok=True)
    fh = await asyncio.to_thread(open, tmp, "wb")
    try:
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > length:
                    raise _TooLong
                await asyncio.to_thread(fh.write, chunk)
        finally:
            await asyncio.to_thread(fh.close)
        if received != length:
            raise _TooShort
        await asyncio.to_thread(os.replace, tmp, target)
        await asyncio.to_thread(storage.write_meta, key, ctype, length)
    except _TooLong:
        return render(request, 400, "invalid_request", "The body is longer than the signed length.")
    except (_TooShort, ClientDisconnect):
        return render(
            request, 400, "invalid_request", "The body is shorter than the signed length."
        )
    finally:
        await asyncio.to_thread(_unlink_quietly, tmp)
    return Response(status_code=200, headers={"ETag": f'"{secrets.token_hex(8)}"'})


class _TooLong(Exception):
    pass


class _TooShort(Exception):
    pass


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class StorageCors:
    """Browsers (widget, extension, dashboard) PUT/GET local-storage URLs from any origin: the
    signed URL is the whole credential (no cookies, no Authorization), so every origin may use it.
    Sits outside the API's CORS middleware, which only knows the dashboard's origins."""

    HEADERS = [
        (b"access-control-allow-origin", b"*"),
        (b"access-control-expose-headers", b"ETag, X-Request-ID"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/storage/"):
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            preflight = Response(
                status_code=204,
                headers={
                    "Access-Control-Allow-Origin": "*",
                    "Access-Control-Allow-Methods": "GET, HEAD, PUT",
                    "Access-Control-Allow-Headers": "Content-Type",
                    "Access-Control-Max-Age": "600",
                },
            )
            return await preflight(scope, receive, send)

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in self.HEADERS if k not in names
                ]
            await send(message)

        await self.app(scope, receive, _send)
