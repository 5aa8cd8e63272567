"""APScheduler wiring: the jobs of tpl_tracker.jobs, each run inside an app context with its slot.

A run's slot is the fire time APScheduler computed for it (the `run_times` it hands to the executor, the latest
one since the jobs coalesce), passed to the runner as `scheduled_for`: every scheduler process computes the same
fire times from the same schedule, so the slot names one run across all of them (see jobs/runner.py).

`flask jobs scheduler` runs the jobs in its main thread, one at a time (MainThreadExecutor and `serve`), so that
SIGTERM interrupts the job working there; the development server runs them in worker threads.
"""

import logging
import queue
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from .jobs import JOBS

log = logging.getLogger(__name__)


def _runner(app: Flask, name: str):
    def run(scheduled_for: datetime | None = None):
        with app.app_context():
            from .jobs.runner import run_job

            due = JOBS[name].due
            if due is not None and not due():
                return  # nothing to do in this slot: not recorded (run-queued-work every minute)
            run_job(name, scheduled_for=scheduled_for)

    run.__name__ = f"run_{name.replace('-', '_')}"
    return run


class _SlotJob:
    """An APScheduler job seen through one of its run times: its function also gets `scheduled_for`."""

    def __init__(self, job, run_time: datetime):
        self._job = job
        self.kwargs = {**job.kwargs, "scheduled_for": run_time}

    def __getattr__(self, name):
        return getattr(self._job, name)

    def __str__(self) -> str:
        return str(self._job)


class SlotThreadPoolExecutor(ThreadPoolExecutor):
    """Runs jobs in worker threads (development server), passing each run its slot."""

    def _do_submit_job(self, job, run_times):
        super()._do_submit_job(_SlotJob(job, run_times[-1]), run_times[-1:])


class MainThreadExecutor(BaseExecutor):
    """Queues due runs for the thread that calls `serve`, which runs them one at a time with their slot."""

    def __init__(self):
        super().__init__()
        self.due: queue.Queue = queue.Queue()

    def _do_submit_job(self, job, run_times):
        self.due.put((job, run_times[-1]))

    def run_next(self, timeout: float) -> None:
        """Run the next due run, waiting at most `timeout` seconds for one (a run too late is reported missed)."""
        try:
            job, run_time = self.due.get(timeout=timeout)
        except queue.Empty:
            return
        alias, events = job._jobstore_alias, []
        try:
            late = datetime.now(UTC) - run_time
            if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                log.warning("Run of job %s scheduled at %s was missed by %s", job.id, run_time, late)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, alias, run_time))
                return
            try:
                retval = job.func(*job.args, **{**job.kwargs, "scheduled_for": run_time})
            except Exception as error:
                log.exception("Job %s raised an exception", job.id)
                events.append(JobExecutionEvent(EVENT_JOB_ERROR, job.id, alias, run_time, exception=error))
            else:
                events.append(JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, alias, run_time, retval=retval))
        finally:
            self._run_job_success(job.id, events)


def build_scheduler(app: Flask, main_thread: bool = False) -> BackgroundScheduler:
    """A scheduler holding every job of JOBS with its configured schedule (not started); with `main_thread`, its
    runs wait for `serve` to run them in the calling thread."""
    from .jobs.runner import cron_fields

    timezone = app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    executor = MainThreadExecutor() if main_thread else SlotThreadPoolExecutor()
    scheduler = BackgroundScheduler(timezone=timezone, executors={"default": executor})
    scheduler.tpl_executor = executor
    with app.app_context():
        for name in JOBS:
            scheduler.add_job(
                _runner(app, name),
                CronTrigger.from_crontab(cron_fields(name), timezone=timezone),
                id=name,
                name=name,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=3600,
            )
    return scheduler


def serve(scheduler: BackgroundScheduler) -> None:
    """Start a scheduler built with `main_thread` and run its jobs in this thread until SIGTERM (or Ctrl-C)."""
    from .jobs.runner import stop_requested

    scheduler.start()
    try:
        while not stop_requested():
            scheduler.tpl_executor.run_next(timeout=0.5)
    finally:
        scheduler.shutdown(wait=False)
