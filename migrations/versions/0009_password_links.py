"""Password links: invitations to new accounts and password resets.

Adds `password_links`: single-use links that let a user set a password, stored only as the SHA-256 of their
random token; an invitation is valid 7 days, a reset 1 hour. A link waiting for the mail job has no token yet.
Accounts without a usable password need no column: their `password_hash` starts with "!", which no Argon2 hash
does (services/users.py, set_unusable_password).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 10:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=12), nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("delivery IN ('email', 'manual')", name=op.f("ck_password_links_delivery")),
        sa.CheckConstraint("purpose IN ('invitation', 'reset')", name=op.f("ck_password_links_purpose")),
        sa.CheckConstraint(
            "(token_hash IS NULL AND issued_at IS NULL AND expires_at IS NULL)"
            " OR (token_hash IS NOT NULL AND issued_at IS NOT NULL AND expires_at IS NOT NULL)",
            name=op.f("ck_password_links_issued"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_password_links_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_links_token_hash")),
    )
    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_links_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("password_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_links_user_id"))
    op.drop_table("password_links")
