"""An index on activity_businesses.business_id: a business's history and its activity counts read the links by
business, and the primary key (activity_id, business_id) cannot serve that (issue 10: a busy business's page
scanned all the links, 80 ms at 1,000,000 activities).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 05:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        op.f('ix_activity_businesses_business_id'), 'activity_businesses', ['business_id'], unique=False
    )


def downgrade():
    op.drop_index(op.f('ix_activity_businesses_business_id'), table_name='activity_businesses')
