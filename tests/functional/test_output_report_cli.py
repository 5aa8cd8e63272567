"""`flask report output`: the exact columns, every level and format, and its refusals."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from .. import output_programme as programme
from ..clock import iso

HEADER = (
    "level,key,name,tpl_active,businesses_mentored,businesses_new,activities,activities_approved,permits_issued,"
    "permits_nib,permits_pirt,permits_halal,permits_merek,permits_sni,permits_tkdn,permits_bpom,assessed_businesses,"
    "median_turnover_change_pct,median_workers_change"
)
PERIOD_ARGS = ["--from", iso(1, 1), "--to", iso(6, 30)]


@pytest.fixture
def people(world, db):
    return programme.build(world, db)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["report", "output", *args])


def _expected_cells(figures: tuple) -> list[str]:
    return ["" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value)) for value in figures]


def test_csv_by_kabkota_has_the_exact_header_and_figures(app, people):
    result = _run(app, "--level", "kabkota", *PERIOD_ARGS, "--format", "csv")
    assert result.exit_code == 0, result.output + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER  # no BOM on the command line
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    assert [row[:3] for row in rows] == [
        ["kabkota", "73.71", "Kota Makassar"],
        ["kabkota", "82.71", "Kota Ternate"],
        ["kabkota", "82.72", "Kota Tidore Kepulauan"],
    ]
    for row in rows:
        assert row[3:] == _expected_cells(programme.EXPECTED_KABKOTA[row[1]])


def test_csv_by_province_and_by_tpl(app, people):
    result = _run(app, "--level", "province", *PERIOD_ARGS)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(row["level"], row["key"], row["name"]) for row in rows] == [
        ("province", "73", "Sulawesi Selatan"),
        ("province", "82", "Maluku Utara"),
    ]
    assert rows[1]["median_turnover_change_pct"] == "100.0" and rows[1]["median_workers_change"] == "1"

    result = _run(app, "--level", "tpl", *PERIOD_ARGS)
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    expected = programme.expected_tpl(people)
    assert [row[1] for row in rows] == sorted(expected)  # full NIK on the command line
    for row in rows:
        assert row[0] == "tpl" and row[3:] == _expected_cells(expected[row[1]])


def test_json(app, people):
    result = _run(app, "--level", "province", *PERIOD_ARGS, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data[0]) == HEADER.split(",")
    assert data[0]["key"] == "73" and data[0]["median_turnover_change_pct"] == 25.0
    assert data[1]["permits_halal"] == 1 and data[1]["median_workers_change"] == 1


def test_xlsx_needs_an_output_file_and_is_typed(app, people, tmp_path):
    refused = _run(app, "--level", "province", *PERIOD_ARGS, "--format", "xlsx")
    assert refused.exit_code != 0 and "--output" in refused.stderr
    target = tmp_path / "output.xlsx"
    result = _run(app, "--level", "kabkota", *PERIOD_ARGS, "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(target).active
    values = list(sheet.iter_rows(values_only=True))
    assert ",".join(values[0]) == HEADER
    assert values[2][:5] == ("kabkota", "82.71", "Kota Ternate", 2, 2)
    assert values[2][-2:] == (100.0, 1)
    assert values[3][-2:] == (None, None)


def test_csv_to_a_file(app, people, tmp_path):
    target = tmp_path / "output.csv"
    result = _run(app, "--level", "province", *PERIOD_ARGS, "--output", str(target))
    assert result.exit_code == 0, result.stderr
    assert target.read_bytes().startswith(HEADER.encode())


@pytest.mark.parametrize(
    "args,message",
    [
        (["--level", "province", "--from", iso(6, 30), "--to", iso(1, 1)], "30/06/"),
        (["--level", "province", "--from", iso(1, 1, years=-11), "--to", iso(1, 1)], None),
        (["--level", "region", *PERIOD_ARGS], "region"),
        (["--level", "province", "--from", "2026-13-01", "--to", iso(1, 1)], "2026-13-01"),
        (["--level", "province", "--to", iso(1, 1)], "--from"),
    ],
)
def test_bad_arguments_are_refused_with_a_message(app, world, args, message):
    result = _run(app, *args)
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "Error" in result.stderr and "Traceback" not in result.stderr
    if message:
        assert message in result.stderr
