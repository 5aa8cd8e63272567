"""The WUB metric (docs/metric.md): who is an alumnus, which surveys count, the figures, groupings and snapshots."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tpl_tracker.models import MetricSnapshot, OutcomeSurvey
from tpl_tracker.services import metric
from tpl_tracker.services.metric import (
    CSV_COLUMNS,
    GROUP_BYS,
    Figures,
    compute_all,
    compute_figures,
    latest_snapshot_date,
    load_snapshot,
    store_snapshot,
    wilson_interval,
)
from tpl_tracker.transactions import unit_of_work

from ..clock import TODAY, YEAR, on
from ..factories import ContractFactory, FacilitatorFactory

START, END = on(1, 1, years=-3), on(12, 31, years=-3)  # the default (single) contract
AS_OF = on(6, 30)
FOUNDED = on(3, 1, years=-2)  # the business of a wirausaha survey, unless a test says otherwise


def _tpl(**fields):
    return FacilitatorFactory(**fields)


def _contract(tpl, start=START, end=END, status="completed", terminated_on=None, placement=None):
    return ContractFactory(
        facilitator=tpl,
        start_date=start,
        end_date=end,
        status=status,
        terminated_on=terminated_on,
        placement_code=placement or tpl.region_code,
    )


def _alumnus(start=START, end=END, **fields):
    """A TPL with one completed contract."""
    tpl = _tpl(**fields)
    _contract(tpl, start, end)
    return tpl


def _survey(db, tpl, survey_date, status="wirausaha", verification="verified", founded=FOUNDED):
    survey = OutcomeSurvey(
        facilitator_id=tpl.id,
        survey_date=survey_date,
        status=status,
        verification=verification,
        founded_date=founded if status == "wirausaha" else None,
        business_name="Keripik Sagu" if status == "wirausaha" else None,
    )
    db.session.add(survey)
    db.session.commit()
    return survey


def _total(as_of=AS_OF) -> Figures | None:
    figures = compute_figures(as_of)
    assert len(figures) <= 1
    return figures[0] if figures else None


def _counts(figures: Figures | None) -> tuple:
    if figures is None:
        return None
    return figures.alumni, figures.tracked, figures.wub, figures.wub_active, figures.wub_unverified


def _keys(as_of, group_by) -> dict[str, int]:
    return {f.key: f.alumni for f in compute_figures(as_of, group_by)}


# --- alumni ----------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of, alumni", [(END, None), (on(1, 1, years=-2), 1), (on(6, 30, years=-3), None)])
def test_an_alumnus_exited_strictly_before_the_as_of_date(db, as_of, alumni):
    _alumnus()
    figures = _total(as_of)
    assert (figures.alumni if figures else None) == alumni


def test_a_tpl_with_a_contract_running_on_the_date_is_not_an_alumnus(db):
    tpl = _tpl()
    _contract(tpl, START, END)
    _contract(tpl, on(1, 1, years=-2), on(12, 31, years=-2), status="active")
    assert _total(on(6, 30, years=-2)) is None
    assert _total(on(1, 1, years=-1)).alumni == 1


def test_a_tpl_with_a_contract_signed_to_start_after_the_date_is_not_an_alumnus(db):
    tpl = _tpl()
    _contract(tpl, START, END)
    _contract(tpl, on(8, 1, years=-2), on(7, 31, years=-1), status="active")
    assert _total(on(6, 30, years=-2)) is None


def test_a_tpl_without_contracts_is_not_an_alumnus(db):
    _tpl()
    _alumnus()
    assert _total().alumni == 1


def test_the_effective_end_of_a_terminated_contract_is_terminated_on(db):
    tpl = _tpl()
    _contract(tpl, START, END, status="terminated", terminated_on=on(6, 30, years=-3))
    _survey(db, tpl, on(9, 15, years=-3), founded=on(8, 30, years=-3))  # after termination, before the planned end
    figures = _total(on(10, 1, years=-3))
    assert _counts(figures) == (1, 1, 1, 1, 0)
    assert figures.median_months_to_business == 2.0  # 61 days after 30 June
    assert _keys(on(10, 1, years=-3), "exit_year") == {str(YEAR - 3): 1}


def test_terminated_contract_counts_from_the_day_after_termination(db):
    tpl = _tpl()
    _contract(tpl, START, END, status="terminated", terminated_on=on(6, 30, years=-3))
    assert _total(on(6, 30, years=-3)) is None
    assert _total(on(7, 1, years=-3)).alumni == 1


# --- counted and qualifying surveys -------------------------------------------------------------


def test_surveys_on_or_before_the_exit_date_or_after_the_as_of_date_are_not_counted(db):
    tpl = _alumnus()
    _survey(db, tpl, END)  # exit interview
    _survey(db, tpl, on(6, 1, years=-3))  # during the contract
    _survey(db, tpl, on(7, 1, years=-2))  # after D
    assert _counts(_total(on(6, 30, years=-2))) == (1, 0, 0, 0, 0)
    assert _counts(_total(on(7, 1, years=-2))) == (1, 1, 1, 1, 0)  # a survey on D counts


def test_a_survey_between_two_contracts_is_not_counted(db):
    tpl = _tpl()
    _contract(tpl, on(1, 1, years=-4), on(6, 30, years=-4))
    _contract(tpl, START, END)
    _survey(db, tpl, on(9, 30, years=-4))  # after the first contract, before the exit date
    assert _counts(_total()) == (1, 0, 0, 0, 0)


def test_a_business_founded_before_the_first_start_is_not_new(db):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2), founded=on(12, 31, years=-4))
    assert _counts(_total()) == (1, 1, 0, 0, 0)


def test_a_business_founded_on_the_first_start_qualifies(db):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2), founded=START)
    assert _total().wub == 1


def test_first_start_is_the_earliest_contract_and_founding_during_a_contract_gives_negative_months(db):
    tpl = _tpl()
    _contract(tpl, on(1, 1, years=-4), on(12, 31, years=-4))
    _contract(tpl, START, END)
    _survey(db, tpl, on(6, 30, years=-2), founded=on(10, 31, years=-4))  # before the last contract, during the first
    figures = _total()
    assert _counts(figures) == (1, 1, 1, 1, 0)
    assert figures.median_months_to_business == -14.0  # 426 days (427 over a 29 February) before 31 December


def test_a_wirausaha_survey_without_a_founded_date_does_not_qualify(db):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2), founded=None)
    figures = _total()
    assert _counts(figures) == (1, 1, 0, 0, 0)
    assert figures.median_months_to_business is None


@pytest.mark.parametrize(
    "verification, expected",
    [
        ("verified", (1, 1, 1, 1, 0)),
        ("unverified", (1, 1, 0, 0, 1)),
        ("rejected", (1, 1, 0, 0, 0)),
    ],
)
def test_only_verified_surveys_qualify(db, verification, expected):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2), verification=verification)
    assert _counts(_total()) == expected


def test_an_unverified_wirausaha_survey_without_founded_date_still_counts_as_wub_unverified(db):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2), verification="unverified", founded=None)
    assert _counts(_total()) == (1, 1, 0, 0, 1)


def test_wub_unverified_only_without_a_qualifying_survey(db):
    both = _alumnus()
    _survey(db, both, on(3, 31, years=-2), verification="unverified")
    _survey(db, both, on(6, 30, years=-2), verification="verified")
    employed = _alumnus()
    _survey(db, employed, on(6, 30, years=-2), status="bekerja", verification="unverified")
    early = _alumnus()
    _survey(db, early, END, verification="unverified")  # not counted
    _survey(db, early, on(6, 30, years=-2), status="studi", verification="verified")
    late = _alumnus()
    _survey(db, late, on(7, 1), verification="unverified")  # after D
    assert _counts(_total()) == (4, 3, 1, 1, 0)


def test_wub_unverified_with_an_old_business(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2), founded=on(1, 1, years=-6))  # verified but not new
    _survey(db, tpl, on(6, 30, years=-2), verification="unverified")
    assert _counts(_total()) == (1, 1, 0, 0, 1)


def test_a_later_non_wirausaha_survey_ends_wub_active_but_not_wub(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2))
    _survey(db, tpl, on(3, 31, years=-1), status="bekerja")
    assert _counts(_total()) == (1, 1, 1, 0, 0)
    assert _counts(_total(on(3, 30, years=-1))) == (1, 1, 1, 1, 0)  # the later survey is not counted yet


def test_wub_active_needs_the_latest_survey_to_qualify(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2))
    _survey(db, tpl, on(3, 31, years=-1), verification="unverified")
    assert _counts(_total()) == (1, 1, 1, 0, 0)


def test_wub_active_when_the_latest_survey_qualifies_after_a_non_qualifying_one(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2), status="belum_bekerja")
    _survey(db, tpl, on(3, 31, years=-1), founded=on(1, 1, years=-1))
    _survey(db, tpl, on(8, 1), status="asn")  # after D: not the latest counted one
    assert _counts(_total()) == (1, 1, 1, 1, 0)


def test_tracked_counts_every_kind_of_counted_survey_once_per_alumnus(db):
    for status in ("bekerja", "asn", "lainnya"):
        _survey(db, _alumnus(), on(6, 30, years=-2), status=status, verification="rejected")
    busy = _alumnus()
    _survey(db, busy, on(6, 30, years=-2))
    _survey(db, busy, on(6, 30, years=-1))
    _alumnus()  # never surveyed
    figures = _total()
    assert _counts(figures) == (5, 4, 1, 1, 0)
    assert figures.tracked_rate == 0.8
    assert figures.wub_rate == 0.2


# --- rates and the interval --------------------------------------------------------------------


# Checked independently by solving (p - k/n)^2 = z^2 p (1 - p) / n for p.
@pytest.mark.parametrize(
    "k, n, low, high",
    [
        (24, 100, 0.1669, 0.3323),
        (1, 3, 0.0615, 0.7923),
        (267, 1107, 0.2169, 0.2673),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),
    ],
)
def test_wilson_interval(k, n, low, high):
    got_low, got_high = wilson_interval(k, n)
    assert (round(got_low, 4), round(got_high, 4)) == (low, high)
    assert 0.0 <= got_low <= k / n <= got_high <= 1.0


def test_wilson_interval_edges_are_exact_and_a_zero_total_is_refused():
    assert wilson_interval(0, 7)[0] == 0.0
    assert wilson_interval(7, 7)[1] == 1.0
    wide, narrow = wilson_interval(24, 100, z=2.575829), wilson_interval(24, 100)
    assert wide[0] < narrow[0] and wide[1] > narrow[1]
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_rates_and_interval_are_rounded_to_four_decimals(db):
    tpl = _alumnus()
    _survey(db, tpl, on(6, 30, years=-2))
    _alumnus()
    _survey(db, _alumnus(), on(6, 30, years=-2), status="bekerja")
    figures = _total()
    assert (figures.wub_rate, figures.tracked_rate) == (0.3333, 0.6667)
    assert (figures.ci_low, figures.ci_high) == (0.0615, 0.7923)


# --- median months to business -------------------------------------------------------------------


def _wub_alumnus(db, founded, exit_date=END):
    tpl = _alumnus(start=date(exit_date.year - 1, 1, 1), end=exit_date)
    _survey(db, tpl, on(6, 30, years=-1), founded=founded)
    return tpl


def test_median_of_an_odd_count(db):
    for founded in (
        on(3, 1, years=-2),
        on(4, 1, years=-2),
        on(12, 31, years=-2),
    ):  # 61, 92, 366 days (a day less without 29 Feb)
        _wub_alumnus(db, founded)
    assert _total().median_months_to_business == 3.0  # 92 / 30.4375 = 3.02 (91: 2.99)


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(db):
    for founded in (on(3, 1, years=-2), on(4, 1, years=-2)):  # 2.00 and 3.02 months (1.97 and 2.99 without 29 Feb)
        _wub_alumnus(db, founded)
    _alumnus()  # no business: not in the median
    assert _total().median_months_to_business == 2.5


def test_median_with_negative_months(db):
    _wub_alumnus(db, on(10, 31, years=-3))  # -61 days: founded during the contract
    _wub_alumnus(db, on(8, 31, years=-3))  # -122 days
    assert _total().median_months_to_business == -3.0


def test_median_uses_the_earliest_qualifying_business_by_founded_date_and_the_exit_date(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2), founded=on(3, 1, years=-2))
    _survey(db, tpl, on(6, 30, years=-2), founded=on(2, 1, years=-2))  # reported later, founded earlier
    _survey(db, tpl, on(9, 30, years=-2), founded=on(1, 1, years=-2), verification="unverified")  # not qualifying
    _survey(db, tpl, on(12, 31, years=-2), founded=on(1, 1, years=-6))  # not new
    assert _total().median_months_to_business == 1.1  # 32 days / 30.4375 = 1.05


# --- businesses founded during and after the contract ----------------------------------------------


def _founded(figures: Figures) -> tuple[int, int]:
    return figures.founded_during, figures.founded_after


def test_a_business_founded_on_the_exit_date_is_founded_during_the_contract_the_day_after_is_after(db):
    _wub_alumnus(db, END)  # 0 days: during
    _wub_alumnus(db, END + timedelta(days=1))  # 1 day: after
    _wub_alumnus(db, on(3, 1, years=-3))  # well inside the contract: during
    figures = _total()
    assert figures.wub == 3 and _founded(figures) == (2, 1)


def test_founded_during_and_after_count_the_earliest_qualifying_business_of_each_wub_alumnus(db):
    tpl = _alumnus()
    _survey(db, tpl, on(3, 31, years=-2), founded=on(3, 1, years=-2))  # after the exit
    _survey(db, tpl, on(6, 30, years=-2), founded=on(6, 1, years=-3))  # reported later, founded during: the earliest
    unverified = _alumnus()
    _survey(db, unverified, on(6, 30, years=-2), founded=on(6, 1, years=-3), verification="unverified")
    old = _alumnus()
    _survey(db, old, on(6, 30, years=-2), founded=on(6, 1, years=-5))  # before the first start: not new
    _wub_alumnus(db, on(2, 1, years=-2))  # after
    figures = _total()
    assert figures.wub == 2 and _founded(figures) == (1, 1)


def test_founded_during_and_after_by_group_and_in_the_snapshot(db):
    first = _alumnus(angkatan=2021, region_code="82.71")
    _survey(db, first, on(6, 30, years=-2), founded=on(6, 1, years=-3))  # during
    second = _alumnus(angkatan=2022, region_code="73.71")
    _survey(db, second, on(6, 30, years=-2), founded=on(6, 1, years=-2))  # after
    _alumnus(angkatan=2022, region_code="73.71")  # no business
    by_angkatan = {f.key: _founded(f) for f in compute_figures(AS_OF, "angkatan")}
    assert by_angkatan == {"2021": (1, 0), "2022": (0, 1)}
    store_snapshot(AS_OF)
    stored = {(row.group_by, row.key): (row.founded_during, row.founded_after) for row in load_snapshot(AS_OF)}
    assert stored[("total", "all")] == (1, 1)
    assert stored[("province", "73")] == (0, 1) and stored[("province", "82")] == (1, 0)


def test_founded_during_and_after_are_zero_without_wub(db):
    _survey(db, _alumnus(), on(6, 30, years=-2), status="bekerja")
    assert _founded(_total()) == (0, 0)


def test_median_is_empty_without_wub(db):
    _survey(db, _alumnus(), on(6, 30, years=-2), status="bekerja")
    figures = _total()
    assert figures.wub == 0
    assert (figures.wub_rate, figures.ci_low, figures.median_months_to_business) == (0.0, 0.0, None)


# --- groupings -------------------------------------------------------------------------------


def test_province_is_the_placement_of_the_last_contract(db):
    moved = _tpl(region_code="82.71")
    _contract(moved, on(1, 1, years=-4), on(12, 31, years=-4), placement="82.71")
    _contract(moved, START, END, placement="73.71")
    _survey(db, moved, on(6, 30, years=-2))
    back = _tpl(region_code="73.71")  # the profile's region does not matter
    _contract(back, START, END, placement="82.01")
    _contract(back, on(1, 1, years=-4), on(12, 31, years=-4), placement="73.71")  # created later, ended earlier
    figures = compute_figures(AS_OF, "province")
    assert [(f.key, f.alumni, f.wub) for f in figures] == [("73", 1, 1), ("82", 1, 0)]


def test_last_contract_is_by_effective_end_not_planned_end(db):
    """The second contract was planned to end later but ended before the first one began."""
    tpl = _tpl()
    _contract(tpl, on(7, 1, years=-3), END, placement="82.71")
    _contract(
        tpl, START, on(12, 31, years=-2), status="terminated", terminated_on=on(6, 30, years=-3), placement="73.71"
    )
    assert _keys(AS_OF, "province") == {"82": 1}


@pytest.fixture
def overlapping_contracts_allowed(db):
    """Two contracts of one TPL that end on the same day overlap: only SQLite, without that constraint, holds them."""
    if db.engine.dialect.name == "postgresql":
        pytest.skip("PostgreSQL refuses overlapping contracts of one TPL, so the tie cannot arise there")


def test_last_contract_ties_go_to_the_greatest_start_date(db, overlapping_contracts_allowed):
    tpl = _tpl()
    _contract(tpl, on(6, 1, years=-3), END, placement="73.71")  # lower id, later start
    _contract(tpl, START, END, placement="82.71")
    assert _keys(AS_OF, "province") == {"73": 1}


def test_last_contract_ties_then_go_to_the_greatest_id(db, overlapping_contracts_allowed):
    tpl = _tpl()
    _contract(tpl, START, END, placement="82.71")
    _contract(tpl, START, END, placement="73.71")
    assert _keys(AS_OF, "province") == {"73": 1}


def test_exit_year_is_the_year_of_the_exit_date(db):
    _alumnus(start=on(1, 1, years=-4), end=on(12, 31, years=-4))
    two = _tpl()
    _contract(two, on(1, 1, years=-4), on(12, 31, years=-4))
    _contract(two, on(1, 1, years=-3), on(12, 31, years=-2), status="terminated", terminated_on=on(1, 31, years=-2))
    _alumnus(start=on(1, 1, years=-1), end=on(12, 31, years=-1))
    _alumnus(start=on(1, 1), end=on(12, 31))  # still running on D: no group of the tests' year
    figures = compute_figures(AS_OF, "exit_year")
    assert [(f.group_by, f.key, f.alumni) for f in figures] == [
        ("exit_year", str(YEAR - 4), 1),
        ("exit_year", str(YEAR - 2), 1),
        ("exit_year", str(YEAR - 1), 1),
    ]


def test_angkatan_is_the_recorded_cohort_and_keys_are_sorted(db):
    for angkatan in (2021, 2009, 2021, 2010):
        _alumnus(angkatan=angkatan)
    _tpl(angkatan=2024)  # no contract
    running = _tpl(angkatan=2025)
    _contract(running, on(1, 1), on(12, 31), status="active")
    assert [(f.key, f.alumni) for f in compute_figures(AS_OF, "angkatan")] == [("2009", 1), ("2010", 1), ("2021", 2)]


def test_polytechnic_groups_are_sorted_by_name(db):
    wub = _alumnus(polytechnic="STMI Jakarta")
    _survey(db, wub, on(6, 30, years=-2))
    _alumnus(polytechnic="Politeknik ATI Makassar")
    _alumnus(polytechnic="Politeknik AKA Bogor")
    _alumnus(polytechnic="STMI Jakarta")
    figures = compute_figures(AS_OF, "polytechnic")
    assert [(f.key, f.alumni, f.wub) for f in figures] == [
        ("Politeknik AKA Bogor", 1, 0),
        ("Politeknik ATI Makassar", 1, 0),
        ("STMI Jakarta", 2, 1),
    ]
    assert figures[2].wub_rate == 0.5


def test_total_key_and_group_figures_add_up(db):
    a = _alumnus(angkatan=2021)
    _survey(db, a, on(6, 30, years=-2))
    b = _alumnus(angkatan=2022)
    _survey(db, b, on(6, 30, years=-2), verification="unverified")
    _alumnus(angkatan=2022)
    (total,) = compute_figures(AS_OF, "total")
    assert (total.group_by, total.key) == ("total", "all")
    assert _counts(total) == (3, 2, 1, 1, 1)
    by_cohort = compute_figures(AS_OF, "angkatan")
    assert [(f.key, *_counts(f)) for f in by_cohort] == [("2021", 1, 1, 1, 1, 0), ("2022", 2, 1, 0, 0, 1)]
    assert by_cohort[1].median_months_to_business is None and by_cohort[1].wub_rate == 0.0


@pytest.mark.parametrize("group_by", GROUP_BYS)
def test_no_alumni_no_groups(db, group_by):
    tpl = _tpl()
    _contract(tpl, on(1, 1), on(12, 31), status="active")
    assert compute_figures(AS_OF, group_by) == []


def test_an_unknown_grouping_is_refused(db):
    with pytest.raises(ValueError):
        compute_figures(AS_OF, "city")


def test_compute_all_lists_total_first_then_each_grouping_in_order(db):
    _alumnus(angkatan=2021, polytechnic="STMI Jakarta")
    _alumnus(angkatan=2020, polytechnic="Politeknik AKA Bogor", region_code="73.71")
    figures = compute_all(AS_OF)
    assert [(f.group_by, f.key) for f in figures] == [
        ("total", "all"),
        ("angkatan", "2020"),
        ("angkatan", "2021"),
        ("province", "73"),
        ("province", "82"),
        ("exit_year", str(YEAR - 3)),
        ("polytechnic", "Politeknik AKA Bogor"),
        ("polytechnic", "STMI Jakarta"),
    ]


def test_the_job_reads_the_last_contracts_through_their_index(db):
    """Contract.effective_end spells the expression of ix_contracts_last, so the databases use that index to find
    each TPL's last contract (a bound parameter in the expression, say, would silently lose it)."""
    if db.engine.dialect.name == "postgresql":
        statement, explain = metric._grouped(), "EXPLAIN"
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the tables of a test are tiny
        db.session.execute(sa.text("SET LOCAL enable_sort = off"))
    else:
        statement, explain = metric._packed_facts(), "EXPLAIN QUERY PLAN"
    sql = str(statement.params(as_of=AS_OF).compile(db.engine, compile_kwargs={"literal_binds": True}))
    plan = " ".join(str(row[-1]) for row in db.session.execute(sa.text(f"{explain} {sql}")))
    assert "ix_contracts_last" in plan


def test_as_row_follows_the_csv_columns_and_keeps_none():
    figures = Figures("total", "all", 2, 1, 0, 0, 0, 0.0, 0.0, 0.6576, 0.5, None)
    row = figures.as_row()
    assert list(row) == CSV_COLUMNS
    assert row["median_months_to_business"] is None
    assert row["ci_high"] == 0.6576 and row["key"] == "all"


# --- snapshots -------------------------------------------------------------------------------


def _snapshot_count(db, as_of=None) -> int:
    query = sa.select(sa.func.count()).select_from(MetricSnapshot)
    if as_of is not None:
        query = query.where(MetricSnapshot.as_of == as_of)
    return db.session.scalar(query)


def _programme(db):
    first = _alumnus(angkatan=2021, region_code="82.71")
    _survey(db, first, on(6, 30, years=-2))
    _alumnus(angkatan=2022, region_code="73.71", polytechnic="Politeknik ATI Makassar")
    return first


def test_store_snapshot_writes_every_grouping(db):
    _programme(db)
    written = store_snapshot(AS_OF)
    assert written == len(compute_all(AS_OF)) == 8
    rows = load_snapshot(AS_OF)
    assert [(r.group_by, r.key) for r in rows] == [(f.group_by, f.key) for f in compute_all(AS_OF)]
    total = load_snapshot(AS_OF, "total")[0]
    assert {c: getattr(total, c) for c in CSV_COLUMNS} == compute_figures(AS_OF)[0].as_row()
    assert total.computed_at is not None


def test_store_snapshot_twice_replaces_the_rows_of_that_date_only(db):
    first = _programme(db)
    other = on(6, 30, years=-1)
    store_snapshot(other)
    store_snapshot(AS_OF)
    before_other = [(r.id, r.group_by, r.key, r.wub) for r in load_snapshot(other)]
    _survey(db, first, on(12, 31, years=-1), status="bekerja")  # changes wub_active as of AS_OF only
    assert store_snapshot(AS_OF) == 8
    assert _snapshot_count(db, AS_OF) == 8
    keys = [(r.group_by, r.key) for r in load_snapshot(AS_OF)]
    assert len(keys) == len(set(keys))
    assert load_snapshot(AS_OF, "total")[0].wub_active == 0
    assert [(r.id, r.group_by, r.key, r.wub) for r in load_snapshot(other)] == before_other
    assert load_snapshot(other, "total")[0].wub_active == 1


def test_store_snapshot_removes_groups_that_disappeared(db):
    tpl = _alumnus(angkatan=2021)
    store_snapshot(AS_OF)
    db.session.delete(tpl)
    db.session.commit()
    assert store_snapshot(AS_OF) == 0
    assert _snapshot_count(db, AS_OF) == 0


def test_a_failure_half_way_leaves_the_previous_snapshot_intact(db, monkeypatch):
    first = _programme(db)
    store_snapshot(AS_OF)
    before = [(r.id, r.group_by, r.key, r.wub_active) for r in load_snapshot(AS_OF)]
    _survey(db, first, on(12, 31, years=-1), status="bekerja")

    real_row, calls = metric._snapshot_row, []

    def failing_row(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_row(*args, **kwargs)

    monkeypatch.setattr(metric, "_snapshot_row", failing_row)
    db.session.commit()
    with pytest.raises(RuntimeError), unit_of_work():  # as the job runner runs it
        store_snapshot(AS_OF)
    assert len(calls) == 3
    db.session.expire_all()
    assert [(r.id, r.group_by, r.key, r.wub_active) for r in load_snapshot(AS_OF)] == before


def test_a_database_error_half_way_leaves_the_previous_snapshot_intact(db, monkeypatch):
    _programme(db)
    store_snapshot(AS_OF)
    before = [(r.id, r.group_by, r.key) for r in load_snapshot(AS_OF)]
    good = compute_all(AS_OF)
    broken = good[:2] + [Figures("angkatan", "2099", 0, 0, 0, 0, 0, None, None, None, None, None)] + good[2:]
    monkeypatch.setattr(metric, "compute_all", lambda as_of: broken)  # the CHECK alumni > 0 refuses row 3
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError), unit_of_work():  # as the job runner runs it
        store_snapshot(AS_OF)
    db.session.expire_all()
    assert [(r.id, r.group_by, r.key) for r in load_snapshot(AS_OF)] == before


def test_load_snapshot_filters_and_orders_by_grouping_then_key(db):
    _alumnus(angkatan=2021, polytechnic="STMI Jakarta", region_code="82.71")
    _alumnus(angkatan=2009, polytechnic="Politeknik AKA Bogor", region_code="31.71")
    store_snapshot(AS_OF)
    assert [(r.group_by, r.key) for r in load_snapshot(AS_OF)] == [
        ("total", "all"),
        ("angkatan", "2009"),
        ("angkatan", "2021"),
        ("province", "31"),
        ("province", "82"),
        ("exit_year", str(YEAR - 3)),
        ("polytechnic", "Politeknik AKA Bogor"),
        ("polytechnic", "STMI Jakarta"),
    ]
    assert [r.key for r in load_snapshot(AS_OF, "polytechnic")] == ["Politeknik AKA Bogor", "STMI Jakarta"]
    assert load_snapshot(on(1, 1, years=-6)) == []


def test_load_snapshot_sorts_rows_whatever_order_they_were_stored_in(db):
    def row(group_by, key):
        return MetricSnapshot(
            as_of=AS_OF,
            group_by=group_by,
            key=key,
            alumni=1,
            tracked=0,
            wub=0,
            wub_active=0,
            wub_unverified=0,
            wub_rate=0.0,
            ci_low=0.0,
            ci_high=0.7935,
            tracked_rate=0.0,
        )

    db.session.add_all(
        [
            row("polytechnic", "STMI Jakarta"),
            row("province", "82"),
            row("total", "all"),
            row("polytechnic", "Politeknik AKA Bogor"),
            row("angkatan", "2021"),
            row("province", "31"),
        ]
    )
    db.session.commit()
    assert [(r.group_by, r.key) for r in load_snapshot(AS_OF)] == [
        ("total", "all"),
        ("angkatan", "2021"),
        ("province", "31"),
        ("province", "82"),
        ("polytechnic", "Politeknik AKA Bogor"),
        ("polytechnic", "STMI Jakarta"),
    ]
    assert [r.key for r in load_snapshot(AS_OF, "province")] == ["31", "82"]


def test_latest_snapshot_date(db):
    assert latest_snapshot_date() is None
    _alumnus()
    store_snapshot(on(6, 30, years=-1))
    store_snapshot(on(12, 31, years=-2))
    assert latest_snapshot_date() == on(6, 30, years=-1)
    assert isinstance(latest_snapshot_date(), date)


def test_an_empty_programme_stores_nothing(db):
    assert compute_all(AS_OF) == []
    assert store_snapshot(AS_OF) == 0
    assert latest_snapshot_date() is None


# --- exactness against a straightforward computation --------------------------------------------

PROGRAMME_SEED = 1042
PROGRAMME_AS_OFS = [AS_OF, on(12, 31, years=-2), on(1, 1, years=-1), on(7, 1, years=-3)]


def _generated_programme(db, size=300, seed=PROGRAMME_SEED):
    """A programme of `size` TPL with every edge case (no contract, several with gaps, terminated early, running
    on or signed after the date, surveys before and after the exit date, every status and verification, businesses
    founded before, during and after the contracts, without a founding date), from a fixed seed."""
    import random

    rng = random.Random(seed)
    regions = ["82.71", "82.01", "73.71", "31.71", "32.73"]
    polytechnics = ["STMI Jakarta", "ATI Makassar", "AKA Bogor"]
    people = []
    for index in range(size):
        tpl = _tpl(angkatan=YEAR - rng.randint(2, 8), polytechnic=rng.choice(polytechnics), region_code="82.71")
        people.append(tpl)
        if index % 40 == 0:
            continue  # no contract
        start = on(1, 1, years=tpl.angkatan - YEAR + 1) + timedelta(days=rng.choice([0, 0, 45]))
        first_start = start
        for _number in range(rng.choice([1, 1, 2, 3])):
            end = start + timedelta(days=rng.choice([364, 364, 180]))
            if rng.random() < 0.05:
                end = rng.choice(PROGRAMME_AS_OFS)  # a contract ending on an as-of date
                if end < start:
                    end = start
            terminated_on = start + timedelta(days=rng.randint(0, (end - start).days)) if rng.random() < 0.1 else None
            _contract(
                tpl,
                start,
                end,
                status="terminated" if terminated_on else ("completed" if end < TODAY else "active"),
                terminated_on=terminated_on,
                placement=rng.choice(regions),
            )
            exit_date = terminated_on or end
            if terminated_on:
                break
            start = end + timedelta(days=1 + rng.choice([0, 0, 30, 400]))  # gaps
        survey_date = exit_date + timedelta(days=rng.choice([-60, 0, 1, 30, 200]))
        for _survey_number in range(rng.choice([0, 1, 1, 2, 3])):
            status = rng.choice(["wirausaha", "wirausaha", "bekerja", "studi", "belum_bekerja"])
            founded = rng.choice(
                [
                    None,
                    first_start - timedelta(days=1),
                    first_start,
                    first_start + timedelta(days=90),
                    exit_date + timedelta(days=10),
                ]
            )
            db.session.add(
                OutcomeSurvey(
                    facilitator_id=tpl.id,
                    survey_date=survey_date,
                    status=status,
                    verification=rng.choice(["verified", "verified", "unverified", "rejected"]),
                    founded_date=founded if status == "wirausaha" else None,
                )
            )
            survey_date += timedelta(days=rng.choice([1, 90, 365]))
    db.session.commit()
    return people


def _reference_figures(people, as_of) -> list[Figures]:
    """docs/metric.md computed straightforwardly, TPL by TPL, over the ORM objects."""
    groups: dict[tuple[str, str], list] = {}
    for tpl in people:
        contracts = tpl.contracts
        if not contracts or max(c.effective_end for c in contracts) >= as_of:
            continue
        exit_date = max(c.effective_end for c in contracts)
        first_start = min(c.start_date for c in contracts)
        last = max(contracts, key=lambda c: (c.effective_end, c.start_date, c.id))
        surveys = db_session_surveys(tpl)
        counted = [s for s in surveys if exit_date < s.survey_date <= as_of]
        qualifying = [
            s
            for s in counted
            if s.status == "wirausaha"
            and s.verification == "verified"
            and s.founded_date is not None
            and s.founded_date >= first_start
        ]
        latest = max(counted, key=lambda s: (s.survey_date, s.id)) if counted else None
        facts = (
            bool(counted),
            bool(qualifying),
            latest in qualifying,
            not qualifying and any(s.status == "wirausaha" and s.verification == "unverified" for s in counted),
            (min(s.founded_date for s in qualifying) - exit_date).days / 30.4375 if qualifying else None,
            qualifying and min(s.founded_date for s in qualifying) <= exit_date,
            qualifying and min(s.founded_date for s in qualifying) > exit_date,
        )
        for key in [
            ("total", "all"),
            ("angkatan", str(tpl.angkatan)),
            ("province", last.placement_code[:2]),
            ("exit_year", str(exit_date.year)),
            ("polytechnic", tpl.polytechnic),
        ]:
            groups.setdefault(key, []).append(facts)
    result = []
    for group_by in GROUP_BYS:
        for group_key in sorted(key for grouping, key in groups if grouping == group_by):
            members = groups[(group_by, group_key)]
            n, wub = len(members), sum(m[1] for m in members)
            tracked = sum(m[0] for m in members)
            months = sorted(m[4] for m in members if m[4] is not None)
            middle = len(months) // 2
            median = (
                (months[middle] if len(months) % 2 else (months[middle - 1] + months[middle]) / 2) if months else None
            )
            low, high = wilson_interval(wub, n)
            result.append(
                Figures(
                    group_by=group_by,
                    key=group_key,
                    alumni=n,
                    tracked=tracked,
                    wub=wub,
                    wub_active=sum(m[2] for m in members),
                    wub_unverified=sum(m[3] for m in members),
                    wub_rate=round(wub / n, 4),
                    ci_low=round(low, 4),
                    ci_high=round(high, 4),
                    tracked_rate=round(tracked / n, 4),
                    median_months_to_business=round(median, 1) if median is not None else None,
                    founded_during=sum(bool(m[5]) for m in members),
                    founded_after=sum(bool(m[6]) for m in members),
                )
            )
    return result


def db_session_surveys(tpl):
    from tpl_tracker.extensions import db as _db

    return _db.session.scalars(sa.select(OutcomeSurvey).where(OutcomeSurvey.facilitator_id == tpl.id)).all()


def test_every_figure_matches_a_straightforward_computation_on_a_generated_programme(db):
    people = _generated_programme(db)
    for as_of in PROGRAMME_AS_OFS:
        expected = _reference_figures(people, as_of)
        assert len(expected) > 10 and expected[0].alumni > 100  # the programme is not trivial
        assert expected[0].wub and expected[0].wub_active < expected[0].wub and expected[0].wub_unverified
        assert expected[0].founded_during and expected[0].founded_after  # both kinds of business occur
        assert compute_all(as_of) == expected, as_of
        for group_by in GROUP_BYS:
            assert compute_figures(as_of, group_by) == [f for f in expected if f.group_by == group_by]
