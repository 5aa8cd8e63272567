"""Benchmark of `import_workbook`: a 20,000-row workbook into a fresh SQLite database.

    .venv/bin/python bench/bench_import.py [--facilitators 8000] [--contracts 8000] [--outcomes 4000]
                                           [--supervisors 0] [--database-url URL] [--skip DRY,RE]
    .venv/bin/python bench/bench_import.py --facilitators 200000 --contracts 200000 --outcomes 100000  # 500k rows
    .venv/bin/python bench/bench_import.py --accounts   # 2,000 TPL with emails and 40 supervisors, nothing else

Every TPL has an email, so the import also creates their accounts; `--supervisors N` adds a supervisors sheet
(each with a province or two kabupaten/kota and an equal share of the TPL). The workbook is written by a child
process (so that its memory does not count). Then this process times openpyxl alone reading the workbook
(read-only, every row's values: the floor of any import) and prints the elapsed seconds, the ratio to that
read and the peak RSS of the process for a dry run, the import itself and a second import of the same file
(everything unchanged). The IMPORT_MAX_* limits are raised to fit the workbook. `--database-url` imports into
that empty database (migrated first) instead of a temporary SQLite file. Not a test: run it by hand.
"""

import argparse
import cProfile
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from openpyxl import Workbook

# Official names and the short forms programme spreadsheets use (models/vocabulary.py).
POLYTECHNICS = ["STMI Jakarta", "ATI Makassar", "Politeknik AKA Bogor", "Poltek ATK Yogyakarta", "PTKI Medan"]


def nik(district: str, birth: date, gender: str, serial: int) -> str:
    """A structurally valid NIK (women: day + 40)."""
    day = birth.day + (40 if gender == "P" else 0)
    return f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def build_workbook(
    path: Path,
    facilitators: int,
    contracts: int,
    outcomes: int,
    regions: list[str],
    supervisors: int = 0,
    provinces: tuple[str, ...] = (),
) -> int:
    """Write the workbook in write-only mode (flat memory); return the number of data rows."""
    from tpl_tracker.services.importer import OPTIONAL_COLUMNS, SHEETS

    workbook = Workbook(write_only=True)
    people = []
    sheet = workbook.create_sheet("facilitators")
    sheet.append(SHEETS["facilitators"])
    for i in range(facilitators):
        gender = "P" if i % 2 else "L"
        birth = date(1994, 1, 1) + timedelta(days=i % 3000)
        number = nik("827101", birth, gender, i // 3000 + 1)
        people.append(number)
        sheet.append(
            [
                number,
                f"TPL Nomor {i}",
                f"tpl{i}@example.id",
                f"0812{i:08d}",
                gender,
                birth,
                2020 + i % 5,
                POLYTECHNICS[i % len(POLYTECHNICS)],
            ]
        )
    if supervisors:
        sheet = workbook.create_sheet("supervisors")
        sheet.append(SHEETS["supervisors"] + OPTIONAL_COLUMNS["supervisors"])
        share = -(-len(people) // supervisors)
        for j in range(supervisors):
            two_regencies = f"{regions[j % len(regions)]};{regions[(j + 1) % len(regions)]}"
            scope = provinces[j % len(provinces)] if j % 2 else two_regencies
            assigned = "; ".join(people[j * share : (j + 1) * share])
            sheet.append([f"pembina{j}@example.id", f"Pembina {j}", f"0813{j:08d}", scope, assigned])
    if contracts:
        _contracts_sheet(workbook.create_sheet("contracts"), SHEETS["contracts"], people, contracts, regions)
    if outcomes:
        _outcomes_sheet(workbook.create_sheet("outcomes"), SHEETS["outcomes"], people, outcomes)
    workbook.save(path)
    return facilitators + supervisors + contracts + outcomes


def _contracts_sheet(sheet, columns: list[str], people: list[str], contracts: int, regions: list[str]) -> None:
    sheet.append(columns)
    for i in range(contracts):
        person, term = people[i % len(people)], i // len(people)
        start = date(2022 + 2 * term, 1, 1)
        end = date(2023 + 2 * term, 12, 31)
        terminated = i % 10 == 0
        sheet.append(
            [
                person,
                f"KP/TPL/{i:06d}",
                start,
                end.isoformat(),
                regions[i % len(regions)],
                "terminated" if terminated else "completed",
                date(2023 + 2 * term, 6, 30) if terminated else None,
            ]
        )


def _outcomes_sheet(sheet, columns: list[str], people: list[str], outcomes: int) -> None:
    sheet.append(columns)
    for i in range(outcomes):
        person = people[i % len(people)]
        survey = date(2024, 7, 1) + timedelta(days=(i // len(people)) * 30)
        if i % 2:
            sheet.append(
                [
                    person,
                    survey,
                    "wirausaha",
                    f"Usaha {i}",
                    date(2024, 3, 1),
                    f"{9120000000000 + i}",
                    "10794",
                    i % 12,
                    500_000 * (i % 50),
                    "terverifikasi" if i % 3 else "unverified",
                ]
            )
        else:
            sheet.append([person, survey.isoformat(), "bekerja", None, None, None, None, None, None, "unverified"])


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def openpyxl_read(path: Path) -> int:
    """Read every row of every sheet with openpyxl alone, as an import must at least do; the rows read."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    rows = 0
    try:
        for worksheet in workbook.worksheets:
            for _values in worksheet.iter_rows(values_only=True):
                rows += 1
    finally:
        workbook.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilitators", type=int, default=8000)
    parser.add_argument("--contracts", type=int, default=8000)
    parser.add_argument("--outcomes", type=int, default=4000)
    parser.add_argument("--supervisors", type=int, default=0)
    parser.add_argument("--accounts", action="store_true", help="2,000 TPL and 40 supervisors, nothing else")
    parser.add_argument("--database-url", help="an empty database to import into (default: a temporary SQLite file)")
    parser.add_argument("--skip", default="", help="phases to leave out, comma-separated: dry,re")
    parser.add_argument("--profile", metavar="PHASE", help="print a cProfile of one phase: dry, import or re")
    parser.add_argument("--build", metavar="PATH", help=argparse.SUPPRESS)  # the child process that writes
    parser.add_argument("--regions", help=argparse.SUPPRESS)
    parser.add_argument("--provinces", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        rows = build_workbook(
            Path(args.build),
            args.facilitators,
            args.contracts,
            args.outcomes,
            args.regions.split(","),
            args.supervisors,
            tuple(args.provinces.split(",")),
        )
        print(rows)
        return
    if args.accounts:
        args.facilitators, args.supervisors, args.contracts, args.outcomes = 2000, 40, 0, 0

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db
    from tpl_tracker.models import AuditEntry, Region, User
    from tpl_tracker.services.importer import import_workbook
    from tpl_tracker.transactions import unit_of_work

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        total = args.facilitators + args.contracts + args.outcomes + args.supervisors
        limits = {  # the safety limits, raised to let the benchmark's workbook through
            "IMPORT_MAX_ROWS": max(100_000, total + 10),
            "IMPORT_MAX_CELLS": max(2_000_000, 12 * total),
            "IMPORT_MAX_SHEET_MB": 1024,
            "IMPORT_MAX_PART_MB": 1024,
        }
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **limits})
        with app.app_context():
            upgrade()
            regions = list(
                db.session.scalars(sa.select(Region.code).where(Region.level == 2).order_by(Region.code).limit(40))
            )
            provinces = tuple(db.session.scalars(sa.select(Region.code).where(Region.level == 1)))
            db.session.rollback()
            path = Path(tmp) / "bench.xlsx"
            started = time.perf_counter()
            command = [sys.executable, __file__, "--build", str(path), "--regions", ",".join(regions)]
            command += ["--provinces", ",".join(provinces), "--supervisors", str(args.supervisors)]
            command += ["--facilitators", str(args.facilitators), "--contracts", str(args.contracts)]
            command += ["--outcomes", str(args.outcomes)]
            rows = int(subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1])
            print(
                f"workbook: {rows} rows, {os.path.getsize(path) / 1e6:.1f} MB, "
                f"written in {time.perf_counter() - started:.1f} s (child process); "
                f"peak RSS so far {peak_rss_mb():.0f} MB"
            )
            started, cpu = time.perf_counter(), time.process_time()
            openpyxl_read(path)
            floor, cpu_floor = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"openpyxl : {floor:6.1f} s (CPU {cpu_floor:5.1f} s)  peak RSS {peak_rss_mb():.0f} MB "
                "(read-only, every row's values)"
            )

            profiler = cProfile.Profile()
            phases = [("dry run", True, "dry"), ("import", False, "import"), ("re-import", False, "re")]
            skip = set(filter(None, args.skip.split(",")))
            for label, dry_run, key in phases:
                if key in skip:
                    continue
                before = peak_rss_mb()
                started, cpu = time.perf_counter(), time.process_time()
                with unit_of_work():  # as `flask import-data` and the upload page run it
                    if args.profile == key:
                        profiler.enable()
                    result = import_workbook(path, dry_run=dry_run)
                    profiler.disable()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
                db.session.remove()
                assert not result.errors, [str(e) for e in result.errors[:10]]
                print(
                    f"{label:9}: {elapsed:6.1f} s  {elapsed / floor:4.1f}x openpyxl (CPU {cpu:5.1f} s, "
                    f"{cpu / cpu_floor:4.1f}x)  {rows / elapsed:6.0f} rows/s  "
                    f"peak RSS {before:.0f} -> {peak_rss_mb():.0f} MB  "
                    f"created={result.created} updated={result.updated} unchanged={result.unchanged} "
                    f"accounts={result.accounts}"
                )
            if args.profile:
                profiler.dump_stats("/tmp/imp_prof.out")
                stats = pstats.Stats(profiler)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats(40)
            audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            accounts = db.session.scalar(sa.select(sa.func.count()).select_from(User))
            print(f"audit entries: {audits}; accounts: {accounts}")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
