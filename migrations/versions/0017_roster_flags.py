"""Roster flags kept per TPL: the roster's flag filters (and the supervisor's home) read each TPL's flags of today
from this table instead of computing the month's figures of every TPL in scope at each request (issue 10).

A row holds a TPL's three flags as of one day. services/roster_flags.py writes it when a transaction that changed
the TPL's activities, permits, mentorships, months, targets or contracts commits, and the `refresh-roster-flags` job
writes every TPL's after midnight (the flags change with the date alone). A row of another day is never read: the
roster computes that TPL's flags as before. The table starts empty; the job (or `flask jobs run
refresh-roster-flags`) fills it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "roster_flags",
        sa.Column("facilitator_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("no_activity", sa.Boolean(), nullable=False),
        sa.Column("month_late", sa.Boolean(), nullable=False),
        sa.Column("below_target", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facilitator_id"],
            ["facilitators.id"],
            name=op.f("fk_roster_flags_facilitator_id_facilitators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("facilitator_id", name=op.f("pk_roster_flags")),
    )


def downgrade():
    op.drop_table("roster_flags")
