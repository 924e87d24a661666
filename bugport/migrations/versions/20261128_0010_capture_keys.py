"""console and network rows are keyed by (bug_id, position)

Every read finds them by bug and position; their random `id` (shown to clients, never looked up)
cost an index entry per row, written hundreds of times per report. The (bug_id, position) index
becomes the primary key and `id` an unindexed column.

Revision ID: 0010_capture_keys
Revises: 0009_number_last
Create Date: 2026-11-28 23:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_capture_keys"
down_revision: str | None = "0009_number_last"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("bug_logs", "bug_network")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_bug_position")
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", ["bug_id", "position"])


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", ["id"])
            batch_op.create_index(f"ix_{table}_bug_position", ["bug_id", "position"])
