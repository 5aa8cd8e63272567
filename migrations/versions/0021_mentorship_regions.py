"""Each mentorship keeps the regions of its TPL and its business, kept by the database (issue 10, question Q3).

A supervisor sees the businesses of their regions and those their TPL mentored elsewhere
(`policy.business_scope`). Finding the "elsewhere" ones read every mentorship of every TPL of the province, alumni
of every year included (40,000 at 100,000 TPL: 23 of the business list's 26 ms), to keep the few whose business
lies outside the regions. With both regions on the mentorship, those are read from a small partial index of the
mentorships whose business lies outside their TPL's kabupaten/kota.

The two columns are copies, never written by the app: triggers fill them when a mentorship is inserted or moved
to another TPL or business, and follow a TPL's or a business's change of region. (A composite foreign key with
ON UPDATE CASCADE would not follow a TPL whose region goes from empty to set.) On SQLite, a later migration that
rebuilds one of the three tables (a batch "move and copy") drops its triggers and must create them again;
tests/unit/test_mentorship_regions.py fails if they are missing.

The TPL assigned to a supervisor but placed outside their regions count too: the index of the TPL by supervisor and
region gets their ids, so that they are read from it alone (a supervisor has every TPL of their province of every
year; reading them from the table took 4.5 ms at 100,000 TPL). It is partial (the TPL with a supervisor): whole,
PostgreSQL scanned all of it to answer a scope's `supervisor_id = … OR region_code IN (…)` from the index alone,
slower than the two lookups it combines.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 17:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

CROSS_REGION = "facilitator_region_code <> business_region_code"
SUPERVISED = "supervisor_id IS NOT NULL"

# Each record a mentorship copies the region of: (its kind, its table).
COPIED = (("facilitator", "facilitators"), ("business", "businesses"))


def _followers(dialect: str) -> list[str]:
    """The triggers that pass a TPL's or a business's new region on to its mentorships."""
    statements = []
    for kind, table in COPIED:
        name = f"{kind}_region_to_mentorships"
        update = f"UPDATE mentorships SET {kind}_region_code = NEW.region_code WHERE {kind}_id = NEW.id;"
        if dialect == "postgresql":
            statements += [
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {update} RETURN NULL; END $$",
                f"""
                CREATE TRIGGER {name} AFTER UPDATE OF region_code ON {table}
                FOR EACH ROW WHEN (OLD.region_code IS DISTINCT FROM NEW.region_code) EXECUTE FUNCTION {name}()
                """,
            ]
        else:
            statements.append(
                f"""
                CREATE TRIGGER {name} AFTER UPDATE OF region_code ON {table}
                WHEN OLD.region_code IS NOT NEW.region_code BEGIN {update} END
                """
            )
    return statements


# A mentorship written or moved takes the regions of its TPL and business (a direct write to a copy is undone).
MOVED = "facilitator_id, business_id, facilitator_region_code, business_region_code"
POSTGRESQL_COMPLETE = [
    """
    CREATE FUNCTION mentorship_regions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.facilitator_region_code := (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id);
        NEW.business_region_code := (SELECT region_code FROM businesses WHERE id = NEW.business_id);
        RETURN NEW;
    END $$
    """,
    f"""
    CREATE TRIGGER mentorship_regions BEFORE INSERT OR UPDATE OF {MOVED} ON mentorships
    FOR EACH ROW EXECUTE FUNCTION mentorship_regions()
    """,
]
# SQLite's triggers cannot assign NEW: the row is completed right after it is written (recursive triggers are
# off, so these updates fire nothing further).
SQLITE_COMPLETE_ROW = """
    UPDATE mentorships SET
        facilitator_region_code = (SELECT region_code FROM facilitators WHERE id = NEW.facilitator_id),
        business_region_code = (SELECT region_code FROM businesses WHERE id = NEW.business_id)
    WHERE id = NEW.id;
"""
SQLITE_COMPLETE = [
    f"CREATE TRIGGER mentorship_regions_insert AFTER INSERT ON mentorships BEGIN {SQLITE_COMPLETE_ROW} END",
    f"CREATE TRIGGER mentorship_regions_update AFTER UPDATE OF {MOVED} ON mentorships BEGIN {SQLITE_COMPLETE_ROW} END",
]


def upgrade():
    with op.batch_alter_table("mentorships") as batch:
        batch.add_column(sa.Column("facilitator_region_code", sa.String(13), nullable=True))
        batch.add_column(sa.Column("business_region_code", sa.String(13), nullable=True))
    op.execute(
        """
        UPDATE mentorships SET
            facilitator_region_code = (SELECT region_code FROM facilitators WHERE id = mentorships.facilitator_id),
            business_region_code = (SELECT region_code FROM businesses WHERE id = mentorships.business_id)
        """
    )
    dialect = op.get_bind().dialect.name
    for statement in (POSTGRESQL_COMPLETE if dialect == "postgresql" else SQLITE_COMPLETE) + _followers(dialect):
        op.execute(statement)
    op.create_index(
        "ix_mentorships_cross_region",
        "mentorships",
        ["facilitator_region_code", "business_region_code", "business_id"],
        postgresql_where=sa.text(CROSS_REGION),
        sqlite_where=sa.text(CROSS_REGION),
    )
    op.create_index(
        "ix_facilitators_supervisor_region_id",
        "facilitators",
        ["supervisor_id", "region_code", "id"],
        postgresql_where=sa.text(SUPERVISED),
        sqlite_where=sa.text(SUPERVISED),
    )
    op.drop_index("ix_facilitators_supervisor_region", table_name="facilitators")


def downgrade():
    op.create_index("ix_facilitators_supervisor_region", "facilitators", ["supervisor_id", "region_code"])
    op.drop_index("ix_facilitators_supervisor_region_id", table_name="facilitators")
    op.drop_index("ix_mentorships_cross_region", table_name="mentorships")
    followers = [(f"{kind}_region_to_mentorships", table) for kind, table in COPIED]
    if op.get_bind().dialect.name == "postgresql":
        for name, table in [("mentorship_regions", "mentorships"), *followers]:
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in ["mentorship_regions_insert", "mentorship_regions_update", *(name for name, _ in followers)]:
            op.execute(f"DROP TRIGGER {name}")
    with op.batch_alter_table("mentorships") as batch:
        batch.drop_column("business_region_code")
        batch.drop_column("facilitator_region_code")
