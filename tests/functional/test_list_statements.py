"""A list page runs the same statements for 2 rows as for 20: what each row shows is loaded for the page at once."""

from tpl_tracker.models import AuditEntry, SupervisorRegion

from ..conftest import statements_for_get
from ..factories import FacilitatorFactory, UserFactory


def _supervisors(db, count: int, start: int) -> list:
    supervisors = [UserFactory(role="supervisor", full_name=f"Pengawas {start + i:02d}") for i in range(count)]
    for supervisor in supervisors:
        db.session.add(SupervisorRegion(user=supervisor, region_code="82.71"))
    db.session.commit()
    return supervisors


def test_the_tpl_list_loads_the_supervisors_of_a_page_at_once(app, client, login_as, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 100)
    login_as("evaluator")
    for supervisor in _supervisors(db, 2, 0):
        FacilitatorFactory(supervisor=supervisor)
    client.get("/tpl/")  # the region filter's options are read once per app
    few = statements_for_get(app, client, "/tpl/")
    for supervisor in _supervisors(db, 18, 2):
        FacilitatorFactory(supervisor=supervisor)

    assert statements_for_get(app, client, "/tpl/") == few


def test_the_account_list_loads_the_regions_of_a_page_at_once(app, client, login_as, world, db, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 100)
    login_as("admin")
    _supervisors(db, 2, 0)
    few = statements_for_get(app, client, "/admin/users")
    _supervisors(db, 18, 2)

    assert statements_for_get(app, client, "/admin/users") == few


def test_the_admin_home_loads_the_actors_of_the_latest_changes_at_once(app, client, login_as, world, db):
    login_as("admin")
    db.session.add(AuditEntry(action="test_change", entity_type="test", actor=world["supervisor"]))
    db.session.commit()
    few = statements_for_get(app, client, "/")
    db.session.add_all(
        AuditEntry(action="test_change", entity_type="test", actor=supervisor) for supervisor in _supervisors(db, 10, 0)
    )
    db.session.commit()

    assert statements_for_get(app, client, "/") == few
