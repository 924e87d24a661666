"""S3-compatible object storage (AWS S3, Cloudflare R2, MinIO) through boto3.

Presigning is pure CPU; the few calls that do I/O (HEAD, DELETE, GET/PUT of thumbnails) run in a
thread so the event loop never blocks. A presigned PUT binds its type and size by signing the
Content-Type and Content-Length headers (they land in X-Amz-SignedHeaders): R2 has no POST policy.
Completion still re-checks both with HEAD, because not every server enforces signed headers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from bugport.storage.base import ObjectInfo, PresignedRequest, check_key, check_prefix


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        path_style: bool,
    ) -> None:
        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if path_style else "auto"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def presign_put(
        self, key: str, content_type: str, size: int, expires_in: int
    ) -> PresignedRequest:
        url = self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": check_key(key),
                "ContentType": content_type,
                "ContentLength": size,
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
        return PresignedRequest(
            url=url,
            method="PUT",
            headers={"Content-Type": content_type, "Content-Length": str(size)},
            expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    def presign_get(
        self, key: str, expires_in: int, *, filename: str | None = None
    ) -> PresignedRequest:
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
        if filename:
            params["ResponseContentDisposition"] = _disposition(filename)
        url = self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return PresignedRequest(
            url=url, method="GET", expires_at=datetime.now(UTC) + timedelta(seconds=expires_in)
        )

    async def head(self, key: str) -> ObjectInfo | None:
        try:
            r = await asyncio.to_thread(
                self.client.head_object, Bucket=self.bucket, Key=check_key(key)
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return ObjectInfo(size=int(r["ContentLength"]), content_type=r.get("ContentType"))

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=check_key(key))

    async def delete_prefix(self, prefix: str) -> int:
        def _delete_all() -> int:
            removed = 0
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=check_prefix(prefix)
            )
            for page in pages:  # up to 1,000 keys a page: DeleteObjects' limit too
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    self.client.delete_objects(
                        Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True}
                    )
                    removed += len(keys)
            return removed

        return await asyncio.to_thread(_delete_all)

    async def get_bytes(self, key: str, max_bytes: int) -> bytes:
        def _get() -> bytes:
            r = self.client.get_object(Bucket=self.bucket, Key=check_key(key))
            if int(r["ContentLength"]) > max_bytes:
                r["Body"].close()
                raise ValueError(f"object {key} is larger than {max_bytes} bytes")
            return bytes(r["Body"].read())

        return await asyncio.to_thread(_get)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            ContentType=content_type,
        )


def _disposition(filename: str) -> str:
    from urllib.parse import quote

    safe = "".join(c for c in filename if c.isprintable() and c not in '"\\')[:200] or "file"
    return f"attachment; filename=\"{safe.encode('ascii', 'replace').decode()}\"; filename*=UTF-8''{quote(safe)}"
