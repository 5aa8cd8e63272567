"""Benchmark of the compute-metrics job against a single hand-written SQL aggregate of the national WUB rate.

    .venv/bin/python bench/bench_metric.py [--tpl 10000] [--repeat 3] [--database-url postgresql+psycopg://...] [--cpu]

Generates N TPL with contracts and tracer surveys (bulk inserts, fixed seed) into a temporary SQLite file, or
into the given database (empty: the migrations build the schema; or holding the N TPL of an earlier run, which
are used again). Then runs the `compute-metrics` job as of a fixed date and the hand-written aggregate (the lower
bound: one statement, the national alumni and wub only, less than the job computes) once untimed, so that both
find the same warm cache, and `--repeat` times timed; checks that they agree on alumni and wub, and prints the
median seconds of each and their ratio. With `--cpu`, also the CPU time each took: this process's, plus on
PostgreSQL the server backends' of this database (from /proc, so the server must run on this machine); on a
busy machine that ratio moves less than the wall clock's. Not a test: run it by hand.
"""

import argparse
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

AS_OF = date(2026, 6, 30)
SEED = 20260630
POLYTECHNICS = [
    "STMI Jakarta",
    "Politeknik ATI Makassar",
    "Politeknik AKA Bogor",
    "Politeknik ATK Yogyakarta",
    "Politeknik ATI Padang",
]
STATUSES = ["wirausaha", "wirausaha", "bekerja", "asn", "studi", "belum_bekerja", "lainnya"]
VERIFICATIONS = ["verified", "verified", "unverified", "rejected"]

# The lower bound: the national alumni and wub of docs/metric.md in one statement, written by hand.
LOWER_BOUND_SQL = sa.text(
    """
    SELECT count(*) AS alumni,
           sum(CASE WHEN EXISTS (
                 SELECT 1 FROM outcome_surveys s
                 WHERE s.facilitator_id = t.facilitator_id
                   AND s.survey_date > t.exit_date AND s.survey_date <= :as_of
                   AND s.status = 'wirausaha' AND s.verification = 'verified'
                   AND s.founded_date >= t.first_start
               ) THEN 1 ELSE 0 END) AS wub
    FROM (
      SELECT facilitator_id, min(start_date) AS first_start,
             max(CASE WHEN status = 'terminated' THEN terminated_on ELSE end_date END) AS exit_date
      FROM contracts GROUP BY facilitator_id
    ) t
    WHERE t.exit_date < :as_of
    """
)


def generate(tpl: int, regions: list[str]) -> tuple[list[dict], list[dict], list[dict]]:
    """Facilitators, contracts and surveys of a programme of `tpl` TPL with every edge case, from a fixed seed."""
    rng = random.Random(SEED)
    facilitators, contracts, surveys = [], [], []
    for i in range(1, tpl + 1):
        angkatan = rng.randint(2014, 2025)
        region = rng.choice(regions)
        facilitators.append(
            {
                "id": i,
                "nik": f"{8271000000000000 + i}",
                "full_name": f"TPL Nomor {i}",
                "gender": "P" if i % 2 else "L",
                "birth_date": date(1995, 1, 1) + timedelta(days=i % 3000),
                "angkatan": angkatan,
                "polytechnic": rng.choice(POLYTECHNICS),
                "region_code": region,
            }
        )
        if rng.random() < 0.03:
            continue  # no contract at all
        start = date(angkatan + 1, 1, 1) + timedelta(days=rng.choice([0, 0, 0, 31, 90]))
        first_start, exit_date = start, None
        for _ in range(rng.choice([1, 1, 2, 2, 3, 4])):
            end = start + timedelta(days=364)
            status = "completed" if end < AS_OF else "active"
            terminated_on = None
            if rng.random() < 0.08:
                status, terminated_on = "terminated", start + timedelta(days=rng.randint(0, 364))
            contracts.append(
                {
                    "facilitator_id": i,
                    "number": f"KP/TPL/{len(contracts) + 1:07d}",
                    "start_date": start,
                    "end_date": end,
                    "placement_code": rng.choice(regions) if rng.random() < 0.3 else region,
                    "status": status,
                    "terminated_on": terminated_on,
                }
            )
            exit_date = terminated_on or end
            if terminated_on:
                break
            start = end + timedelta(days=1 + rng.choice([0, 0, 0, 0, 60, 400]))  # gaps between contracts
        survey_date = exit_date + timedelta(days=rng.choice([-40, 0, 1, 30, 180]))
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            status = rng.choice(STATUSES)
            founded = None
            if status == "wirausaha" and rng.random() < 0.95:
                founded = rng.choice(
                    [
                        first_start - timedelta(days=200),  # before the first contract: not new
                        first_start,
                        first_start + timedelta(days=100),  # during
                        exit_date + timedelta(days=20),  # after
                    ]
                )
            surveys.append(
                {
                    "facilitator_id": i,
                    "survey_date": survey_date,
                    "status": status,
                    "business_name": f"Usaha {i}" if status == "wirausaha" else None,
                    "founded_date": founded,
                    "verification": rng.choice(VERIFICATIONS),
                }
            )
            survey_date += timedelta(days=rng.choice([0, 1, 90, 365]) or 1)
    return facilitators, contracts, surveys


def load(tpl: int) -> None:
    """Insert the generated programme with Core bulk inserts (unless the database holds it from an earlier run)."""
    from tpl_tracker.extensions import db
    from tpl_tracker.models import Contract, Facilitator, OutcomeSurvey, Region

    loaded = db.session.scalar(sa.select(sa.func.count()).select_from(Facilitator))
    if loaded == tpl:
        print(f"data: the {tpl} TPL of an earlier run")
        return
    assert loaded == 0, f"the database holds {loaded} TPL, not none or {tpl}"
    regions = list(db.session.scalars(sa.select(Region.code).where(Region.level == 2).order_by(Region.code)))
    db.session.rollback()
    started = time.perf_counter()
    facilitators, contracts, surveys = generate(tpl, regions)
    with db.engine.begin() as conn:
        for table, rows in (
            (Facilitator.__table__, facilitators),
            (Contract.__table__, contracts),
            (OutcomeSurvey.__table__, surveys),
        ):
            for offset in range(0, len(rows), 10_000):
                conn.execute(table.insert(), rows[offset : offset + 10_000])
        conn.exec_driver_sql("ANALYZE")  # fresh statistics, as a long-lived database would have
    print(
        f"data: {len(facilitators)} TPL, {len(contracts)} contracts, {len(surveys)} surveys, "
        f"loaded in {time.perf_counter() - started:.1f} s"
    )


def server_backends() -> list[int]:
    """PostgreSQL: the process ids of the server backends connected to this database (none on SQLite)."""
    from tpl_tracker.extensions import db

    if db.engine.dialect.name != "postgresql":
        return []
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))


def backend_cpu(pids: list[int]) -> dict[int, float]:
    """The CPU seconds each process has used so far (/proc/PID/schedstat, nanoseconds); gone ones left out."""
    used = {}
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            used[pid] = int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9
    return used


def timed(step) -> tuple[object, float, float]:
    """Run step(); returns its result, the wall-clock seconds and the CPU seconds: this process's, and the server
    backends' of this database (those there before, read before the list of new ones is asked for, and all of
    each new one's)."""
    pids = server_backends()
    before, cpu = backend_cpu(pids), time.process_time()
    started = time.perf_counter()
    result = step()
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    after = backend_cpu(pids)
    after.update(backend_cpu(set(server_backends()) - set(pids)))
    cpu += sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())
    return result, wall, cpu


def run_once() -> tuple[tuple[float, float], tuple[float, float], tuple[int, int], tuple[int, int]]:
    """One job run and one lower-bound query, each timed; returns both (wall, CPU) seconds and both (alumni, wub)."""
    from tpl_tracker.extensions import db
    from tpl_tracker.jobs.runner import run_job
    from tpl_tracker.services.metric import load_snapshot

    run, job_wall, job_cpu = timed(lambda: run_job("compute-metrics", as_of=AS_OF))
    assert run.outcome == "success", (run.outcome, run.error)
    total = load_snapshot(AS_OF, "total")[0]
    job_figures = (total.alumni, total.wub)
    db.session.rollback()

    row, bound_wall, bound_cpu = timed(lambda: db.session.execute(LOWER_BOUND_SQL, {"as_of": AS_OF}).one())
    db.session.rollback()
    return (job_wall, job_cpu), (bound_wall, bound_cpu), job_figures, (int(row.alumni), int(row.wub))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tpl", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--database-url", help="an empty database, or one of an earlier run (default: a temporary SQLite file)"
    )
    parser.add_argument("--cpu", action="store_true", help="also the CPU time of this process and the server's")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            load(args.tpl)
            run_once()  # warms the cache and the connection pool for both
            jobs, bounds = [], []
            for attempt in range(1, args.repeat + 1):
                job, bound, job_figures, bound_figures = run_once()
                assert job_figures == bound_figures, f"job {job_figures} != lower bound {bound_figures}"
                jobs.append(job)
                bounds.append(bound)
                cpu = f" (CPU {job[1]:.3f} s and {bound[1]:.3f} s)" if args.cpu else ""
                print(
                    f"run {attempt}: job {job[0]:.3f} s, lower bound {bound[0]:.3f} s{cpu}, "
                    f"alumni={job_figures[0]} wub={job_figures[1]} (agree)"
                )
            job, bound = statistics.median(j[0] for j in jobs), statistics.median(b[0] for b in bounds)
            print(
                f"{db.engine.dialect.name} {args.tpl} TPL, median of {args.repeat}: job {job:.3f} s, "
                f"lower bound {bound:.3f} s, ratio {job / bound:.1f}x (load {os.getloadavg()[0]:.1f})"
            )
            if args.cpu:
                job, bound = statistics.median(j[1] for j in jobs), statistics.median(b[1] for b in bounds)
                print(f"  CPU time, median: job {job:.3f} s, lower bound {bound:.3f} s, ratio {job / bound:.1f}x")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
