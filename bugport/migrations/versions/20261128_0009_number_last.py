"""bugs are numbered last in their transaction (PostgreSQL)

bug/writer.py inserts a report's rows before it numbers them, so the project's counter lock is
held only by the numbering statement and the commit. `number` and `key` are NULL between the two,
inside that transaction; no committed bug is ever without them. SQLite keeps NOT NULL: its
writers take turns, it numbers before inserting, and rebuilding `bugs` there would cascade.

Revision ID: 0009_number_last
Revises: 0008_capture_fks
Create Date: 2026-11-28 23:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_number_last"
down_revision: str | None = "0008_capture_fks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bugs ALTER COLUMN number DROP NOT NULL")
        op.execute("ALTER TABLE bugs ALTER COLUMN key DROP NOT NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE bugs ALTER COLUMN number SET NOT NULL")
        op.execute("ALTER TABLE bugs ALTER COLUMN key SET NOT NULL")
