"""capture rows go with their bug through a trigger, not a foreign key

Console and network rows are written ~70 per report, always in the same statement as their bug
(bug/writer.py); the foreign key's check on each of them was ~30% of their insert time. Deleting
a bug — directly, or through its project's or workspace's cascade — still deletes its captures:
an AFTER DELETE trigger on `bugs` does it (PostgreSQL: once per statement, over the deleted rows;
SQLite: per row, and SQLite fires it for rows its foreign-key cascades delete too).

Revision ID: 0011_capture_cascade
Revises: 0010_capture_keys
Create Date: 2026-11-28 23:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_capture_cascade"
down_revision: str | None = "0010_capture_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("bug_logs", "bug_network")

PG_TRIGGER = [
    """
    CREATE FUNCTION bugs_delete_captures() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM bug_logs WHERE bug_id IN (SELECT id FROM gone);
      DELETE FROM bug_network WHERE bug_id IN (SELECT id FROM gone);
      RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER bugs_delete_captures AFTER DELETE ON bugs REFERENCING OLD TABLE AS gone "
    "FOR EACH STATEMENT EXECUTE FUNCTION bugs_delete_captures()",
]
SQLITE_TRIGGER = [
    "CREATE TRIGGER bugs_delete_captures AFTER DELETE ON bugs BEGIN "
    "DELETE FROM bug_logs WHERE bug_id = old.id; "
    "DELETE FROM bug_network WHERE bug_id = old.id; END",
]


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_bug_id_bugs", type_="foreignkey")
    for sql in PG_TRIGGER if postgres else SQLITE_TRIGGER:
        op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER bugs_delete_captures ON bugs")
        op.execute("DROP FUNCTION bugs_delete_captures()")
    else:
        op.execute("DROP TRIGGER bugs_delete_captures")
    for table in TABLES:
        # Rows whose bug is gone would fail the key; there are none while the trigger runs.
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_foreign_key(
                f"fk_{table}_bug_id_bugs", "bugs", ["bug_id"], ["id"], ondelete="CASCADE"
            )
