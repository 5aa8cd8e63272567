"""Benchmark of the outcome dashboard (/reports/wub) with national snapshots, on a fresh SQLite database.

    .venv/bin/python bench/bench_dashboard.py [--dates 24] [--repeat 20]

Stores `--dates` monthly snapshots of national size (38 provinces, 20 angkatan, 20 exit years, 12 polytechnics:
91 rows a date), signs an evaluator in, and times the dashboard of the latest date as the whole page (every
breakdown) and one breakdown: the first request (charts drawn, sections rendered), then the median of `--repeat`
requests (the sections kept in the cache), each against the sign-in page's median, the target's baseline (issue
12: at most 3x the sign-in page), with the evaluator's home for comparison. Also counts the SQL statements of a
request. Not a test: run it by hand on a quiet machine.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

PASSWORD = "bench-password-2026"
POLYTECHNICS = [f"Politeknik {n}" for n in range(1, 13)]
PROVINCES = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36", "51", "52", "53",
    "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82", "91", "92", "93", "94", "95", "96",
]  # fmt: skip


def _row(as_of: date, group_by: str, key: str, alumni: int, wub: int, computed_at: datetime) -> dict:
    from tpl_tracker.services.metric import wilson_interval

    low, high = wilson_interval(wub, alumni)
    tracked = min(alumni, wub * 3)
    return {
        "as_of": as_of,
        "group_by": group_by,
        "key": key,
        "alumni": alumni,
        "tracked": tracked,
        "wub": wub,
        "wub_active": wub // 2,
        "wub_unverified": wub // 5,
        "wub_rate": round(wub / alumni, 4),
        "ci_low": round(low, 4),
        "ci_high": round(high, 4),
        "tracked_rate": round(tracked / alumni, 4),
        "median_months_to_business": -3.5 + (alumni % 17),
        "founded_during": wub // 3,
        "founded_after": wub - wub // 3,
        "computed_at": computed_at,
    }


def build(db, dates: int) -> date:
    """Store the snapshots (one a month back from today) and an evaluator; the latest as-of date."""
    from tpl_tracker.models import MetricSnapshot, Role, User
    from tpl_tracker.services.passwords import hash_password

    today = date.today()
    rows = []
    latest = None
    for back in range(dates):
        month = today.month - back
        as_of = date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        latest = latest or as_of
        computed_at = datetime(as_of.year, as_of.month, as_of.day, 1, 30, tzinfo=UTC)
        rows.append(_row(as_of, "total", "all", 12000, 2900, computed_at))
        groups = (
            [("angkatan", str(2007 + n)) for n in range(20)]
            + [("province", code) for code in PROVINCES]
            + [("exit_year", str(2009 + n)) for n in range(20)]
            + [("polytechnic", name) for name in POLYTECHNICS]
        )
        for index, (group_by, key) in enumerate(groups):
            alumni = 80 + (index * 37 + back * 11) % 900
            rows.append(_row(as_of, group_by, key, alumni, alumni * (5 + index % 30) // 100, computed_at))
    db.session.execute(sa.insert(MetricSnapshot), rows)
    db.session.add(
        User(
            email="evaluator@bench.id",
            full_name="Evaluator",
            role=Role.EVALUATOR.value,
            password_hash=hash_password(PASSWORD),
        )
    )
    db.session.commit()
    return latest


def timed(client, url: str, repeat: int) -> tuple[float, float]:
    """The first request's time and the median of `repeat` more, in ms."""
    start = time.perf_counter()
    assert client.get(url).status_code == 200, url
    first = (time.perf_counter() - start) * 1000
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert client.get(url).status_code == 200, url
        times.append((time.perf_counter() - start) * 1000)
    return first, statistics.median(times)


def statements(app, db, client, url: str) -> int:
    """SQL statements of one request."""
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return count


def main() -> int:
    """Build the snapshots, then time the dashboard against the sign-in page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=24)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            latest = build(db, args.dates)
        anonymous, evaluator = app.test_client(), app.test_client()
        assert (
            evaluator.post("/auth/login", data={"email": "evaluator@bench.id", "password": PASSWORD}).status_code == 302
        )
        _first, baseline = timed(anonymous, "/auth/login", args.repeat)
        print(f"sign-in page: {baseline:.1f} ms (median of {args.repeat})")
        _first, home = timed(evaluator, "/", args.repeat)
        print(f"evaluator's home (any signed-in page's own cost): {home:.1f} ms ({home / baseline:.1f}x)")
        for label, page in [
            ("whole dashboard", f"/reports/wub?as_of={latest.isoformat()}"),
            ("one breakdown", f"/reports/wub?as_of={latest.isoformat()}&group_by=province"),
        ]:
            first, median = timed(evaluator, page, args.repeat)
            count = statements(app, db, evaluator, page)
            print(
                f"{label}: first {first:.1f} ms, then {median:.1f} ms ({median / baseline:.1f}x the sign-in page), "
                f"{count} statements"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
