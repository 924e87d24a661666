"""Apply the Alembic chain from code (serve, migrate, tests): one path for every caller."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def _run(
    engine: AsyncEngine, command_fn: Callable[[Config, str], None], revision: str
) -> None:
    def _in_sync(conn: Connection) -> None:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # batch_alter_table recreates a table on SQLite (copy, drop, rename); with foreign
            # keys on, the drop would cascade into every child table (dropping `users` deletes
            # the memberships). Keys are off for the run and checked before the commit instead,
            # as Alembic's batch docs advise. The PRAGMA is a no-op inside a transaction, so it
            # goes to the driver before SQLAlchemy begins one.
            _raw_sqlite(conn, "PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command_fn(cfg, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left rows without their parent: {broken}")
        finally:
            if sqlite:
                _raw_sqlite(conn, "PRAGMA foreign_keys=ON")

    async with engine.connect() as conn:
        await conn.run_sync(_in_sync)


def _raw_sqlite(conn: Connection, sql: str) -> None:
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cur.execute(sql)
    finally:
        cur.close()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, command.downgrade, revision)
