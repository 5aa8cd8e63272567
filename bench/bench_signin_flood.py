"""Benchmark: a signed-in user's page while 50 clients flood the sign-in form, with the rate limits on.

    .venv/bin/python bench/bench_signin_flood.py [--clients 50] [--seconds 15] [--workers 2] [--threads 4]
        [--storage redis://127.0.0.1:6379/0] [--database-url URL | --sqlite] [--no-limits]

Starts gunicorn (`--workers 2 --threads 4`: gthread workers, in which a hash does not hold up the other threads;
`--threads 1` for sync workers)
with the production configuration (Argon2id 64 MiB) on a throw-away PostgreSQL database (created on
PG_ADMIN_URL's server and dropped afterwards; `--sqlite` or no server: a temporary SQLite file) with one seeded
admin, signs that admin in and times the home page: idle, then while `--clients` clients post wrong passwords for
ever-new addresses as fast as they are answered (so that neither the per-account limit nor the per-client delays
help, and Retry-After is ignored, as an attacker would): first all from 127.0.0.1 (one client: X-Forwarded-For
is not trusted without PROXY_FIX), then each from its own loopback address 127.0.0.2... (distinct clients, as a
botnet would be). Every phase lasts `--seconds` (the page is timed after the first `--ramp` of them) and then
every flooding client is stopped, so the bench ends in about a minute whatever the server does. Prints the page's
p50/p95 in each phase, their ratio to idle, and how the flood was answered: refused (429), password checked (200)
or neither (other statuses, time-outs). Not a test: run it by hand, several times (the machine may be shared).
`--no-limits` raises every limit out of the way, for the figure without them.
"""

import argparse
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from browser import Browser  # bench/browser.py (run as python bench/bench_signin_flood.py)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "bench sagu lempeng 2026"
EMAIL = "bench-admin@example.id"


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_times(browser: Browser, until: float, at_least: int = 0) -> tuple[list[float], int]:
    """Seconds each GET of the home page took, one after the other until `until` (and at least `at_least` of
    them); and how many did not answer 200 in time."""
    times, failed = [], 0
    while time.monotonic() < until or len(times) + failed < at_least:
        started = time.perf_counter()
        try:
            status, _type, _page = browser.request("GET", "/")
        except OSError:
            status = 0
        if status == 200:
            times.append(time.perf_counter() - started)
        else:
            failed += 1
    return times, failed


def flood(port: int, sources: list[str], stop: threading.Event, answers: Counter, lock: threading.Lock) -> list:
    """Start one thread per source address posting wrong passwords until `stop`; the threads."""

    def run(source: str):
        browser = Browser(port, source, timeout=10)
        try:
            token = browser.login_form()
        except (OSError, AssertionError):
            with lock:
                answers["no form"] += 1
            return
        while not stop.is_set():
            try:
                status = browser.sign_in(f"{secrets.token_hex(6)}@example.id", "wrong password", token)
            except OSError:
                status = "time-out or reset"
            with lock:
                answers[status] += 1

    threads = [threading.Thread(target=run, args=(source,), daemon=True) for source in sources]
    for thread in threads:
        thread.start()
    return threads


def quantile(times: list[float], q: float) -> float:
    """The q-quantile (0..1) of the times, nearest rank."""
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def report(label: str, times: list[float], failed: int, idle: tuple[float, float] | None = None) -> None:
    """Print a phase's p50/p95 (and ratios to idle)."""
    if not times:
        print(f"{label:30} no page answered 200 ({failed} failed or timed out)", flush=True)
        return idle
    p50, p95 = quantile(times, 0.5), quantile(times, 0.95)
    line = f"{label:30} page p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  ({len(times)} pages"
    line += f", {failed} failed)" if failed else ")"
    if idle:
        line += f"  ratio p50 {p50 / idle[0]:5.1f}x  p95 {p95 / idle[1]:5.1f}x"
    print(line, flush=True)
    return p50, p95


def phase(port: int, user: Browser, label: str, sources: list[str], args, idle: tuple[float, float]) -> None:
    """Flood from `sources` for `args.seconds`, timing the page after the ramp; stop every client; print."""
    stop, answers, lock = threading.Event(), Counter(), threading.Lock()
    started = time.monotonic()
    threads = flood(port, sources, stop, answers, lock)
    time.sleep(args.ramp)
    times, failed = page_times(user, started + args.seconds, at_least=5)
    stop.set()
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + 15  # a client's last request ends within its 10 s time-out
    for thread in threads:
        thread.join(timeout=max(0.1, deadline - time.monotonic()))
    report(label, times, failed, idle)
    refused, checked = answers.pop(429, 0), answers.pop(200, 0)
    other = ", ".join(f"{status}: {count}" for status, count in sorted(answers.items(), key=str))
    print(
        f"{'':30} flood {elapsed:4.1f} s: {refused} refused (429, {refused / elapsed:.0f}/s), {checked} passwords"
        f" checked (200, {checked / elapsed:.1f}/s){', other ' + other if other else ''}",
        flush=True,
    )


@contextmanager
def database(args, tmp: str):
    """The URL of an empty database: the given one, a throw-away PostgreSQL database, or a SQLite file."""
    if args.database_url or args.sqlite:
        yield args.database_url or f"sqlite:///{tmp}/bench.db"
        return
    admin = os.environ.get("PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"tpl_bench_{os.getpid()}"
    try:
        import psycopg

        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:  # no server: SQLite (every sign-in then holds the write lock while it hashes)
        print(f"PostgreSQL not reachable ({error.__class__.__name__}): SQLite", file=sys.stderr)
        yield f"sqlite:///{tmp}/bench.db"
        return
    try:
        yield admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="flooding clients")
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--ramp", type=float, default=3, help="flood time before the page is timed")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="an empty database")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file, not PostgreSQL")
    parser.add_argument("--storage", default=os.environ.get("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--no-limits", action="store_true", help="raise every rate limit out of the way")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, database(args, tmp) as url:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "FLASK_CONFIG": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": url,
            "RATELIMIT_STORAGE_URI": args.storage,
        }
        if args.no_limits:
            for name in ("SIGNIN_PER_CLIENT", "PER_ACCOUNT", "SIGNIN_ALL"):
                env[f"RATELIMIT_{name}"] = "1000000 per second"
        if args.storage.startswith("redis"):
            import redis

            redis.Redis.from_url(args.storage).flushdb()
        flask = [str(BIN / "flask")]
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run(
            [*flask, "create-user", "--email", EMAIL, "--name", "Bench Admin", "--role", "admin"]
            + ["--password", PASSWORD],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        port = free_port()
        gunicorn = [str(BIN / "gunicorn"), "--workers", str(args.workers), "--threads", str(args.threads)]
        server = subprocess.Popen(
            [*gunicorn, "--bind", f"127.0.0.1:{port}", "--timeout", "60", "wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "gunicorn.log", "w"),  # noqa: SIM115 (closed with the directory)
        )
        try:
            for _i in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            user = Browser(port)
            assert user.sign_in(EMAIL, PASSWORD, user.login_form()) == 302, "the seeded admin must sign in"
            page_times(user, time.monotonic() + 1, at_least=5)  # warm up the workers
            limits = "limits raised out of the way" if args.no_limits else "rate limits on"
            kind = "sync" if args.threads == 1 else f"gthread, {args.threads} threads each"
            print(f"gunicorn {args.workers} workers ({kind}), production config, {limits}")
            print(f"database {url.split(':', 1)[0]}, storage {args.storage}, {os.cpu_count()} CPUs", flush=True)
            times, failed = page_times(user, time.monotonic() + min(args.seconds, 5), at_least=20)
            idle = report("idle", times, failed)
            one = ["127.0.0.1"] * args.clients
            many = [f"127.0.0.{i + 2}" for i in range(args.clients)]
            phase(port, user, f"{args.clients} clients, one address", one, args, idle)
            phase(port, user, f"{args.clients} distinct addresses", many, args, idle)
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # workers still draining a queue of stale flood requests
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
