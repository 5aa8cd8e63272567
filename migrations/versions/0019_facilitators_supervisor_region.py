"""A supervisor's TPL by supervisor and region: the regions their own TPL are placed in, from the index alone
(issue 10).

The roster offers a supervisor the regions of their own TPL as filters (`regions.roster_region_choices`); with the
index on the supervisor alone, that read every TPL they were ever assigned from the table (5 ms at 100,000 TPL on
every roster page). The index on the supervisor alone becomes this one, which answers everything it did (the
supervisor leads).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 16:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_facilitators_supervisor_region", "facilitators", ["supervisor_id", "region_code"])
    op.drop_index("ix_facilitators_supervisor_id", table_name="facilitators")


def downgrade():
    op.create_index("ix_facilitators_supervisor_id", "facilitators", ["supervisor_id"])
    op.drop_index("ix_facilitators_supervisor_region", table_name="facilitators")
