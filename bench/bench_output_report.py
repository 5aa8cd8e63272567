"""Benchmark of the mentorship output report (services/output_report.py) on the national data.

    .venv/bin/python bench/national_data.py --database-url sqlite:////tmp/national.db
    .venv/bin/python bench/bench_output_report.py --database-url sqlite:////tmp/national.db [--year 2025] [--repeat 3]

For each level (province, kabkota, tpl) times the report of one year for the whole country (an evaluator's) and for
the supervisor of the province with the most TPL, once untimed to warm the cache, then `--repeat` times; prints the
median seconds, the rows and the statements. Then the page itself (GET /reports/output, signed in as the evaluator)
and the same for the login page, for the ratio the performance targets speak of. Not a test: run it by hand.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

PASSWORD = "bench-national-2026"


def _timed(function, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds (this process's: on SQLite all of the work) of `repeat` runs after one."""
    result = function()
    times, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(times), statistics.median(cpu), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db
    from tpl_tracker.models import User
    from tpl_tracker.services.output_report import output_report

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": args.database_url, "WTF_CSRF_ENABLED": False})
    start, end = date(args.year, 1, 1), date(args.year, 12, 31)
    with app.app_context():
        counts = {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("facilitators", "activities", "mentorships", "permits", "assessments")
        }
        print("data:", ", ".join(f"{table} {count:,}" for table, count in counts.items()))
        supervisor = db.session.scalar(sa.select(User).where(User.email == "supervisor@bench.tpl.id"))
        statements = []
        sa.event.listen(db.engine, "before_cursor_execute", lambda *_a: statements.append(1))
        for level in ("province", "kabkota", "tpl"):
            for who, user in (("country", None), ("supervisor", supervisor)):
                before = len(statements)
                _timed(lambda level=level, user=user: output_report(level, start, end, user), 1)
                per_run = len(statements) - before
                seconds, cpu, report = _timed(
                    lambda level=level, user=user: output_report(level, start, end, user), args.repeat
                )
                print(
                    f"  {level:9} {who:10} {seconds * 1000:6.0f} ms (CPU {cpu * 1000:4.0f} ms)  "
                    f"{len(report.rows):6,} rows  {per_run // 2} statements  activities {report.total.activities:,}"
                )
        db.session.remove()

    client = app.test_client()
    login = client.post("/auth/login", data={"email": "evaluator@bench.tpl.id", "password": PASSWORD})
    if login.status_code != 302:
        print("could not sign in as the evaluator", file=sys.stderr)
        return 1
    for level in ("province", "kabkota", "tpl"):
        url = f"/reports/output?level={level}&period=year&year={args.year}"
        seconds, cpu, response = _timed(lambda url=url: client.get(url), args.repeat)
        print(
            f"  page {level:9} {seconds * 1000:6.0f} ms (CPU {cpu * 1000:4.0f} ms)  "
            f"({response.status_code}, {len(response.data):,} bytes)"
        )
    anonymous = app.test_client()
    seconds, cpu, _response = _timed(lambda: anonymous.get("/auth/login"), args.repeat)
    print(f"  login page      {seconds * 1000:6.0f} ms (CPU {cpu * 1000:4.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
