"""Background work: large imports and "Run now" leave the web request.

Adds `import_runs` (a workbook queued by the upload page, its progress and result; run by the
`run-queued-work` job) and lets a job run be `queued` (Run now on the jobs page queues the run for the same job).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_OUTCOMES = ("running", "success", "failed", "skipped", "interrupted")
NEW_OUTCOMES = (*OLD_OUTCOMES, "queued")
WORK_STATUSES = ("queued", "running", "done", "failed", "interrupted")


def _in_list(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(_in_list("status", WORK_STATUSES), name=op.f("ck_import_runs_status")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_import_runs_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["job_run_id"], ["job_runs.id"], name=op.f("fk_import_runs_job_run_id_job_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_runs_created_by_id"), ["created_by_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_import_runs_status"), ["status"], unique=False)
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), _in_list("outcome", NEW_OUTCOMES))


def downgrade():
    """Queued runs that never started are dropped (the old list has no word for them)."""
    op.execute("DELETE FROM job_runs WHERE outcome = 'queued'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), _in_list("outcome", OLD_OUTCOMES))
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_status"))
        batch_op.drop_index(batch_op.f("ix_import_runs_created_by_id"))
    op.drop_table("import_runs")
