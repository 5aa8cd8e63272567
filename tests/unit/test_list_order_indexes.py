"""Lists that sort by an expression read a page in the order of an index on it (migrations 0015 and 0018), and region
scopes are conditions the region index answers (README, "Performance")."""

import pytest
import sqlalchemy as sa
from lokal import wilayah

from tpl_tracker.models import Business, Facilitator, SupervisorRegion
from tpl_tracker.services import outcomes, permits
from tpl_tracker.services.activities import activity_query
from tpl_tracker.services.businesses import business_query
from tpl_tracker.services.policy import in_regions
from tpl_tracker.services.supervision import roster_query

from ..clock import on
from ..factories import ContractFactory, FacilitatorFactory, UserFactory, added_only

LISTS = [
    (permits.permit_query, "ix_permits_status_on"),
    (outcomes.survey_query, "ix_outcome_surveys_queue"),
]


def plan_of(db, statement) -> str:
    """The database's plan of a statement, as text."""
    sql = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "postgresql":
        # The test tables are tiny: without these, a sort of ten rows is as cheap as any index.
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        db.session.execute(sa.text("SET LOCAL enable_sort = off"))
        return "\n".join(db.session.scalars(sa.text(f"EXPLAIN {sql}")))
    return "\n".join(row[-1] for row in db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}")))


@pytest.mark.parametrize(("query_of", "index"), LISTS, ids=[index for _query, index in LISTS])
def test_a_page_of_the_list_is_read_in_the_order_of_its_index(db, query_of, index):
    admin = UserFactory(role="admin")

    plan = plan_of(db, query_of(admin).limit(26))

    assert index in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan, plan


def test_a_province_stands_for_its_kabupaten_kota():
    codes = {regency.code for regency in wilayah.list_wilayah("82")}
    condition = in_regions(Facilitator.region_code, ["82", "73.71"])

    (values,) = condition.compile().params.values()  # one list: an array on PostgreSQL, an IN list on SQLite
    assert set(values) == codes | {"73.71"}
    assert "LIKE" not in str(condition).upper()


def test_one_region_is_an_equality(db):
    condition = in_regions(Business.region_code, ["82.71"])

    assert condition.compile().params == {"region_code_1": "82.71"}


def test_a_province_scope_keeps_its_own_regions_only(db):
    inside = FacilitatorFactory(region_code="82.71")
    FacilitatorFactory(region_code="73.71")

    kept = db.session.scalars(sa.select(Facilitator.id).where(in_regions(Facilitator.region_code, ["82"]))).all()

    assert kept == [inside.id]


def test_no_region_is_no_row(db):
    FacilitatorFactory(region_code="82.71")

    assert db.session.scalars(sa.select(Business.id).where(in_regions(Business.region_code, []))).all() == []


def test_the_roster_finds_the_running_contracts_in_their_index(db):
    # TPL of past years and a few under contract, analysed inside the test's transaction: the plan depends on this
    # data, not on what the tables' statistics kept from other tests (a walk of the name index won once).
    with added_only():
        for n in range(120):
            tpl = FacilitatorFactory(region_code="82.71")
            year = -1 - n % 10 if n % 12 else 0
            ContractFactory(facilitator=tpl, start_date=on(1, 1, years=year), end_date=on(12, 31, years=year))
    db.session.flush()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE facilitators, contracts"))

    plan = plan_of(db, roster_query(UserFactory(role="evaluator")).limit(26))

    assert "ix_contracts_current" in plan, plan


def test_a_page_of_one_regions_businesses_is_read_in_the_order_of_their_index(db):
    plan = plan_of(db, business_query(UserFactory(role="evaluator"), region="82.71").limit(26))

    assert "ix_businesses_region_name" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan, plan


@pytest.mark.parametrize(
    ("query_of", "indexes"),
    [
        (activity_query, ("ix_activities_supervisor_date", "ix_activities_region_date")),
        (permits.permit_query, ("ix_permits_supervisor_id", "ix_permits_region_code")),
    ],
    ids=["activities", "permits"],
)
def test_a_supervisor_s_list_is_counted_part_by_part_each_from_its_index(db, query_of, indexes):
    supervisor = UserFactory(role="supervisor")
    db.session.add(SupervisorRegion(user=supervisor, region_code="82"))
    db.session.flush()

    plan = plan_of(db, query_of(supervisor, counting=True).limit(1001))  # a capped count (pagination.COUNT_CAP)

    assert all(index in plan for index in indexes), plan
    assert "BitmapOr" not in plan and "MULTI-INDEX OR" not in plan, plan  # not one pass over the OR of both
