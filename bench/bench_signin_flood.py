"""Benchmark: a signed-in user's page while 50 clients flood the sign-in form, with the rate limits on.

    .venv/bin/python bench/bench_signin_flood.py [--requests 40] [--threads 50] [--seconds 8]
        [--database-url postgresql+psycopg://postgres@127.0.0.1/bench] [--storage redis://127.0.0.1:6379/0]
        [--no-limits]

Starts gunicorn (2 workers, the production configuration: Argon2id 64 MiB) on a temporary SQLite database (or the
given empty database) with one seeded admin, signs that admin in and times the home page: idle, then while
`--threads` threads post wrong passwords for ever-new addresses (so that neither the per-account limit nor the
per-client delays help), first all from 127.0.0.1 (one client: X-Forwarded-For is not trusted without
PROXY_FIX), then each from its own loopback address 127.0.0.2... (distinct clients, as a botnet would be).
Prints the median page time of each phase, its ratio to idle, and how the flood was answered. Not a test: run it
by hand on a quiet machine. `--no-limits` raises every limit out of the way, for the figure without them.
"""

import argparse
import http.client
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PASSWORD = "bench sagu lempeng 2026"
EMAIL = "bench-admin@example.id"


class Browser:
    """One client: its own cookies (kept by hand: production cookies are Secure, and this is plain HTTP)."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port, self.source, self.cookies = port, source, {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        """One request on a fresh connection from the client's address; the status and the body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120, source_address=(self.source, 0))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, text
        finally:
            conn.close()

    def login_form(self) -> str:
        """Open the sign-in page; its CSRF token."""
        status, page = self.request("GET", "/auth/login")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert status == 200 and match, status
        return match.group(1)

    def sign_in(self, email: str, password: str, token: str) -> int:
        """Post the sign-in form; the status."""
        from urllib.parse import urlencode

        body = urlencode({"csrf_token": token, "email": email, "password": password})
        return self.request("POST", "/auth/login", body)[0]


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_times(browser: Browser, count: int) -> list[float]:
    """Seconds each of `count` GETs of the home page took (each must answer 200)."""
    times = []
    for _i in range(count):
        started = time.perf_counter()
        status, _page = browser.request("GET", "/")
        times.append(time.perf_counter() - started)
        assert status == 200, status
    return times


def flood(port: int, sources: list[str], stop: threading.Event, answers: Counter, lock: threading.Lock) -> list:
    """Start one thread per source address posting wrong passwords until `stop`; the threads."""

    def run(source: str):
        browser = Browser(port, source)
        token = browser.login_form()
        while not stop.is_set():
            status = browser.sign_in(f"{secrets.token_hex(6)}@example.id", "wrong password", token)
            with lock:
                answers[status] += 1

    threads = [threading.Thread(target=run, args=(source,), daemon=True) for source in sources]
    for thread in threads:
        thread.start()
    return threads


def phase(port: int, user: Browser, label: str, sources: list[str], seconds: float, requests: int, idle: float):
    """Flood from `sources`, wait `seconds` for it to build up, time the page; print and return the median."""
    stop, answers, lock = threading.Event(), Counter(), threading.Lock()
    threads = flood(port, sources, stop, answers, lock)
    time.sleep(seconds)
    times = page_times(user, requests)
    stop.set()
    for thread in threads:
        thread.join(timeout=180)
    median = statistics.median(times)
    shown = ", ".join(f"{status}: {count}" for status, count in sorted(answers.items()))
    print(
        f"{label:38} page p50 {median * 1000:7.1f} ms  p90 {statistics.quantiles(times, n=10)[-1] * 1000:7.1f} ms"
        f"  ratio {median / idle:5.1f}x  flood answers ({shown})"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="page requests timed per phase")
    parser.add_argument("--threads", type=int, default=50, help="flooding clients")
    parser.add_argument("--seconds", type=float, default=8, help="flood time before the page is timed")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), help="an empty database")
    parser.add_argument("--storage", default=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"))
    parser.add_argument("--no-limits", action="store_true", help="raise every rate limit out of the way")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "FLASK_APP": "wsgi",
            "FLASK_CONFIG": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.db",
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
            [
                *flask,
                "create-user",
                "--email",
                EMAIL,
                "--name",
                "Bench Admin",
                "--role",
                "admin",
                "--password",
                PASSWORD,
            ],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--timeout", "300", "wsgi:app"],
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
            page_times(user, 5)  # warm up both workers
            idle = statistics.median(page_times(user, args.requests))
            limits = "limits raised out of the way" if args.no_limits else "rate limits on"
            print(f"gunicorn 2 workers, production config, {limits}, storage {args.storage}")
            print(f"{'idle':38} page p50 {idle * 1000:7.1f} ms")
            one = ["127.0.0.1"] * args.threads
            many = [f"127.0.0.{i + 2}" for i in range(args.threads)]
            phase(port, user, f"{args.threads} threads from one client", one, args.seconds, args.requests, idle)
            phase(port, user, f"{args.threads} distinct clients", many, args.seconds, args.requests, idle)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
