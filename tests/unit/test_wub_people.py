"""The people behind every WUB figure: each group's list has as many people as its figure, with the right reasons."""

from datetime import date

import pytest

from tpl_tracker.models import OutcomeSurvey
from tpl_tracker.services import ServiceError
from tpl_tracker.services.metric import GROUP_BYS, compute_all
from tpl_tracker.services.wub_people import (
    CLASSIFICATIONS,
    FIGURES,
    REASONS,
    Selection,
    count_people,
    list_people,
    page_of_people,
    selection,
    stream_people,
)

from ..clock import YEAR, on
from ..factories import ContractFactory, FacilitatorFactory

FIRST_START = on(1, 1, years=-4)
FOUNDED = on(3, 1, years=-2)  # the business of a wirausaha survey, unless a test says otherwise
AS_OF = on(6, 30)


def _person(name, angkatan=2019, polytechnic="STMI Jakarta", region="82.71", contracts=None):
    """A TPL with contracts given as (start, end, status, terminated_on, placement) (default: two completed years)."""
    tpl = FacilitatorFactory(full_name=name, angkatan=angkatan, polytechnic=polytechnic, region_code=region)
    for start, end, status, terminated_on, placement in contracts or [
        (FIRST_START, on(12, 31, years=-4), "completed", None, region),
        (on(1, 1, years=-3), on(12, 31, years=-3), "completed", None, region),
    ]:
        ContractFactory(
            facilitator=tpl,
            start_date=start,
            end_date=end,
            status=status,
            terminated_on=terminated_on,
            placement_code=placement,
        )
    return tpl


def _survey(db, tpl, day, status="wirausaha", verification="verified", founded=FOUNDED):
    db.session.add(
        OutcomeSurvey(
            facilitator_id=tpl.id,
            survey_date=day,
            status=status,
            verification=verification,
            founded_date=founded if status == "wirausaha" else None,
            business_name="Keripik Sagu" if status == "wirausaha" else None,
        )
    )
    db.session.commit()


def _programme(db) -> dict:
    """Alumni of every classification and reason (and TPL who are not alumni), in three angkatan, three provinces
    of the last placement, two exit years and two polytechnics; name -> expected (classification, reason,
    wub_active, counted surveys, founded date)."""
    after = on(3, 3, years=-2)  # a survey after every exit date below
    expected = {}

    def expect(name, classification, reason, active=0, counted=1, founded=None):
        expected[name] = (classification, reason, active, counted, founded)

    ani = _person("Ani")
    _survey(db, ani, after)
    expect("Ani", "wub", "qualifying_survey", active=1, founded=on(3, 1, years=-2))

    budi = _person("Budi", angkatan=2020)  # WUB, but employed since: not active
    _survey(db, budi, after, founded=on(5, 1, years=-4))  # founded during the first contract
    _survey(db, budi, on(3, 1, years=-1), status="bekerja")
    expect("Budi", "wub", "qualifying_survey", counted=2, founded=on(5, 1, years=-4))

    citra = _person("Citra", polytechnic="Politeknik ATI Makassar", region="73.71")
    _survey(db, citra, after, verification="unverified")
    expect("Citra", "wub_unverified", "not_verified", founded=on(3, 1, years=-2))

    dedi = _person("Dedi", region="73.71")
    _survey(db, dedi, after, verification="rejected")
    expect("Dedi", "tracked", "not_verified", founded=on(3, 1, years=-2))

    eka = _person("Eka", angkatan=2021)
    _survey(db, eka, after, founded=None)
    expect("Eka", "tracked", "no_founded_date")

    fajar = _person("Fajar", angkatan=2021)
    _survey(db, fajar, after, founded=on(12, 31, years=-5))
    expect("Fajar", "tracked", "founded_before_first_contract", founded=on(12, 31, years=-5))

    gita = _person("Gita")  # unverified, and the business is older than the contracts
    _survey(db, gita, after, verification="unverified", founded=on(6, 1, years=-6))
    expect("Gita", "wub_unverified", "founded_before_first_contract", founded=on(6, 1, years=-6))

    hadi = _person("Hadi", polytechnic="Politeknik ATI Makassar")
    _survey(db, hadi, after, status="bekerja")
    expect("Hadi", "tracked", "not_wirausaha")

    indah = _person("Indah")  # the exit interview only: not counted
    _survey(db, indah, on(12, 31, years=-3))
    expect("Indah", "untracked", "no_survey_after_exit", counted=0)

    _person("Joko", angkatan=2020, region="82.72")
    expect("Joko", "untracked", "no_survey_after_exit", counted=0)

    # Terminated early: the exit date is terminated_on; a survey before the planned end counts.
    kartika = _person(
        "Kartika",
        contracts=[
            (FIRST_START, on(12, 31, years=-4), "completed", None, "82.71"),
            (on(1, 1, years=-3), on(12, 31, years=-3), "terminated", on(4, 30, years=-3), "73.71"),
        ],
    )
    _survey(db, kartika, on(4, 30, years=-3), verification="unverified")  # on the exit date: not counted
    _survey(db, kartika, on(9, 1, years=-3), founded=on(8, 1, years=-3))
    expect("Kartika", "wub", "qualifying_survey", active=1, founded=on(8, 1, years=-3))

    # Placed elsewhere first: the province is the last placement's (82), not the first's.
    lestari = _person(
        "Lestari",
        angkatan=2020,
        contracts=[
            (FIRST_START, on(12, 31, years=-4), "completed", None, "73.71"),
            (on(1, 1, years=-3), on(12, 31, years=-3), "completed", None, "82.72"),
        ],
    )
    _survey(db, lestari, after, founded=on(2, 1, years=-3))
    _survey(db, lestari, on(5, 1, years=-2), founded=on(2, 1, years=-3))  # the same business again: a tie
    expect("Lestari", "wub", "qualifying_survey", active=1, counted=2, founded=on(2, 1, years=-3))

    # A verified business older than the contracts, and a new one awaiting verification.
    made = _person("Made")
    _survey(db, made, after, founded=on(1, 1, years=-6))
    _survey(db, made, on(4, 1, years=-2), verification="unverified", founded=on(4, 1, years=-2))
    expect("Made", "wub_unverified", "not_verified", counted=2, founded=on(4, 1, years=-2))

    # A rejected new business, then a verified one without its founding date.
    nina = _person("Nina", angkatan=2021, region="82.72")
    _survey(db, nina, after, verification="rejected")
    _survey(db, nina, on(4, 1, years=-2), founded=None)
    expect("Nina", "tracked", "not_verified", counted=2)

    # A WUB who later reports an unverified business: WUB, not active.
    oki = _person("Oki")
    _survey(db, oki, after)
    _survey(db, oki, on(4, 1, years=-2), verification="unverified", founded=on(4, 1, years=-2))
    expect("Oki", "wub", "qualifying_survey", counted=2, founded=on(3, 1, years=-2))

    # Exit in an earlier year, a survey dated after the as-of date (not counted).
    putri = _person(
        "Putri", angkatan=2019, contracts=[(on(1, 1, years=-5), on(12, 31, years=-5), "completed", None, "82.71")]
    )
    _survey(db, putri, on(8, 1))
    expect("Putri", "untracked", "no_survey_after_exit", counted=0)

    # A survey on the as-of date counts.
    tono = _person("Tono", angkatan=2021, polytechnic="Politeknik ATI Makassar")
    _survey(db, tono, AS_OF, founded=on(1, 1, years=-1))
    expect("Tono", "wub", "qualifying_survey", active=1, founded=on(1, 1, years=-1))

    # Not alumni: a contract running on the as-of date, or none.
    running = _person("Rudi", contracts=[(on(1, 1), on(12, 31), "active", None, "82.71")])
    _survey(db, running, on(3, 1))
    FacilitatorFactory(full_name="Sari")
    return expected


@pytest.fixture
def programme(db):
    return _programme(db)


def test_every_reason_and_classification_with_its_facts(programme):
    rows = {row.full_name: row for row in list_people(Selection(AS_OF))}
    assert sorted(rows) == sorted(programme)
    for name, (classification, reason, active, counted, founded) in programme.items():
        row = rows[name]
        facts = (row.classification, row.reason, row.wub_active, row.counted_surveys, row.founded_date)
        assert facts == (classification, reason, active, counted, founded), name
    assert {row.reason for row in rows.values()} == set(REASONS)
    assert {row.classification for row in rows.values()} == set(CLASSIFICATIONS)
    kartika = rows["Kartika"]
    assert (kartika.exit_date, kartika.province, kartika.first_contract_start) == (
        on(4, 30, years=-3),
        "73",
        FIRST_START,
    )
    assert kartika.latest_survey_date == on(9, 1, years=-3)
    assert kartika.latest_status == "wirausaha"
    assert rows["Lestari"].province == "82"
    assert rows["Budi"].latest_status == "bekerja"
    assert rows["Joko"].latest_survey_date is None
    assert rows["Joko"].latest_status is None


@pytest.mark.parametrize("as_of", [AS_OF, on(6, 30, years=-2), on(3, 3, years=-2)])
def test_the_drill_down_lists_add_up_to_the_figures_for_every_group(programme, as_of):
    figures = compute_all(as_of)
    assert {f.group_by for f in figures} == set(GROUP_BYS)
    for group in figures:
        for figure in FIGURES:
            chosen = Selection(as_of, group.group_by, group.key, figure)
            listed = list_people(chosen)
            assert len(listed) == count_people(chosen) == getattr(group, figure), (group.group_by, group.key, figure)
            assert len(list(stream_people(chosen))) == len(listed)


def test_a_group_without_alumni_lists_nobody(programme):
    for group_by, key in [("angkatan", "1999"), ("province", "11"), ("exit_year", "abc"), ("polytechnic", "None")]:
        assert count_people(Selection(AS_OF, group_by, key)) == 0


def test_a_supervisor_sees_only_the_people_in_their_scope(programme, world):
    everyone = list_people(Selection(AS_OF), world["supervisor2"])  # province 73: their TPL live there
    assert sorted(row.full_name for row in everyone) == ["Citra", "Dedi"]
    assert count_people(Selection(AS_OF, "province", "82"), world["supervisor2"]) == 0
    assert count_people(Selection(AS_OF), world["evaluator"]) == len(programme)


def test_pages_of_the_list(programme):
    first = list_people(Selection(AS_OF), limit=5)
    second = list_people(Selection(AS_OF), limit=5, offset=5)
    assert [row.full_name for row in first] == ["Ani", "Budi", "Citra", "Dedi", "Eka"]
    assert [row.full_name for row in second][0] == "Fajar"


@pytest.mark.parametrize(
    "group_by, key, figure",
    [
        ("angkatan", None, None),
        (None, "2019", None),
        ("region", "82", None),
        (None, None, "rate"),
        ("total", "x", None),
    ],
)
def test_a_bad_selection_is_refused_with_a_message(app, group_by, key, figure):
    with app.test_request_context(), pytest.raises(ServiceError):
        selection(date(YEAR, 6, 30), group_by, key, figure)


def test_a_selection_without_group_is_everyone(app):
    with app.test_request_context():
        assert selection(AS_OF, None, None) == Selection(AS_OF, "total", "all", "alumni")
        assert selection(AS_OF, "angkatan", " 2019 ", "wub") == Selection(AS_OF, "angkatan", "2019", "wub")


def test_a_page_carries_the_total(programme):
    rows, total = page_of_people(Selection(AS_OF, figure="tracked"), None, 3)
    assert len(rows) == 3
    assert total == count_people(Selection(AS_OF, figure="tracked"))
    assert page_of_people(Selection(AS_OF), None, 5, offset=100) == ([], len(programme))
    assert page_of_people(Selection(AS_OF, "angkatan", "1999"), None, 5) == ([], 0)


@pytest.mark.parametrize("as_of", [AS_OF, on(6, 30, years=-2)])
def test_figures_grouped_from_the_people_are_the_metric_jobs(programme, world, as_of):
    """A supervisor's dashboard groups the people of their scope; over the whole country (an evaluator's scope) that
    gives exactly the job's figures, every group and every value."""
    from dataclasses import asdict

    from tpl_tracker.services.outcome_dashboard import scoped_figures

    figures = scoped_figures(as_of, world["evaluator"])
    rows = [figures.total, *[row for group_by in GROUP_BYS[1:] for row in figures.breakdowns[group_by]]]
    expected = [asdict(group) for group in compute_all(as_of)]
    assert len(rows) == len(expected)
    assert [{name: getattr(row, name) for name in want} for row, want in zip(rows, expected, strict=True)] == expected
    assert figures.live and figures.total.as_of == as_of


def test_a_supervisors_figures_are_their_regions_alumni(programme, world):
    from tpl_tracker.services.outcome_dashboard import scoped_figures

    figures = scoped_figures(AS_OF, world["supervisor2"])
    assert figures.total.alumni == 2  # Citra and Dedi
    assert sum(row.alumni for row in figures.breakdowns["angkatan"]) == 2
