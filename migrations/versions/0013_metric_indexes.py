"""Metric index: each TPL's contracts by effective end, start date and id, for the WUB job's last contract.

The last contract of a TPL (docs/metric.md: greatest effective end, ties by greatest start date, then id) is then
one index lookup per alumnus instead of a sort of their contracts. The indexed expression is the one
`Contract.effective_end` writes (the CHECK constraint `terminated_on` makes it the effective end): SQLite and
PostgreSQL only use an index on an expression for a query that spells the same expression.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-02 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None

EFFECTIVE_END = "coalesce(terminated_on, end_date)"


def upgrade():
    op.create_index("ix_contracts_last", "contracts", ["facilitator_id", sa.text(EFFECTIVE_END), "start_date", "id"])


def downgrade():
    op.drop_index("ix_contracts_last", table_name="contracts")
