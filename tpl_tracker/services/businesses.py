"""IKM binaan: registering and editing businesses, who mentors them, and requests to mentor one.

Duplicates: a business is the same as an existing one when it has the same NIB, or the same normalized name
in the same kabupaten/kota. A TPL who finds an existing business asks to mentor it; a supervisor decides.
"""

import re
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from ..database import one_of
from ..dates import programme_today
from ..extensions import db
from ..models import (
    Activity,
    Assessment,
    Business,
    Facilitator,
    Mentorship,
    MentorshipRequest,
    PermitFacilitation,
    Role,
    SizeClass,
    User,
    activity_businesses,
    utcnow,
)
from . import Problems, ServiceError, audit
from .constraints import OPEN_MENTORSHIP, flush_or_refuse
from .facilitators import check_nik, normalize_phone_number
from .policy import (
    business_scope,
    can_decide_request,
    can_edit_business,
    can_stop_mentoring,
    facilitator_scope,
    in_regions,
)
from .regions import is_child_region, region_exists

# KBLI 2020, category C (manufacturing): the divisions the programme covers.
KBLI_DIVISIONS = {
    "10": _l("Food products"),
    "11": _l("Beverages"),
    "12": _l("Tobacco products"),
    "13": _l("Textiles"),
    "14": _l("Wearing apparel"),
    "15": _l("Leather and footwear"),
    "16": _l("Wood, bamboo and rattan products"),
    "17": _l("Paper products"),
    "18": _l("Printing"),
    "19": _l("Coke and refined petroleum products"),
    "20": _l("Chemicals and chemical products"),
    "21": _l("Pharmaceuticals and traditional medicine"),
    "22": _l("Rubber and plastic products"),
    "23": _l("Non-metallic mineral products"),
    "24": _l("Basic metals"),
    "25": _l("Fabricated metal products"),
    "26": _l("Computer, electronic and optical products"),
    "27": _l("Electrical equipment"),
    "28": _l("Machinery and equipment"),
    "29": _l("Motor vehicles"),
    "30": _l("Other transport equipment"),
    "31": _l("Furniture"),
    "32": _l("Other manufacturing (jewellery, crafts, toys)"),
    "33": _l("Repair and installation of machinery"),
}

# Leading words that do not tell businesses apart ("UD Sagu Lestari" is "Sagu Lestari").
NAME_PREFIXES = {"ud", "cv", "pt", "pd", "ikm", "ukm", "umkm", "toko", "usaha"}
MAX_WORKERS = 100_000
MAX_RUPIAH = 10**15
MAX_NOTE = 500  # a request's reason, a decision's note, the reason for stopping
REQUEST_DECISIONS = ("approve", "reject")  # a supervisor's decisions on a request to mentor (also audit actions)


@dataclass
class BusinessData:
    """What a TPL types about a business."""

    name: str
    owner_name: str
    region_code: str
    kbli: str
    size_class: str = "mikro"
    owner_nik: str | None = None
    phone: str | None = None
    address: str | None = None
    kecamatan_code: str | None = None
    desa_code: str | None = None
    products: str | None = None
    nib: str | None = None
    workers: int | None = 0
    capital: int | None = None
    turnover: int | None = None
    year_founded: int | None = None


class DuplicateBusiness(ServiceError):
    """The business is already registered: `business` is the existing one."""

    def __init__(self, message: str, field: str, business: Business):
        super().__init__(message, field=field)
        self.business = business


def normalize_name(name: str | None) -> str:
    """A business name for duplicate checks.

    Lower case, punctuation turned into spaces, whitespace collapsed, and leading legal-form or generic words
    (UD, CV, PT, PD, IKM, UKM, UMKM, Toko, Usaha) dropped: "CV. Sagu  Lestari!" -> "sagu lestari".
    """
    words = re.sub(r"[^\w\s]|_", " ", (name or "").lower()).split()
    kept = list(words)
    while len(kept) > 1 and kept[0] in NAME_PREFIXES:
        kept.pop(0)
    return " ".join(kept)[:160]


def kbli_division(kbli: str | None) -> str | None:
    """The division (first two digits) of a KBLI code."""
    return kbli[:2] if kbli else None


def _text(
    value: str | None, limit: int, field: str, label: str, required: bool = False, multiline: bool = False
) -> str | None:
    """A cleaned text value: stripped (single-line values also get their whitespace collapsed)."""
    value = (value or "").strip() if multiline else " ".join((value or "").split())
    if not value:
        if required:
            raise ServiceError(_("%(label)s is required.", label=label), field=field)
        return None
    if len(value) > limit:
        raise ServiceError(
            _("%(label)s is too long (at most %(max)d characters).", label=label, max=limit), field=field
        )
    return value


def _digits_only(value: str | None) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def is_manufacturing(kbli: str | None) -> bool:
    """True for a KBLI code in manufacturing (category C, divisions 10-33): only such a business is an IKM."""
    return bool(kbli) and kbli_division(kbli) in KBLI_DIVISIONS


def check_kbli(kbli: str | None) -> str:
    """A 5-digit KBLI code in manufacturing (divisions 10-33); ServiceError otherwise."""
    code = _digits_only(kbli)
    if not re.fullmatch(r"\d{5}", code):
        raise ServiceError(_("The KBLI code must be exactly 5 digits."), field="kbli")
    if code[:2] not in KBLI_DIVISIONS:
        raise ServiceError(_("The KBLI code must be in manufacturing (divisions 10 to 33)."), field="kbli")
    return code


def check_nib(nib: str | None) -> str | None:
    """An optional NIB: exactly 13 digits."""
    code = _digits_only(nib)
    if not code:
        return None
    if not re.fullmatch(r"\d{13}", code):
        raise ServiceError(_("The NIB must be exactly 13 digits."), field="nib")
    return code


def check_business(data: BusinessData, business: Business | None) -> dict:
    """The cleaned values of a business (new, or a change of `business`); a refusal lists every problem at once."""
    problems = Problems()
    name = problems.check(_text, data.name, 160, "name", _("The business name"), required=True)
    owner_name = problems.check(_text, data.owner_name, 120, "owner_name", _("The owner's name"), required=True)
    owner_nik = None
    if data.owner_nik and data.owner_nik.strip():
        owner_nik = problems.check(check_nik, data.owner_nik, field="owner_nik")
    phone = problems.check(normalize_phone_number, data.phone, field="phone")
    address = problems.check(_text, data.address, 300, "address", _("The address"), multiline=True)
    if not data.region_code or not region_exists(data.region_code, level=2):
        problems.add(_("Choose the kabupaten/kota."), "region_code")
    elif not data.kecamatan_code:
        problems.add(_("Choose the kecamatan."), "kecamatan_code")
    elif not is_child_region(data.kecamatan_code, data.region_code):
        problems.add(_("This kecamatan does not lie in the chosen kabupaten/kota."), "kecamatan_code")
    elif not data.desa_code:
        problems.add(_("Choose the desa/kelurahan."), "desa_code")
    elif not is_child_region(data.desa_code, data.kecamatan_code):
        problems.add(_("This desa/kelurahan does not lie in the chosen kecamatan."), "desa_code")
    kbli = problems.check(check_kbli, data.kbli)
    products = problems.check(_text, data.products, 2000, "products", _("The products"), multiline=True)
    nib = problems.check(check_nib, data.nib)
    if data.size_class not in SizeClass.values():
        problems.add(_("Choose the size class."), "size_class")
    workers = data.workers or 0
    if not 0 <= workers <= MAX_WORKERS:
        problems.add(_("The number of workers is not plausible."), "workers")
    for field in ("capital", "turnover"):
        value = getattr(data, field)
        if value is not None and not 0 <= value <= MAX_RUPIAH:
            problems.add(_("Give an amount of zero Rupiah or more."), field)
    if data.year_founded is not None and not 1900 <= data.year_founded <= programme_today().year:
        problems.add(_("The founding year must lie between 1900 and this year."), "year_founded")
    problems.raise_if_any()
    values = {
        "name": name,
        "normalized_name": normalize_name(name),
        "owner_name": owner_name,
        "owner_nik": owner_nik,
        "phone": phone,
        "address": address,
        "region_code": data.region_code,
        "kecamatan_code": data.kecamatan_code,
        "desa_code": data.desa_code,
        "kbli": kbli,
        "products": products,
        "nib": nib,
        "size_class": data.size_class,
        "workers": workers,
        "capital": data.capital,
        "turnover": data.turnover,
        "year_founded": data.year_founded,
    }
    _refuse_duplicate(values, business)
    return values


def find_duplicate(
    nib: str | None, normalized_name: str, region_code: str, exclude_id: int | None = None
) -> tuple[Business | None, str | None]:
    """An existing business with the same NIB, or the same normalized name in the same kabupaten/kota."""
    others = sa.true() if exclude_id is None else Business.id != exclude_id
    if nib:
        same = db.session.scalar(sa.select(Business).where(Business.nib == nib, others))
        if same is not None:
            return same, "nib"
    same = db.session.scalar(
        sa.select(Business).where(
            Business.normalized_name == normalized_name, Business.region_code == region_code, others
        )
    )
    return (same, "name") if same is not None else (None, None)


def _refuse_duplicate(values: dict, business: Business | None) -> None:
    same, field = find_duplicate(
        values["nib"], values["normalized_name"], values["region_code"], business.id if business is not None else None
    )
    if same is None:
        return
    if field == "nib":
        message = _("A business with this NIB is already registered: %(name)s.", name=same.name)
    else:
        message = _("A business with this name is already registered in this kabupaten/kota: %(name)s.", name=same.name)
    raise DuplicateBusiness(message, field=field, business=same)


def duplicate_card(business: Business, facilitator: Facilitator | None = None) -> dict:
    """The little shown about an existing business found as a duplicate (it may lie outside the TPL's scope), and
    where `facilitator` stands with it: mentoring it already (the card links to its page), or asked to."""
    mentorships = open_mentorships(business)
    return {
        "id": business.id,
        "name": business.name,
        "region_code": business.region_code,
        "nib": business.nib,
        "owner_name": business.owner_name,
        "mentors": [m.facilitator.full_name for m in mentorships],
        "mentored_by_you": facilitator is not None and any(m.facilitator_id == facilitator.id for m in mentorships),
        "asked": facilitator is not None and pending_request_of(business, facilitator.id) is not None,
    }


def pending_request_of(business: Business, facilitator_id: int) -> int | None:
    """The id of the TPL's request to mentor the business still waiting for a decision, if any."""
    return db.session.scalar(
        sa.select(MentorshipRequest.id).where(
            MentorshipRequest.business_id == business.id,
            MentorshipRequest.facilitator_id == facilitator_id,
            MentorshipRequest.status == "pending",
        )
    )


def _own_facilitator(actor: User) -> Facilitator:
    if not actor.has_role(Role.FACILITATOR) or actor.facilitator is None:
        raise ServiceError(_("Only a TPL with a profile can do this."))
    return actor.facilitator


def open_mentorships(business: Business) -> list[Mentorship]:
    """The mentorships of the business still running."""
    return [m for m in business.mentorships if m.is_open]


def open_mentorship_of(business: Business, facilitator_id: int | None) -> Mentorship | None:
    """The running mentorship of the business by one TPL, if any."""
    if facilitator_id is None:
        return None
    return db.session.scalar(
        sa.select(Mentorship).where(
            Mentorship.business_id == business.id,
            Mentorship.facilitator_id == facilitator_id,
            Mentorship.end_date.is_(None),
        )
    )


def open_mentorship(
    actor: User, business: Business, facilitator: Facilitator, start_date: date, note: str | None = None
) -> Mentorship:
    """Start a TPL's mentorship of a business (audited); the caller has checked that none is open.

    When a concurrent request opened one meanwhile, the database refuses it and nothing is written.
    """
    names = {"name": facilitator.full_name, "business": business.name}

    def refuse() -> None:
        raise ServiceError(_("%(name)s already mentors %(business)s.", **names))

    mentorship = Mentorship(business=business, facilitator=facilitator, start_date=start_date)
    db.session.add(mentorship)
    flush_or_refuse(OPEN_MENTORSHIP, refuse)
    audit.record("create", actor=actor, entity=mentorship, after=audit.snapshot(mentorship), note=note)
    return mentorship


def create_business(actor: User, data: BusinessData) -> Business:
    """Register a business and open its mentorship by the TPL registering it."""
    facilitator = _own_facilitator(actor)
    values = check_business(data, None)
    business = Business(created_by_id=actor.id, **values)
    db.session.add(business)
    db.session.flush()
    audit.record("create", actor=actor, entity=business, after=audit.snapshot(business))
    open_mentorship(actor, business, facilitator, programme_today())
    db.session.flush()
    return business


def update_business(actor: User, business: Business, data: BusinessData) -> Business:
    """Change a business; only a TPL currently mentoring it."""
    if not can_edit_business(actor, business):
        raise ServiceError(_("Only a TPL currently mentoring this business can change it."))
    values = check_business(data, business)
    before = audit.snapshot(business)
    for key, value in values.items():
        setattr(business, key, value)
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(business))
    if new:
        audit.record("update", actor=actor, entity=business, before=old, after=new)
    db.session.flush()
    return business


def check_stop(actor: User, business: Business, end_date: date | None, reason: str | None) -> tuple[Mentorship, str]:
    """The actor's running mentorship of the business and the cleaned reason; a refusal names every problem."""
    if not can_stop_mentoring(actor, business):
        raise ServiceError(_("You do not mentor this business at the moment."))
    mentorship = open_mentorship_of(business, actor.facilitator.id)
    problems = Problems()
    if end_date is None:
        problems.add(_("Give the end date."), "end_date")
    elif end_date < mentorship.start_date:
        problems.add(
            _(
                "The mentoring cannot end before it started (%(date)s).",
                date=mentorship.start_date.strftime("%d/%m/%Y"),
            ),
            "end_date",
        )
    elif end_date > programme_today():
        problems.add(_("The end date cannot be in the future."), "end_date")
    reason = problems.check(_text, reason, MAX_NOTE, "reason", _("The reason"), required=True, multiline=True)
    problems.raise_if_any()
    return mentorship, reason


def stop_mentoring(actor: User, business: Business, end_date: date | None, reason: str | None) -> Mentorship:
    """End the actor's running mentorship of the business, with the date and the reason."""
    mentorship, reason = check_stop(actor, business, end_date, reason)
    before = audit.snapshot(mentorship)
    mentorship.end_date = end_date
    mentorship.end_reason = reason
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(mentorship))
    audit.record("stop", actor=actor, entity=mentorship, before=old, after=new)
    db.session.flush()
    return mentorship


# --- requests to mentor an existing business -------------------------------------------------


def check_request(actor: User, business: Business, reason: str | None) -> tuple[Facilitator, str | None]:
    """The TPL asking to mentor the business and the cleaned reason; a refusal names every problem."""
    facilitator = _own_facilitator(actor)
    if open_mentorship_of(business, facilitator.id) is not None:
        raise ServiceError(_("You already mentor this business."))
    if pending_request_of(business, facilitator.id) is not None:
        raise ServiceError(_("You have already asked to mentor this business; your supervisor will decide."))
    problems = Problems()
    reason = problems.check(_text, reason, MAX_NOTE, "reason", _("The reason"), multiline=True)
    problems.raise_if_any()
    return facilitator, reason


def request_mentoring(actor: User, business: Business, reason: str | None) -> MentorshipRequest:
    """A TPL asks to mentor an existing business; a supervisor decides."""
    facilitator, reason = check_request(actor, business, reason)
    request = MentorshipRequest(business=business, facilitator=facilitator, reason=reason, status="pending")
    db.session.add(request)
    db.session.flush()
    audit.record("request", actor=actor, entity=request, after=audit.snapshot(request))
    db.session.flush()
    return request


def request_query(user: User):
    """Pending requests of the TPL in the user's scope, oldest first, with business and TPL loaded."""
    return (
        sa.select(MentorshipRequest)
        .join(Facilitator, Facilitator.id == MentorshipRequest.facilitator_id)
        .where(MentorshipRequest.status == "pending", facilitator_scope(user))
        .options(joinedload(MentorshipRequest.business), joinedload(MentorshipRequest.facilitator))
        .order_by(MentorshipRequest.created_at, MentorshipRequest.id)
    )


def pending_request_count(user: User) -> int:
    """How many requests wait for a decision in the user's scope."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(MentorshipRequest)
        .join(Facilitator, Facilitator.id == MentorshipRequest.facilitator_id)
        .where(MentorshipRequest.status == "pending", facilitator_scope(user))
    )


def own_requests(user: User, limit: int = 20) -> list[MentorshipRequest]:
    """A TPL's latest requests (pending and decided), newest first."""
    if user.facilitator is None:
        return []
    return list(
        db.session.scalars(
            sa.select(MentorshipRequest)
            .where(MentorshipRequest.facilitator_id == user.facilitator.id)
            .options(joinedload(MentorshipRequest.business))
            .order_by(MentorshipRequest.created_at.desc(), MentorshipRequest.id.desc())
            .limit(limit)
        )
    )


def check_decision(actor: User, request: MentorshipRequest, decision: str | None, note: str | None) -> str | None:
    """The cleaned note of a supervisor's decision on a pending request; a refusal names every problem."""
    if not can_decide_request(actor, request):
        raise ServiceError(_("Only a supervisor decides on requests."))
    if request.status != "pending":
        raise ServiceError(_("This request has already been decided."))
    problems = Problems()
    if decision not in REQUEST_DECISIONS:
        problems.add(_("Choose to approve or to reject."), "decision")
    note = problems.check(_text, note, MAX_NOTE, "note", _("The note"), required=decision == "reject", multiline=True)
    problems.raise_if_any()
    return note


def decide_request(actor: User, request: MentorshipRequest, decision: str, note: str | None) -> MentorshipRequest:
    """A supervisor approves (the TPL starts mentoring today) or rejects (with a reason) a request."""
    note = check_decision(actor, request, decision, note)
    before = audit.snapshot(request)
    request.status = "approved" if decision == "approve" else "rejected"
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.decision_note = note
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(request))
    audit.record(decision, actor=actor, entity=request, before=old, after=new)
    if decision == "approve" and open_mentorship_of(request.business, request.facilitator_id) is None:
        open_mentorship(actor, request.business, request.facilitator, programme_today())
    db.session.flush()
    return request


# --- lists and pages ------------------------------------------------------------------------


def business_query(
    user: User,
    q: str | None = None,
    region: str | None = None,
    division: str | None = None,
    permit_type: str | None = None,
):
    """A select of the businesses the user may see, filtered, with their current mentors loaded; ordered by name."""
    query = (
        sa.select(Business)
        .where(business_scope(user))
        .options(selectinload(Business.current_mentorships).joinedload(Mentorship.facilitator))
    )
    if q and q.strip():
        term = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(
                sa.func.lower(Business.name).like(term),
                sa.func.lower(Business.owner_name).like(term),
                Business.nib.like(term),
                sa.func.lower(Business.products).like(term),
            )
        )
    if region:
        query = query.where(in_regions(Business.region_code, [region]))
    if division:
        query = query.where(Business.kbli.like(f"{division}%"))
    if permit_type:
        query = query.where(
            sa.exists().where(
                PermitFacilitation.business_id == Business.id, PermitFacilitation.permit_type == permit_type
            )
        )
    return query.order_by(Business.name, Business.id)


def issued_permit_counts(business_ids) -> dict[int, int]:
    """How many permits each business has had issued, in one query."""
    ids = list(business_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(PermitFacilitation.business_id, sa.func.count())
        .where(one_of(PermitFacilitation.business_id, ids), PermitFacilitation.status == "issued")
        .group_by(PermitFacilitation.business_id)
    )
    return dict(rows.all())


def business_mentorships(business: Business) -> list[Mentorship]:
    """All mentorships of the business with their TPL, running ones first, then newest."""
    return sorted(
        db.session.scalars(
            sa.select(Mentorship)
            .options(joinedload(Mentorship.facilitator))
            .where(Mentorship.business_id == business.id)
        ),
        key=lambda m: (not m.is_open, -m.start_date.toordinal(), -m.id),
    )


def business_permits(business: Business) -> list[PermitFacilitation]:
    """The permit facilitations of the business, newest first."""
    return list(
        db.session.scalars(
            sa.select(PermitFacilitation)
            .options(joinedload(PermitFacilitation.facilitator))
            .where(PermitFacilitation.business_id == business.id)
            .order_by(PermitFacilitation.created_at.desc(), PermitFacilitation.id.desc())
        )
    )


def recent_activities(business: Business, limit: int = 20) -> list[Activity]:
    """The last activities involving the business, newest first."""
    return list(
        db.session.scalars(
            sa.select(Activity)
            .options(joinedload(Activity.facilitator))
            .join(activity_businesses, activity_businesses.c.activity_id == Activity.id)
            .where(activity_businesses.c.business_id == business.id)
            .order_by(Activity.date.desc(), Activity.id.desc())
            .limit(limit)
        )
    )


HISTORY_ON_PAGE = 20  # a business's latest changes on its page; the history page has them all


def business_history(business: Business, mentorships, assessments) -> list:
    """The latest changes of the business, its mentorships and its assessments: HISTORY_ON_PAGE and one more
    (to know whether the page links to the whole history)."""
    return audit.history(business, *mentorships, *assessments, limit=HISTORY_ON_PAGE + 1)


def business_history_query(business: Business):
    """A select of the whole audit trail of the business, its mentorships and its assessments, newest first."""
    mentorships = db.session.scalars(sa.select(Mentorship).where(Mentorship.business_id == business.id))
    assessments = db.session.scalars(sa.select(Assessment).where(Assessment.business_id == business.id))
    return audit.history_query(business, *mentorships, *assessments)


def assessments_of(business: Business) -> list[Assessment]:
    """The assessments of the business, oldest first, with their TPL."""
    return list(
        db.session.scalars(
            sa.select(Assessment)
            .options(joinedload(Assessment.facilitator))
            .where(Assessment.business_id == business.id)
            .order_by(Assessment.assessed_on, Assessment.id)
        )
    )
