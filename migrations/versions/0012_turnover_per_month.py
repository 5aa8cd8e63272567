"""A business's turnover is kept per month, like an assessment's (issue 13): the stored yearly values are divided by
12, rounded to the whole Rupiah (halves up); the downgrade multiplies by 12 again (what the rounding dropped, at most
Rp6 a year, stays lost). Each converted business gets an audit entry (no actor: the migration), so that its history
shows the change of unit next to the values typed before it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:00:00.000000

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

businesses = sa.table('businesses', sa.column('id', sa.Integer), sa.column('turnover', sa.BigInteger))
audit_entries = sa.table(
    'audit_entries',
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('actor_id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('entity_type', sa.String),
    sa.column('entity_id', sa.String),
    sa.column('before', sa.JSON),
    sa.column('after', sa.JSON),
    sa.column('note', sa.String),
)
NOTES = {
    True: 'Migration 0012: turnover per year converted to per month (divided by 12)',
    False: 'Migration 0012 undone: turnover per month converted back to per year (times 12)',
}


def monthly(yearly: int) -> int:
    """A yearly amount as a monthly one, rounded to the whole Rupiah, halves up (exact integer arithmetic)."""
    return (yearly + 6) // 12


def convert_turnover(connection, to_monthly: bool) -> int:
    """Convert every stored turnover (to per month, or back to per year) with an audit entry each; how many."""
    rows = connection.execute(
        sa.select(businesses.c.id, businesses.c.turnover)
        .where(businesses.c.turnover.isnot(None))
        .order_by(businesses.c.id)  # the audit entries in the businesses' order, on every database
    ).all()
    if not rows:
        return 0
    if to_monthly:
        new_value = (businesses.c.turnover + 6) // 12  # floor division of integers, as monthly() does
    else:
        new_value = businesses.c.turnover * 12
    connection.execute(businesses.update().where(businesses.c.turnover.isnot(None)).values(turnover=new_value))
    now = datetime.now(UTC)
    connection.execute(
        audit_entries.insert(),
        [
            {
                'at': now,
                'actor_id': None,
                'action': 'update',
                'entity_type': 'businesses',
                'entity_id': str(business_id),
                'before': {'turnover': turnover},
                'after': {'turnover': monthly(turnover) if to_monthly else turnover * 12},
                'note': NOTES[to_monthly],
            }
            for business_id, turnover in rows
        ],
    )
    return len(rows)


def upgrade():
    convert_turnover(op.get_bind(), to_monthly=True)


def downgrade():
    convert_turnover(op.get_bind(), to_monthly=False)
