"""A separate process for the job tests: `flask jobs run` or `flask jobs scheduler` with test jobs.

python -m tests.jobs_child DATABASE_URL DIR run NAME
python -m tests.jobs_child DATABASE_URL DIR scheduler SLOT NAME...

The test jobs leave files in DIR: `test-fast-*` append a line to `calls-<name>`; `test-block` writes
`started-<pid>` and waits until the file `release` exists. In scheduler mode only the named jobs are scheduled,
each to fire at SLOT (ISO time), and each processed run appends the job's name to `progress-<pid>`. This process
sees the real clock (the tests' frozen clock is theirs only).
"""

import os
import sys
import time
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from flask.cli import ScriptInfo

from tpl_tracker import create_app
from tpl_tracker import scheduler as scheduler_module
from tpl_tracker.jobs import JOBS, Job

FAST_JOBS = [f"test-fast-{number}" for number in range(1, 5)]


def _append(path: Path, line: str) -> None:
    with open(path, "a") as file:
        file.write(line + "\n")


def child_jobs(folder: Path) -> dict[str, Job]:
    """The test jobs writing into `folder`."""

    def fast(name):
        def work(as_of):
            _append(folder / f"calls-{name}", f"{os.getpid()} {as_of}")
            return 1

        return work

    def block(as_of):
        (folder / f"started-{os.getpid()}").write_text(str(as_of))
        while not (folder / "release").exists():
            time.sleep(0.05)
        return 1

    jobs = {name: Job(name, fast(name), "0 3 * * *", "test job") for name in FAST_JOBS}
    jobs["test-block"] = Job("test-block", block, "0 3 * * *", "test job that waits")
    return jobs


def main(url: str, folder: str, mode: str, *args: str) -> None:
    folder = Path(folder)
    JOBS.update(child_jobs(folder))
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    if mode == "scheduler":
        slot, names = args[0], set(args[1:])
        build = scheduler_module.build_scheduler

        def build_for_the_test(app, main_thread=False):
            scheduler = build(app, main_thread=main_thread)
            for job in scheduler.get_jobs():
                if job.id in names:
                    scheduler.modify_job(job.id, next_run_time=slot)
                else:
                    scheduler.remove_job(job.id)
            scheduler.add_listener(
                lambda event: _append(folder / f"progress-{os.getpid()}", event.job_id),
                EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED,
            )
            return scheduler

        scheduler_module.build_scheduler = build_for_the_test
        arguments = ["jobs", "scheduler"]
    else:
        arguments = ["jobs", "run", *args]
    app.cli.main(args=arguments, obj=ScriptInfo(create_app=lambda: app), prog_name="flask")


if __name__ == "__main__":
    main(*sys.argv[1:])
