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
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command_fn(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(_in_sync)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, command.upgrade, revision)


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, command.downgrade, revision)
