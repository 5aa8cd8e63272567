"""`flask report wub-people`: the people behind the WUB figures, exactly the columns of issue 12."""

import csv
import io
import json

from openpyxl import load_workbook

from tpl_tracker.services.metric import compute_figures

from ..unit.test_wub_people import AS_OF, _programme

HEADER = (
    "nik,full_name,angkatan,polytechnic,province,exit_date,first_contract_start,counted_surveys,latest_survey_date,"
    "latest_status,classification,wub_active,founded_date,reason"
)


def _run(app, *args):
    return app.test_cli_runner().invoke(args=["report", "wub-people", "--as-of", AS_OF.isoformat(), *args])


def test_csv_has_exactly_the_columns_and_a_row_per_alumnus(app, db):
    expected = _programme(db)
    result = _run(app, "--format", "csv")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode("utf-8")
    assert not text.startswith("\ufeff")  # no BOM from the command line
    assert text.splitlines()[0] == HEADER
    rows = {row["full_name"]: row for row in csv.DictReader(io.StringIO(text))}
    assert sorted(rows) == sorted(expected)
    kartika = rows["Kartika"]
    assert len(kartika["nik"]) == 16 and "*" not in kartika["nik"]  # the full NIK
    assert kartika["province"] == "73"
    assert kartika["exit_date"] == AS_OF.replace(year=AS_OF.year - 3, month=4, day=30).isoformat()
    assert (kartika["classification"], kartika["wub_active"], kartika["reason"]) == ("wub", "1", "qualifying_survey")
    assert kartika["counted_surveys"] == "1"
    joko = rows["Joko"]
    assert (joko["latest_survey_date"], joko["latest_status"], joko["founded_date"]) == ("", "", "")
    assert (joko["classification"], joko["wub_active"], joko["reason"]) == ("untracked", "0", "no_survey_after_exit")
    for name, (classification, reason, active, counted, founded) in expected.items():
        row = rows[name]
        assert (row["classification"], row["reason"], row["wub_active"]) == (classification, reason, str(active))
        assert row["counted_surveys"] == str(counted)
        assert row["founded_date"] == (founded.isoformat() if founded else "")


def test_a_group_lists_as_many_people_as_its_figure(app, db):
    _programme(db)
    for group in compute_figures(AS_OF, "angkatan"):
        result = _run(app, "--group-by", "angkatan", "--key", group.key)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader(io.StringIO(result.stdout_bytes.decode("utf-8"))))
        assert len(rows) == group.alumni
        assert {row["angkatan"] for row in rows} == {group.key}


def test_json(app, db):
    expected = _programme(db)
    result = _run(app, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout_bytes)
    assert len(data) == len(expected)
    assert list(data[0]) == HEADER.split(",")
    ani = next(item for item in data if item["full_name"] == "Ani")
    assert (ani["angkatan"], ani["wub_active"], ani["counted_surveys"]) == (2019, 1, 1)
    assert ani["founded_date"] == expected["Ani"][4].isoformat()


def test_xlsx_to_a_file_with_typed_cells(app, db, tmp_path):
    expected = _programme(db)
    output = tmp_path / "people.xlsx"
    result = _run(app, "--format", "xlsx", "--output", str(output))
    assert result.exit_code == 0, result.output
    sheet = load_workbook(output).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER.split(",")
    assert len(rows) == 1 + len(expected)
    ani = next(row for row in rows if row[1] == "Ani")
    assert ani[2] == 2019 and ani[11] == 1
    assert ani[12].date() == expected["Ani"][4]  # a date cell
    assert not (tmp_path / "people.xlsx.part").exists()


def test_xlsx_needs_an_output_file(app, db):
    result = _run(app, "--format", "xlsx")
    assert result.exit_code != 0
    assert "--output" in result.output


def test_group_by_and_key_go_together(app, db):
    for args in (["--group-by", "angkatan"], ["--key", "2019"]):
        result = _run(app, *args)
        assert result.exit_code != 0
        assert "--group-by and --key go together" in result.output
    assert _run(app, "--group-by", "total", "--key", "all").exit_code == 0
    assert _run(app, "--group-by", "region", "--key", "82").exit_code != 0


def test_the_as_of_date_is_required_and_iso(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["report", "wub-people"]).exit_code != 0
    assert runner.invoke(args=["report", "wub-people", "--as-of", "30/06/2026"]).exit_code != 0
