"""Search indexes: trigram (pg_trgm) GIN indexes for the list searches on PostgreSQL.

The lists search with `lower(column) LIKE '%text%'`, which no B-tree index serves: on PostgreSQL a trigram
index does, so a search stays flat as the tables grow. SQLite has no such index and scans (its tables are small).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# (index name, table, indexed expression): each search term of the lists, as the services write it.
SEARCHED = [
    ("ix_trgm_facilitators_full_name", "facilitators", "lower(full_name)"),
    ("ix_trgm_facilitators_email", "facilitators", "lower(email)"),
    ("ix_trgm_users_full_name", "users", "lower(full_name)"),
    ("ix_trgm_users_email", "users", "email"),
    ("ix_trgm_businesses_name", "businesses", "lower(name)"),
    ("ix_trgm_businesses_owner_name", "businesses", "lower(owner_name)"),
    ("ix_trgm_businesses_products", "businesses", "lower(products)"),
    ("ix_trgm_businesses_nib", "businesses", "nib"),
    ("ix_trgm_activities_description", "activities", "lower(description)"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in SEARCHED:
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _table, _expression in SEARCHED:
        op.execute(f"DROP INDEX IF EXISTS {name}")
