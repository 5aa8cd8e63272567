"""Accounts created by the import: a phone number for an account (a supervisor's, given by the import's
`supervisors` sheet). An account created by the import has no usable password until its owner sets one; that
needs no schema change (services/passwords.py, unusable_password_hash).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
