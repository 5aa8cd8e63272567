"""Benchmark of a list export at scale: 200,000 activities as CSV and as XLSX through the real route.

    .venv/bin/python bench/bench_exports.py [--facilitators 5000] [--database-url URL --email E --password P]

Without --database-url it builds a fresh SQLite database with bench_pages.py's programme (40 activities per
TPL: 5,000 TPL give 200,000 activities); with it, it exports from that database (e.g. one filled by
bench/national_data.py) as the account given. Each export runs in a process of its own, signed in with the
test client, and reads the whole streamed file: the script prints the rows, the file's size, the time and the
process's peak resident memory (VmHWM: the whole process, app and interpreter included). Target: under 200 MB.
Not a test: run it by hand.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

TARGET_MB = 200
BENCH_PASSWORD = "bench-password-2026"


def export_once(url: str, email: str, password: str, fmt: str) -> None:
    """One export in this process: sign in, post the export, read the streamed file; print what it took."""
    from tpl_tracker import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302, "sign-in failed"
    start = time.perf_counter()
    response = client.post("/kegiatan/export", data={"fmt": fmt}, buffered=False)
    assert response.status_code == 200, response.status_code
    size = 0
    for piece in response.response:
        size += len(piece)
    response.close()
    elapsed = time.perf_counter() - start
    with app.app_context():
        import sqlalchemy as sa

        from tpl_tracker.extensions import db
        from tpl_tracker.models import AuditEntry

        rows = db.session.scalar(
            sa.select(AuditEntry.after).where(AuditEntry.action == "export").order_by(AuditEntry.id.desc()).limit(1)
        )["rows"]
    peak = _peak_mb()
    verdict = "under" if peak < TARGET_MB else "OVER"
    print(f"{fmt:<5} {rows:>9,} rows  {size / 1e6:8.1f} MB file  {elapsed:6.1f} s  peak {peak:6.1f} MB", end="")
    print(f"  ({verdict} the {TARGET_MB} MB target)", flush=True)


def _peak_mb() -> float:
    """This process's peak resident memory in MB (VmHWM: since its exec, unlike ru_maxrss, which a child started
    by a large parent inherits)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(url: str, email: str, password: str, fmt: str) -> None:
    """Run one export in a child process (it prints its figures)."""
    command = [sys.executable, __file__, "--child", fmt, "--database-url", url, "--email", email]
    if subprocess.run([*command, "--password", password], check=False).returncode != 0:
        raise SystemExit(f"the {fmt} export failed")


def build_database(folder: str, facilitators: int) -> str:
    """A fresh SQLite database with the programme of bench_pages.py; its URL."""
    from bench_pages import build
    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db

    url = f"sqlite:///{folder}/bench.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        start = time.perf_counter()
        build(db, facilitators)
        print(f"built {facilitators} TPL and {facilitators * 40:,} activities in {time.perf_counter() - start:.1f} s")
        db.engine.dispose()
    return url


def main() -> int:
    """Build (or reuse) the data, then export the activities as CSV and as XLSX, each in its own process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilitators", type=int, default=5000, choices=range(1, 10000), metavar="1..9999")
    parser.add_argument("--database-url")
    parser.add_argument("--email", default="evaluator@bench.id")
    parser.add_argument("--password", default=BENCH_PASSWORD)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        export_once(args.database_url, args.email, args.password, args.child)
        return 0
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or build_database(folder, args.facilitators)
        for fmt in args.formats.split(","):
            measure(url, args.email, args.password, fmt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
