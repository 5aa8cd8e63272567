"""Metric index: each TPL's contracts by effective end, start date and id, for the WUB job's last contract.

The last contract of a TPL (docs/metric.md: greatest effective end, ties by greatest start date, then id) is then
one index lookup per alumnus on SQLite, and PostgreSQL reads every TPL's contracts in this order without sorting
them. The indexed expression is the one `Contract.effective_end` writes (the CHECK constraint `terminated_on` makes
it the effective end): SQLite and PostgreSQL only use an index on an expression for a query that spells it alike.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

EFFECTIVE_END = "coalesce(terminated_on, end_date)"


def upgrade():
    op.create_index(
        "ix_contracts_last",
        "contracts",
        ["facilitator_id", sa.text(f"{EFFECTIVE_END} DESC"), sa.text("start_date DESC"), sa.text("id DESC")],
    )


def downgrade():
    op.drop_index("ix_contracts_last", table_name="contracts")
