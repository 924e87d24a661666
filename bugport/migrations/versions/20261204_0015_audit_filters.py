"""audit log: indexes for the tool and route filters; media.bug_id gets its foreign key

The model has declared `media.bug_id → bugs.id ON DELETE SET NULL` since bugs took media, but no
migration created it (tests/test_schema_drift.py found it). Media rows whose bug is gone are
detached first, as the constraint would have done.

Revision ID: 0015_audit_filters
Revises: 0014_notifications
Create Date: 2026-12-04 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_audit_filters"
down_revision: str | None = "0014_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE media SET bug_id = NULL WHERE bug_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM bugs WHERE bugs.id = media.bug_id)"
        )
    )
    with op.batch_alter_table("media") as batch_op:
        batch_op.create_foreign_key(
            "fk_media_bug_id_bugs", "bugs", ["bug_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index(
        "ix_audit_log_workspace_tool_created",
        "audit_log",
        ["workspace_id", "tool", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_audit_log_workspace_route_created",
        "audit_log",
        ["workspace_id", "route", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_workspace_route_created", table_name="audit_log")
    op.drop_index("ix_audit_log_workspace_tool_created", table_name="audit_log")
    with op.batch_alter_table("media") as batch_op:
        batch_op.drop_constraint("fk_media_bug_id_bugs", type_="foreignkey")
