"""Long work outside the web request: large imports and *Run now* are queued by the pages and run by the
`run-queued-work` job; the status page follows an import."""

import io

import pytest
import sqlalchemy as sa

from tpl_tracker.jobs import JOBS, Job, background
from tpl_tracker.jobs.runner import run_job
from tpl_tracker.models import AuditEntry, Contract, Facilitator, ImportRun, JobRun
from tpl_tracker.scheduler import _runner

from ..clock import NOW, on
from ..conftest import page_text, ui_message
from ..factories import UserFactory
from ..unit.test_importer import NIK1, valid_rows, write_workbook

REFRESH = '<meta http-equiv="refresh" content="3">'


@pytest.fixture(autouse=True)
def small_inline_limit(app, monkeypatch):
    """valid_rows() has 7 data rows: more than 3 go to the background."""
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 3)


def _upload(client, data: bytes, dry_run: bool = False):
    form = {"file": (io.BytesIO(data), "tpl.xlsx"), "dry_run": "y" if dry_run else ""}
    return client.post("/admin/import/", data=form, content_type="multipart/form-data")


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _queue(client, tmp_path, rows=None, dry_run=False) -> str:
    """Upload a workbook that goes to the background; the address of its status page."""
    path = write_workbook(tmp_path / "tpl.xlsx", rows or valid_rows())
    response = _upload(client, path.read_bytes(), dry_run=dry_run)
    assert response.status_code == 302, page_text(response)[:500]
    assert "/admin/import/runs/" in response.headers["Location"]
    return response.headers["Location"]


def _run_queue() -> JobRun:
    run = run_job("run-queued-work")
    assert run.outcome == "success", run.error
    return run


def test_a_large_upload_is_queued_and_writes_nothing(app, client, login_as, db, tmp_path):
    admin = login_as("admin")

    status_page = _queue(client, tmp_path)

    run = db.session.scalar(sa.select(ImportRun))
    assert (run.status, run.created_by_id, run.filename, run.dry_run) == ("queued", admin.id, "tpl.xlsx", False)
    assert run.content  # kept until it has run
    assert _count(db, Facilitator) == 2  # the world's two TPL only
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "import_queued"))
    assert entry.actor_id == admin.id and entry.entity_id == str(run.id)
    html = page_text(client.get(status_page))
    assert ui_message(app, "Waiting for the scheduler (at most a minute). This page refreshes itself.") in html
    assert REFRESH in html
    assert "<script>" not in html


def test_the_queue_job_imports_it_and_the_status_page_shows_the_result(app, client, login_as, db, tmp_path):
    admin = login_as("admin")
    status_page = _queue(client, tmp_path)

    job_run = _run_queue()

    assert job_run.rows_written == 1
    run = db.session.scalar(sa.select(ImportRun))
    db.session.refresh(run)
    assert (run.status, run.rows_total, run.rows_done, run.job_run_id) == ("done", 7, 7, job_run.id)
    assert run.content is None  # the workbook (personal data) is not kept once imported
    assert run.started_at == NOW and run.finished_at == NOW
    tpl = db.session.scalar(sa.select(Facilitator).where(Facilitator.nik == NIK1))
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "facilitator_created", AuditEntry.entity_id == str(tpl.id))
    )
    assert entry.actor_id == admin.id
    html = page_text(client.get(status_page))
    assert ui_message(app, "The workbook has been imported.") in html
    assert REFRESH not in html
    assert "<code>facilitators</code>" in html
    assert "tpl.xlsx" in page_text(client.get("/admin/import/"))  # listed on the upload page


def test_a_background_dry_run_writes_nothing(app, client, login_as, db, tmp_path):
    login_as("admin")
    status_page = _queue(client, tmp_path, dry_run=True)
    before = (_count(db, Facilitator), _count(db, Contract))

    _run_queue()

    assert (_count(db, Facilitator), _count(db, Contract)) == before
    assert db.session.scalar(sa.select(ImportRun.status)) == "done"
    html = page_text(client.get(status_page))
    assert ui_message(app, "The workbook has no errors. Nothing was written (dry run).") in html


def test_a_failing_workbook_shows_its_row_errors_on_the_status_page(app, client, login_as, db, tmp_path):
    login_as("admin")
    rows = valid_rows()
    rows["contracts"][1]["placement_region"] = "99.99"
    status_page = _queue(client, tmp_path, rows)
    before = _count(db, Contract)

    _run_queue()

    assert _count(db, Contract) == before
    html = page_text(client.get(status_page))
    assert ui_message(app, "The workbook has errors: nothing was imported.") in html
    assert 'id="import-errors"' in html and "<code>placement_region</code>" in html
    assert ui_message(app, "Choose a kabupaten/kota for the placement.") in html


def test_a_workbook_too_large_for_the_limits_fails_with_the_reason(app, client, login_as, db, tmp_path, monkeypatch):
    """Counting in the request stops just past the inline limit; the whole workbook is judged in the background."""
    login_as("admin")
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)  # the contracts sheet has 4 rows (header included)
    status_page = _queue(client, tmp_path)

    _run_queue()

    run = db.session.scalar(sa.select(ImportRun))
    db.session.refresh(run)
    assert run.status == "failed" and "contracts" in run.error
    assert run.error in page_text(client.get(status_page))
    assert _count(db, Facilitator) == 2


def test_small_workbooks_stay_inline(app, client, login_as, db, tmp_path, monkeypatch):
    login_as("admin")
    monkeypatch.setitem(app.config, "IMPORT_INLINE_MAX_ROWS", 7)
    path = write_workbook(tmp_path / "tpl.xlsx", valid_rows())
    response = _upload(client, path.read_bytes())
    assert response.status_code == 200
    assert ui_message(app, "The workbook has been imported.") in page_text(response)
    assert _count(db, ImportRun) == 0


def test_an_import_whose_process_died_is_shown_and_marked_interrupted(app, client, login_as, db):
    admin = login_as("admin")
    dead = JobRun(job_name="run-queued-work", outcome="interrupted", finished_at=NOW)
    db.session.add(dead)
    db.session.flush()
    run = ImportRun(created_by_id=admin.id, filename="big.xlsx", content=b"x", status="running", job_run_id=dead.id)
    db.session.add(run)
    db.session.commit()

    html = page_text(client.get(f"/admin/import/runs/{run.id}"))
    assert ui_message(app, "Interrupted") in html and REFRESH not in html

    assert background.mark_interrupted_imports() == 1
    db.session.refresh(run)
    assert run.status == "interrupted" and run.content is None


def test_another_admin_sees_the_status_page(app, client, login_as, db, tmp_path):
    login_as("admin")
    status_page = _queue(client, tmp_path)
    other = UserFactory(email="admin2@example.id", role="admin")
    db.session.commit()
    client.post("/auth/logout")
    from ..conftest import sign_in

    sign_in(client, other.email)
    assert client.get(status_page).status_code == 200
    assert client.get("/admin/import/runs/999999").status_code == 404


# --- Run now ---------------------------------------------------------------------------------


@pytest.fixture
def fake_job(monkeypatch):
    calls = []

    def work(as_of):
        calls.append(as_of)
        return 5

    monkeypatch.setitem(JOBS, "fake", Job("fake", work, "0 3 * * *", "test job"))
    return calls


def test_run_now_queues_the_run_and_the_queue_job_runs_it(app, client, login_as, db, fake_job):
    admin = login_as("admin")

    response = client.post("/jobs/fake/run")

    assert response.status_code == 302
    assert fake_job == []  # nothing ran inside the request
    run = db.session.scalar(sa.select(JobRun).where(JobRun.job_name == "fake"))
    assert (run.outcome, run.triggered_by_id, run.as_of) == ("queued", admin.id, on(12, 2))
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "job_queued"))
    assert entry.actor_id == admin.id and entry.entity_id == "fake"
    page = page_text(client.get("/jobs/"))
    assert ui_message(app, "Queued") in page and '<meta http-equiv="refresh"' in page

    _run_queue()

    db.session.refresh(run)
    assert (run.outcome, run.rows_written) == ("success", 5)
    assert fake_job == [on(12, 2)]
    assert ui_message(app, "Succeeded") in page_text(client.get("/jobs/"))


def test_a_queued_run_meeting_a_running_job_is_skipped(db, world, fake_job):
    from tpl_tracker.jobs.runner import job_lock, queue_job, run_queued

    run = queue_job("fake", world["admin"])
    db.session.commit()
    other = job_lock("fake", "other-host:1:abc")
    assert other.acquire()
    db.session.commit()
    try:
        assert run_queued(run.id).outcome == "skipped"
    finally:
        other.release()
    assert fake_job == []
    assert run_queued(run.id) is None  # no longer queued


def test_the_scheduler_records_nothing_when_no_work_is_queued(app, db):
    _runner(app, "run-queued-work")()
    assert _count(db, JobRun) == 0


def test_the_queue_job_itself_cannot_be_queued(client, login_as, db):
    login_as("admin")
    assert client.post("/jobs/run-queued-work/run").status_code == 403
    assert _count(db, JobRun) == 0
