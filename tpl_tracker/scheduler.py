"""APScheduler wiring: the jobs of tpl_tracker.jobs, each run inside an app context."""

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from .jobs import JOBS


def _runner(app: Flask, name: str):
    def run():
        with app.app_context():
            from .jobs.runner import run_job

            run_job(name)

    run.__name__ = f"run_{name.replace('-', '_')}"
    return run


def build_scheduler(app: Flask, blocking: bool = False):
    """A scheduler holding every job of JOBS with its configured schedule (not started)."""
    from .jobs.runner import cron_fields

    timezone = app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=timezone)
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
