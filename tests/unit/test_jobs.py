"""Job runs: the lock (two schedulers, one run), slots (one run per scheduled fire time), interrupted runs,
recorded outcomes, the schedule list. tests/unit/test_jobs_processes.py does the same with real processes."""

import contextlib
import signal
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker import jobs as jobs_module
from tpl_tracker.extensions import db as db_module
from tpl_tracker.jobs import JOBS, Job, runner
from tpl_tracker.jobs.runner import database_now, job_lock, run_job
from tpl_tracker.models import JobLock, JobRun

from ..clock import NOW, dmy, iso, moment, on

SLOT = NOW - timedelta(minutes=5)


@pytest.fixture
def fake_job(monkeypatch):
    """A job that records its calls (and can be slowed down or made to fail)."""
    calls, behaviour = [], {"sleep": 0.0, "fail": False}

    def work(as_of):
        calls.append(as_of)
        time.sleep(behaviour["sleep"])
        if behaviour["fail"]:
            raise RuntimeError("boom")
        return 7

    monkeypatch.setitem(JOBS, "fake", Job("fake", work, "0 3 * * *", "test job"))
    return calls, behaviour


def test_every_job_has_a_valid_schedule(app):
    from apscheduler.triggers.cron import CronTrigger

    from tpl_tracker.scheduler import build_scheduler

    assert "compute-metrics" in jobs_module.JOBS
    for job in JOBS.values():
        CronTrigger.from_crontab(job.schedule)
    scheduler = build_scheduler(app)
    assert {j.id for j in scheduler.get_jobs()} == set(JOBS)


def test_schedule_can_be_changed_by_configuration(app, monkeypatch):
    from tpl_tracker.jobs.runner import cron_fields

    monkeypatch.setitem(app.config, "JOB_SCHEDULE_COMPUTE_METRICS", "15 2 * * *")
    assert cron_fields("compute-metrics") == "15 2 * * *"


@pytest.fixture
def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("leases are SQLite's lock (PostgreSQL: advisory locks)")


@contextlib.contextmanager
def held_elsewhere(name: str):
    """The job's lock held by another process (as far as the runner can tell) for the block."""
    other = job_lock(name, "other-host:1:abc")
    assert other.acquire()
    db_module.session.commit()
    try:
        yield
    finally:
        other.release()


def _lock_is_free(name: str) -> bool:
    lock = job_lock(name, "probe")
    taken = lock.acquire()
    lock.release()
    return taken


def test_a_run_is_recorded(db, fake_job):
    calls, _ = fake_job
    run = run_job("fake", as_of=on(6, 30))
    assert calls == [on(6, 30)]
    assert (run.outcome, run.rows_written, run.as_of, run.scheduled_for) == ("success", 7, on(6, 30), None)
    assert run.finished_at >= run.started_at
    assert _lock_is_free("fake")  # released


def test_a_failure_is_recorded_with_its_error(db, fake_job):
    _, behaviour = fake_job
    behaviour["fail"] = True
    run = run_job("fake")
    assert run.outcome == "failed"
    assert "RuntimeError: boom" in run.error
    assert _lock_is_free("fake")  # a failed run gives the lock back


def test_a_held_lock_makes_the_second_run_a_recorded_skip(db, fake_job):
    calls, _ = fake_job
    with held_elsewhere("fake"):
        run = run_job("fake")
        assert run.outcome == "skipped" and calls == []
    assert run_job("fake").outcome == "success"


def test_an_expired_lease_of_a_crashed_process_is_taken_over(db, fake_job, sqlite_only):
    """The lease is timed by the database's clock, which other processes share (the tests' clock is frozen)."""
    assert job_lock("fake", "crashed:1:abc").acquire()
    db.session.execute(
        sa.update(JobLock).values(locked_until=database_now(db.session.connection()) - timedelta(seconds=1))
    )
    db.session.commit()
    assert run_job("fake").outcome == "success"


@pytest.mark.real_commits
def test_a_lease_is_renewed_until_released(db, sqlite_only, caplog):
    """A beat of the renewing thread extends a held lease; one that comes after the release leaves the lock free
    and logs nothing."""
    lease = job_lock("fake", "here:1:abc")
    assert lease.acquire()
    db.session.execute(sa.update(JobLock).values(locked_until=database_now(db.session.connection())))  # lapsing
    db.session.commit()
    lease.start_heartbeat()
    lease.beat()  # as the renewing thread does every third of the lease
    db.session.expire_all()
    renewed = db.session.get(JobLock, "fake").locked_until
    assert renewed > database_now(db.session.connection()) + timedelta(seconds=lease.seconds / 2)
    db.session.commit()
    lease.release()
    lease.beat()  # a renewal that comes after the release
    db.session.expire_all()
    assert db.session.get(JobLock, "fake").holder is None
    assert "lost its lease" not in caplog.text


def test_a_scheduled_slot_runs_once(db, fake_job):
    """A second scheduler firing the same slot finds it taken and records nothing."""
    calls, _ = fake_job
    first = run_job("fake", scheduled_for=SLOT)
    assert (first.outcome, first.scheduled_for, first.as_of) == ("success", SLOT, on(12, 2))
    assert run_job("fake", scheduled_for=SLOT) is None
    assert len(calls) == 1
    assert db.session.scalars(sa.select(JobRun.scheduled_for).where(JobRun.job_name == "fake")).all() == [SLOT]
    assert run_job("fake", scheduled_for=SLOT + timedelta(days=1)).outcome == "success"  # the next slot runs
    assert run_job("fake").outcome == "success"  # and manual runs have no slot


def test_a_slot_that_meets_a_running_job_is_skipped_once(db, fake_job):
    calls, _ = fake_job
    with held_elsewhere("fake"):
        assert run_job("fake", scheduled_for=SLOT).outcome == "skipped"
        assert run_job("fake", scheduled_for=SLOT) is None
    assert run_job("fake", scheduled_for=SLOT) is None  # the slot stays skipped: it is not run late
    assert calls == []


def test_the_scheduler_passes_the_fire_time_as_the_slot(app, db, fake_job, monkeypatch):
    from tpl_tracker.scheduler import build_scheduler

    slots = []
    monkeypatch.setattr(runner, "run_job", lambda name, scheduled_for=None: slots.append((name, scheduled_for)))
    scheduler = build_scheduler(app, main_thread=True)
    for job in scheduler.get_jobs():
        if job.id == "fake":
            scheduler.modify_job("fake", next_run_time=SLOT)
        else:
            scheduler.remove_job(job.id)
    scheduler.start()
    try:
        scheduler.tpl_executor.run_next(timeout=10)
    finally:
        scheduler.shutdown(wait=False)
    assert slots == [("fake", SLOT)]


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(db, fake_job):
    """Its process held the job's lock; the lock is free, so the process is gone."""
    stale = JobRun(job_name="fake", outcome="running", holder="gone:1:abc")
    db.session.add(stale)
    db.session.commit()
    assert runner.mark_interrupted_runs() == 1
    db.session.refresh(stale)
    assert stale.outcome == "interrupted" and stale.finished_at is not None
    stale.outcome = "running"
    db.session.commit()
    assert run_job("fake").outcome == "success"  # the next run of the job marks it too
    db.session.refresh(stale)
    assert stale.outcome == "interrupted"


def test_a_running_run_whose_lock_is_held_is_not_marked(db, fake_job):
    other = job_lock("fake", "alive:1:abc")
    assert other.acquire()
    db.session.add(JobRun(job_name="fake", outcome="running", holder="alive:1:abc"))
    db.session.commit()
    try:
        assert runner.mark_interrupted_runs() == 0
    finally:
        other.release()


def test_sigterm_while_the_job_works_records_an_interrupted_run(db, fake_job, monkeypatch):
    """The handler (installed by the CLI commands) interrupts the job working in the main thread; its work is
    rolled back and the lock given back."""

    def work(as_of):
        db.session.add(JobLock(job_name="written-by-the-job"))
        db.session.flush()
        runner.request_stop(signal.SIGTERM)  # as the signal handler would, in the main thread
        raise AssertionError("not reached")

    monkeypatch.setitem(JOBS, "fake", Job("fake", work, "0 3 * * *", "test job"))
    try:
        run = run_job("fake")
        assert runner.stop_requested()
    finally:
        runner._stop.clear()
    assert run.outcome == "interrupted" and "SIGTERM" in run.error
    assert db.session.get(JobLock, "written-by-the-job") is None
    assert _lock_is_free("fake")


def test_a_database_still_locked_after_the_retries_records_a_skip(db, fake_job, monkeypatch):
    """SQLite: ten `jobs run` at once wait for each other (busy timeout, retries); one that cannot take the lock
    records a skip instead of crashing."""
    calls, _ = fake_job

    class LockedDatabase:
        def acquire(self):
            raise sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

        def release(self):
            pass

    monkeypatch.setattr(runner, "job_lock", lambda name, holder: LockedDatabase())
    monkeypatch.setattr(runner.time, "sleep", lambda seconds: None)
    run = run_job("fake")
    assert run.outcome == "skipped" and calls == []


@pytest.mark.real_commits
def test_two_schedulers_at_the_same_time_run_the_job_once(app, db, fake_job):
    """Two processes (here: threads with their own app context and connection) start the same job."""
    calls, behaviour = fake_job
    behaviour["sleep"] = 0.5
    outcomes, barrier = [], threading.Barrier(2)

    def scheduler():
        with app.app_context():
            barrier.wait()
            outcomes.append(run_job("fake").outcome)
            db.session.remove()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["skipped", "success"]
    assert len(calls) == 1
    db.session.expire_all()
    assert sorted(db.session.scalars(sa.select(JobRun.outcome))) == ["skipped", "success"]


def test_jobs_run_cli(app, db, fake_job):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "fake", "--as-of", iso(6, 30)])
    assert result.exit_code == 0, result.output
    assert "success" in result.output
    assert runner.invoke(args=["jobs", "run", "nope"]).exit_code != 0
    assert runner.invoke(args=["jobs", "run", "fake", "--as-of", dmy(6, 30)]).exit_code != 0
    listing = runner.invoke(args=["jobs", "list"])
    assert "compute-metrics" in listing.output


def test_default_as_of_is_the_date_in_jakarta(db, fake_job, time_machine):
    """At 20:00 UTC it is already the next day in Jakarta: the nightly job computes for that day."""
    time_machine.move_to(moment(6, 30, hour=20), tick=False)
    calls, _ = fake_job
    run_job("fake")
    assert calls == [on(7, 1)]


def test_the_jobs_page_shows_an_interrupted_run_in_the_readers_language(app, db, client, login_as):
    from ..conftest import page_text, ui_message

    db.session.add(JobRun(job_name="compute-metrics", outcome="interrupted", finished_at=NOW, error="SIGTERM"))
    db.session.commit()
    login_as("admin")
    page = page_text(client.get("/jobs/"))
    assert ui_message(app, "Interrupted") in page
    assert ui_message(app, "Interrupted") != "Interrupted"  # translated (Bahasa Indonesia by default)
