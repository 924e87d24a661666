"""Background jobs on taskiq: one task code, two ways to run it.

- `BUGPORT_REDIS_URL` set: jobs go to a Redis stream (`BUGPORT_JOBS_QUEUE`, default `<BUGPORT_REDIS_NAMESPACE>:jobs`) and a separate
  `bugport worker` process runs them (run as many as you like; each message goes to one).
- Embedded (no Redis): an in-process broker runs each job as an asyncio task in the API process.

Declare a job in your feature's `tasks.py` and list that module in `TASK_MODULES` below:

    from bugport.kit.jobs import JobContext, job

    @job("tracker.push", retries=5)
    async def push(ctx: JobContext, bug_id: str) -> None:
        async with ctx.session() as session:      # its own transaction, committed on exit
            ...

Arguments must be JSON values (pass ids as strings). A job should be idempotent: with retries, and
with Redis redelivering a message whose worker died, it can run more than once.

Enqueue it only once the data it reads is committed: from a service,

    enqueue_after_commit(session, jobs, "tracker.push", bug_id=str(bug.id))

where `jobs` is `request.app.state.jobs` (the endpoint passes it in). A failure raises out of the
job: it is retried up to `retries` times (default BUGPORT_JOBS_MAX_RETRIES), then logged.

Periodic work (sweeps) is declared with `@periodic("name", every=lambda s: s.some_seconds)` on a
job with no arguments; the process that runs jobs (the API in embedded mode, `bugport worker`
with Redis) enqueues it on that interval."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from taskiq import AsyncBroker, InMemoryBroker, SimpleRetryMiddleware

from bugport.config import Settings
from bugport.db import after_commit
from bugport.storage import Storage

log = logging.getLogger("bugport.jobs")

# Modules that declare jobs; imported before any broker is built so every job is registered.
TASK_MODULES: tuple[str, ...] = (
    "bugport.media.tasks",
    "bugport.connector.tasks",
    "bugport.webhook.tasks",
)

JobFn = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: JobFn
    retries: int | None


@dataclass(frozen=True)
class PeriodicSpec:
    name: str
    every: Callable[[Settings], float]


REGISTRY: dict[str, JobSpec] = {}
PERIODIC: dict[str, PeriodicSpec] = {}


def job(name: str, *, retries: int | None = None) -> Callable[[JobFn], JobFn]:
    """Register `fn(ctx, **kwargs)` as the job `name` (names are global: `<feature>.<verb>`)."""

    def deco(fn: JobFn) -> JobFn:
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise RuntimeError(f"job {name!r} is declared twice")
        REGISTRY[name] = JobSpec(name, fn, retries)
        return fn

    return deco


def periodic(name: str, *, every: Callable[[Settings], float]) -> Callable[[JobFn], JobFn]:
    def deco(fn: JobFn) -> JobFn:
        PERIODIC[name] = PeriodicSpec(name, every)
        return fn

    return deco


def load_tasks() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)


@dataclass
class JobContext:
    """What a job gets: settings, a way to open a transaction, object storage."""

    settings: Settings
    sessionmaker: async_sessionmaker[AsyncSession]
    storage: Storage
    extra: dict[str, Any] = field(default_factory=dict)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One transaction: committed when the block exits cleanly, rolled back otherwise."""
        async with self.sessionmaker() as session, session.begin():
            yield session


class Jobs:
    """The broker of one process plus the registered jobs bound to that process's context."""

    def __init__(self, settings: Settings, ctx: JobContext) -> None:
        load_tasks()
        self.settings = settings
        self.ctx = ctx
        self.uses_redis = bool(settings.redis_url)
        self.broker: AsyncBroker
        if settings.redis_url:
            from taskiq_redis import RedisStreamBroker

            # consumer_id "0": a worker's group, created on its first start, also sees jobs
            # enqueued before any worker ever ran.
            self.broker = RedisStreamBroker(
                settings.redis_url,
                queue_name=settings.jobs_stream,
                consumer_group_name="bugport-workers",
                consumer_id="0",
                unacknowledged_lock_timeout=300,
            )
        else:
            # No result storage needed (jobs write their outcome to the database).
            self.broker = InMemoryBroker(max_stored_results=-1, cast_types=False)
        self.broker.add_middlewares(
            SimpleRetryMiddleware(default_retry_count=settings.jobs_max_retries)
        )
        for spec in REGISTRY.values():
            self.broker.register_task(
                self._bind(spec),
                task_name=spec.name,
                retry_on_error=True,
                max_retries=spec.retries or settings.jobs_max_retries,
            )
        self._started = False

    def _bind(self, spec: JobSpec) -> Callable[..., Awaitable[Any]]:
        ctx = self.ctx

        async def run(**kwargs: Any) -> Any:
            try:
                return await spec.fn(ctx, **kwargs)
            except Exception:
                log.exception("job %s failed", spec.name, extra={"job": spec.name})
                raise

        run.__name__ = spec.name.replace(".", "_")
        return run

    async def enqueue(self, name: str, **kwargs: Any) -> None:
        task = self.broker.find_task(name)
        if task is None:
            raise KeyError(f"unknown job {name!r}; declare it with @job and list its module")
        await task.kiq(**kwargs)

    async def drain(self) -> None:
        """In-process mode: wait until every job started so far (and its retries) has finished."""
        if isinstance(self.broker, InMemoryBroker):
            while self.broker._running_tasks:
                await self.broker.wait_all()

    async def shutdown(self) -> None:
        await self.broker.shutdown()


def enqueue_after_commit(session: AsyncSession, jobs: Jobs, name: str, **kwargs: Any) -> None:
    """Enqueue once the caller's transaction has committed (never for a rolled-back write)."""

    async def _go() -> None:
        await jobs.enqueue(name, **kwargs)

    after_commit(session, _go)


async def run_periodic(jobs: Jobs, stop: asyncio.Event) -> None:
    """Enqueue each periodic job on its interval until `stop` is set."""
    load_tasks()
    next_run: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        now = loop.time()
        for spec in PERIODIC.values():
            if now >= next_run.get(spec.name, 0.0):
                next_run[spec.name] = now + spec.every(jobs.settings)
                try:
                    await jobs.enqueue(spec.name)
                except Exception:
                    log.exception("could not enqueue periodic job %s", spec.name)
        wait = min((t - loop.time() for t in next_run.values()), default=60.0)
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(wait, 0.5))
        except TimeoutError:
            pass


def context_from_settings(settings: Settings) -> tuple[JobContext, AsyncEngine]:
    from bugport.db import make_engine, make_sessionmaker
    from bugport.storage import make_storage

    engine = make_engine(settings.resolved_database_url, pool_size=5)
    return JobContext(settings, make_sessionmaker(engine), make_storage(settings)), engine


async def run_worker(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """`bugport worker`: consume the Redis queue (and run periodic jobs) until stopped."""
    from taskiq.api import run_receiver_task

    if not settings.redis_url:
        raise RuntimeError(
            "bugport worker needs BUGPORT_REDIS_URL (embedded mode runs jobs in-process)."
        )
    stop = stop or asyncio.Event()
    ctx, engine = context_from_settings(settings)
    jobs = Jobs(settings, ctx)
    jobs.broker.is_worker_process = True
    await jobs.broker.startup()
    receiver = asyncio.create_task(
        run_receiver_task(jobs.broker, validate_params=False, max_async_tasks=10)
    )
    ticker = asyncio.create_task(run_periodic(jobs, stop))
    log.info("worker consuming %s (%d jobs)", settings.jobs_stream, len(REGISTRY))
    try:
        await stop.wait()
    finally:
        receiver.cancel()
        ticker.cancel()
        await asyncio.gather(receiver, ticker, return_exceptions=True)
        await jobs.shutdown()
        await engine.dispose()
