"""Alembic environment. Runs on a connection handed in by bugport.migrate (inside the app's event
loop) or, from the alembic CLI, on an engine built from BugPort's settings."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from bugport.models import Base

config = context.config
target_metadata = Base.metadata


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    # Dialect-only full-text objects (FTS5 tables, tsvector columns) are managed by hand.
    return not (name or "").startswith(("bugs_fts", "search_vector"))


def do_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run(connection)
        return
    from bugport.config import Settings
    from bugport.db import make_engine

    async def _go() -> None:
        engine = make_engine(Settings().resolved_database_url)
        async with engine.begin() as conn:
            await conn.run_sync(do_run)
        await engine.dispose()

    asyncio.run(_go())


run_online()
