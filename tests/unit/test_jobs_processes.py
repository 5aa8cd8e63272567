"""Jobs exactly once with real processes (tests/jobs_child.py): several schedulers fire the same slots, and a
`flask jobs run` is killed (SIGKILL) or stopped (SIGTERM) while its job works.

The children see the real clock, this process the tests' frozen one: slots and leases are compared with the
database's clock, and the tests wait on files and database rows (generous timeouts), never on sleeps.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tpl_tracker.jobs import JOBS
from tpl_tracker.jobs.runner import database_now, run_job
from tpl_tracker.models import JobRun

from ..jobs_child import FAST_JOBS, child_jobs

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60  # seconds; only reached when something is wrong
LEASE_SECONDS = 2

pytestmark = pytest.mark.real_commits


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """The folder the children's test jobs write into; the same jobs are known to this process."""
    for name, job in child_jobs(tmp_path).items():
        monkeypatch.setitem(JOBS, name, job)
    (tmp_path / "release").touch()  # in this process test-block returns at once
    yield tmp_path


@pytest.fixture
def start_child(app, folder):
    """Start `python -m tests.jobs_child` on the tests' database; every child is ended after the test."""
    children = []
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = {**os.environ, "JOB_LEASE_SECONDS": str(LEASE_SECONDS), "PYTHONPATH": str(ROOT)}
    env.pop("FLASK_APP", None)

    def start(*args: str) -> subprocess.Popen:
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs_child", url, str(folder / "child"), *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        children.append(child)
        return child

    (folder / "child").mkdir()
    yield start
    (folder / "child" / "release").touch()
    for child in children:
        if child.poll() is None:
            child.kill()
        child.communicate(timeout=TIMEOUT)


def wait_for(condition, what: str, children=()):
    """Poll until `condition()` is true (TIMEOUT seconds at most); a child that exits early fails the test."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if value := condition():
            return value
        for child in children:
            if child.poll() is not None:
                pytest.fail(f"child exited ({child.returncode}) while waiting for {what}:\n{child.communicate()[0]}")
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def runs(db, name: str) -> list[JobRun]:
    """The recorded runs of a job, oldest first, as the database has them now."""
    db.session.rollback()
    db.session.expire_all()
    rows = db.session.scalars(sa.select(JobRun).where(JobRun.job_name == name).order_by(JobRun.id)).all()
    db.session.commit()
    return rows


def lines(path: Path) -> list[str]:
    """The lines of a file written by the children (none when it does not exist yet)."""
    return path.read_text().splitlines() if path.exists() else []


def stop(child: subprocess.Popen, sig: signal.Signals) -> tuple[int, str]:
    """Send a signal to a child and wait for it to end: its exit code and output."""
    child.send_signal(sig)
    output = child.communicate(timeout=TIMEOUT)[0]
    return child.returncode, output


def test_several_schedulers_run_each_slot_once(db, folder, start_child):
    """Measured before: a fast job finished before the second scheduler started, which ran it again. Here one
    scheduler runs the slots first, then two more fire the same slots at the same time."""
    slot = (database_now(db.session.connection()) - timedelta(seconds=1)).replace(microsecond=0)
    db.session.commit()
    args = ("scheduler", slot.isoformat(), *FAST_JOBS)

    def processed(child):
        return set(lines(folder / "child" / f"progress-{child.pid}")) == set(FAST_JOBS)

    first = start_child(*args)
    wait_for(lambda: processed(first), "the first scheduler's runs", [first])
    later = [start_child(*args), start_child(*args)]
    wait_for(lambda: all(processed(child) for child in later), "the later schedulers' runs", later)
    for child in [first, *later]:
        code, output = stop(child, signal.SIGTERM)
        assert code == 0, output
        assert "Scheduler stopped." in output

    for name in FAST_JOBS:
        assert len(lines(folder / "child" / f"calls-{name}")) == 1, name
        recorded = runs(db, name)
        assert [(run.outcome, run.scheduled_for) for run in recorded] == [("success", slot)], name
        assert recorded[0].holder.split(":")[1] == str(first.pid)


def test_a_killed_run_frees_its_job_and_is_marked_interrupted(db, folder, start_child):
    """SIGKILL: nothing in the process runs. PostgreSQL frees the advisory lock with the connection; on SQLite the
    lease (JOB_LEASE_SECONDS) lapses. The next run then marks the dead run interrupted."""
    child = start_child("run", "test-block")
    wait_for(lambda: list((folder / "child").glob("started-*")), "the job to start", [child])
    (running,) = runs(db, "test-block")
    assert running.outcome == "running"
    assert run_job("test-block").outcome == "skipped"  # the job is locked while the child works

    code, _ = stop(child, signal.SIGKILL)
    assert code == -signal.SIGKILL
    assert runs(db, "test-block")[0].outcome == "running"  # nobody could record anything

    def runnable_again():
        run = run_job("test-block")
        db.session.commit()
        return run.outcome == "success"

    wait_for(runnable_again, "the job to be runnable again")
    recorded = runs(db, "test-block")
    assert recorded[0].id == running.id and recorded[0].outcome == "interrupted"
    assert "ended before the run finished" in recorded[0].error
    assert recorded[-1].outcome == "success"
    assert {run.outcome for run in recorded[1:-1]} <= {"skipped"}


def test_sigterm_marks_the_run_interrupted_and_frees_the_job_at_once(db, folder, start_child):
    child = start_child("run", "test-block")
    wait_for(lambda: list((folder / "child").glob("started-*")), "the job to start", [child])

    code, output = stop(child, signal.SIGTERM)
    assert code == 143, output
    (run,) = runs(db, "test-block")
    assert run.outcome == "interrupted" and run.finished_at is not None
    assert "SIGTERM" in run.error
    assert run_job("test-block").outcome == "success"  # the lock was given back before the process ended


def test_sigterm_stops_the_scheduler_with_its_run_interrupted(db, folder, start_child):
    slot = (database_now(db.session.connection()) - timedelta(seconds=1)).replace(microsecond=0)
    db.session.commit()
    child = start_child("scheduler", slot.isoformat(), "test-block")
    wait_for(lambda: list((folder / "child").glob("started-*")), "the job to start", [child])

    code, output = stop(child, signal.SIGTERM)
    assert code == 0, output
    (run,) = runs(db, "test-block")
    assert (run.outcome, run.scheduled_for) == ("interrupted", slot)
    assert "SIGTERM" in run.error
    assert run_job("test-block").outcome == "success"
