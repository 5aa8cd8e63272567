"""Hand-made mentorship work for the output report, every figure known (tests of services/output_report.py).

The period is the first half of the tests' year, PERIOD = (1 January, 30 June). Regions: 82.71 Kota Ternate and
82.72 Kota Tidore Kepulauan (province 82 Maluku Utara), 73.71 Kota Makassar (province 73 Sulawesi Selatan).

TPL (on top of the world's `tpl` "A" in 82.71 and `tpl2` in 73.71, both under contract all year):
- B: placed in 82.72 until 31 March, in 73.71 from 1 April (their placement changed);
- C: contract ended on 31 December of last year (not active), an activity that day;
- D: contract planned until the end of this year but terminated on 31 December of last year (not active);
- E: contract starting on 30 June, the period's last day (active, but no work: no row of their own).

Expected, by kabupaten/kota (the `EXPECTED_KABKOTA` table below), by province and by TPL.
"""

from decimal import Decimal

from tpl_tracker.models import (
    Activity,
    Assessment,
    Business,
    Mentorship,
    MonthlyReport,
    PermitFacilitation,
)

from .clock import on
from .factories import ContractFactory, FacilitatorFactory

PERIOD = (on(1, 1), on(6, 30))
COLUMNS = (
    "tpl_active",
    "businesses_mentored",
    "businesses_new",
    "activities",
    "activities_approved",
    "permits_issued",
    "permits_nib",
    "permits_pirt",
    "permits_halal",
    "permits_merek",
    "permits_sni",
    "permits_tkdn",
    "permits_bpom",
    "assessed_businesses",
    "median_turnover_change_pct",
    "median_workers_change",
)
# key: (tpl_active, mentored, new, activities, approved, permits, nib, pirt, halal, merek, sni, tkdn, bpom, assessed,
#       median turnover change %, median workers change)
EXPECTED_KABKOTA = {
    "73.71": (2, 2, 1, 2, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 25.0, 0),
    "82.71": (2, 2, 1, 4, 2, 2, 1, 0, 1, 0, 0, 0, 0, 2, 100.0, 1),
    "82.72": (0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, None, None),
}
EXPECTED_PROVINCE = {
    "73": (2, 2, 1, 2, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 25.0, 0),
    "82": (2, 3, 2, 5, 2, 3, 1, 0, 1, 0, 0, 1, 0, 2, 100.0, 1),
}
# By TPL (the world's `tpl` is A): keys are the TPL's NIK, filled in by `build`.
EXPECTED_TPL = {
    "A": (1, 2, 1, 4, 2, 2, 1, 0, 1, 0, 0, 0, 0, 2, 100.0, 1),
    "B": (1, 2, 1, 2, 1, 2, 0, 1, 0, 0, 0, 1, 0, 1, 25.0, 0),
    "tpl2": (1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, None, None),
}


def _business(name: str, region: str) -> Business:
    return Business(
        name=name, normalized_name=name.lower(), owner_name="Ibu Hasna", region_code=region, kbli="10792", workers=1
    )


def _activity(tpl, day, kind="kunjungan") -> Activity:
    return Activity(facilitator=tpl, date=day, type=kind, description="Kegiatan", hours=Decimal("2.0"))


def _permit(business, tpl, permit_type, status, day) -> PermitFacilitation:
    return PermitFacilitation(
        business=business, facilitator=tpl, permit_type=permit_type, status=status, **{f"{status}_on": day}
    )


def _assessment(business, tpl, kind, day, turnover, workers) -> Assessment:
    return Assessment(
        business=business, facilitator=tpl, kind=kind, assessed_on=day, turnover=turnover, workers=workers
    )


def build(world, db) -> dict:
    """Add the work to the world; returns the objects by name (A, B, C, D, E, tpl2, b1..b6)."""
    a, tpl2 = world["tpl"], world["tpl2"]
    b = FacilitatorFactory(region_code="73.71", full_name="Budi Santoso")
    ContractFactory(facilitator=b, start_date=on(1, 1, years=-1), end_date=on(3, 31), placement_code="82.72")
    ContractFactory(facilitator=b, start_date=on(4, 1), end_date=on(12, 31), placement_code="73.71")
    c = FacilitatorFactory(region_code="82.01")
    ContractFactory(facilitator=c, start_date=on(1, 1, years=-1), end_date=on(12, 31, years=-1), status="completed")
    d = FacilitatorFactory(region_code="82.71")
    ContractFactory(
        facilitator=d,
        start_date=on(1, 1, years=-1),
        end_date=on(12, 31),
        status="terminated",
        terminated_on=on(12, 31, years=-1),
    )
    e = FacilitatorFactory(region_code="82.71")
    ContractFactory(facilitator=e, start_date=on(6, 30), end_date=on(12, 31))

    b1, b2, b3 = _business("Sagu Satu", "82.71"), _business("Sagu Dua", "82.71"), _business("Sagu Tiga", "82.71")
    b4, b5, b6 = _business("Pala Empat", "82.72"), _business("Roti Lima", "73.71"), _business("Roti Enam", "73.71")
    db.session.add_all(
        [
            Mentorship(business=b1, facilitator=a, start_date=on(2, 1)),  # mentored, new
            Mentorship(business=b2, facilitator=a, start_date=on(6, 1, years=-1), end_date=on(1, 1)),  # not new
            Mentorship(business=b3, facilitator=a, start_date=on(7, 1)),  # after the period
            Mentorship(business=b4, facilitator=b, start_date=on(3, 1), end_date=on(3, 31)),  # mentored, new
            Mentorship(business=b5, facilitator=tpl2, start_date=on(1, 1, years=-2), end_date=on(12, 31, years=-2)),
            Mentorship(business=b5, facilitator=b, start_date=on(4, 1)),  # mentored, first mentorship long ago
            Mentorship(business=b6, facilitator=tpl2, start_date=on(6, 30)),  # mentored, new (last day)
            # Activities: A's January and February are approved, March submitted, June a draft.
            _activity(a, on(1, 1)),
            _activity(a, on(2, 10), "pelatihan"),  # a training: the page counts the activities per type
            _activity(a, on(3, 5)),
            _activity(a, on(6, 30)),
            _activity(a, on(7, 1)),  # after the period
            _activity(a, on(12, 31, years=-1)),  # before it
            _activity(b, on(3, 15)),  # placed in 82.72 that day; March returned
            _activity(b, on(5, 10)),  # placed in 73.71; May approved
            _activity(tpl2, on(4, 4)),  # no monthly report
            _activity(c, on(12, 31, years=-1)),  # before the period
            MonthlyReport(facilitator=a, period=on(1, 1), status="approved"),
            MonthlyReport(facilitator=a, period=on(2, 1), status="approved"),
            MonthlyReport(facilitator=a, period=on(3, 1), status="submitted"),
            MonthlyReport(facilitator=a, period=on(6, 1), status="draft"),
            MonthlyReport(facilitator=a, period=on(7, 1), status="approved"),
            MonthlyReport(facilitator=b, period=on(3, 1), status="returned"),
            MonthlyReport(facilitator=b, period=on(5, 1), status="approved"),
            # Permits: issued in the period count, others not.
            _permit(b1, a, "nib", "issued", on(3, 1)),
            _permit(b1, a, "halal", "issued", on(6, 30)),
            _permit(b2, a, "pirt", "issued", on(7, 1)),  # after the period
            _permit(b2, a, "merek", "submitted", on(3, 1)),  # not issued
            _permit(b2, a, "sni", "rejected", on(3, 1)),  # not issued
            _permit(b5, b, "pirt", "issued", on(5, 5)),
            _permit(b4, b, "tkdn", "issued", on(1, 1)),  # the first day
            _permit(b6, tpl2, "bpom", "issued", on(12, 31, years=-1)),  # before the period
            # Assessments: b1 +100% turnover, +3 workers (the latest follow-up in the period, not the July one);
            # b2 baseline turnover 0 (no turnover change), workers -1; b5 +25%, 0 workers; b4 a baseline only.
            _assessment(b1, a, "baseline", on(2, 1), 1_000_000, 2),
            _assessment(b1, a, "follow_up", on(3, 1), 1_500_000, 3),
            _assessment(b1, a, "follow_up", on(5, 1), 2_000_000, 5),
            _assessment(b1, a, "follow_up", on(7, 1), 9_000_000, 9),
            _assessment(b2, a, "baseline", on(6, 1, years=-1), 0, 4),
            _assessment(b2, a, "follow_up", on(4, 1), 500_000, 3),
            _assessment(b5, b, "baseline", on(4, 2), 2_000_000, 1),
            _assessment(b5, b, "follow_up", on(6, 1), 2_500_000, 1),
            _assessment(b4, b, "baseline", on(3, 2), 1_000_000, 1),
        ]
    )
    db.session.commit()
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "tpl2": tpl2, "b1": b1, "b2": b2, "b5": b5}


def expected_tpl(people: dict) -> dict:
    """EXPECTED_TPL keyed by the TPL's NIK."""
    return {people[name].nik: figures for name, figures in EXPECTED_TPL.items()}
