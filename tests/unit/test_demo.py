"""Demo data: besides the accounts and contracts, every TPL's mentorship work in every state, all of it written
through the services at the dates it happened."""

import ast
import calendar
import hashlib
import io
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_babel import gettext
from lokal import parse_nik, wilayah
from PIL import Image

import tpl_tracker.models
from tpl_tracker.dates import programme_date, programme_today, replayed_moment
from tpl_tracker.extensions import db as _db
from tpl_tracker.models import (
    Activity,
    ActivityType,
    Assessment,
    AuditEntry,
    Business,
    Contract,
    Evidence,
    Facilitator,
    Mentorship,
    MentorshipRequest,
    MonthlyReport,
    MonthlyReportEvent,
    MonthStatus,
    PermitFacilitation,
    PermitStatus,
    PermitType,
    ReviewComment,
    Target,
    User,
    utcnow,
)
from tpl_tracker.services import demo
from tpl_tracker.services.businesses import normalize_name
from tpl_tracker.services.demo import seed_demo
from tpl_tracker.services.users import has_usable_password

from ..clock import NOW, TODAY, YEAR, on


def _all(db, model, *where):
    return list(db.session.scalars(sa.select(model).where(*where)))


def _contract_day(facilitator: Facilitator, day: date, today: date) -> bool:
    """The day falls in one of the TPL's contracts, and not after today."""
    return day <= today and any(c.start_date <= day <= c.effective_end for c in facilitator.contracts)


def _five_years_later(day: date) -> date:
    """The same day five years later, 28 February for a 29 February (a P-IRT's validity)."""
    year = day.year + 5
    return date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def next_month_of(period: date) -> date:
    """The first day of the month after `period`."""
    return (period + timedelta(days=32)).replace(day=1)


def _demo_tpl(db, email: str) -> Facilitator:
    return db.session.scalar(sa.select(User).where(User.email == email)).facilitator


DEMO_EMAILS = {
    "admin@demo.tpl.id": "admin",
    "supervisor@demo.tpl.id": "supervisor",
    "supervisor2@demo.tpl.id": "supervisor",
    "tpl@demo.tpl.id": "facilitator",
    "tpl2@demo.tpl.id": "facilitator",
    "evaluator@demo.tpl.id": "evaluator",
}


def test_seed_demo(app, db, client):
    """One seed, made by `flask seed-demo` as `make run` makes it today, checked four ways (the suite seeds once:
    a seed is its slowest step)."""
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    loaded = result.output.strip().removeprefix("Demo data loaded: ")
    counts = {key: int(value) for key, value in (pair.split("=") for pair in loaded.split(", "))}
    today = TODAY
    _check_the_command(db, client, runner)
    _check_every_state(db, counts, today)
    _check_coherence(db, today)
    _check_demo_tpl_accounts(db, today)


def _check_the_command(db, client, runner) -> None:
    """The documented accounts sign in with their password; a second run with --if-empty leaves the data alone,
    one without it is refused."""
    users = {u.email: u.role for u in _all(db, User)}
    for email, role in DEMO_EMAILS.items():
        assert users[email] == role
    assert 50 <= db.session.scalar(sa.select(sa.func.count()).select_from(Facilitator)) <= 80
    provinces = set(db.session.scalars(sa.select(sa.func.substr(Facilitator.region_code, 1, 2)).distinct()))
    assert {"82", "73"} <= provinces and len(provinces) >= 4
    statuses = set(db.session.scalars(sa.select(Contract.status).distinct()))
    assert {"active", "completed", "terminated"} <= statuses
    tpl = _demo_tpl(db, "tpl@demo.tpl.id")
    assert tpl.region_code == "82.71"
    assert tpl.supervisor.email == "supervisor@demo.tpl.id"

    response = client.post("/auth/login", data={"email": "tpl@demo.tpl.id", "password": "demo-tpl-2026"})
    assert response.status_code == 302

    users_before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0 and "demo data not loaded" in again.output
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0 and "only fills an empty one" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == users_before


def _check_every_state(db, counts: dict[str, int], today: date) -> None:
    """Every permit status and type, activity type, month status, assessment kind, ending, request."""
    work = (
        "businesses",
        "mentorships",
        "activities",
        "evidence",
        "permits",
        "assessments",
        "months",
        "targets",
        "requests",
    )
    assert all(counts[key] > 0 for key in work), counts
    permits = _all(db, PermitFacilitation)
    assert {p.status for p in permits} == set(PermitStatus)
    assert {p.permit_type for p in permits} == set(PermitType)
    assert {a.type for a in _all(db, Activity)} == set(ActivityType)
    assert {m.status for m in _all(db, MonthlyReport)} == set(MonthStatus)
    assert {a.kind for a in _all(db, Assessment)} == {"baseline", "follow_up"}
    assert len(_all(db, MentorshipRequest, MentorshipRequest.status == "pending")) >= 2
    ended = _all(db, Mentorship, Mentorship.end_date.is_not(None))
    assert "Kontrak berakhir" in {m.end_reason for m in ended}
    handed = [m for m in ended if m.end_reason != "Kontrak berakhir"]
    assert handed
    for mentorship in handed:  # handed over by the supervisor to the TPL who mentors the business from that day
        (successor,) = [m for m in mentorship.business.mentorships if m.start_date == mentorship.end_date]
        reason = gettext("Handover to %(name)s: %(reason)s", name=successor.facilitator.full_name, reason="")
        assert mentorship.end_reason == reason + "Kontrak berakhir"

    # Issued permits expiring within 60 days, for the "expiring" lists.
    expiring = _all(
        db,
        PermitFacilitation,
        PermitFacilitation.status == "issued",
        PermitFacilitation.expires_on.between(today, today + timedelta(days=60)),
    )
    assert expiring


def _check_coherence(db, today: date) -> None:
    """Real regions and codes, valid numbers, and every date inside the TPL's contracts, never after today."""
    for business in _all(db, Business):
        assert business.normalized_name == normalize_name(business.name)  # the registry's one rule
        assert len(business.kbli) == 5 and business.kbli.isdigit()
        assert business.nib is None or (len(business.nib) == 13 and business.nib.isdigit())
        assert business.phone is None or business.phone.startswith("+62")
        if business.owner_nik:
            assert parse_nik(business.owner_nik).valid
            assert business.owner_nik[:6] == business.kecamatan_code.replace(".", "")
        assert business.kecamatan_code.startswith(business.region_code + ".")
        assert wilayah.get_wilayah(business.desa_code) is not None
        assert business.desa_code.startswith(business.kecamatan_code + ".")
        first = min(business.mentorships, key=lambda m: m.start_date)
        assert first.facilitator.region_code == business.region_code

    for mentorship in _all(db, Mentorship):
        assert _contract_day(mentorship.facilitator, mentorship.start_date, today)
        assert mentorship.end_date is None or _contract_day(mentorship.facilitator, mentorship.end_date, today)

    for business in _all(db, Business):  # registered on the day its first mentoring started
        assert programme_date(business.created_at) == min(m.start_date for m in business.mentorships)

    for activity in _all(db, Activity):
        assert _contract_day(activity.facilitator, activity.date, today)
        assert programme_date(activity.created_at) == activity.date  # logged on its day
        assert 0 < activity.hours <= 8 and 1 <= len(activity.businesses) <= 3
        assert (activity.latitude is None) == (activity.longitude is None)
        assert activity.latitude is None or (-11 < activity.latitude < 6 and 95 < activity.longitude < 141)
        for business in activity.businesses:  # mentored by this TPL on that day
            assert any(
                m.facilitator_id == activity.facilitator_id
                and m.start_date <= activity.date
                and (m.end_date is None or activity.date <= m.end_date)
                for m in business.mentorships
            )

    for evidence in _all(db, Evidence):
        assert evidence.content_type == "image/jpeg" and evidence.size == len(evidence.content)
        assert evidence.sha256 == hashlib.sha256(evidence.content).hexdigest()
        assert Image.open(io.BytesIO(evidence.content)).format == "JPEG"

    for permit in _all(db, PermitFacilitation):
        days = [d for d in (permit.planned_on, permit.submitted_on, permit.issued_on, permit.rejected_on) if d]
        assert programme_date(permit.created_at) in days  # recorded on the day of one of its steps
        assert days == sorted(days) and permit.status_on is not None
        assert all(_contract_day(permit.facilitator, d, today) for d in days)
        if permit.status == "issued" and permit.permit_type == "nib":
            assert permit.business.nib == permit.document_number
        if permit.status == "issued" and permit.permit_type == "pirt":
            assert len(permit.document_number) >= 15 and permit.document_number.isdigit()
            assert permit.expires_on == _five_years_later(permit.issued_on)

    baselines = {(a.business_id, a.facilitator_id): a for a in _all(db, Assessment, Assessment.kind == "baseline")}
    for follow_up in _all(db, Assessment, Assessment.kind == "follow_up"):
        baseline = baselines[(follow_up.business_id, follow_up.facilitator_id)]
        assert 60 <= (follow_up.assessed_on - baseline.assessed_on).days <= 150
        assert follow_up.turnover > baseline.turnover and follow_up.workers >= baseline.workers
        assert _contract_day(follow_up.facilitator, follow_up.assessed_on, today)

    for target in _all(db, Target):
        assert target.year == today.year and 2 <= target.visits_per_month <= 4
        assert 3 <= target.businesses <= 8 and 4 <= target.permits_per_year <= 8

    # Review events: in order, by the TPL (submit) and a supervisor (approve, return).
    for report in _all(db, MonthlyReport):
        stamps = [e.at for e in report.events]
        assert stamps == sorted(stamps) and all(at <= utcnow() for at in stamps)
        expected = {"submit": "submitted", "approve": "approved", "return": "returned"}
        assert report.status == (expected[report.events[-1].action] if report.events else "draft")
        for event in report.events:
            if event.action != "submit":
                assert event.actor.role == "supervisor"
            else:
                assert event.actor_id == report.facilitator.user_id
                assert programme_date(event.at) >= next_month_of(report.period)  # after the month ended

    # Nothing happened after now, and the services audited what they wrote (each activity, for one).
    assert db.session.scalar(sa.select(sa.func.max(AuditEntry.at))) <= utcnow()
    logged = sa.select(sa.func.count()).where(AuditEntry.entity_type == "activities", AuditEntry.action == "create")
    assert db.session.scalar(logged) == len(_all(db, Activity))


def _check_demo_tpl_accounts(db, today: date) -> None:
    """The TPL who sign in see businesses, recent activities, every permit and month state, targets. Every other
    TPL has an account too (their work is theirs to log), without a password."""
    accounts = {f.user.email: f.user for f in _all(db, Facilitator)}
    documented = {"tpl@demo.tpl.id", "tpl2@demo.tpl.id", "alumni@demo.tpl.id"}
    assert len(accounts) == len(_all(db, Facilitator)) and documented < set(accounts)
    assert all(has_usable_password(user) == (email in documented) for email, user in accounts.items())
    current = today.replace(day=1)
    previous = (current - timedelta(days=1)).replace(day=1)
    for email in ("tpl@demo.tpl.id", "tpl2@demo.tpl.id"):
        tpl = _demo_tpl(db, email)
        mentorships = _all(db, Mentorship, Mentorship.facilitator_id == tpl.id)
        assert len(mentorships) >= 5
        activities = _all(db, Activity, Activity.facilitator_id == tpl.id)
        months = Counter(a.date.replace(day=1) for a in activities)
        assert months[current] > 0 and months[previous] > 0 and len(months) >= 3
        assert any(a.evidence for a in activities)
        assert {a.type for a in activities} == set(ActivityType)
        permits = _all(db, PermitFacilitation, PermitFacilitation.facilitator_id == tpl.id)
        assert {p.status for p in permits} == set(PermitStatus)
        assert {a.kind for a in _all(db, Assessment, Assessment.facilitator_id == tpl.id)} == {"baseline", "follow_up"}
        assert _all(db, Target, Target.facilitator_id == tpl.id, Target.year == today.year)
        assert _all(
            db, MentorshipRequest, MentorshipRequest.facilitator_id == tpl.id, MentorshipRequest.status == "pending"
        )

        reports = {r.status: r for r in _all(db, MonthlyReport, MonthlyReport.facilitator_id == tpl.id)}
        assert set(reports) == set(MonthStatus)
        assert reports["draft"].period == current
        assert reports["submitted"].period == previous
        assert reports["approved"].reviewer_id == tpl.supervisor_id
        returned = reports["returned"]
        assert returned.comment and returned.reviewer_id == tpl.supervisor_id
        comment = db.session.scalar(
            sa.select(ReviewComment).join(MonthlyReportEvent).where(MonthlyReportEvent.report_id == returned.id)
        )
        commented = db.session.get(Activity, comment.item_id)
        assert comment.item_type == "activity" and commented.facilitator_id == tpl.id
        assert commented.date.replace(day=1) == returned.period


@pytest.mark.parametrize("today", [on(1, 2)])
def test_seed_demo_early_in_a_month_and_a_year(db, today):
    """The states are all there on any day, also just after a month (and a year) began (fewer TPL: the two who
    sign in show every state)."""
    seed_demo(today=today, tpl_count=6)
    assert {m.status for m in _all(db, MonthlyReport)} == set(MonthStatus)
    assert {p.status for p in _all(db, PermitFacilitation)} == set(PermitStatus)
    assert all(t.year == YEAR for t in _all(db, Target))
    assert max(db.session.scalars(sa.select(Activity.date))) <= today
    tpl = _demo_tpl(db, "tpl@demo.tpl.id")
    statuses = {r.period: r.status for r in _all(db, MonthlyReport, MonthlyReport.facilitator_id == tpl.id)}
    assert statuses[on(12, 1, years=-1)] == "submitted" and statuses[on(1, 1)] == "draft"

    # The replayed clock was the seeder's alone: the real (frozen) one is back.
    assert replayed_moment() is None
    assert utcnow() == NOW and programme_today() == TODAY


def test_a_failed_seed_leaves_the_clock_alone(db, monkeypatch):
    """A step that fails mid-history still gives the real clock back (and the command rolls everything back)."""

    def refuse(*args, **kwargs):
        raise RuntimeError("refused")

    monkeypatch.setattr(demo, "create_activity", refuse)
    with pytest.raises(RuntimeError, match="refused"):
        seed_demo(tpl_count=3)
    db.session.rollback()
    assert replayed_moment() is None and utcnow() == NOW


def _session_writes(source: str) -> list[str]:
    """The places where code builds a model object or writes to the session itself (not through a service)."""
    models = {
        name
        for name, value in vars(tpl_tracker.models).items()
        if isinstance(value, type) and issubclass(value, _db.Model)
    }
    writes = {"add", "add_all", "merge", "delete", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"}
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        receiver = ast.unparse(func.value) if isinstance(func, ast.Attribute) else ""
        if (
            name in models
            or (name in writes and receiver.split(".")[-1] == "session")
            or ast.unparse(func) in {"sa.insert", "sa.update", "sa.delete", "insert", "update", "delete"}
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_the_demo_writes_only_through_the_services():
    """demo.py builds no model object and adds nothing to the session: every record comes from a service, so the
    demo can hold nothing the app itself could not make (issue 8)."""
    assert _session_writes("db.session.add(Business(name='x'))") == [
        "line 1: db.session.add(Business(name='x'))",
        "line 1: Business(name='x')",
    ]
    assert _session_writes(Path(demo.__file__).read_text()) == []
