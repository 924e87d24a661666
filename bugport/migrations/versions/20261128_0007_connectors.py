"""connectors

Revision ID: 0007_connectors
Revises: 0002_bugs
Create Date: 2026-11-28 16:17:35.637541
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bugport.models.base

revision: str = "0007_connectors"
down_revision: str | None = "0003_media"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_oauth_states",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("code_verifier_enc", sa.Text(), nullable=True),
        sa.Column("return_path", sa.String(length=2000), nullable=True),
        sa.Column("site_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", bugport.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_connector_oauth_states_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_connector_oauth_states_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_oauth_states")),
    )
    with op.batch_alter_table("connector_oauth_states", schema=None) as batch_op:
        batch_op.create_index("ix_connector_oauth_states_expires", ["expires_at"], unique=False)

    op.create_table(
        "connectors",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("external_key", sa.String(length=255), nullable=False),
        sa.Column("account_name", sa.String(length=255), nullable=False),
        sa.Column("site_name", sa.String(length=255), nullable=True),
        sa.Column("site_url", sa.String(length=2000), nullable=True),
        sa.Column("cloud_id", sa.String(length=100), nullable=True),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("access_token_enc", sa.Text(), nullable=False),
        sa.Column("refresh_token_enc", sa.Text(), nullable=True),
        sa.Column(
            "token_expires_at", bugport.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("last_test_at", bugport.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_test_reason", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_connectors_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_connectors_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
        sa.UniqueConstraint(
            "workspace_id", "provider", "external_key", name="uq_connectors_workspace_account"
        ),
    )
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.create_index(
            "ix_connectors_workspace_created", ["workspace_id", "created_at", "id"], unique=False
        )

    op.create_table(
        "tracker_targets",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Uuid(), nullable=False),
        sa.Column("repo", sa.String(length=200), nullable=True),
        sa.Column("team_id", sa.String(length=100), nullable=True),
        sa.Column("project_key", sa.String(length=20), nullable=True),
        sa.Column("issue_type", sa.String(length=100), nullable=True),
        sa.Column("auto_push", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_tracker_targets_connector_id_connectors"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tracker_targets_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_tracker_targets_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tracker_targets_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_tracker_targets")),
    )
    with op.batch_alter_table("tracker_targets", schema=None) as batch_op:
        batch_op.create_index("ix_tracker_targets_connector", ["connector_id"], unique=False)

    op.create_table(
        "tracker_pushes",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("bug_id", sa.Uuid(), nullable=False),
        sa.Column("connector_id", sa.Uuid(), nullable=True),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("external_key", sa.String(length=200), nullable=True),
        sa.Column("external_url", sa.String(length=2000), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bugport.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", bugport.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bug_id"],
            ["bugs.id"],
            name=op.f("fk_tracker_pushes_bug_id_bugs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connectors.id"],
            name=op.f("fk_tracker_pushes_connector_id_connectors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_tracker_pushes_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_tracker_pushes_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_tracker_pushes_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracker_pushes")),
        sa.UniqueConstraint(
            "bug_id", "connector_id", "target", name="uq_tracker_pushes_bug_target"
        ),
    )
    with op.batch_alter_table("tracker_pushes", schema=None) as batch_op:
        batch_op.create_index("ix_tracker_pushes_bug", ["bug_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tracker_pushes", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_pushes_bug")

    op.drop_table("tracker_pushes")
    with op.batch_alter_table("tracker_targets", schema=None) as batch_op:
        batch_op.drop_index("ix_tracker_targets_connector")

    op.drop_table("tracker_targets")
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_index("ix_connectors_workspace_created")

    op.drop_table("connectors")
    with op.batch_alter_table("connector_oauth_states", schema=None) as batch_op:
        batch_op.drop_index("ix_connector_oauth_states_expires")

    op.drop_table("connector_oauth_states")
