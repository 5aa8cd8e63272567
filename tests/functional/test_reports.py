"""`flask report wub` and the WUB report page: formats, columns, compute-if-missing."""

import csv
import io
import json

import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import AuditEntry, JobRun, MetricSnapshot, OutcomeSurvey

from ..clock import YEAR, iso, on
from ..factories import ContractFactory, FacilitatorFactory

HEADER = (
    "group_by,key,alumni,tracked,wub,wub_active,wub_unverified,wub_rate,ci_low,ci_high,tracked_rate,"
    "median_months_to_business"
)
AS_OF = iso(6, 30)


def _programme(db):
    """Three alumni of angkatan 2021 in Kota Ternate: one verified WUB, one employed, one untracked."""
    people = [FacilitatorFactory(angkatan=2021, region_code="82.71") for _ in range(3)]
    for person in people:
        ContractFactory(
            facilitator=person, start_date=on(1, 1, years=-3), end_date=on(12, 31, years=-3), status="completed"
        )
    db.session.add_all(
        [
            OutcomeSurvey(
                facilitator_id=people[0].id,
                survey_date=on(6, 30, years=-2),
                status="wirausaha",
                business_name="Keripik Sagu",
                founded_date=on(3, 1, years=-2),
                verification="verified",
            ),
            OutcomeSurvey(
                facilitator_id=people[1].id, survey_date=on(6, 30, years=-2), status="bekerja", verification="verified"
            ),
        ]
    )
    db.session.commit()
    return people


def test_csv_report_computes_and_stores_the_snapshot_first(app, db):
    _programme(db)
    result = app.test_cli_runner().invoke(
        args=["report", "wub", "--group-by", "total", "--as-of", AS_OF, "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == HEADER
    row = next(csv.DictReader(io.StringIO(result.output)))
    assert (row["group_by"], row["key"], row["alumni"], row["tracked"], row["wub"]) == ("total", "all", "3", "2", "1")
    assert row["wub_rate"] == "0.3333"
    assert row["tracked_rate"] == "0.6667"
    assert row["median_months_to_business"] == "2.0"  # 1 March minus 31 December = 61 days (60: 1.97 without 29 Feb)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(MetricSnapshot).where(MetricSnapshot.as_of == on(6, 30))
        )
        > 0
    )
    runs = db.session.scalar(sa.select(sa.func.count()).select_from(JobRun))
    # A second report of the same date reads the stored snapshot.
    again = app.test_cli_runner().invoke(args=["report", "wub", "--group-by", "angkatan", "--as-of", AS_OF])
    assert again.exit_code == 0
    assert again.output.strip().splitlines()[1].startswith("angkatan,2021,3,2,1,")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobRun)) == runs


def test_empty_values_are_empty_cells(app, db):
    _programme(db)
    result = app.test_cli_runner().invoke(
        args=["report", "wub", "--group-by", "province", "--as-of", iso(6, 30, years=-3)]
    )
    assert result.exit_code == 0
    assert result.output.strip() == HEADER  # nobody is an alumnus yet: no group is listed


def test_json_and_xlsx(app, db, tmp_path):
    _programme(db)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "wub", "--group-by", "province", "--as-of", AS_OF, "--format", "json"])
    data = json.loads(result.output)
    assert data[0]["key"] == "82" and data[0]["wub"] == 1 and data[0]["wub_rate"] == 0.3333
    target = tmp_path / "wub.xlsx"
    result = runner.invoke(
        args=["report", "wub", "--group-by", "exit_year", "--as-of", AS_OF, "--format", "xlsx", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(target).active
    rows = list(sheet.values)
    assert ",".join(rows[0]) == HEADER
    assert rows[1][:5] == ("exit_year", str(YEAR - 3), 3, 2, 1)


def test_bad_arguments_are_refused(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["report", "wub", "--group-by", "city"]).exit_code != 0
    assert runner.invoke(args=["report", "wub", "--group-by", "total", "--as-of", f"30-06-{YEAR}"]).exit_code != 0
    assert runner.invoke(args=["report", "wub", "--group-by", "total", "--format", "xlsx"]).exit_code != 0


def test_report_page_and_download(app, client, db, world, login_as):
    _programme(db)
    app.test_cli_runner().invoke(args=["jobs", "run", "compute-metrics", "--as-of", AS_OF])
    login_as("evaluator")
    page = client.get(f"/reports/wub?group_by=total&as_of={AS_OF}").get_data(as_text=True)
    assert "33,3%" in page or "33.3%" in page
    download = client.get(f"/reports/wub.csv?group_by=total&as_of={AS_OF}")
    assert download.status_code == 200
    assert download.get_data(as_text=True).splitlines()[0].startswith("\ufeffpengelompokan,kode,nama,alumni,")
    assert client.get("/reports/wub.pdf").status_code == 404
    assert client.get("/reports/wub?as_of=not-a-date").status_code == 200


def test_the_report_and_the_evaluator_home_link_to_the_definition(app, client, db, world, login_as):
    _programme(db)
    app.test_cli_runner().invoke(args=["jobs", "run", "compute-metrics", "--as-of", AS_OF])
    login_as("evaluator")
    assert 'href="/reports/wub/definition"' in client.get("/reports/wub").get_data(as_text=True)
    assert 'href="/reports/wub/definition"' in client.get("/").get_data(as_text=True)


def test_the_definition_page_shows_the_worked_example_in_the_readers_language(client, world, login_as):
    login_as("evaluator")
    page = client.get("/reports/wub/definition").get_data(as_text=True)
    assert "<h2>Contoh perhitungan</h2>" in page
    assert "<td>0,4000 (40,0%)</td>" in page and "<td>0,1176 – 0,7693</td>" in page  # the whole-country row
    assert '<div class="table-responsive"><table class="table table-sm">' in page
    client.post("/language", data={"lang": "en"})
    page = client.get("/reports/wub/definition").get_data(as_text=True)
    assert "<h2>A worked example</h2>" in page
    assert "<td>0.4000 (40.0%)</td>" in page and "<td>0.1176 – 0.7693</td>" in page


def test_the_downloads_name_each_group_type_each_cell_and_are_audited(app, client, db, world, login_as):
    _programme(db)
    app.test_cli_runner().invoke(args=["jobs", "run", "compute-metrics", "--as-of", AS_OF])
    login_as("evaluator")
    text = client.get(f"/reports/wub.csv?group_by=province&as_of={AS_OF}").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert (rows[0]["kode"], rows[0]["nama"], rows[0]["alumni"], rows[0]["tingkat_wub"]) == (
        "82",
        "Maluku Utara",
        "3",
        "0.3333",
    )
    response = client.get(f"/reports/wub.xlsx?group_by=province&as_of={AS_OF}")
    header, row = list(load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    values = dict(zip(header, row, strict=True))
    assert values["alumni"] == 3 and values["tingkat_wub"] == 0.3333 and values["per_tanggal"].year == YEAR
    client.post("/language", data={"lang": "en"})
    data = json.loads(client.get(f"/reports/wub.json?group_by=total&as_of={AS_OF}").get_data(as_text=True))
    assert data[0]["name"] == "Whole country" and data[0]["wub"] == 1
    exports = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [(entry.entity_type, entry.after["format"], entry.after["rows"]) for entry in exports] == [
        ("metric_snapshots", "csv", 1),
        ("metric_snapshots", "xlsx", 1),
        ("metric_snapshots", "json", 1),
    ]
    assert exports[0].after["filters"] == {"as_of": AS_OF, "group_by": "province"}
