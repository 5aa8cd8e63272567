"""The mentorship output report page and its downloads: title, figures, period choices, scope, masking, audit."""

import csv
import io
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import ActivityType, AuditEntry

from .. import output_programme as programme
from ..clock import YEAR, iso, on
from ..conftest import page_text

FIRST_HALF = {"period": "dates", "start": iso(1, 1), "end": iso(6, 30)}


@pytest.fixture
def people(world, db):
    return programme.build(world, db)


def _page(client, **args) -> str:
    response = client.get("/reports/output?" + urlencode(args))
    assert response.status_code == 200
    return page_text(response)


def _exports(db) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


def test_the_page_shows_the_figures_with_names_and_title(client, login_as, people):
    login_as("evaluator")
    text = _page(client, level="kabkota", **FIRST_HALF)
    assert f"Hasil pendampingan 1 Januari–30 Juni {YEAR}, per kabupaten/kota" in text
    for code, name in (("73.71", "Kota Makassar"), ("82.71", "Kota Ternate"), ("82.72", "Kota Tidore Kepulauan")):
        assert code in text and name in text
    assert "100,0" in text and "25,0" in text  # the medians in Indonesian numbers


def test_the_total_row_sums_and_pools_the_medians(client, login_as, people):
    login_as("admin")
    text = _page(client, level="province", **FIRST_HALF)
    assert f"Hasil pendampingan 1 Januari–30 Juni {YEAR}, per provinsi" in text
    assert "Sulawesi Selatan" in text and "Maluku Utara" in text
    footer = text[text.index("<tfoot>") : text.index("</tfoot>")]
    assert "Jumlah" in footer and "62,5" in footer


@pytest.mark.parametrize(
    "args,period",
    [
        ({"period": "year", "year": str(YEAR)}, f"1 Januari–31 Desember {YEAR}"),
        ({"period": "quarter", "year": str(YEAR), "quarter": "2"}, f"1 April–30 Juni {YEAR}"),
        ({"period": "month", "month": f"{YEAR}-02"}, f"1–{(on(3, 1) - on(2, 1)).days} Februari {YEAR}"),
        (
            {"period": "dates", "start": iso(12, 1, years=-1), "end": iso(3, 31)},
            f"1 Desember {YEAR - 1}–31 Maret {YEAR}",
        ),
        ({}, f"1 Januari–2 Desember {YEAR}"),  # the current year to date
    ],
)
def test_period_choices(client, login_as, people, args, period):
    login_as("evaluator")
    assert f"Hasil pendampingan {period}, per provinsi" in _page(client, **args)


@pytest.mark.parametrize(
    "args,message",
    [
        ({"level": "province", "period": "dates", "start": iso(6, 30), "end": iso(1, 1)}, "setelah berakhir"),
        ({"level": "province", "period": "dates", "start": "31/02/2020", "end": iso(1, 1)}, "Tanggal tidak valid"),
        ({"level": "province", "period": "dates", "start": iso(1, 1, years=-11), "end": iso(1, 1)}, "sepuluh tahun"),
        ({"level": "desa", "period": "year", "year": str(YEAR)}, "Pilihan tidak valid"),
        ({"level": "province", "period": "month", "month": "2020-13"}, "TTTT-BB"),
        ({"level": "province", "period": "month"}, "Isi bulannya"),
        ({"level": "province", "period": "year", "year": ""}, "Isi tahunnya"),
        ({"level": "province", "period": "year", "year": "99999999999999999999"}, "terlalu besar"),
        ({"level": "province", "period": "dates", "start": iso(1, 1), "end": ""}, "tanggal akhir periode"),
    ],
)
def test_bad_input_gets_a_message_not_an_error(client, login_as, people, args, message):
    login_as("evaluator")
    text = _page(client, **args)
    assert message in text
    assert "<tbody>" not in text


def test_a_supervisor_sees_their_regions(client, login_as, people):
    login_as("supervisor")
    text = _page(client, level="kabkota", **FIRST_HALF)
    assert "Kota Ternate" in text and "Kota Tidore Kepulauan" in text
    assert "Kota Makassar" not in text


def test_nik_is_masked_for_evaluators(client, login_as, people, db):
    nik = people["A"].nik
    login_as("evaluator")
    text = _page(client, level="tpl", **FIRST_HALF)
    assert nik not in text and f"{nik[:4]}********{nik[-4:]}" in text
    response = client.get("/reports/output.csv?" + urlencode({"level": "tpl", **FIRST_HALF}))
    body = response.get_data(as_text=True)
    assert nik not in body and f"{nik[:4]}********{nik[-4:]}" in body


def test_nik_is_shown_to_supervisors(client, login_as, people):
    login_as("supervisor")
    assert people["A"].nik in _page(client, level="tpl", **FIRST_HALF)


def test_csv_download_has_the_rows_on_screen_with_indonesian_headers_and_is_audited(client, login_as, people, db):
    user = login_as("evaluator")
    response = client.get("/reports/output.csv?" + urlencode({"level": "kabkota", **FIRST_HALF}))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeffkode_kabupaten_kota,kabupaten_kota,tpl_aktif,ikm_didampingi,ikm_baru,kegiatan,")
    header, *rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header[-3:] == ["ikm_dinilai", "median_perubahan_omzet_persen", "median_perubahan_tenaga_kerja"]
    assert [row[:2] for row in rows] == [
        ["73.71", "Kota Makassar"],
        ["82.71", "Kota Ternate"],
        ["82.72", "Kota Tidore Kepulauan"],
    ]
    # The CLI's figures, with the activities per type after the activities in approved months (the page's table).
    types = len(ActivityType.values())
    assert header[7 : 7 + types] == [f"kegiatan_{code}" for code in ActivityType.values()]
    figures = rows[1][2:7] + rows[1][7 + types :]
    assert figures == [str(v) for v in programme.EXPECTED_KABKOTA["82.71"]]
    assert sum(int(count) for count in rows[1][7 : 7 + types]) == int(rows[1][5])  # every activity has one type
    [entry] = _exports(db)
    assert entry.actor_id == user.id and entry.entity_type == "output_report"
    assert entry.after == {
        "format": "csv",
        "filters": {"level": "kabkota", "from": iso(1, 1), "to": iso(6, 30)},
        "rows": 3,
    }


def test_english_interface_gets_english_headers(client, login_as, people):
    login_as("admin")
    client.post("/language", data={"lang": "en"})
    text = client.get("/reports/output.csv?" + urlencode({"level": "province", **FIRST_HALF})).get_data(as_text=True)
    assert text.startswith("\ufeffprovince_code,province,tpl_active,businesses_mentored,businesses_new,activities,")
    page = _page(client, level="province", **FIRST_HALF)
    assert f"Mentorship output 1 January–30 June {YEAR}, by province" in page


def test_xlsx_download_is_typed(client, login_as, people, db):
    login_as("supervisor2")
    response = client.get("/reports/output.xlsx?" + urlencode({"level": "province", **FIRST_HALF}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("kode_provinsi", "provinsi", "tpl_aktif")
    types = len(ActivityType.values())
    [row] = values[1:]
    assert row[:7] + row[7 + types :] == ("73", "Sulawesi Selatan", *programme.EXPECTED_PROVINCE["73"])
    assert sum(row[7 : 7 + types]) == row[5] and all(isinstance(count, int) for count in row[7 : 7 + types])
    assert _exports(db)[0].after["rows"] == 1


def test_download_with_bad_input_is_refused_and_not_audited(client, login_as, people, db):
    login_as("evaluator")
    args = {"level": "province", "period": "dates", "start": iso(6, 30), "end": iso(1, 1)}
    response = client.get("/reports/output.csv?" + urlencode(args))
    assert response.status_code == 302 and "/reports/output?" in response.headers["Location"]
    assert "Tidak ada yang diunduh" in page_text(client.get(response.headers["Location"]))
    assert client.get("/reports/output.json?" + urlencode(FIRST_HALF)).status_code == 404
    assert _exports(db) == []


def test_the_menu_links_the_page_for_its_readers(client, login_as, people):
    login_as("supervisor")
    assert 'href="/reports/output"' in client.get("/").get_data(as_text=True)


def test_the_menu_has_no_link_for_a_tpl(client, login_as, people):
    login_as("facilitator")
    assert 'href="/reports/output"' not in client.get("/").get_data(as_text=True)


def test_long_tables_are_paged_but_the_total_and_download_hold_every_row(client, login_as, people, monkeypatch):
    from tpl_tracker.reports import output

    monkeypatch.setattr(output, "ROWS_PER_PAGE", 2)
    login_as("admin")
    first = _page(client, level="kabkota", **FIRST_HALF)
    assert "Kota Makassar" in first and "Kota Ternate" in first and "Kota Tidore Kepulauan" not in first
    assert "3 data" in first
    footer = first[first.index("<tfoot>") : first.index("</tfoot>")]
    assert ">7<" in footer  # every row's activities: 2 + 4 + 1
    second = _page(client, level="kabkota", page="2", **FIRST_HALF)
    assert "Kota Tidore Kepulauan" in second and "Kota Makassar" not in second
    assert "Kota Tidore Kepulauan" in _page(client, level="kabkota", page="99", **FIRST_HALF)  # the last page
    download = client.get("/reports/output.csv?" + urlencode({"level": "kabkota", **FIRST_HALF}))
    assert len(download.get_data(as_text=True).splitlines()) == 4
