"""Benchmark of the mentorship list pages at national scale, on a fresh SQLite database.

    .venv/bin/python bench/bench_pages.py [--facilitators 2000] [--repeat 5]

Builds a programme of N TPL in one province (each with 5 businesses, 40 activities, 10 permits and
6 monthly reports), then times one page of each list as the province's supervisor and as an evaluator:
the median of `--repeat` requests and the number of SQL statements per request. The statement count
must not depend on N (the tests check it with 5 and 50 rows); the time shows what a page costs when
the tables are large. Not a test: run it by hand.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

LISTS = ["/supervisi/", "/ikm/", "/kegiatan/", "/izin/", "/bulanan/"]
PAGES = {"supervisor@bench.id": LISTS + ["/bulanan/antrean"], "evaluator@bench.id": LISTS}
TYPES = ["kunjungan", "pelatihan", "fasilitasi_perizinan", "pengembangan_produk", "pemasaran", "lainnya"]
PERMITS = ["nib", "pirt", "halal", "merek", "sni", "tkdn", "bpom"]


def nik(serial: int) -> str:
    """A structurally valid NIK of Kota Ternate, born 1 January 1995 (serials up to 9999)."""
    return f"827101010195{serial:04d}"


def build(db, facilitators: int) -> None:
    """Insert the programme with Core bulk inserts (a few seconds per thousand TPL)."""
    from tpl_tracker.models import (
        Activity,
        Business,
        Contract,
        Facilitator,
        Mentorship,
        MonthlyReport,
        PermitFacilitation,
        Role,
        SupervisorRegion,
        User,
        activity_businesses,
    )
    from tpl_tracker.services.passwords import hash_password

    now = datetime.now(UTC)
    password = hash_password("bench-password-2026")
    connection = db.session.connection()
    connection.execute(
        sa.insert(User),
        [
            {
                "id": 1,
                "email": "supervisor@bench.id",
                "full_name": "Pembina",
                "role": Role.SUPERVISOR.value,
                "password_hash": password,
                "session_token": "s1",
                "is_enabled": True,
                "created_at": now,
            },
            {
                "id": 2,
                "email": "evaluator@bench.id",
                "full_name": "Evaluator",
                "role": Role.EVALUATOR.value,
                "password_hash": password,
                "session_token": "s2",
                "is_enabled": True,
                "created_at": now,
            },
        ],
    )
    connection.execute(sa.insert(SupervisorRegion), [{"user_id": 1, "region_code": "82"}])
    tpl, contracts, businesses, mentorships, activities, links, permits, months = ([] for _ in range(8))
    activity_id = business_id = 0
    for i in range(1, facilitators + 1):
        tpl.append(
            {
                "id": i,
                "nik": nik(i),
                "full_name": f"TPL {i}",
                "gender": "L",
                "birth_date": date(1995, 1, 1),
                "angkatan": 2024,
                "polytechnic": "Politeknik ATI Makassar",
                "region_code": "82.71",
                "supervisor_id": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        contracts.append(
            {
                "facilitator_id": i,
                "number": f"KP/{i:06d}",
                "start_date": date(2026, 1, 1),
                "end_date": date(2026, 12, 31),
                "placement_code": "82.71",
                "status": "active",
                "created_at": now,
            }
        )
        for _b in range(5):
            business_id += 1
            businesses.append(
                {
                    "id": business_id,
                    "name": f"IKM {business_id}",
                    "normalized_name": f"ikm {business_id}",
                    "owner_name": "Pemilik",
                    "region_code": "82.71",
                    "kbli": "10792",
                    "size_class": "mikro",
                    "workers": 2,
                    "created_at": now,
                }
            )
            mentorships.append({"business_id": business_id, "facilitator_id": i, "start_date": date(2026, 1, 1)})
        for a in range(40):
            activity_id += 1
            day = date(2026, 1, 1) + timedelta(days=(a * 7 + i) % 300)
            activities.append(
                {
                    "id": activity_id,
                    "facilitator_id": i,
                    "date": day,
                    "type": TYPES[a % 6],
                    "description": "Kunjungan",
                    "hours": 2,
                    "created_at": now,
                }
            )
            links.append({"activity_id": activity_id, "business_id": business_id - a % 5})
        for p in range(10):
            permits.append(
                {
                    "business_id": business_id - p % 5,
                    "facilitator_id": i,
                    "permit_type": PERMITS[p % 7],
                    "status": "planned",
                    "planned_on": date(2026, 1 + p, 5),
                    "created_at": now,
                }
            )
        for m in range(1, 7):
            months.append(
                {
                    "facilitator_id": i,
                    "period": date(2026, m, 1),
                    "status": "submitted" if m == 6 else "approved",
                    "submitted_at": now - timedelta(days=150 - m * 20),
                }
            )
    connection.execute(sa.insert(Facilitator), tpl)
    for model, rows in (
        (Contract, contracts),
        (Business, businesses),
        (Mentorship, mentorships),
        (Activity, activities),
        (PermitFacilitation, permits),
        (MonthlyReport, months),
    ):
        connection.execute(sa.insert(model), rows)
    connection.execute(sa.insert(activity_businesses), links)
    db.session.commit()


def measure(app, db, email: str, repeat: int) -> None:
    """Print the median time and the statements of one GET of each page, signed in as `email`."""
    statements = []

    def count(*_args):
        statements.append(1)

    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": "bench-password-2026"})
    assert response.status_code == 302, "sign-in failed"
    sa.event.listen(db.engine, "before_cursor_execute", count)
    for url in PAGES[email]:
        times = []
        for _ in range(repeat):
            statements.clear()
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        print(f"  {url:<20} {statistics.median(times) * 1000:7.1f} ms  {len(statements):3d} statements")
    sa.event.remove(db.engine, "before_cursor_execute", count)


def main() -> int:
    """Build the data, then measure as a supervisor and as an evaluator."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilitators", type=int, default=2000, choices=range(1, 10000), metavar="1..9999")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.extensions import db

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            start = time.perf_counter()
            build(db, args.facilitators)
            n = args.facilitators
            print(
                f"built {n} TPL, {n * 5} businesses, {n * 40} activities, {n * 10} permits, {n * 6} months "
                f"in {time.perf_counter() - start:.1f} s"
            )
        for email in PAGES:
            print(email)
            with app.app_context():
                measure(app, db, email, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
