"""Sign-in throttles: failed password checks per client and typed account, for progressive delays that lock
out that client only, never the account's owner elsewhere.

Failed sign-ins used to keep whatever was typed as the email in the audit note ("unknown email ..."); those
notes are cleared, since the audit trail now keeps only a keyed hash of the typed address.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=45), nullable=False),
    sa.Column('account', sa.String(length=32), nullable=False),
    sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_sign_in_throttles_failures')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_throttles')),
    sa.UniqueConstraint('client', 'account', name='client_account')
    )
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_throttles_last_failure_at'), ['last_failure_at'], unique=False)

    audit = sa.table('audit_entries', sa.column('action', sa.String), sa.column('note', sa.String))
    op.execute(
        audit.update()
        .where(audit.c.action == 'login_failed', audit.c.note.like('unknown email %'))
        .values(note='unknown email (not kept)')
    )


def downgrade():
    with op.batch_alter_table('sign_in_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_last_failure_at'))
        batch_op.drop_index(batch_op.f('ix_sign_in_throttles_account'))
    op.drop_table('sign_in_throttles')
