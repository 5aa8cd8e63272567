"""Open and overlap rules as constraints.

One open permit facilitation per business and permit type, one open mentorship per business and TPL, and
(PostgreSQL) no overlapping contracts of one TPL.

Existing rows that break a rule stop the upgrade before anything changes, with a message naming them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000

"""

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The permit statuses from which a facilitation can still move (tpl_tracker.models.PERMIT_OPEN_STATUSES).
OPEN_PERMITS = "status IN ('planned', 'submitted')"
OPEN_MENTORSHIPS = "end_date IS NULL"
CONTRACT_PERIOD = "daterange(start_date, COALESCE(terminated_on, end_date), '[]')"


class ExistingRowsBreakRules(RuntimeError):
    """Rows already in the database break a rule the migration is about to enforce."""


def open_permit_duplicates(connection) -> list[str]:
    """One line per business and permit type with more than one open (planned or submitted) facilitation."""
    rows = connection.execute(
        sa.text(
            "SELECT p.id, p.business_id, b.name AS business, p.permit_type, p.status, p.planned_on,"
            " p.submitted_on, p.facilitator_id, f.full_name AS tpl"
            " FROM permits p JOIN businesses b ON b.id = p.business_id JOIN facilitators f ON f.id = p.facilitator_id"
            f" WHERE p.{OPEN_PERMITS} AND EXISTS (SELECT 1 FROM permits o WHERE o.business_id = p.business_id"
            f" AND o.permit_type = p.permit_type AND o.{OPEN_PERMITS} AND o.id <> p.id)"
            " ORDER BY p.business_id, p.permit_type, p.id"
        )
    )
    groups = defaultdict(list)
    for row in rows:
        step_date = row.submitted_on if row.status == "submitted" else row.planned_on
        groups[(row.business_id, row.business, row.permit_type)].append(
            f"permit {row.id} ({row.status} on {step_date}, TPL {row.facilitator_id} {row.tpl})"
        )
    return [
        f"business {business_id} ({business}), permit type {permit_type}: {', '.join(permits)}"
        for (business_id, business, permit_type), permits in groups.items()
    ]


def open_mentorship_duplicates(connection) -> list[str]:
    """One line per business and TPL with more than one open mentorship (no end date)."""
    rows = connection.execute(
        sa.text(
            "SELECT m.id, m.business_id, b.name AS business, m.facilitator_id, f.full_name AS tpl, m.start_date"
            " FROM mentorships m JOIN businesses b ON b.id = m.business_id"
            " JOIN facilitators f ON f.id = m.facilitator_id"
            f" WHERE m.{OPEN_MENTORSHIPS} AND EXISTS (SELECT 1 FROM mentorships o WHERE o.business_id = m.business_id"
            f" AND o.facilitator_id = m.facilitator_id AND o.{OPEN_MENTORSHIPS} AND o.id <> m.id)"
            " ORDER BY m.business_id, m.facilitator_id, m.id"
        )
    )
    groups = defaultdict(list)
    for row in rows:
        groups[(row.business_id, row.business, row.facilitator_id, row.tpl)].append(
            f"mentorship {row.id} (since {row.start_date})"
        )
    return [
        f"business {business_id} ({business}), TPL {tpl_id} ({tpl}): {', '.join(mentorships)}"
        for (business_id, business, tpl_id, tpl), mentorships in groups.items()
    ]


def overlapping_contracts(connection) -> list[str]:
    """One line per pair of contracts of one TPL whose periods (up to the effective end) overlap."""
    rows = connection.execute(
        sa.text(
            "SELECT a.facilitator_id, f.full_name AS tpl,"
            " a.id AS a_id, a.number AS a_number, a.start_date AS a_start,"
            " COALESCE(a.terminated_on, a.end_date) AS a_end,"
            " b.id AS b_id, b.number AS b_number, b.start_date AS b_start,"
            " COALESCE(b.terminated_on, b.end_date) AS b_end"
            " FROM contracts a JOIN contracts b ON b.facilitator_id = a.facilitator_id AND b.id > a.id"
            " JOIN facilitators f ON f.id = a.facilitator_id"
            " WHERE a.start_date <= COALESCE(b.terminated_on, b.end_date)"
            " AND b.start_date <= COALESCE(a.terminated_on, a.end_date)"
            " ORDER BY a.facilitator_id, a.id, b.id"
        )
    )
    return [
        f"TPL {row.facilitator_id} ({row.tpl}): contract {row.a_id} ({row.a_number}, {row.a_start} to {row.a_end})"
        f" overlaps contract {row.b_id} ({row.b_number}, {row.b_start} to {row.b_end})"
        for row in rows
    ]


RULES = [
    (
        open_permit_duplicates,
        "More than one open (planned or submitted) permit facilitation of one type for one business",
        "keep one open per business and type: record the others as rejected, or delete the ones planned by mistake",
    ),
    (
        open_mentorship_duplicates,
        "More than one open mentorship (no end date) of one business by the same TPL",
        "keep one open: give the others an end date and an end reason",
    ),
    (
        overlapping_contracts,
        "Overlapping contracts of one TPL (up to the termination date of a terminated contract)",
        "correct the dates, or record the earlier contract as terminated on the day before the later one starts",
    ),
]


def check_existing_rows(connection, with_contracts: bool) -> None:
    """Raise ExistingRowsBreakRules naming every row that breaks a rule to be enforced (contracts optional)."""
    problems = []
    for find, rule, fix in RULES:
        if find is overlapping_contracts and not with_contracts:
            continue
        lines = find(connection)
        if lines:
            problems.append(f"{rule} ({fix}):\n" + "\n".join(f"  - {line}" for line in lines))
    if problems:
        raise ExistingRowsBreakRules(
            "Migration 0004 cannot add its constraints: rows already in the database break them. "
            "Nothing was changed. Correct these rows, then run `flask db upgrade` again.\n" + "\n".join(problems)
        )


def upgrade():
    connection = op.get_bind()
    postgresql = connection.dialect.name == "postgresql"
    check_existing_rows(connection, with_contracts=postgresql)
    op.create_index(
        "uq_permits_open_business_type",
        "permits",
        ["business_id", "permit_type"],
        unique=True,
        postgresql_where=sa.text(OPEN_PERMITS),
        sqlite_where=sa.text(OPEN_PERMITS),
    )
    op.create_index(
        "uq_mentorships_open_business_facilitator",
        "mentorships",
        ["business_id", "facilitator_id"],
        unique=True,
        postgresql_where=sa.text(OPEN_MENTORSHIPS),
        sqlite_where=sa.text(OPEN_MENTORSHIPS),
    )
    if postgresql:
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE contracts ADD CONSTRAINT ex_contracts_no_overlap"
            f" EXCLUDE USING gist (facilitator_id WITH =, {CONTRACT_PERIOD} WITH &&)"
        )


def downgrade():
    # btree_gist stays installed: other objects of the database may use it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE contracts DROP CONSTRAINT ex_contracts_no_overlap")
    op.drop_index("uq_mentorships_open_business_facilitator", table_name="mentorships")
    op.drop_index("uq_permits_open_business_type", table_name="permits")
