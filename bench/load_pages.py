"""Load benchmark: every list, home and report page for each role, against gunicorn, with 4 concurrent clients.

    .venv/bin/python bench/load_pages.py --database-url postgresql+psycopg://postgres@127.0.0.1/national \
        [--clients 4] [--repeat 5] [--port 8765] [--markdown figures.md]

Runs on a database filled by bench/national_data.py (its known accounts and password). Starts `gunicorn -w 2`
with the production configuration (a random 32-byte SECRET_KEY, PROXY_FIX=0, the rate limits raised out of the
benchmark's way), signs each role in from every client, and finds the role's pages: every GET route without path
arguments that the role may open (a form to create something, downloads and the sign-in page left out), the
activity list with a type and month filter, the roster with `flag=any`, and a few record pages (a TPL, their
latest activity, permit and month, the business with most activities). Each client then requests each page
`--repeat` times, each followed by an anonymous `GET /auth/login`, the baseline. Prints p50/p95 in ms per page
and the ratio of its p50 to the baseline's, worst first; and to the sign-in page's p50 on the idle server (the
interleaved baseline also waits behind slow pages for a free worker, so its ratio flatters them).
Not a test: run it by hand on a quiet machine.
"""

import argparse
import os
import random
import secrets
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from browser import Browser  # bench/browser.py (run as python bench/load_pages.py)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from national_data import ACCOUNTS, PASSWORD

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BASELINE = "/auth/login"
# Endpoints of GET routes that are not pages to benchmark: forms that create something, files, the session.
SKIPPED = ("create", "template", "upload", "password", "login", "logout", "static", "set_language", "download")
LIMITS = dict.fromkeys(
    (
        "RATELIMIT_SIGNIN_PER_CLIENT",
        "RATELIMIT_PER_ACCOUNT",
        "RATELIMIT_SIGNIN_ALL",
        "RATELIMIT_PASSWORD_CHANGE",
        "RATELIMIT_PASSWORD_RESET",
    ),
    "1000000 per minute",
)


def timed(browser: Browser, path: str) -> float:
    """Milliseconds one GET takes; raise unless it answers 200."""
    start = time.perf_counter()
    status, _type, _text = browser.request("GET", path)
    elapsed = (time.perf_counter() - start) * 1000
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}")
    return elapsed


def record_pages(database_url: str) -> list[str]:
    """Record pages of the known TPL (and the busiest business), with ids read from the database."""
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:

        def one(sql: str, **params):
            return connection.execute(sa.text(sql), params).scalar()

        fid = one(
            "SELECT f.id FROM facilitators f JOIN users u ON u.id = f.user_id WHERE u.email = :email",
            email=ACCOUNTS["facilitator"],
        )
        activity = one("SELECT max(id) FROM activities WHERE facilitator_id = :fid", fid=fid)
        permit = one("SELECT max(id) FROM permits WHERE facilitator_id = :fid", fid=fid)
        month = one("SELECT max(id) FROM monthly_reports WHERE facilitator_id = :fid AND status <> 'draft'", fid=fid)
        business = one(
            "SELECT ab.business_id FROM activity_businesses ab JOIN mentorships m ON m.business_id = ab.business_id"
            " WHERE m.facilitator_id = :fid GROUP BY ab.business_id ORDER BY count(*) DESC LIMIT 1",
            fid=fid,
        )
    engine.dispose()
    return [
        f"/tpl/{fid}",
        f"/supervisi/tpl/{fid}",
        f"/kegiatan/{activity}",
        f"/izin/{permit}",
        f"/bulanan/{month}",
        f"/ikm/{business}",
    ]


def candidate_pages(database_url: str) -> list[str]:
    """GET routes without path arguments (from the app's url_map), filtered lists, and record pages."""
    from tpl_tracker import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    paths = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and not rule.endpoint.endswith(SKIPPED)
    )
    today = date.today()
    previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    paths += [f"/kegiatan/?type=kunjungan&month={previous:%Y-%m}", "/supervisi/?flag=any"]
    return paths + record_pages(database_url)


def start_server(database_url: str, port: int) -> subprocess.Popen:
    """gunicorn -w 2 with the production configuration; returns once it answers."""
    env = dict(
        os.environ,
        FLASK_CONFIG="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        PROXY_FIX="0",
        **LIMITS,
    )
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "300", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            if Browser(port, timeout=300).request("GET", BASELINE)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_role(port: int, role: str, candidates: list[str], clients: int, repeat: int, seed: int) -> dict:
    """Sign the role in from every client, keep the pages it may open, time them; {page: [ms]} and the baseline."""
    browsers = [Browser(port, timeout=300) for _ in range(clients)]
    for browser in browsers:
        if browser.sign_in(ACCOUNTS[role], PASSWORD) != 302:
            raise RuntimeError(f"sign-in of {ACCOUNTS[role]} was refused")
    pages = []
    for path in candidates:
        status, content_type, _text = browsers[0].request("GET", path)
        if status == 200 and content_type.startswith("text/html"):
            pages.append(path)
    times: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        browser, anonymous = browsers[index], Browser(port, timeout=300)
        order = [path for path in pages for _ in range(repeat)]
        random.Random(seed + index).shuffle(order)
        for path in order:
            try:
                page_ms, base_ms = timed(browser, path), timed(anonymous, BASELINE)
            except (RuntimeError, OSError) as error:
                with lock:
                    failures.append(str(error))
                continue
            with lock:
                times[path].append(page_ms)
                times[BASELINE].append(base_ms)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for failure in failures[:5]:
        print(f"  {role}: {failure}", file=sys.stderr)
    return times


def main() -> int:
    """Start gunicorn, run every role's pages, print and optionally write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=5, help="requests of each page per client")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--roles", default=",".join(ACCOUNTS), help="comma-separated: " + ",".join(ACCOUNTS))
    parser.add_argument("--markdown", type=Path, help="write the table to this file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    candidates = candidate_pages(args.database_url)
    server = start_server(args.database_url, args.port)
    rows, baseline = [], []
    try:
        idle_browser = Browser(args.port, timeout=300)
        idle = [timed(idle_browser, BASELINE) for _ in range(30)]
        for role in args.roles.split(","):
            start = time.perf_counter()
            times = run_role(args.port, role, candidates, args.clients, args.repeat, args.seed)
            baseline += times.pop(BASELINE, [])
            for path, values in times.items():
                rows.append((role, path, percentile(values, 0.5), percentile(values, 0.95), len(values)))
            print(f"{role}: {len(times)} pages in {time.perf_counter() - start:.0f} s", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    base50, base95 = percentile(baseline, 0.5), percentile(baseline, 0.95)
    rows.sort(key=lambda row: row[2], reverse=True)
    idle50 = percentile(idle, 0.5)
    lines = [
        f"baseline `GET {BASELINE}` (anonymous), interleaved with the pages: p50 {base50:.0f} ms, p95 {base95:.0f} ms "
        f"({len(baseline)} requests); alone on the idle server: p50 {idle50:.0f} ms",
        "",
        "| role | page | p50 ms | p95 ms | p50 / baseline | p50 / idle login | requests |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for role, path, p50, p95, count in rows:
        lines.append(
            f"| {role} | `{path}` | {p50:,.0f} | {p95:,.0f} | {p50 / base50:.1f}x | {p50 / idle50:.0f}x | {count} |"
        )
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
