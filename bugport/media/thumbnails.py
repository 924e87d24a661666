"""Thumbnails: a 320 px WebP from an image (Pillow) or from a video's first second (ffmpeg)."""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
import warnings
from pathlib import Path

from PIL import Image

# Refuse decompression bombs outright (Pillow only raises above 2x this; below it only warns).
MAX_PIXELS = 50_000_000


class ThumbnailError(Exception):
    """The file can't be thumbnailed (not really an image, truncated, too large): not retried."""


def image_thumbnail(data: bytes, size_px: int) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()  # rejects HTML posing as PNG, truncated files
            with Image.open(io.BytesIO(data)) as src:
                src.seek(0)  # first frame of a GIF
                img: Image.Image = src
                img.thumbnail((size_px, size_px))
                if img.mode not in ("RGB", "RGBA"):
                    img = img.convert("RGBA" if "A" in img.getbands() or img.mode == "P" else "RGB")
                out = io.BytesIO()
                img.save(out, "WEBP", quality=80)
                return out.getvalue()
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ThumbnailError(f"not a readable image: {type(exc).__name__}") from exc


def ffmpeg_path() -> str | None:
    return shutil.which("ffmpeg")


async def video_poster(data: bytes, size_px: int, ffmpeg: str) -> bytes:
    with tempfile.TemporaryDirectory(prefix="bugport-poster-") as tmp:
        src, dst = Path(tmp) / "in", Path(tmp) / "poster.png"
        src.write_bytes(data)
        proc = await asyncio.create_subprocess_exec(
            ffmpeg, "-nostdin", "-loglevel", "error", "-ss", "0.5", "-i", str(src),
            "-frames:v", "1", "-vf", f"scale='min({size_px},iw)':-2", str(dst), "-y",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        except TimeoutError as exc:
            proc.kill()
            raise ThumbnailError("ffmpeg timed out") from exc
        if proc.returncode != 0 or not dst.exists():
            # A very short clip has no frame at 0.5 s: fall back to the first frame.
            raise ThumbnailError(f"ffmpeg could not read the video: {err.decode()[-150:]}")
        return image_thumbnail(dst.read_bytes(), size_px)
