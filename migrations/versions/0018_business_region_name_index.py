"""The businesses by region, name and id: the index behind a supervisor's business list (issue 10).

A supervisor sees the businesses of their regions and those their TPL mentored or founded elsewhere
(`policy.business_scope`). Their list gathers the ids of the region from this index alone, to set aside the
businesses of their TPL (alumni of every year included) that lie in the region anyway, and a list filtered on one
kabupaten/kota reads its page in name order from it instead of sorting the region's businesses. The index on the
region alone becomes this one, which answers everything it did (the region code leads).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 12:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_businesses_region_name", "businesses", ["region_code", "name", "id"])
    op.drop_index("ix_businesses_region_code", table_name="businesses")


def downgrade():
    op.create_index("ix_businesses_region_code", "businesses", ["region_code"])
    op.drop_index("ix_businesses_region_name", table_name="businesses")
