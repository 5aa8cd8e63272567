"""The one list of scheduled jobs, with their default schedules (cron fields, Asia/Jakarta time).

A schedule can be changed without code: JOB_SCHEDULE_<NAME> (name upper-cased, dashes as
underscores) holds cron fields "minute hour day month day_of_week", e.g.
JOB_SCHEDULE_COMPUTE_METRICS="30 1 * * *".
"""
from dataclasses import dataclass
from datetime import date
from typing import Callable


@dataclass(frozen=True)
class Job:
    """A scheduled job: its function takes the as-of date and returns the rows it wrote."""

    name: str
    func: Callable[[date], int]
    schedule: str
    description: str


def compute_metrics(as_of: date) -> int:
    """Store the WUB snapshot of every grouping as of the date."""
    from ..services.metric import store_snapshot

    return store_snapshot(as_of)


JOBS: dict[str, Job] = {
    job.name: job
    for job in [
        Job("compute-metrics", compute_metrics, "30 1 * * *", "WUB metric snapshot for every grouping (METRIC.md)"),
    ]
}
