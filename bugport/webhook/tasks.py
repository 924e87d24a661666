"""The relay as jobs: every `BUGPORT_WEBHOOK_SWEEP_SECONDS` the process that runs jobs (the API
in embedded mode, each `bugport worker` with Redis) fans new events out and sends what is due;
hourly, events past `BUGPORT_EVENT_RETENTION_DAYS` go. Several workers share the work safely
(rows are claimed, see delivery.py)."""

from __future__ import annotations

from bugport.kit.jobs import JobContext, job, periodic
from bugport.models.base import utcnow
from bugport.webhook import delivery


@periodic("webhooks.sweep", every=lambda s: s.webhook_sweep_seconds)
@job("webhooks.sweep")
async def sweep(ctx: JobContext) -> None:
    await delivery.sweep(ctx.settings, ctx.sessionmaker, utcnow(), ctx.storage)


@periodic("events.prune", every=lambda s: 3600.0)
@job("events.prune")
async def prune(ctx: JobContext) -> None:
    await delivery.prune(ctx.settings, ctx.sessionmaker, utcnow())
