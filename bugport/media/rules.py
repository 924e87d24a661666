"""What may be uploaded: content types per kind and the size limit per kind (settings)."""

from __future__ import annotations

from typing import Literal

from bugport.config import Settings

Kind = Literal["screenshot", "video", "attachment", "har"]
KINDS: tuple[str, ...] = ("screenshot", "video", "attachment", "har")

IMAGES = ("image/png", "image/jpeg", "image/webp", "image/gif")
VIDEOS = ("video/webm", "video/mp4")
HAR = ("application/json", "application/har+json")
DOCUMENTS = (
    "text/plain",
    "text/csv",
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/x-ndjson",
)

ALLOWED: dict[str, tuple[str, ...]] = {
    "screenshot": IMAGES,
    "video": VIDEOS,
    "har": HAR,
    "attachment": IMAGES + VIDEOS + HAR + DOCUMENTS,
}

# Kinds whose objects get a thumbnail job: images by Pillow, videos by ffmpeg when present.
THUMBNAILABLE_TYPES = frozenset(IMAGES) | frozenset(VIDEOS)


def max_bytes(settings: Settings, kind: str) -> int:
    return int(getattr(settings, f"media_max_{kind}_bytes"))


def normalize_type(content_type: str | None) -> str:
    """Compare types without parameters or case (`Image/PNG; x=y` is image/png)."""
    return (content_type or "").split(";")[0].strip().lower()


def max_media_bytes(settings: Settings) -> int:
    return max(max_bytes(settings, k) for k in KINDS)
