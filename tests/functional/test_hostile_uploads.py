"""Hostile files over HTTP: evidence refused on the activity forms, nothing written; safe downloads; workbook bombs."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from tpl_tracker.models import Activity, AuditEntry, Evidence
from tpl_tracker.services.importer import template_workbook

from ..clock import dmy
from ..conftest import page_text, ui_message
from ..factories import TINY_PDF
from ..unit.test_evidence_files import EMBEDDED, GPS_INFO, SCRIPT, TOO_MANY_PIXELS, bomb_png, pdf_with, photo_with_gps
from ..unit.test_import_limits import TOO_LARGE_PART, TOO_MANY_ROWS, shared_strings_bomb, table_counts


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _writes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))


def _activity_form(work, files) -> dict:
    return {
        "date": dmy(3, 20),
        "type": "pelatihan",
        "business_ids": [str(work["business"].id)],
        "description": "Pelatihan pengemasan sagu lempeng",
        "hours": "3.5",
        "files": [(io.BytesIO(data), name) for name, data in files],
    }


@pytest.mark.parametrize(
    ("name", "data", "message", "values"),
    [
        ("peta.png", bomb_png(), TOO_MANY_PIXELS, {"count": 40}),
        ("laporan.pdf", pdf_with(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"), SCRIPT, {}),
        ("laporan.pdf", pdf_with(b"/Names<</EmbeddedFiles 4 0 R>>", b"<</Names[]>>"), EMBEDDED, {}),
    ],
    ids=["pixel bomb", "javascript", "embedded file"],
)
def test_a_hostile_file_is_refused_on_the_activity_form(app, client, login_as, work, db, name, data, message, values):
    login_as("facilitator")
    before = _writes(db)
    response = client.post(
        "/kegiatan/new", data=_activity_form(work, [(name, data)]), content_type="multipart/form-data"
    )
    assert response.status_code == 200
    text = page_text(response)
    assert ui_message(app, message, name=name, **values) in text
    assert 'name="files"' in text and "is-invalid" in text  # shown on the files field of the form
    assert _writes(db) == before
    assert _count(db, Activity) == 2 and _count(db, Evidence) == 2


def test_a_hostile_file_added_to_an_activity_is_refused(app, client, login_as, work, db):
    login_as("facilitator")
    before = _writes(db)
    response = client.post(
        f"/kegiatan/{work['activity'].id}/evidence",
        data={"files": [(io.BytesIO(pdf_with(b"/OpenAction<</S/JavaScript/JS(x)>>")), "notulen.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert ui_message(app, SCRIPT, name="notulen.pdf") in page_text(response)
    assert _writes(db) == before and _count(db, Evidence) == 2


def test_a_pdf_named_html_is_stored_and_downloaded_as_pdf(app, client, login_as, work, db):
    login_as("facilitator")
    activity_id = work["activity"].id
    response = client.post(
        f"/kegiatan/{activity_id}/evidence",
        data={"files": [(io.BytesIO(TINY_PDF), "evil.html")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    evidence = db.session.scalars(sa.select(Evidence).where(Evidence.activity_id == activity_id)).all()[-1]
    assert (evidence.filename, evidence.content_type) == ("evil.pdf", "application/pdf")
    response = client.get(f"/kegiatan/evidence/{evidence.id}")
    assert response.data == TINY_PDF and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=evil.pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_photo_is_served_inline_without_its_exif(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post(
        "/kegiatan/new",
        data=_activity_form(work, [("kunjungan.jpg", photo_with_gps())]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    activity_id = int(response.headers["Location"].rsplit("/", 1)[1])
    [evidence] = db.session.scalars(sa.select(Evidence).where(Evidence.activity_id == activity_id)).all()
    response = client.get(f"/kegiatan/evidence/{evidence.id}")
    assert response.mimetype == "image/jpeg"
    assert response.headers["Content-Disposition"] == "inline; filename=kunjungan.jpg"
    served = Image.open(io.BytesIO(response.data))
    assert served.size == (30, 40) and GPS_INFO not in served.getexif() and "exif" not in served.info


def _upload(client, data: bytes):
    form = {"file": (io.BytesIO(data), "data.xlsx"), "dry_run": ""}
    return client.post("/admin/import/", data=form, content_type="multipart/form-data")


def test_a_workbook_hiding_a_huge_shared_string_is_refused_on_the_import_form(app, client, login_as, db):
    login_as("admin")
    data = shared_strings_bomb()
    assert len(data) < 2 * 1024 * 1024
    before = table_counts(db)
    response = _upload(client, data)
    assert response.status_code == 200
    message = ui_message(app, TOO_LARGE_PART, part="xl/sharedStrings.xml", max=50)
    assert message in page_text(response)
    assert table_counts(db) == before


def test_a_workbook_over_the_row_limit_is_refused_on_the_import_form(app, client, login_as, db, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 1)
    login_as("admin")
    before = table_counts(db)
    response = _upload(client, template_workbook())  # a header and one example row per sheet
    assert response.status_code == 200
    assert ui_message(app, TOO_MANY_ROWS, sheet="facilitators", max=1) in page_text(response)
    assert table_counts(db) == before
