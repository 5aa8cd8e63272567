"""Where one page's time goes: SQL statements, template rendering and the rest, in-process.

    .venv/bin/python bench/profile_page.py --database-url postgresql+psycopg://postgres@127.0.0.1/national \
        --role supervisor /ikm/ /supervisi/?flag=any [--repeat 30] [--profile 25]

Runs on a database filled by bench/national_data.py. Builds the app with the production configuration, signs the
role in through the sign-in form (Flask's test client, no server), warms each page up once, then requests it
`--repeat` times and prints the median milliseconds of the whole request, of its SQL statements (cursor time),
of template rendering (less the SQL run from inside templates) and of the rest, with the number of statements and
the mean CPU time of the process per request (garbage collections included).
Statements SQLAlchemy compiles afresh at every request (its statement cache missing them) are named under the
page. `--profile N` also prints the N functions with most cumulative time under cProfile. Not a test: run it by hand.
"""

import argparse
import cProfile
import os
import pstats
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask import before_render_template, template_rendered
from national_data import ACCOUNTS, PASSWORD
from sqlalchemy.engine.interfaces import CacheStats

BASE_URL = "https://localhost"


class Clock:
    """Adds up the time spent in SQL statements and in template rendering during one request."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Start a new request."""
        self.sql = 0.0
        self.statements = 0
        self.log: list[tuple[float, str, object]] = []
        self.uncached: list[str] = []  # statements compiled afresh (SQLAlchemy's statement cache missed)
        self.render = 0.0
        self._sql_started = 0.0
        self._render_started: list[tuple[float, float]] = []

    def before_sql(self, *_args, **_kwargs) -> None:
        """A statement starts."""
        self._sql_started = time.perf_counter()

    def after_sql(self, _connection, _cursor, statement, parameters, context, *_args) -> None:
        """A statement ended."""
        elapsed = time.perf_counter() - self._sql_started
        self.sql += elapsed
        self.statements += 1
        self.log.append((elapsed, statement, parameters))
        if getattr(context, "compiled", None) is not None and context.cache_hit is not CacheStats.CACHE_HIT:
            self.uncached.append(f"{context.cache_hit.name}: {statement}")

    def before_render(self, *_args, **_kwargs) -> None:
        """A template starts rendering."""
        self._render_started.append((time.perf_counter(), self.sql))

    def after_render(self, *_args, **_kwargs) -> None:
        """A template is rendered; the SQL it ran is counted as SQL."""
        started, sql_before = self._render_started.pop()
        if not self._render_started:
            self.render += (time.perf_counter() - started) - (self.sql - sql_before)


def signed_in_client(app, role: str):
    """A test client signed in as the bench account of the role."""
    client = app.test_client()
    page = client.get("/auth/login", base_url=BASE_URL).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/auth/login",
        base_url=BASE_URL,
        data={"csrf_token": token, "email": ACCOUNTS[role], "password": PASSWORD},
        headers={"Referer": f"{BASE_URL}/auth/login"},  # HTTPS: Flask-WTF checks the referrer
    )
    if answer.status_code != 302:
        raise RuntimeError(f"Signing in as {role} answered {answer.status_code}")
    return client


def explain(app, statement: str, parameters) -> None:
    """Print PostgreSQL's plan of one statement, as executed (EXPLAIN ANALYZE, in a transaction rolled back)."""
    with app.app_context():
        from tpl_tracker.extensions import db

        connection = db.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            for (line,) in cursor.fetchall():
                print("      " + line)
        finally:
            connection.rollback()
            connection.close()


def main() -> None:
    """Print the time split of each page."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--role", choices=sorted(ACCOUNTS), default="supervisor")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions (cProfile)")
    parser.add_argument("--sort", default="cumulative", help="with --profile: cumulative or tottime")
    parser.add_argument("--only", default="", help="with --profile: only functions whose path matches this regex")
    parser.add_argument("--callers", default="", help="with --profile: also who calls the functions matching this")
    parser.add_argument("--packages", action="store_true", help="with --profile: own time summed by package")
    parser.add_argument("--statements", action="store_true", help="print the slow statements (--slower-than ms)")
    parser.add_argument("--slower-than", type=float, default=2.0, help="with --statements: in ms (default 2)")
    parser.add_argument("--explain", action="store_true", help="with --statements: EXPLAIN ANALYZE each of them")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args()

    os.environ.update(
        FLASK_CONFIG="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=args.database_url, PROXY_FIX="0"
    )
    from tpl_tracker import create_app
    from tpl_tracker.process import tune_garbage_collector

    app = create_app("production")
    tune_garbage_collector()  # as wsgi.py, the entry point of gunicorn
    clock = Clock()
    with app.app_context():
        from tpl_tracker.extensions import db

        sa.event.listen(db.engine, "before_cursor_execute", clock.before_sql)
        sa.event.listen(db.engine, "after_cursor_execute", clock.after_sql)
    before_render_template.connect(clock.before_render, app)
    template_rendered.connect(clock.after_render, app)
    client = signed_in_client(app, args.role)

    header = f"{'page':<45} {'total':>7} {'sql':>7} {'render':>7} {'rest':>7} {'stmts':>5} {'cpu':>7}"
    print(f"{header}  (median ms; cpu: mean)")
    for path in [*args.paths, "/auth/login"]:
        viewer = client if path != "/auth/login" else app.test_client()
        if viewer.get(path, base_url=BASE_URL).status_code != 200:
            raise RuntimeError(f"GET {path} did not answer 200")
        totals, sqls, renders, counts, cpus = [], [], [], [], []
        for _ in range(args.repeat):
            clock.reset()
            start, cpu = time.perf_counter(), time.process_time()
            viewer.get(path, base_url=BASE_URL)
            totals.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            sqls.append(clock.sql)
            renders.append(clock.render)
            counts.append(clock.statements)
        total, sql, render = (statistics.median(values) * 1000 for values in (totals, sqls, renders))
        cpu = statistics.mean(cpus) * 1000  # the process's CPU time, periodic work (garbage collection) included
        rest = total - sql - render
        print(f"{path:<45} {total:7.1f} {sql:7.1f} {render:7.1f} {rest:7.1f} {max(counts):5d} {cpu:7.1f}")
        for statement in clock.uncached:  # of the last request: compiled again although the page was warm
            print(f"  compiled at every request: {' '.join(statement.split())[:160]}")
        if args.statements:
            for elapsed, statement, parameters in clock.log:
                if elapsed >= args.slower_than / 1000:
                    print(f"  {elapsed * 1000:6.1f} ms  {' '.join(statement.split())}  {parameters}")
                    if args.explain:
                        explain(app, statement, parameters)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.repeat):
                viewer.get(path, base_url=BASE_URL)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats(args.sort)
            stats.print_stats(args.only, args.profile)
            if args.callers:
                print_call_chains(stats, args.callers)
            if args.packages:
                print_packages(stats, args.repeat)


def print_packages(stats: pstats.Stats, repeat: int) -> None:
    """Own time per request summed by package (the app's templates apart from its Python), largest first."""
    sums: dict[str, float] = {}
    for (path, _line, name), (_calls, _primitive, own, _cumulative, _callers) in stats.stats.items():
        if "site-packages/" in path:
            package = path.split("site-packages/")[1].split("/")[0].removesuffix(".py")
        elif "/tpl_tracker/templates/" in path:
            package = "tpl_tracker templates"
        elif "/tpl_tracker/" in path:
            package = "tpl_tracker"
        elif path == "~":
            package = f"builtins ({name.split(' of ')[0].strip('<{}>').split()[-1]})" if " of " in name else "builtins"
        else:
            package = "python"
        sums[package] = sums.get(package, 0.0) + own
    for package, own in sorted(sums.items(), key=lambda item: -item[1])[:15]:
        print(f"  {package:<40} {own / repeat * 1000:6.2f} ms a request (under the profiler)")


def print_call_chains(stats: pstats.Stats, pattern: str, depth: int = 12) -> None:
    """For each function matching `pattern`, its heaviest chain of callers (cumulative seconds at each step)."""
    table = stats.stats  # (file, line, name) -> (calls, primitive calls, own time, cumulative time, callers)
    for function in [key for key in table if re.search(pattern, f"{key[0]}:{key[1]}({key[2]})")]:
        print(f"\n{function[2]} ({function[0]}:{function[1]}): {table[function][3]:.3f} s")
        seen = {function}
        for _step in range(depth):
            callers = table[function][4]
            if not callers:
                break
            caller = max(callers, key=lambda key: callers[key][3])
            if caller in seen:
                break
            seen.add(caller)
            short = re.sub(r".*site-packages/|.*/tpl_tracker/", "", caller[0])
            print(f"  <- {caller[2]} ({short}:{caller[1]})  {callers[caller][3]:.3f} s through this call")
            function = caller


if __name__ == "__main__":
    main()
