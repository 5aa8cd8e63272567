"""The mentorship output report (services/output_report.py): every figure on hand-made work, at every level."""

import pytest
import sqlalchemy as sa

from tpl_tracker.services import ServiceError
from tpl_tracker.services.output_report import figure, output_report

from .. import output_programme as programme
from ..clock import on


@pytest.fixture
def people(world, db):
    return programme.build(world, db)


def _figures(row) -> tuple:
    return tuple(figure(row, column) for column in programme.COLUMNS)


def _table(report) -> dict:
    return {row.key: _figures(row) for row in report.rows}


def test_kabkota_figures(people):
    report = output_report("kabkota", *programme.PERIOD)
    assert _table(report) == programme.EXPECTED_KABKOTA
    assert [row.name for row in report.rows] == ["Kota Makassar", "Kota Ternate", "Kota Tidore Kepulauan"]
    assert {row.level for row in report.rows} == {"kabkota"}


def test_province_figures_and_total(people):
    report = output_report("province", *programme.PERIOD)
    assert _table(report) == programme.EXPECTED_PROVINCE
    assert [row.name for row in report.rows] == ["Sulawesi Selatan", "Maluku Utara"]
    total = _figures(report.total)
    # Counts are summed; the medians pool every business of the rows (+100%, +25%; workers +3, -1, 0).
    assert total == (4, 5, 3, 7, 3, 4, 1, 1, 1, 0, 0, 1, 0, 3, 62.5, 0)


def test_tpl_figures_are_keyed_by_nik_and_leave_out_tpl_without_work(people):
    report = output_report("tpl", *programme.PERIOD)
    assert _table(report) == programme.expected_tpl(people)
    assert [row.key for row in report.rows] == sorted(programme.expected_tpl(people))
    assert people["E"].nik not in _table(report)  # under contract on the last day, but no work
    names = {row.key: row.name for row in report.rows}
    assert names[people["B"].nik] == "Budi Santoso"


def test_supervisor_sees_their_regions_and_their_tpl(people, world):
    in_82 = output_report("kabkota", *programme.PERIOD, user=world["supervisor"])
    assert _table(in_82) == {key: programme.EXPECTED_KABKOTA[key] for key in ("82.71", "82.72")}
    in_73 = output_report("province", *programme.PERIOD, user=world["supervisor2"])
    assert _table(in_73) == {"73": programme.EXPECTED_PROVINCE["73"]}
    # By TPL: B's work in 82.72 only (placed in 73.71 at the end of the period: not active for province 82).
    by_tpl = _table(output_report("tpl", *programme.PERIOD, user=world["supervisor"]))
    assert by_tpl[people["B"].nik] == (0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, None, None)
    assert by_tpl[people["A"].nik] == programme.EXPECTED_TPL["A"]
    assert sorted(by_tpl) == sorted([people["A"].nik, people["B"].nik])


def test_everyone_else_sees_everything(people, world):
    for role in ("evaluator", "admin"):
        assert _table(output_report("kabkota", *programme.PERIOD, user=world[role])) == programme.EXPECTED_KABKOTA


def test_a_period_without_work_has_no_rows(people):
    report = output_report("province", on(1, 1, years=-5), on(12, 31, years=-5))
    assert report.rows == []
    assert report.total.activities == 0 and report.total.median_turnover_change_pct is None


def test_a_single_day(people):
    """The period's edges are included: 30 June has A's activity, the halal permit and b6's new mentorship."""
    table = _table(output_report("kabkota", on(6, 30), on(6, 30)))
    assert table["82.71"][:9] == (2, 1, 0, 1, 0, 1, 0, 0, 1)  # b2 stopped on 1 January
    assert table["73.71"][:4] == (2, 2, 1, 0)


@pytest.mark.parametrize(
    "level,start,end,message",
    [
        ("region", on(1, 1), on(6, 30), "level"),
        ("province", on(6, 30), on(1, 1), "starts"),
        ("province", on(1, 1, years=-10), on(1, 1), "ten years"),
        ("province", None, on(1, 1), "first and the last day"),
    ],
)
def test_bad_requests_are_refused(app, level, start, end, message):
    with app.test_request_context(headers={"Accept-Language": "en"}), pytest.raises(ServiceError) as refusal:
        from flask_babel import force_locale

        with force_locale("en"):
            output_report(level, start, end)
    assert message in refusal.value.message


def test_ten_years_are_allowed(people):
    assert output_report("province", on(1, 2, years=-10), on(1, 1)).rows


def test_statements_do_not_grow_with_rows(people, db):
    """A handful of statements, not one per row."""
    statements = []

    def count(*_args):
        statements.append(1)

    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        output_report("tpl", *programme.PERIOD)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 9  # eight for the figures, one for the TPL's names


def test_an_activity_outside_every_contract_counts_in_the_latest_placement(people, db):
    """C's contract ended last year; an activity logged after it (an import's) counts in C's placement, 82.01."""
    db.session.add(programme._activity(people["C"], on(2, 1)))
    db.session.commit()
    table = _table(output_report("kabkota", *programme.PERIOD))
    assert table["82.01"][:5] == (0, 0, 0, 1, 0)
    assert table["82.71"] == programme.EXPECTED_KABKOTA["82.71"]


def test_ten_years_from_29_february():
    from datetime import date

    from tpl_tracker.services.output_report import _years_after

    assert _years_after(date(2024, 2, 29), 10) == date(2034, 3, 1)
    assert _years_after(date(2024, 3, 1), 10) == date(2034, 3, 1)


def test_activities_per_type_add_up_to_the_activities(people):
    """A's four activities of the period: three visits and a training; every row's types add up to its activities."""
    report = output_report("tpl", *programme.PERIOD)
    by_nik = {row.key: row for row in report.rows}
    assert by_nik[people["A"].nik].activity_types == {"kunjungan": 3, "pelatihan": 1}
    for row in [*report.rows, report.total]:
        assert sum(row.activity_types.values()) == row.activities
    assert report.total.activities_of("pelatihan") == 1 and report.total.activities_of("pemasaran") == 0
