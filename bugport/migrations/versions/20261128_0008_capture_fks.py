"""capture rows keep one foreign key (their bug)

Console and network rows are written hundreds per report; each foreign key costs a lookup per
row. Their workspace_id/project_id copy the bug's (for scoped reads) and go with it: the bug_id
key, ON DELETE CASCADE, already removes them with their bug, workspace or project.

Revision ID: 0008_capture_fks
Revises: 0004_widget_keys
Create Date: 2026-11-28 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_capture_fks"
down_revision: str | None = "0004_widget_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("bug_logs", "bug_network")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_project_id_projects", type_="foreignkey")
            batch_op.drop_constraint(f"fk_{table}_workspace_id_workspaces", type_="foreignkey")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_project_id_projects",
                "projects",
                ["project_id"],
                ["id"],
                ondelete="CASCADE",
            )
            batch_op.create_foreign_key(
                f"fk_{table}_workspace_id_workspaces",
                "workspaces",
                ["workspace_id"],
                ["id"],
                ondelete="CASCADE",
            )
