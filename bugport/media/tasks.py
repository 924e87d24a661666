"""Media jobs: thumbnails after completion, and the periodic sweep of abandoned uploads."""

from __future__ import annotations

import asyncio
import logging
import uuid

from bugport.kit.jobs import JobContext, job, periodic
from bugport.models import Media
from bugport.models.base import utcnow

from . import rules, service, thumbnails

log = logging.getLogger("bugport.media")
MAX_SOURCE_BYTES = 250 * 1024 * 1024


async def _set_state(
    ctx: JobContext, media_id: uuid.UUID, state: str, note: str | None, key: str | None = None
) -> bool:
    async with ctx.session() as session:
        m = await session.get(Media, media_id, with_for_update=True)
        if m is None:
            return False
        m.thumbnail_state = state
        m.thumbnail_note = note
        m.thumbnail_key = key
        m.updated_at = utcnow()
    return True


@job(service.THUMBNAIL_JOB)
async def make_thumbnail(ctx: JobContext, media_id: str) -> None:
    mid = uuid.UUID(media_id)
    async with ctx.session() as session:
        m = await session.get(Media, mid)
        if m is None or m.status != "ready" or m.thumbnail_state != "pending":
            return  # deleted, or already done by an earlier delivery
        key, ctype = m.storage_key, m.content_type
        thumb_key = service.thumbnail_key(m)
    size = ctx.settings.thumbnail_size_px
    # The slow part runs outside any transaction.
    try:
        if ctype in rules.VIDEOS:
            ffmpeg = thumbnails.ffmpeg_path()
            if ffmpeg is None:
                await _set_state(
                    ctx, mid, "skipped", "ffmpeg is not installed where jobs run; no video poster."
                )
                return
            data = await ctx.storage.get_bytes(key, MAX_SOURCE_BYTES)
            thumb = await thumbnails.video_poster(data, size, ffmpeg)
        else:
            data = await ctx.storage.get_bytes(key, MAX_SOURCE_BYTES)
            thumb = await asyncio.to_thread(thumbnails.image_thumbnail, data, size)
    except thumbnails.ThumbnailError as exc:
        await _set_state(ctx, mid, "failed", str(exc)[:200])
        return
    await ctx.storage.put_bytes(thumb_key, thumb, "image/webp")
    if not await _set_state(ctx, mid, "ready", None, thumb_key):
        await ctx.storage.delete(thumb_key)  # the media was deleted while we worked


@job(service.WORKSPACE_OBJECTS_JOB)
async def delete_workspace_objects(ctx: JobContext, workspace_id: str) -> None:
    prefix = service.workspace_prefix(uuid.UUID(workspace_id))
    removed = await ctx.storage.delete_prefix(prefix)
    log.info("deleted workspace %s: removed %d objects", workspace_id, removed)


@periodic("media.sweep", every=lambda s: s.media_sweep_interval_seconds)
@job("media.sweep")
async def sweep(ctx: JobContext) -> int:
    async with ctx.session() as session:
        n = await service.sweep(session, ctx.storage, ctx.settings, utcnow())
    if n:
        log.info("swept %d abandoned uploads", n)
    return n
