"""Notifications rendered in the reader's language: kind parameters and target endpoint instead of stored text;
the user's chosen interface language.

Rows written before keep their text and path in `params` under the kind "legacy" and are shown as stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

LEGACY = 'legacy'

notifications = sa.table(
    'notifications',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('message', sa.String),
    sa.column('link', sa.String),
    sa.column('params', sa.JSON),
    sa.column('endpoint', sa.String),
    sa.column('endpoint_args', sa.JSON),
)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('endpoint', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('endpoint_args', sa.JSON(), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(notifications.c.id, notifications.c.kind, notifications.c.message, notifications.c.link)
    ).all()
    if rows:
        connection.execute(
            notifications.update()
            .where(notifications.c.id == sa.bindparam('row_id'))
            .values(kind=LEGACY, params=sa.bindparam('new_params'), endpoint_args=sa.bindparam('new_args')),
            [
                {
                    'row_id': row.id,
                    'new_params': {'message': row.message, 'link': row.link, 'kind': row.kind},
                    'new_args': {},
                }
                for row in rows
            ],
        )

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('endpoint_args', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('message')
        batch_op.drop_column('link')


def downgrade():
    """Rows of the old form get their text back; newer rows, which never had one, get their kind and parameters
    as plain text."""
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('link', sa.String(length=300), nullable=True))

    connection = op.get_bind()
    rows = connection.execute(sa.select(notifications.c.id, notifications.c.kind, notifications.c.params)).all()
    values = []
    for row in rows:
        if row.kind == LEGACY:
            kind, message, link = row.params['kind'], row.params['message'], row.params['link']
        else:
            details = ', '.join(f'{name}={value}' for name, value in row.params.items())
            kind, message, link = row.kind, f'{row.kind}: {details}', None
        values.append({'row_id': row.id, 'old_kind': kind, 'old_message': message[:500], 'old_link': link})
    if values:
        connection.execute(
            notifications.update()
            .where(notifications.c.id == sa.bindparam('row_id'))
            .values(
                kind=sa.bindparam('old_kind'), message=sa.bindparam('old_message'), link=sa.bindparam('old_link')
            ),
            values,
        )

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('message', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_column('endpoint_args')
        batch_op.drop_column('endpoint')
        batch_op.drop_column('params')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
