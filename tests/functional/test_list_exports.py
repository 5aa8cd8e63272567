"""Exports of every list: the rows the list's filters select (every page, in the list's order), typed cells,
headers in the interface language, NIK and phone masked for evaluators, the reader's scope, audited."""

import csv
import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import Activity, AuditEntry, OutcomeSurvey

from ..clock import on
from ..conftest import csrf_token_from, page_text, ui_message

# (export address, list address, a filter that keeps the first TPL's rows only, how the page links a row)
LISTS = {
    "facilitators": ("/tpl/export", "/tpl/", {"province": "82"}, r'href="/tpl/(\d+)"'),
    "contracts": ("/tpl/contracts/export", "/tpl/", {"province": "82"}, r'href="/tpl/(\d+)"'),
    "businesses": ("/ikm/export", "/ikm/", {"region": "82"}, r'href="/ikm/(\d+)"'),
    "assessments": ("/ikm/assessments/export", "/ikm/", {"region": "82"}, r'href="/ikm/(\d+)"'),
    "activities": ("/kegiatan/export", "/kegiatan/", {"region": "82"}, r'href="/kegiatan/(\d+)"'),
    "permits": ("/izin/export", "/izin/", {"region": "82"}, r'href="/izin/(\d+)"'),
    "monthly_reports": ("/bulanan/export", "/bulanan/", {"province": "82"}, r'href="/bulanan/tpl/(\d+)/\d{4}-\d{2}"'),
    "surveys": ("/tracer/export", "/tracer/", {"status": "wirausaha"}, r'#survey-(\d+)"'),
}
# The column of each export that the page's links name (ids; for contracts, assessments and months: their TPL's
# or business's id).
LINKED_COLUMN = {
    "facilitators": "id",
    "contracts": "id_tpl",
    "businesses": "id",
    "assessments": "id_ikm",
    "activities": "id",
    "permits": "id",
    "monthly_reports": "id_tpl",
    "surveys": "id",
}
AUDITED_AS = {
    "facilitators": "facilitators",
    "contracts": "contracts",
    "businesses": "businesses",
    "assessments": "assessments",
    "activities": "activities",
    "permits": "permits",
    "monthly_reports": "monthly_reports",
    "surveys": "outcome_surveys",
}


@pytest.fixture
def lists(work, db):
    """The world with its mentorship work and a tracer survey of each TPL (only the first one's is wirausaha)."""
    work["survey"] = OutcomeSurvey(
        facilitator=work["tpl"],
        survey_date=on(6, 1),
        status="wirausaha",
        business_name="Sagu Ternate",
        kbli="10792",
        workers=2,
        monthly_revenue=4_500_000,
        business_region_code="82.71",
        recorded_by_id=work["facilitator"].id,
    )
    work["survey2"] = OutcomeSurvey(
        facilitator=work["tpl2"], survey_date=on(6, 1), status="bekerja", recorded_by_id=work["facilitator2"].id
    )
    db.session.add_all([work["survey"], work["survey2"]])
    db.session.commit()
    return work


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff"), "CSV for Excel starts with a BOM"
    return list(csv.DictReader(io.StringIO(text[1:])))


def _sheet(response):
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def _exports(db) -> list[AuditEntry]:
    query = sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)
    return list(db.session.scalars(query))


@pytest.mark.parametrize("name", LISTS)
def test_an_export_has_exactly_the_rows_of_the_filtered_list(client, login_as, lists, db, name):
    """The export and the page agree for a filter, and the export's audit entry names the list, the filters and
    the number of rows."""
    export_url, list_url, filters, link = LISTS[name]
    admin = login_as("admin")
    page = client.get(list_url, query_string=filters).get_data(as_text=True)
    on_page = {int(found) for found in re.findall(link, page)}
    assert on_page, "the filter keeps some rows"
    rows = _csv(client.post(export_url, query_string=filters, data={"fmt": "csv"}))
    assert {int(row[LINKED_COLUMN[name]]) for row in rows} == on_page
    assert {row["kode_provinsi"] for row in rows} == {"82"}
    unfiltered = _csv(client.post(export_url, data={"fmt": "csv"}))
    assert len(unfiltered) > len(rows)
    (entry, _all) = _exports(db)
    assert entry.actor_id == admin.id and entry.entity_type == AUDITED_AS[name]
    assert entry.after == {"format": "csv", "filters": filters, "rows": len(rows)}


def test_an_export_holds_every_page_in_the_lists_order(app, client, login_as, lists, db):
    """More activities than a page holds: the export has them all, newest first as on the list."""
    per_page = app.config["PER_PAGE"]
    tpl = lists["tpl"]
    db.session.add_all(
        Activity(facilitator=tpl, date=on(4, 1 + n % 28), type="pelatihan", description=f"Pelatihan {n}", hours=1)
        for n in range(per_page + 5)
    )
    db.session.commit()
    login_as("facilitator")
    rows = _csv(client.post("/kegiatan/export", query_string={"type": "pelatihan"}, data={"fmt": "csv"}))
    assert len(rows) == per_page + 5
    keys = [(row["tanggal"], int(row["id"])) for row in rows]
    assert keys == sorted(keys, reverse=True)
    assert _exports(db)[0].after["rows"] == per_page + 5


@pytest.mark.parametrize("name", LISTS)
def test_a_supervisor_exports_only_their_scope(client, login_as, lists, db, name):
    """A supervisor of another province gets none of the first TPL's rows, as on the list."""
    export_url, _list_url, _filters, _link = LISTS[name]
    login_as("supervisor2")
    rows = _csv(client.post(export_url, data={"fmt": "csv"}))
    assert {row["kode_provinsi"] for row in rows} <= {"73"}
    rows = _csv(client.post(export_url, query_string=_filters, data={"fmt": "csv"}))
    assert rows == []


def test_a_tpl_named_outside_the_scope_is_not_found(client, login_as, lists, db):
    """The monthly report list's TPL filter answers 404 outside the scope: so does its export, unaudited."""
    login_as("supervisor2")
    response = client.post("/bulanan/export", query_string={"tpl": lists["tpl"].id}, data={"fmt": "csv"})
    assert response.status_code == 404
    assert _exports(db) == []


def test_a_tpl_exports_only_their_own_work(client, login_as, lists, db):
    login_as("facilitator")
    for url in ("/kegiatan/export", "/izin/export", "/ikm/export"):
        rows = _csv(client.post(url, data={"fmt": "csv"}))
        assert rows and {row["kode_provinsi"] for row in rows} == {"82"}, url


@pytest.mark.parametrize("name", LISTS)
def test_headers_and_labels_follow_the_interface_language(client, login_as, lists, db, name):
    export_url = LISTS[name][0]
    login_as("admin")
    indonesian = _csv(client.post(export_url, data={"fmt": "csv"}))
    assert "kode_provinsi" in indonesian[0] and "provinsi" in indonesian[0]
    client.post("/language", data={"lang": "en"})
    english = _csv(client.post(export_url, data={"fmt": "csv"}))
    assert "province_code" in english[0] and "province" in english[0] and "kode_provinsi" not in english[0]
    assert [row["id"] for row in english] == [row["id"] for row in indonesian]
    assert {row["province"] for row in english} == {"Maluku Utara", "Sulawesi Selatan"}


def test_labels_stand_beside_their_codes_in_either_language(client, login_as, lists):
    login_as("admin")
    rows = _csv(client.post("/kegiatan/export", data={"fmt": "csv"}))
    assert {(row["kode_jenis"], row["jenis"]) for row in rows} == {("kunjungan", "Kunjungan")}
    client.post("/language", data={"lang": "en"})
    rows = _csv(client.post("/kegiatan/export", data={"fmt": "csv"}))
    assert {(row["type_code"], row["type"]) for row in rows} == {("kunjungan", "Visit")}


def test_excel_cells_are_typed(client, login_as, lists, db):
    """Numbers are numbers and dates are dates, whatever Excel's locale; an empty value is an empty cell."""
    login_as("admin")
    response = client.post("/kegiatan/export", query_string={"region": "82"}, data={"fmt": "xlsx"})
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    (row,) = _sheet(response)
    assert row["id"].value == lists["activity"].id and row["id"].data_type == "n"
    assert row["jam"].value == 2 and row["jam"].data_type == "n"
    assert row["tanggal"].is_date and row["tanggal"].value == datetime(on(3, 10).year, 3, 10)
    assert row["kode_provinsi"].value == "82" and row["kode_provinsi"].data_type == "s"
    assert row["lintang"].value is None
    (survey,) = _sheet(client.post("/tracer/export", query_string={"status": "wirausaha"}, data={"fmt": "xlsx"}))
    assert survey["omzet_per_bulan_rp"].value == 4_500_000 and survey["omzet_per_bulan_rp"].data_type == "n"
    assert survey["tanggal_survei"].is_date
    (entry,) = [e for e in _exports(db) if e.entity_type == "activities"]
    assert entry.after["format"] == "xlsx" and entry.after["rows"] == 1


def test_evaluators_read_nik_and_phone_masked(client, login_as, lists, db):
    tpl, business = lists["tpl"], lists["business"]
    tpl.phone = "+6281234567890"
    business.owner_nik, business.phone = tpl.nik, "+6281298765432"
    db.session.commit()
    login_as("supervisor")
    (row,) = _csv(client.post("/tpl/export", query_string={"province": "82"}, data={"fmt": "csv"}))
    assert row["nik"] == tpl.nik and "*" not in row["telepon"]
    (owner,) = _csv(client.post("/ikm/export", query_string={"region": "82"}, data={"fmt": "csv"}))
    assert owner["nik_pemilik"] == tpl.nik
    client.post("/auth/logout")
    login_as("evaluator")
    (row,) = _csv(client.post("/tpl/export", query_string={"province": "82"}, data={"fmt": "csv"}))
    assert row["nik"] != tpl.nik and "*" in row["nik"] and "*" in row["telepon"]
    (owner,) = _csv(client.post("/ikm/export", query_string={"region": "82"}, data={"fmt": "csv"}))
    assert "*" in owner["nik_pemilik"] and "*" in owner["telepon"]
    for url in ("/tpl/contracts/export", "/bulanan/export", "/tracer/export"):
        rows = _csv(client.post(url, data={"fmt": "csv"}))
        assert rows and all("*" in row["nik_tpl"] for row in rows), url


def test_formula_text_is_neutralised(client, login_as, lists, db):
    lists["activity"].description = '=HYPERLINK("http://evil.example","klik")'
    lists["business"].name = "+62 Sagu"
    db.session.commit()
    login_as("admin")
    (row,) = _csv(client.post("/kegiatan/export", query_string={"region": "82"}, data={"fmt": "csv"}))
    assert row["uraian"] == '\'=HYPERLINK("http://evil.example","klik")'
    assert row["ikm"] == "'+62 Sagu"
    (cells,) = _sheet(client.post("/kegiatan/export", query_string={"region": "82"}, data={"fmt": "xlsx"}))
    assert cells["uraian"].data_type == "s" and cells["uraian"].value.startswith("'=")


def test_an_export_without_the_csrf_token_is_refused(app, client, login_as, lists, db, monkeypatch):
    login_as("admin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/kegiatan/export", data={"fmt": "csv"}).status_code == 400
    assert _exports(db) == []
    page = client.get("/kegiatan/", query_string={"region": "82"}).get_data(as_text=True)
    assert 'action="/kegiatan/export?region=82"' in page
    token = csrf_token_from(page)
    rows = _csv(client.post("/kegiatan/export?region=82", data={"fmt": "csv", "csrf_token": token}))
    assert len(rows) == 1 and len(_exports(db)) == 1


def test_an_unknown_format_is_refused_with_a_message_and_not_audited(app, client, login_as, lists, db):
    login_as("admin")
    response = client.post("/izin/export", query_string={"region": "82"}, data={"fmt": "pdf"})
    assert response.status_code == 302 and response.headers["Location"] == "/izin/?region=82"
    assert ui_message(app, "Choose CSV or Excel (.xlsx) to export.") in page_text(client.get("/izin/"))
    assert _exports(db) == []


def test_invalid_filters_export_nothing(app, client, login_as, lists, db):
    """The page lists everything when its filters are invalid; an export refuses rather than send everything."""
    login_as("admin")
    response = client.post("/tpl/export", query_string={"angkatan": "abc"}, data={"fmt": "csv"})
    assert response.status_code == 302
    assert ui_message(app, "Nothing was exported: correct the filters first.") in page_text(client.get("/tpl/"))
    assert _exports(db) == []


def test_too_many_rows_for_excel_are_refused(app, client, login_as, lists, db, monkeypatch):
    monkeypatch.setattr("tpl_tracker.list_downloads.XLSX_MAX_ROWS", 1)
    login_as("admin")
    response = client.post("/kegiatan/export", data={"fmt": "xlsx"})
    assert response.status_code == 302
    message = "Too many rows for one Excel sheet: narrow the filters or export as CSV."
    assert ui_message(app, message) in page_text(client.get("/kegiatan/"))
    assert _exports(db) == []
    assert len(_csv(client.post("/kegiatan/export", data={"fmt": "csv"}))) == 2


def test_rupiah_and_counts_are_numbers(client, login_as, lists, db):
    lists["business"].turnover = 12_500_000
    db.session.commit()
    login_as("admin")
    (row,) = _sheet(client.post("/ikm/export", query_string={"region": "82"}, data={"fmt": "xlsx"}))
    assert row["omzet_per_bulan_rp"].value == 12_500_000 and row["omzet_per_bulan_rp"].data_type == "n"
    assert row["tenaga_kerja"].value == 3 and row["izin_terbit"].value == 0
    (month,) = _sheet(client.post("/bulanan/export", query_string={"province": "82"}, data={"fmt": "xlsx"}))
    assert month["kegiatan"].value == 1 and month["bulan"].is_date
    assert Decimal(str(month["penilaian"].value)) == 1


@pytest.mark.parametrize("name", LISTS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_is_streamed(app, lists, db, name, fmt):
    """The view answers with a generator: the rows are read (a batch at a time) while the file is sent."""
    from flask_login import login_user

    export_url = LISTS[name][0]
    with app.test_request_context(export_url, method="POST", data={"fmt": fmt}):
        login_user(db.session.get(type(lists["admin"]), lists["admin"].id))
        response = app.full_dispatch_request()
        assert response.status_code == 200 and response.is_streamed
        assert response.headers["Content-Disposition"].endswith(f'.{fmt}"')
        body = b"".join(response.response)
        response.close()
    assert body.startswith(b"\xef\xbb\xbf" if fmt == "csv" else b"PK")


def _more_work(db, world, count: int) -> None:
    """`count` more TPL in Maluku Utara, each with a contract, a business they mentor (with an activity, a permit
    issued and an assessment), a reviewed month and a survey."""
    from tpl_tracker.models import Assessment, Business, Mentorship, MonthlyReport, PermitFacilitation

    from ..factories import ContractFactory, FacilitatorFactory, UserFactory

    for n in range(count):
        reviewer = UserFactory(email=f"pembina{n}@example.id", role="supervisor")
        tpl = FacilitatorFactory(supervisor=world["supervisor"], region_code="82.71")
        ContractFactory(facilitator=tpl)
        business = Business(
            name=f"IKM tambahan {n}",
            normalized_name=f"ikm tambahan {n}",
            owner_name="Pemilik",
            region_code="82.71",
            kbli="10792",
            size_class="mikro",
            workers=1,
        )
        db.session.add_all(
            [
                business,
                Mentorship(business=business, facilitator=tpl, start_date=on(2, 1)),
                Activity(
                    facilitator=tpl,
                    date=on(3, 5),
                    type="kunjungan",
                    description="Kunjungan",
                    hours=1,
                    businesses=[business],
                ),
                PermitFacilitation(
                    business=business,
                    facilitator=tpl,
                    permit_type="nib",
                    status="issued",
                    planned_on=on(3, 1),
                    issued_on=on(3, 6),
                    document_number=f"{n:013d}",
                ),
                Assessment(business=business, facilitator=tpl, kind="baseline", assessed_on=on(3, 2), workers=1),
                MonthlyReport(facilitator=tpl, period=on(3, 1), status="approved", reviewer=reviewer),
                OutcomeSurvey(facilitator=tpl, survey_date=on(6, 1), status="bekerja", recorded_by_id=reviewer.id),
            ]
        )
    db.session.commit()


def _statements(app, client, url: str, fmt: str) -> tuple[int, int]:
    """How many SQL statements one export runs, and how many rows it sends."""
    from tpl_tracker.extensions import db as _db

    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.post(url, data={"fmt": fmt})
        rows = _csv(response) if fmt == "csv" else _sheet(response)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return len(statements), len(rows)


@pytest.mark.parametrize("name", LISTS)
def test_an_export_reads_its_rows_in_a_fixed_number_of_statements(app, client, login_as, lists, db, name):
    """Related records, counts and statuses are read for a whole batch at once: no statement per row."""
    export_url = LISTS[name][0]
    login_as("admin")
    _statements(app, client, export_url, "csv")  # what the first request reads once (and caches) stays out
    few, few_rows = _statements(app, client, export_url, "csv")
    _more_work(db, lists, 4)
    many, many_rows = _statements(app, client, export_url, "csv")
    assert many_rows > few_rows
    assert many == few, f"{few} statements for {few_rows} rows, {many} for {many_rows}"
