"""On PostgreSQL the list searches (`lower(column) LIKE '%text%'`) can use the trigram indexes of migration 0011."""

import pytest
import sqlalchemy as sa

from tpl_tracker.services import activities, businesses, facilitators, permits

from ..factories import UserFactory

SEARCHES = [
    (facilitators.facilitator_query, {"ix_trgm_facilitators_full_name", "ix_trgm_facilitators_email"}),
    (businesses.business_query, {"ix_trgm_businesses_name", "ix_trgm_businesses_owner_name", "ix_trgm_businesses_nib"}),
    (activities.activity_query, {"ix_trgm_activities_description"}),
    (permits.permit_query, {"ix_trgm_businesses_name"}),
]


@pytest.fixture
def postgresql(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")


@pytest.mark.parametrize(("query_of", "indexes"), SEARCHES, ids=lambda v: getattr(v, "__name__", ""))
def test_a_list_search_can_use_its_trigram_indexes(db, postgresql, query_of, indexes):
    admin = UserFactory(role="admin")
    statement = query_of(admin, q="Sagu").compile(db.engine, compile_kwargs={"literal_binds": True})
    # The test tables are tiny and their statistics depend on the tests before: leave the planner only bitmap scans,
    # which need an index condition, and the search's LIKE is the only condition an index can serve here.
    db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
    db.session.execute(sa.text("SET LOCAL enable_indexscan = off"))
    # The businesses' index by region, name and id (migration 0018) holds the name too: on these tiny tables a
    # bitmap read of that whole index may cost less than the trigram one, so it is set aside (rolled back with the
    # test's transaction). On the national data the planner takes the trigram index or this one by their costs.
    db.session.execute(sa.text("DROP INDEX ix_businesses_region_name"))

    plan = "\n".join(db.session.scalars(sa.text(f"EXPLAIN {statement}")))

    assert indexes <= {name for name in indexes if name in plan}, plan
