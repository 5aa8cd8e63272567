"""List order and scope indexes: the permit list by current status date, the survey list as a verification queue,
the businesses of a supervisor's TPL.

Both lists sort by an expression (the date of a permit's current status; unverified surveys first). Without an
index on it every page sorted all permits or surveys in scope (40 ms at 50,000 permits). The expressions are the
ones `PermitFacilitation.status_on` and `SURVEY_QUEUE_ORDER` write, constants included: SQLite and PostgreSQL only
use an index on an expression for a query that spells it alike. The mentorships' index on the TPL alone becomes one
on the TPL and the business, so that the businesses of a supervisor's TPL are read from the index alone. The
contracts get an index by effective end (the expression of `Contract.effective_end`), so that the contracts running
on a date are read from a range holding the current ones, not every contract since 2007. The job runs still
`running` get a partial index, so that marking interrupted runs does not read every finished run.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 08:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

PERMIT_STATUS_ON = (
    "CASE WHEN status = 'submitted' THEN submitted_on WHEN status = 'issued' THEN issued_on"
    " WHEN status = 'rejected' THEN rejected_on ELSE planned_on END"
)
SURVEY_PENDING_FIRST = "CASE WHEN verification = 'unverified' THEN 0 ELSE 1 END"


def upgrade():
    op.create_index(
        "ix_job_runs_running",
        "job_runs",
        ["job_name"],
        postgresql_where=sa.text("outcome = 'running'"),
        sqlite_where=sa.text("outcome = 'running'"),
    )
    op.create_index(
        "ix_contracts_current",
        "contracts",
        [sa.text("coalesce(terminated_on, end_date)"), "start_date", "facilitator_id"],
    )
    op.create_index("ix_mentorships_facilitator_business", "mentorships", ["facilitator_id", "business_id"])
    op.drop_index("ix_mentorships_facilitator_id", table_name="mentorships")
    op.create_index("ix_permits_status_on", "permits", [sa.text(f"({PERMIT_STATUS_ON})"), "id"])
    op.create_index(
        "ix_outcome_surveys_queue", "outcome_surveys", [sa.text(f"({SURVEY_PENDING_FIRST})"), "survey_date", "id"]
    )


def downgrade():
    op.drop_index("ix_job_runs_running", table_name="job_runs")
    op.drop_index("ix_contracts_current", table_name="contracts")
    op.create_index("ix_mentorships_facilitator_id", "mentorships", ["facilitator_id"])
    op.drop_index("ix_mentorships_facilitator_business", table_name="mentorships")
    op.drop_index("ix_outcome_surveys_queue", table_name="outcome_surveys")
    op.drop_index("ix_permits_status_on", table_name="permits")
