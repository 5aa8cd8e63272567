"""Job runs: the lock (two schedulers, one run), recorded outcomes, the schedule list."""

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker import jobs as jobs_module
from tpl_tracker.jobs import JOBS, Job
from tpl_tracker.jobs.runner import acquire_lock, release_lock, run_job
from tpl_tracker.models import JobLock, JobRun

from ..clock import NOW, dmy, iso, moment, on


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


def test_a_run_is_recorded(db, fake_job):
    calls, _ = fake_job
    run = run_job("fake", as_of=on(6, 30))
    assert calls == [on(6, 30)]
    assert (run.outcome, run.rows_written, run.as_of) == ("success", 7, on(6, 30))
    assert run.finished_at >= run.started_at
    lock = db.session.get(JobLock, "fake")
    assert lock.holder is None and lock.locked_until is None  # released


def test_a_failure_is_recorded_with_its_error(db, fake_job):
    _, behaviour = fake_job
    behaviour["fail"] = True
    run = run_job("fake")
    assert run.outcome == "failed"
    assert "RuntimeError: boom" in run.error
    assert db.session.get(JobLock, "fake").holder is None  # a failed run gives the lock back


def test_a_held_lock_makes_the_second_run_a_recorded_skip(db, fake_job):
    calls, _ = fake_job
    assert acquire_lock("fake", "other-host:1")
    run = run_job("fake")
    assert run.outcome == "skipped" and calls == []
    release_lock("fake", "other-host:1")
    assert run_job("fake").outcome == "success"


def test_an_expired_lock_of_a_crashed_process_is_taken_over(db, fake_job):
    assert acquire_lock("fake", "crashed:1")
    db.session.execute(sa.update(JobLock).values(locked_until=NOW - timedelta(minutes=1)))
    db.session.commit()
    assert run_job("fake").outcome == "success"


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
