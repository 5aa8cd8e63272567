"""Benchmark of the WUB drill-down (services/wub_people.py) on national data: a page, its count, the whole file.

    .venv/bin/python bench/bench_wub_people.py [--tpl 15000] [--repeat 3] [--database-url postgresql+psycopg://...]

Generates the programme of bench_metric.py (N TPL with contracts and tracer surveys, fixed seed) into a temporary
SQLite file or the given database (empty, or holding the N TPL of an earlier run). Checks once that every group's
list is as long as its figure (compute_all), then times `--repeat` times: the count and first page of the whole
country's WUB (what /reports/wub/people shows), the same for one angkatan, and the whole alumni list written as
CSV (what `flask report wub-people` writes), and prints the medians and the peak memory of the file; then times
the page itself as an evaluator against the login page (the performance target: at most 3x). Not a test: run it
by hand.
"""

import argparse
import io
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_metric import AS_OF, load

PAGE = 50


def timed(step) -> tuple[object, float]:
    """The step's result and its wall-clock seconds."""
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def check_every_group() -> int:
    """Every figure of every group equals its list's length; returns the groups checked."""
    from tpl_tracker.services.metric import compute_all
    from tpl_tracker.services.wub_people import FIGURES, Selection, count_people

    groups = compute_all(AS_OF)
    for group in groups:
        for figure in FIGURES:
            listed = count_people(Selection(AS_OF, group.group_by, group.key, figure))
            assert listed == getattr(group, figure), (group.group_by, group.key, figure, listed)
    return len(groups)


def page_and_count(chosen) -> float:
    """Seconds for what the page reads: the count and the first page."""
    from tpl_tracker.services.wub_people import page_of_people

    _rows, seconds = timed(lambda: page_of_people(chosen, None, PAGE))
    return seconds


def whole_file(chosen) -> tuple[float, int, int]:
    """Seconds, bytes and peak traced memory (bytes) of the whole list written as CSV."""
    from tpl_tracker.services.exports import write_file
    from tpl_tracker.services.wub_people import CLI_COLUMNS, stream_people

    handle = io.BytesIO()
    tracemalloc.start()
    _none, seconds = timed(lambda: write_file(handle, CLI_COLUMNS, stream_people(chosen), "csv"))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, handle.tell(), peak


def median_get(client, url: str, repeat: int) -> float:
    """Median seconds of GET url (after one untimed request)."""
    client.get(url)
    times = []
    for _attempt in range(repeat):
        response, seconds = timed(lambda: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        times.append(seconds)
    return statistics.median(times)


def requests(app, repeat: int) -> tuple[float, float]:
    """Median seconds of the login page and of the drill-down page (the country's WUB) as an evaluator."""
    from tpl_tracker.extensions import db
    from tpl_tracker.models import User
    from tpl_tracker.services.passwords import hash_password

    email = "evaluator@bench.id"
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is None:
        db.session.add(
            User(email=email, full_name="Evaluator", role="evaluator", password_hash=hash_password("bench-2026-pw"))
        )
        db.session.commit()
    page = f"/reports/wub/people?as_of={AS_OF.isoformat()}&figure=wub"
    client = app.test_client()
    medians = [median_get(client, "/auth/login", repeat)]  # anonymous first: then the same client signs in
    assert client.post("/auth/login", data={"email": email, "password": "bench-2026-pw"}).status_code == 302
    medians.append(median_get(client, page, repeat))
    return medians[0], medians[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tpl", type=int, default=15_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database, or one of an earlier run (default: SQLite)")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db
    from tpl_tracker.services.wub_people import Selection

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            load(args.tpl)
            _groups, seconds = timed(check_every_group)
            print(f"every group's lists add up to its figures ({_groups} groups, {seconds:.1f} s)")
            national = Selection(AS_OF, figure="wub")
            angkatan = Selection(AS_OF, "angkatan", "2018", "wub")
            everyone = Selection(AS_OF)
            pages, groups, files = [], [], []
            for _attempt in range(args.repeat):
                pages.append(page_and_count(national))
                groups.append(page_and_count(angkatan))
                files.append(whole_file(everyone))
                db.session.rollback()
            size, peak = files[-1][1], max(f[2] for f in files)
            print(
                f"{db.engine.dialect.name} {args.tpl} TPL, median of {args.repeat}: "
                f"national WUB page {statistics.median(pages):.3f} s, one angkatan {statistics.median(groups):.3f} s, "
                f"all alumni as CSV {statistics.median(f[0] for f in files):.3f} s "
                f"({size / 1e6:.1f} MB, peak traced memory {peak / 1e6:.1f} MB)"
            )
            login, people = requests(app, max(5, args.repeat))
            print(f"requests: login page {login:.3f} s, drill-down page {people:.3f} s, ratio {people / login:.1f}x")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
