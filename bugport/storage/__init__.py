"""Object storage: `make_storage(settings)` picks S3/R2 when configured, else the local folder."""

from __future__ import annotations

from bugport.config import Settings
from bugport.storage.base import ObjectInfo, PresignedRequest, Storage, check_key


def make_storage(settings: Settings) -> Storage:
    if settings.uses_s3:
        from bugport.storage.s3 import S3Storage

        if not settings.s3_bucket:
            raise RuntimeError("BUGPORT_STORAGE_BACKEND=s3 needs BUGPORT_S3_BUCKET.")
        return S3Storage(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            path_style=settings.s3_path_style,
        )
    from bugport.storage.local import LocalStorage

    return LocalStorage(
        settings.data_dir / "objects", settings.public_base_url, settings.signing_key
    )


__all__ = ["ObjectInfo", "PresignedRequest", "Storage", "check_key", "make_storage"]
