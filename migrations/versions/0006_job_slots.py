"""Job slots and interrupted runs.

Each scheduled slot (job name and fire time) runs at most once; a run whose process died is marked interrupted.
Adds `job_runs.scheduled_for` (the slot; empty for manual runs) with a unique index on (job_name,
scheduled_for), `job_runs.holder` (host:pid of the process that ran it), widens `outcome` and lets it hold
`interrupted`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OLD_OUTCOMES = ("running", "success", "failed", "skipped")
NEW_OUTCOMES = (*OLD_OUTCOMES, "interrupted")


def _in_list(values) -> str:
    return "outcome IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.alter_column(
            "outcome", existing_type=sa.String(length=10), type_=sa.String(length=12), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), _in_list(NEW_OUTCOMES))
        batch_op.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("holder", sa.String(length=120), nullable=True))
        batch_op.create_index("uq_job_runs_slot", ["job_name", "scheduled_for"], unique=True)


def downgrade():
    """Interrupted runs become failed runs (the old list has no other word for them)."""
    op.execute("UPDATE job_runs SET outcome = 'failed' WHERE outcome = 'interrupted'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("uq_job_runs_slot")
        batch_op.drop_column("holder")
        batch_op.drop_column("scheduled_for")
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.alter_column(
            "outcome", existing_type=sa.String(length=12), type_=sa.String(length=10), existing_nullable=False
        )
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), _in_list(OLD_OUTCOMES))
