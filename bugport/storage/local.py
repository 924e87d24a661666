"""The embedded storage backend: objects in a folder under the data dir, reached through URLs that
BugPort signs itself and answers on `/storage/{key}` (see storage/http.py), so a client's upload
flow is the same as with S3/R2: ask for a URL, PUT the bytes there, complete.

A URL carries `exp` (unix seconds) and `sig` = HMAC-SHA256 over method, key, content type, length
and expiry (and the download filename for GETs). Changing any of them, or using the URL for another
key, breaks the signature."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from bugport.kit.crypto import same_text
from bugport.storage.base import ObjectInfo, PresignedRequest, check_key, check_prefix


class LocalStorage:
    name = "local"

    def __init__(self, root: Path, base_url: str, signing_key: bytes) -> None:
        self.root = root.resolve()
        self.base_url = base_url.rstrip("/")
        # A key of its own, so a storage signature can never be replayed as a cursor signature.
        self._key = hmac.new(signing_key, b"bugport-local-storage", hashlib.sha256).digest()

    # --- signing -------------------------------------------------------------------------------

    def signature(
        self, method: str, key: str, content_type: str, length: str, exp: int, filename: str = ""
    ) -> str:
        msg = "\n".join((method.upper(), key, content_type, length, str(exp), filename))
        return hmac.new(self._key, msg.encode(), hashlib.sha256).hexdigest()

    def verify(
        self,
        method: str,
        key: str,
        content_type: str,
        length: str,
        exp: str,
        filename: str,
        sig: str,
    ) -> str | None:
        """None when the request may proceed, else the reason it may not."""
        try:
            exp_i = int(exp)
        except ValueError:
            return "The URL is malformed."
        good = self.signature(method, key, content_type, length, exp_i, filename)
        if not same_text(good, sig):
            return "The URL's signature does not match this request."
        if exp_i < time.time():
            return "The URL has expired."
        return None

    def _url(self, key: str, params: dict[str, str]) -> str:
        return f"{self.base_url}/storage/{quote(key)}?{urlencode(params)}"

    def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> PresignedRequest:
        exp = int(time.time()) + expires_in
        sig = self.signature("PUT", check_key(key), content_type, str(size), exp)
        return PresignedRequest(
            url=self._url(key, {"exp": str(exp), "sig": sig}),
            method="PUT",
            headers={"Content-Type": content_type, "Content-Length": str(size)},
            expires_at=datetime.fromtimestamp(exp, UTC),
        )

    def presign_get(
        self, key: str, expires_in: int, *, filename: str | None = None
    ) -> PresignedRequest:
        exp = int(time.time()) + expires_in
        params = {"exp": str(exp)}
        if filename:
            params["filename"] = filename
        params["sig"] = self.signature("GET", check_key(key), "", "", exp, filename or "")
        return PresignedRequest(
            url=self._url(key, params), method="GET", expires_at=datetime.fromtimestamp(exp, UTC)
        )

    # --- files ---------------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The object's file; a key can never point outside the root."""
        path = (self.root / "data" / check_key(key)).resolve()
        path.relative_to(self.root / "data")  # raises ValueError on escape
        return path

    def _meta_path(self, key: str) -> Path:
        path = (self.root / "meta" / (check_key(key) + ".json")).resolve()
        path.relative_to(self.root / "meta")
        return path

    def write_meta(self, key: str, content_type: str, size: int) -> None:
        meta = self._meta_path(key)
        meta.parent.mkdir(parents=True, exist_ok=True)
        tmp = meta.with_suffix(".tmp")
        tmp.write_text(json.dumps({"content_type": content_type, "size": size}))
        os.replace(tmp, meta)

    def read_meta(self, key: str) -> dict[str, object] | None:
        try:
            return json.loads(self._meta_path(key).read_text())  # type: ignore[no-any-return]
        except (FileNotFoundError, ValueError):
            return None

    def _head(self, key: str) -> ObjectInfo | None:
        path = self.path_for(key)
        if not path.is_file():
            return None
        meta = self.read_meta(key) or {}
        ctype = meta.get("content_type")
        return ObjectInfo(size=path.stat().st_size, content_type=str(ctype) if ctype else None)

    async def head(self, key: str) -> ObjectInfo | None:
        return await asyncio.to_thread(self._head, key)

    def _delete(self, key: str) -> None:
        for p in (self.path_for(key), self._meta_path(key)):
            p.unlink(missing_ok=True)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)

    def _delete_prefix(self, prefix: str) -> int:
        folder = check_prefix(prefix)[:-1]
        data, meta = self.path_for(folder), (self.root / "meta" / folder).resolve()
        meta.relative_to(self.root / "meta")
        removed = sum(1 for p in data.rglob("*") if p.is_file()) if data.is_dir() else 0
        for path in (data, meta):
            shutil.rmtree(path, ignore_errors=True)
        return removed

    async def delete_prefix(self, prefix: str) -> int:
        return await asyncio.to_thread(self._delete_prefix, prefix)

    async def get_bytes(self, key: str, max_bytes: int) -> bytes:
        path = self.path_for(key)
        if path.stat().st_size > max_bytes:
            raise ValueError(f"object {key} is larger than {max_bytes} bytes")
        return await asyncio.to_thread(path.read_bytes)

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        self.write_meta(key, content_type, len(data))

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put, key, data, content_type)
