"""National data generator: a programme of every year since 2007 in every province, for the load benchmark.

    .venv/bin/python bench/national_data.py --database-url postgresql+psycopg://postgres@127.0.0.1/national \
        [--tpl 15000] [--activities 1000000] [--permits 50000] [--businesses 25000] [--seed 2007]

Migrates the given empty database (`flask db upgrade`, which also loads the Kemendagri regions), then bulk-loads
TPL with their contracts (one or two yearly contracts from their angkatan on, some terminated early, some running
today), a supervisor per province, accounts for the recent TPL, businesses with mentorships, activities with the
businesses involved, permit facilitations, assessments, monthly reports, targets, tracer surveys of alumni and an
audit entry for every record created. PostgreSQL is loaded with COPY, SQLite with executemany; every constraint
holds (unique and partial indexes, the contracts' EXCLUDE, the enums' CHECKs). Prints the time per table and the
known accounts (all with the password below): admin, evaluator, the supervisor of the province with the most TPL,
and a TPL of that province under contract today. Not a test: run it by hand.
"""

import argparse
import json
import random
import secrets
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

PASSWORD = "bench-national-2026"
ACCOUNTS = {
    "admin": "admin@bench.tpl.id",
    "evaluator": "evaluator@bench.tpl.id",
    "supervisor": "supervisor@bench.tpl.id",
    "facilitator": "tpl@bench.tpl.id",
}
FIRST_YEAR = 2007
ACTIVITY_TYPES = ["kunjungan"] * 5 + [
    "pelatihan",
    "fasilitasi_perizinan",
    "pengembangan_produk",
    "pemasaran",
    "lainnya",
]
PERMIT_TYPES = ["nib", "pirt", "halal", "merek", "sni", "tkdn", "bpom"]
VALIDITY_YEARS = {"pirt": 5, "halal": 4, "sni": 4, "bpom": 5}
KBLI = ["10792", "10794", "10710", "10761", "10750", "10392", "11040", "13134", "14111", "15201", "16291", "31001"]
PREFIXES = ["UD", "CV", "IKM", "Toko", "", "", ""]
WORDS = ["Sumber", "Rejeki", "Makmur", "Jaya", "Berkah", "Sari", "Maju", "Abadi", "Lestari", "Mandiri", "Barokah"]
PRODUCTS = ["Keripik", "Batik", "Tenun", "Kopi", "Roti", "Sambal", "Rotan", "Mebel", "Sagu", "Dodol", "Madu", "Kain"]
DESCRIPTIONS = [
    "Kunjungan ke lokasi produksi, membahas kemasan dan label produk.",
    "Pendampingan pencatatan keuangan sederhana dan harga pokok produksi.",
    "Pelatihan higiene dan sanitasi pangan untuk pekerja.",
    "Membantu pengisian berkas pendaftaran izin di OSS.",
    "Diskusi desain produk baru bersama pemilik usaha.",
    "Mendampingi pameran produk IKM di kantor dinas.",
    "Foto produk untuk katalog dan pemasaran daring.",
]
REASONS = ["Mengundurkan diri: diterima bekerja di perusahaan swasta.", "Melanjutkan studi.", "Diangkat menjadi ASN."]
SURVEY_STATUSES = ["wirausaha", "bekerja", "bekerja", "asn", "studi", "belum_bekerja", "lainnya"]


class Loader:
    """Writes rows into one table at a time: COPY on PostgreSQL, executemany on SQLite; times each table."""

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.times: dict[str, tuple[int, float]] = {}

    def load(self, table: str, columns: list[str], rows: list[tuple]) -> None:
        """Insert `rows` (tuples in the order of `columns`) into `table` in one transaction."""
        start = time.perf_counter()
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.execute("BEGIN")
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", map(_sqlite_row, rows)
                )
            raw.commit()
        finally:
            raw.close()
        elapsed = time.perf_counter() - start
        count, before = self.times.get(table, (0, 0.0))
        self.times[table] = (count + len(rows), before + elapsed)
        print(f"  {table:<22} {len(rows):>10,} rows {elapsed:8.1f} s", flush=True)

    def finish(self) -> None:
        """Move the id sequences past the loaded ids and refresh the planner's statistics."""
        start = time.perf_counter()
        with self.engine.connect() as connection:
            if self.postgres:
                for table in self.times:
                    if table != "activity_businesses":
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                        )
                connection.commit()
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
                connection.exec_driver_sql("VACUUM ANALYZE")
            else:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        print(f"  {'vacuum/analyze':<22} {'':>15} {time.perf_counter() - start:8.1f} s", flush=True)


def _sqlite_value(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _sqlite_row(row: tuple) -> tuple:
    return tuple(_sqlite_value(v) for v in row)


def moment(day: date, rng: random.Random) -> datetime:
    """A working-hours time on `day` (Jakarta, 08:00-16:00), in UTC."""
    return datetime(day.year, day.month, day.day, 1 + rng.randrange(8), rng.randrange(60), tzinfo=UTC)


def add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the 28th)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, min(day.day, 28))


def month_starts(start: date, end: date) -> list[date]:
    """The first days of the months from start's month to end's month."""
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


class Audit:
    """The audit entries of the created records (loaded last)."""

    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, action: str, actor_id, entity_type: str, entity_id: int, at: datetime, after: dict) -> None:
        """One entry for one created record."""
        self.rows.append(
            (len(self.rows) + 1, at, actor_id, action, entity_type, str(entity_id), None, json.dumps(after), None, None)
        )


def generate(args, engine, regions: dict[str, list[str]], today: date, password_hash: str) -> Loader:
    """Build and load every table."""
    from faker import Faker

    from tpl_tracker.models import POLYTECHNICS
    from tpl_tracker.services.businesses import normalize_name

    rng = random.Random(args.seed)
    fake = Faker("id_ID")
    fake.seed_instance(args.seed)
    loader = Loader(engine)
    audit = Audit()
    now = datetime.now(UTC)
    kabkota = [code for codes in regions.values() for code in codes]

    # --- TPL and their contracts ---------------------------------------------------------------
    years = list(range(FIRST_YEAR, today.year + 1))
    facilitators, contracts = [], []
    contract_id = 0
    niks: set[str] = set()
    exits: dict[int, date] = {}
    periods: dict[int, list[tuple[date, date]]] = {}
    placement: dict[int, str] = {}
    for fid in range(1, args.tpl + 1):
        angkatan = years[min(len(years) - 1, int(len(years) * (fid - 1) / args.tpl))]
        region = rng.choice(kabkota)
        gender = rng.choice("LP")
        birth = date(angkatan - rng.randint(20, 24), rng.randint(1, 12), rng.randint(1, 28))
        day = birth.day + (40 if gender == "P" else 0)
        serial = rng.randint(1, 9999)
        nik = f"{region.replace('.', '')}01{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"
        while nik in niks:
            serial = serial % 9999 + 1
            nik = nik[:12] + f"{serial:04d}"
        niks.add(nik)
        start = date(angkatan, rng.choice((1, 2, 3)), 1)
        spans = []
        for number in range(2 if rng.random() < 0.8 else 1):
            end = add_months(start, 12) - timedelta(days=1)
            contract_id += 1
            terminated = rng.random() < 0.06 and start < today
            terminated_on = min(start + timedelta(days=rng.randint(60, 300)), end) if terminated else None
            effective = terminated_on or end
            status = "terminated" if terminated else ("completed" if end < today else "active")
            created = moment(start - timedelta(days=14), rng)
            contracts.append(
                (
                    contract_id,
                    fid,
                    f"KP/{start.year}/{contract_id:06d}",
                    start,
                    end,
                    region,
                    status,
                    terminated_on,
                    rng.choice(REASONS) if terminated else None,
                    created,
                )
            )
            audit.add("contract_created", 1, "contracts", contract_id, created, {"number": contracts[-1][2]})
            spans.append((start, effective))
            if terminated or number == 1:
                break
            start = end + timedelta(days=1)
        periods[fid] = spans
        exits[fid] = spans[-1][1]
        placement[fid] = region
        created = moment(spans[0][0] - timedelta(days=20), rng)
        name = fake.name_male() if gender == "L" else fake.name_female()
        facilitators.append(
            [
                fid,
                None,  # user_id, set below
                nik,
                name[:120],
                gender,
                birth,
                f"+628{rng.randint(100_000_000, 999_999_999)}",
                None,
                angkatan,
                rng.choice(POLYTECHNICS),
                None,  # supervisor_id, set below
                region,
                created,
                created,
            ]
        )
        audit.add("facilitator_created", 1, "facilitators", fid, created, {"full_name": name, "angkatan": angkatan})

    # --- users: known accounts, a supervisor per province, accounts of the TPL of the last years -------------------
    by_province: dict[str, list[int]] = defaultdict(list)
    for fid, region in placement.items():
        by_province[region[:2]].append(fid)
    big = max(by_province, key=lambda code: len(by_province[code]))
    users, supervisor_regions = [], []

    def user(email: str, name: str, role: str, created: datetime) -> int:
        uid = len(users) + 1
        users.append((uid, email, name, role, password_hash, True, secrets.token_urlsafe(32), 0, created, created))
        audit.add("user_created", 1, "users", uid, created, {"email": email, "role": role})
        return uid

    start_moment = datetime(FIRST_YEAR, 1, 2, 2, tzinfo=UTC)
    user(ACCOUNTS["admin"], "Admin Nasional", "admin", start_moment)
    user(ACCOUNTS["evaluator"], "Evaluator Ditjen IKMA", "evaluator", start_moment)
    province_supervisor = {}
    for province in sorted(regions):
        email = ACCOUNTS["supervisor"] if province == big else f"pembina.{province}@bench.tpl.id"
        uid = user(email, f"Pembina {province}", "supervisor", start_moment)
        province_supervisor[province] = uid
        supervisor_regions.append((len(supervisor_regions) + 1, uid, province))
    for row in facilitators:
        row[10] = province_supervisor[row[11][:2]]
    recent = today.replace(year=today.year - 3)
    known_tpl = next(
        fid
        for fid in by_province[big]
        if any(s <= today <= e for s, e in periods[fid]) and periods[fid][0][0] < today - timedelta(days=120)
    )
    for row in facilitators:
        fid = row[0]
        if exits[fid] >= recent:
            email = ACCOUNTS["facilitator"] if fid == known_tpl else f"tpl{fid}@bench.tpl.id"
            row[1] = user(email, row[3], "facilitator", row[12])
            row[7] = email
    loader.load(
        "users",
        [
            "id",
            "email",
            "full_name",
            "role",
            "password_hash",
            "is_enabled",
            "session_token",
            "failed_login_count",
            "password_changed_at",
            "created_at",
        ],
        users,
    )
    loader.load("supervisor_regions", ["id", "user_id", "region_code"], supervisor_regions)
    loader.load(
        "facilitators",
        [
            "id",
            "user_id",
            "nik",
            "full_name",
            "gender",
            "birth_date",
            "phone",
            "email",
            "angkatan",
            "polytechnic",
            "supervisor_id",
            "region_code",
            "created_at",
            "updated_at",
        ],
        [tuple(row) for row in facilitators],
    )
    loader.load(
        "contracts",
        [
            "id",
            "facilitator_id",
            "number",
            "start_date",
            "end_date",
            "placement_code",
            "status",
            "terminated_on",
            "termination_reason",
            "created_at",
        ],
        contracts,
    )
    user_of = {row[0]: row[1] for row in facilitators}

    # --- businesses and mentorships ----------------------------------------------------------
    tpl_by_region: dict[str, list[int]] = defaultdict(list)
    for fid, region in placement.items():
        tpl_by_region[region].append(fid)
    used_regions = sorted(tpl_by_region)
    business_region = list(used_regions) + [
        placement[rng.randint(1, args.tpl)] for _ in range(max(0, args.businesses - len(used_regions)))
    ]
    business_region = business_region[: args.businesses]
    pool: dict[str, list[int]] = defaultdict(list)
    for bid, region in enumerate(business_region, start=1):
        pool[region].append(bid)
    mentorships = []
    mentored: dict[int, list[tuple[int, date, date]]] = {}
    first_mentor: dict[int, tuple[date, int]] = {}
    # One TPL in ten also mentors a business of another kabupaten/kota (drawn apart, so that the rest of the
    # programme is the same as without them).
    away_rng = random.Random(args.seed + 1)
    for fid in range(1, args.tpl + 1):
        region_pool = pool[placement[fid]]
        start, end = periods[fid][0][0], exits[fid]
        chosen = rng.sample(region_pool, min(len(region_pool), rng.randint(3, 8)))
        mentored[fid] = []
        elsewhere = away_rng.choice(used_regions) if away_rng.random() < 0.1 else placement[fid]
        away = [away_rng.choice(pool[elsewhere])] if elsewhere != placement[fid] else []
        for bid in chosen + away:
            draw = away_rng if bid in away else rng
            since = start + timedelta(days=draw.randint(0, 45))
            until = end if end < today else None
            mentorships.append((len(mentorships) + 1, bid, fid, since, until, "Kontrak berakhir" if until else None))
            mentored[fid].append((bid, since, until or today))
            if bid not in first_mentor or since < first_mentor[bid][0]:
                first_mentor[bid] = (since, fid)
            created = moment(since, draw)
            audit.add("create", user_of[fid], "mentorships", len(mentorships), created, {"business_id": bid})
    businesses = []
    names_taken: set[tuple[str, str]] = set()
    for bid, region in enumerate(business_region, start=1):
        product = rng.choice(PRODUCTS)
        name = " ".join(w for w in (rng.choice(PREFIXES), product, rng.choice(WORDS), rng.choice(WORDS)) if w)
        normalized = normalize_name(name)
        while (normalized, region) in names_taken:
            name = f"{name} {rng.randint(2, 99)}"
            normalized = normalize_name(name)
        names_taken.add((normalized, region))
        since, fid = first_mentor.get(bid, (date(FIRST_YEAR, 1, 1), None))
        created = moment(since, rng)
        capital = rng.randint(5, 500) * 1_000_000
        businesses.append(
            (
                bid,
                name,
                normalized,
                fake.name()[:120],
                f"+628{rng.randint(100_000_000, 999_999_999)}",
                f"Jl. {fake.street_name()} No. {rng.randint(1, 200)}"[:300],
                region,
                rng.choice(KBLI),
                f"{product} olahan rumahan",
                f"{9_120_000_000_000 + bid}" if rng.random() < 0.7 else None,
                rng.choice(("mikro", "mikro", "mikro", "kecil", "menengah")),
                rng.randint(1, 30),
                capital,
                capital * rng.randint(1, 4) // 12,  # turnover per month
                rng.randint(1990, since.year),
                user_of.get(fid) if fid else None,
                created,
            )
        )
        audit.add("create", user_of.get(fid) if fid else 1, "businesses", bid, created, {"name": name})
    loader.load(
        "businesses",
        [
            "id",
            "name",
            "normalized_name",
            "owner_name",
            "phone",
            "address",
            "region_code",
            "kbli",
            "products",
            "nib",
            "size_class",
            "workers",
            "capital",
            "turnover",
            "year_founded",
            "created_by_id",
            "created_at",
        ],
        businesses,
    )
    loader.load(
        "mentorships", ["id", "business_id", "facilitator_id", "start_date", "end_date", "end_reason"], mentorships
    )
    del businesses, mentorships

    # --- activities, spread over the TPL by days worked, within their contracts -----------------------------------
    worked = {fid: sum(max(0, (min(e, today) - s).days + 1) for s, e in periods[fid]) for fid in periods}
    total = sum(worked.values()) or 1
    shares = {fid: args.activities * days / total for fid, days in worked.items()}
    counts = {fid: int(share) for fid, share in shares.items()}
    leftover = args.activities - sum(counts.values())
    for fid in sorted(shares, key=lambda f: shares[f] - counts[f], reverse=True)[:leftover]:
        counts[fid] += 1
    activities, links = [], []
    activity_count: dict[int, int] = defaultdict(int)
    for fid in range(1, args.tpl + 1):
        spans = [(s, min(e, today)) for s, e in periods[fid] if s <= today]
        options = mentored[fid]
        actor = user_of[fid]
        for _ in range(counts[fid]):
            s, e = rng.choice(spans)
            day = s + timedelta(days=rng.randint(0, (e - s).days))
            aid = len(activities) + 1
            created = moment(day, rng)
            kind = rng.choice(ACTIVITY_TYPES)
            gps = rng.random() < 0.3
            activities.append(
                (
                    aid,
                    fid,
                    day,
                    kind,
                    rng.choice(DESCRIPTIONS),
                    rng.randint(2, 16) / 2,
                    round(rng.uniform(-10.5, 5.5), 6) if gps else None,
                    round(rng.uniform(95.5, 140.5), 6) if gps else None,
                    created,
                )
            )
            involved = [bid for bid, since, until in options if since <= day <= until] or [options[0][0]]
            for bid in rng.sample(involved, min(len(involved), rng.choice((1, 1, 1, 2)))):
                links.append((aid, bid))
                activity_count[bid] += 1
            audit.add("create", actor, "activities", aid, created, {"type": kind, "date": day.isoformat()})
    loader.load(
        "activities",
        ["id", "facilitator_id", "date", "type", "description", "hours", "latitude", "longitude", "created_at"],
        activities,
    )
    del activities
    loader.load("activity_businesses", ["activity_id", "business_id"], links)
    del links

    # --- permits: open ones (planned, submitted) at most one per business and type -------------------------------
    permits = []
    open_pairs: set[tuple[int, str]] = set()
    tpl_ids = list(range(1, args.tpl + 1))
    weights = [worked[f] + 1 for f in tpl_ids]
    for fid in rng.choices(tpl_ids, weights=weights, k=args.permits):
        bid, since, until = rng.choice(mentored[fid])
        kind = rng.choice(PERMIT_TYPES)
        planned = since + timedelta(days=rng.randint(0, max(0, (until - since).days)))
        submitted = planned + timedelta(days=rng.randint(7, 40))
        issued = submitted + timedelta(days=rng.randint(14, 60))
        status = "issued" if rng.random() < 0.8 else "rejected"
        if issued > today:
            status = "submitted" if submitted <= today else "planned"
        if status in ("planned", "submitted") and (bid, kind) in open_pairs:
            status, submitted, issued = "rejected", min(submitted, today), min(issued, today)
        if status in ("planned", "submitted"):
            open_pairs.add((bid, kind))
        years_valid = VALIDITY_YEARS.get(kind)
        pid = len(permits) + 1
        permits.append(
            (
                pid,
                bid,
                fid,
                kind,
                status,
                f"{kind.upper()}-{pid:08d}" if status == "issued" else None,
                planned,
                submitted if status != "planned" else None,
                issued if status == "issued" else None,
                issued if status == "rejected" else None,
                add_months(issued, 12 * years_valid) if status == "issued" and years_valid else None,
                None,
                moment(planned, rng),
            )
        )
        audit.add("create", user_of[fid], "permits", pid, permits[-1][-1], {"permit_type": kind, "status": status})
    loader.load(
        "permits",
        [
            "id",
            "business_id",
            "facilitator_id",
            "permit_type",
            "status",
            "document_number",
            "planned_on",
            "submitted_on",
            "issued_on",
            "rejected_on",
            "expires_on",
            "notes",
            "created_at",
        ],
        permits,
    )
    del permits

    # --- assessments: a baseline per mentorship, a follow-up for a third ------------------------------------------
    assessments = []
    for fid in range(1, args.tpl + 1):
        for bid, since, until in mentored[fid]:
            turnover = rng.randint(2, 80) * 1_000_000
            steps = [("baseline", since + timedelta(days=rng.randint(0, 20)), turnover)]
            if rng.random() < 0.33 and (until - since).days > 120:
                steps.append(("follow_up", until - timedelta(days=rng.randint(0, 30)), int(turnover * 1.3)))
            for kind, on, amount in steps:
                aid = len(assessments) + 1
                created = moment(on, rng)
                assessments.append(
                    (
                        aid,
                        bid,
                        fid,
                        kind,
                        on,
                        amount,
                        rng.randint(1, 20),
                        rng.choice(("local", "regional")),
                        False,
                        created,
                    )
                )
                audit.add("create", user_of[fid], "assessments", aid, created, {"kind": kind})
    loader.load(
        "assessments",
        [
            "id",
            "business_id",
            "facilitator_id",
            "kind",
            "assessed_on",
            "turnover",
            "workers",
            "market_reach",
            "has_packaging_label",
            "created_at",
        ],
        assessments,
    )
    del assessments

    # --- monthly reports: every month of every contract up to this one --------------------------------------------
    reports = []
    this_month = today.replace(day=1)
    previous = add_months(this_month, -1)
    for fid in range(1, args.tpl + 1):
        reviewer = facilitators[fid - 1][10]
        for start, end in periods[fid]:
            for period in month_starts(start, min(end, today)):
                if period == this_month:
                    status = "draft"
                elif period == previous:
                    status = rng.choice(("submitted", "submitted", "approved", "draft", "returned"))
                else:
                    status = "approved" if rng.random() < 0.97 else "returned"
                submitted_at = moment(add_months(period, 1), rng) if status != "draft" else None
                reviewed_at = (
                    submitted_at + timedelta(days=rng.randint(1, 9)) if status in ("approved", "returned") else None
                )
                rid = len(reports) + 1
                reports.append(
                    (
                        rid,
                        fid,
                        period,
                        status,
                        submitted_at,
                        reviewed_at,
                        reviewer if reviewed_at else None,
                        "Lengkapi foto kegiatan." if status == "returned" else None,
                    )
                )
                audit.add(
                    "submit" if submitted_at else "create",
                    user_of[fid],
                    "monthly_reports",
                    rid,
                    submitted_at or now,
                    {"period": period.isoformat()},
                )
    loader.load(
        "monthly_reports",
        ["id", "facilitator_id", "period", "status", "submitted_at", "reviewed_at", "reviewer_id", "comment"],
        reports,
    )
    del reports

    # --- targets of this year, tracer surveys of alumni ------------------------------------------------------------
    targets, surveys = [], []
    year_start = date(today.year, 1, 1)
    for fid in range(1, args.tpl + 1):
        reviewer = facilitators[fid - 1][10]
        if any(e >= year_start and s <= today for s, e in periods[fid]):
            tid = len(targets) + 1
            targets.append((tid, fid, today.year, 4, 5, 6, reviewer, now))
            audit.add("create", reviewer, "targets", tid, now, {"year": today.year})
        exit_date = exits[fid]
        for months in (6, 12, 24):
            survey_date = add_months(exit_date, months)
            if survey_date > today or rng.random() < 0.35:
                continue
            status = rng.choice(SURVEY_STATUSES)
            own = status == "wirausaha"
            sid = len(surveys) + 1
            created = moment(survey_date, rng)
            surveys.append(
                (
                    sid,
                    fid,
                    survey_date,
                    status,
                    f"{rng.choice(PRODUCTS)} {rng.choice(WORDS)}" if own else None,
                    exit_date - timedelta(days=rng.randint(-300, 200)) if own else None,
                    rng.choice(KBLI) if own else None,
                    rng.randint(1, 10) if own else None,
                    rng.choice(regions[placement[fid][:2]]) if own else None,
                    rng.choice(("verified", "verified", "unverified")),
                    reviewer,
                    created,
                )
            )
            audit.add("survey_recorded", reviewer, "outcome_surveys", sid, created, {"status": status})
    loader.load(
        "targets",
        [
            "id",
            "facilitator_id",
            "year",
            "visits_per_month",
            "businesses",
            "permits_per_year",
            "set_by_id",
            "updated_at",
        ],
        targets,
    )
    loader.load(
        "outcome_surveys",
        [
            "id",
            "facilitator_id",
            "survey_date",
            "status",
            "business_name",
            "founded_date",
            "kbli",
            "workers",
            "business_region_code",
            "verification",
            "recorded_by_id",
            "created_at",
        ],
        surveys,
    )
    loader.load(
        "audit_entries",
        ["id", "at", "actor_id", "action", "entity_type", "entity_id", "before", "after", "ip", "note"],
        audit.rows,
    )
    loader.finish()
    busiest = max(activity_count, key=activity_count.get)
    print(f"known ids: tpl profile {known_tpl}, busiest business {busiest} ({activity_count[busiest]} activities)")
    return loader


def main() -> int:
    """Migrate the empty database, load it, print the times and the known accounts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tpl", type=int, default=15_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--permits", type=int, default=50_000)
    parser.add_argument("--businesses", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=2007)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tpl_tracker import create_app
    from tpl_tracker.dates import programme_today
    from tpl_tracker.extensions import db
    from tpl_tracker.services import roster_flags
    from tpl_tracker.services.passwords import hash_password

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": args.database_url})
    with app.app_context():
        start = time.perf_counter()
        upgrade()
        if db.session.scalar(sa.text("SELECT count(*) FROM facilitators")):
            print("the database already holds TPL: give an empty one", file=sys.stderr)
            return 1
        regions: dict[str, list[str]] = defaultdict(list)
        for code, parent in db.session.execute(sa.text("SELECT code, parent_code FROM regions WHERE level = 2")):
            regions[parent].append(code)
        db.session.commit()
        print(f"  {'migrations':<22} {'':>15} {time.perf_counter() - start:8.1f} s", flush=True)
        password_hash = hash_password(PASSWORD)
        loader = generate(args, db.engine, dict(regions), programme_today(), password_hash)
        # The roster flags of today, as the `refresh-roster-flags` job writes them on a running server.
        flags_start = time.perf_counter()
        flag_rows = roster_flags.refresh()
        db.session.commit()
        loader.times["roster_flags"] = (flag_rows, time.perf_counter() - flags_start)
        print(f"  {'roster_flags':<22} {flag_rows:>10,} rows {time.perf_counter() - flags_start:8.1f} s", flush=True)
    rows = sum(count for count, _ in loader.times.values())
    seconds = time.perf_counter() - start
    print(f"loaded {rows:,} rows in {seconds:.0f} s; accounts (password {PASSWORD!r}):")
    for role, email in ACCOUNTS.items():
        print(f"  {role:<12} {email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
