"""The WUB snapshot counts, of its wub alumni, the businesses founded during the contract (founded on or before the
exit date) and after it (issue 12, outcome dashboard). The snapshots stored before have them empty until their date
is computed again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("founded_during", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("founded_after", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("metric_snapshots", schema=None) as batch_op:
        batch_op.drop_column("founded_after")
        batch_op.drop_column("founded_during")
