"""similar bugs: failure fingerprints, duplicate links, their (partial) indexes

Columns are added in place (no table rebuild on SQLite, so the FTS triggers stay). Existing bugs
get their fingerprints from `bugport fingerprints` (a backfill with progress), not here: a
migration that reads every capture of a million bugs would hold the upgrade for minutes.

Revision ID: 0016_similar
Revises: 0015_audit_filters
Create Date: 2026-12-04 22:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_similar"
down_revision: str | None = "0015_audit_filters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL = [
    (
        "ix_bugs_project_fingerprint",
        "fingerprint",
        ["project_id", "fingerprint", "created_at", "id"],
    ),
    (
        "ix_bugs_workspace_fingerprint",
        "fingerprint",
        ["workspace_id", "fingerprint", "created_at", "id"],
    ),
    (
        "ix_bugs_workspace_fp_request",
        "fp_request",
        ["workspace_id", "fp_request", "created_at", "id"],
    ),
    ("ix_bugs_workspace_fp_error", "fp_error", ["workspace_id", "fp_error", "created_at", "id"]),
    ("ix_bugs_duplicate_of", "duplicate_of_id", ["duplicate_of_id", "created_at", "id"]),
]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("bugs", sa.Column("fingerprint", sa.String(length=32), nullable=True))
    op.add_column("bugs", sa.Column("fp_request", sa.String(length=300), nullable=True))
    op.add_column("bugs", sa.Column("fp_error", sa.String(length=300), nullable=True))
    if sqlite:
        # SQLite adds a column with a REFERENCES clause in place (no rebuild); Alembic would
        # ask for batch mode, which rebuilds the table.
        op.execute(
            "ALTER TABLE bugs ADD COLUMN duplicate_of_id CHAR(32) "
            "CONSTRAINT fk_bugs_duplicate_of_id_bugs REFERENCES bugs (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("bugs", sa.Column("duplicate_of_id", sa.Uuid(), nullable=True))
        op.create_foreign_key(
            "fk_bugs_duplicate_of_id_bugs",
            "bugs",
            "bugs",
            ["duplicate_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
    for name, column, columns in PARTIAL:
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(name, "bugs", columns, postgresql_where=where, sqlite_where=where)


def _migration_0002():  # type: ignore[no-untyped-def]
    """0002's full-text helpers (a migration file's name is not an importable module name)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("20261128_0002_bugs.py")
    spec = importlib.util.spec_from_file_location("bugport_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, _, _ in reversed(PARTIAL):
        op.drop_index(name, table_name="bugs")
    for column in ("fp_error", "fp_request", "fingerprint"):
        op.drop_column("bugs", column)
    if not sqlite:
        op.drop_constraint("fk_bugs_duplicate_of_id_bugs", "bugs", type_="foreignkey")
        op.drop_column("bugs", "duplicate_of_id")
        return
    # SQLite can't drop a column that holds a REFERENCES clause in place: the table is rebuilt,
    # which drops the full-text triggers, so they are dropped first and made again (0002's note).
    fulltext = _migration_0002()
    fulltext.drop_fulltext()
    with op.batch_alter_table("bugs") as batch_op:
        batch_op.drop_column("duplicate_of_id")
    fulltext.create_fulltext()
