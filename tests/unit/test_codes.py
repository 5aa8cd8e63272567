"""The stored code lists (tpl_tracker/models/codes.py) agree with the CHECK constraints of the migrated database.

Adding a value to an enum, or removing one, without a migration fails here, on SQLite and on PostgreSQL alike
(the migration-agreement test and `flask db check` do not compare CHECK constraints).
"""

import re

import pytest
import sqlalchemy as sa

from tpl_tracker.extensions import db
from tpl_tracker.models import ActivityType, CodeEnum, MonthStatus, Role, SurveyStatus

# A code-list CHECK as each database returns it: `type IN ('a', 'b')` (SQLite keeps the CREATE TABLE text),
# `((type)::text = ANY ((ARRAY['a'::character varying, ...])::text[]))` (pg_get_constraintdef).
CODE_LIST = re.compile(r"\bIN \('|= ANY \(\(?ARRAY\['")
QUOTED = re.compile(r"'((?:[^']|'')*)'")


def _declared_checks() -> dict[str, type[CodeEnum]]:
    """Database name of every CHECK built from a code enum, with its enum."""
    return {
        constraint.name: constraint.info["codes"]
        for table in db.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, sa.CheckConstraint) and "codes" in constraint.info
    }


def _database_checks() -> dict[str, str]:
    """Name and SQL of every CHECK constraint of the migrated test database."""
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            sa.text(
                "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
                " JOIN pg_namespace n ON n.oid = c.connamespace"
                " WHERE c.contype = 'c' AND n.nspname = current_schema()"
            )
        )
        return dict(rows.all())
    tables = connection.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"))
    checks = {}
    for (create_table,) in tables:
        for name, condition in re.findall(r'CONSTRAINT "?(\w+)"? CHECK \((.*)\),?\s*$', create_table, re.MULTILINE):
            checks[name] = condition
    return checks


def _code_list_checks() -> dict[str, set[str]]:
    """The CHECKs of the database that hold a column to a list of strings, with those strings."""
    return {
        name: {value.replace("''", "'") for value in QUOTED.findall(condition)}
        for name, condition in _database_checks().items()
        if CODE_LIST.search(condition)
    }


def _disagreement(codes: type[CodeEnum], stored: set[str]) -> str | None:
    """What differs between an enum and the values its CHECK accepts (None when they agree)."""
    declared = set(codes.values())
    if declared == stored:
        return None
    return f"only in the enum: {sorted(declared - stored)}; only in the database: {sorted(stored - declared)}"


def _modified_copy(codes: type[CodeEnum], add: str | None = None, drop: str | None = None) -> type[CodeEnum]:
    """A copy of a code enum with one value added or dropped (the real enum stays as it is)."""
    members = [(m.name, (m.value, m.label)) for m in codes if m.value != drop]
    if add:
        members.append((add.upper(), (add,)))
    return CodeEnum(f"Modified{codes.__name__}", members)


def test_every_code_list_check_comes_from_an_enum():
    """No CHECK of the database lists codes that no enum declares, and every enum's CHECK exists."""
    assert set(_code_list_checks()) == set(_declared_checks())


def test_each_enum_agrees_with_its_check():
    """Each enum holds exactly the values its CHECK constraint in the migrated database accepts."""
    in_database = _code_list_checks()
    disagreements = {
        name: problem
        for name, codes in _declared_checks().items()
        if (problem := _disagreement(codes, in_database.get(name, set())))
    }
    assert disagreements == {}


@pytest.mark.parametrize(
    ("constraint", "modified"),
    [
        ("ck_activities_type", _modified_copy(ActivityType, add="drone_survey")),
        ("ck_monthly_reports_status", _modified_copy(MonthStatus, drop="returned")),
        ("ck_outcome_surveys_status", _modified_copy(SurveyStatus, add="pensiun")),
        ("ck_users_role", _modified_copy(Role, drop="evaluator")),
    ],
    ids=["value added", "value removed", "survey status added", "role removed"],
)
def test_a_changed_enum_without_migration_is_caught(constraint, modified):
    """An enum changed without a migration no longer agrees with the database: the check above would fail."""
    assert _disagreement(modified, _code_list_checks()[constraint]) is not None
