"""Hostile evidence files: pixel bombs, photos with EXIF and GPS, PDFs with scripts or embedded files, lying names."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from tpl_tracker.models import AuditEntry, Evidence
from tpl_tracker.services.activities import add_evidence
from tpl_tracker.services.evidence import Upload, check_file, safe_filename

from ..conftest import refused_use_case, ui_message
from ..factories import PDF_OBJECTS, TINY_PDF, pdf_document

ORIENTATION, GPS_INFO, IMAGE_DESCRIPTION = 0x0112, 0x8825, 0x010E

SCRIPT = "The PDF file %(name)s contains JavaScript or other scripts: it is not accepted."
EMBEDDED = "The PDF file %(name)s contains embedded files: it is not accepted."
UNREADABLE_PDF = "The file %(name)s cannot be read as a PDF document: it may be damaged or protected with a password."
TOO_MANY_PIXELS = "The photo %(name)s is too large: at most %(count)d megapixels."


def _count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def bomb_png(side: int = 10_000) -> bytes:
    """A PNG of side x side pixels (100 megapixels by default), a few kilobytes on disk: one bit per pixel."""
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_with_gps() -> bytes:
    """A 40x30 JPEG whose EXIF holds a GPS position, a description and orientation 6 (turn 90 degrees to show)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[IMAGE_DESCRIPTION] = "Rumah Ibu Hasna"
    exif[GPS_INFO] = {1: "N", 2: (0.0, 47.0, 21.0), 3: "E", 4: (127.0, 22.0, 38.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 30)).save(buffer, format="JPEG", exif=exif.tobytes(), comment=b"secret")
    return buffer.getvalue()


def pdf_with(catalog_extra: bytes = b"", *more: bytes) -> bytes:
    """A one-page PDF whose catalog holds `catalog_extra`; `more` are objects 4, 5, ..."""
    catalog = PDF_OBJECTS[0][:-2] + catalog_extra + b">>"
    return pdf_document(catalog, *PDF_OBJECTS[1:], *more)


HOSTILE_PDFS = {
    "open action": (pdf_with(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"), SCRIPT),
    "names tree": (
        pdf_with(b"/Names<</JavaScript 4 0 R>>", b"<</Names[(x) 5 0 R]>>", b"<</S/JavaScript/JS(app.alert(1))>>"),
        SCRIPT,
    ),
    "escaped name": (pdf_with(b"/Names<</Java#53cript 4 0 R>>", b"<</Names[]>>"), SCRIPT),
    "page action": (
        pdf_document(
            *PDF_OBJECTS[:2],
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/AA<</O 4 0 R>>>>",
            b"<</S/JavaScript/JS 5 0 R>>",
            b"<</Length 11>>stream\napp.alert()\nendstream",
        ),
        SCRIPT,
    ),
    "launch": (pdf_with(b"/OpenAction<</S/Launch/F(calc.exe)>>"), SCRIPT),
    "xfa form": (pdf_with(b"/AcroForm<</Fields[]/XFA 4 0 R>>", b"<</Length 0>>stream\n\nendstream"), SCRIPT),
    "embedded file": (
        pdf_with(
            b"/Names<</EmbeddedFiles 4 0 R>>",
            b"<</Names[(a.exe) 5 0 R]>>",
            b"<</Type/Filespec/F(a.exe)/EF<</F 6 0 R>>>>",
            b"<</Type/EmbeddedFile/Length 2>>stream\nMZ\nendstream",
        ),
        EMBEDDED,
    ),
    "attachment annotation": (
        pdf_document(
            *PDF_OBJECTS[:2],
            b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Annots[4 0 R]>>",
            b"<</Type/Annot/Subtype/FileAttachment/Rect[0 0 9 9]/FS<</Type/Filespec/F(a.exe)/EF<</F 5 0 R>>>>>>",
            b"<</Length 2>>stream\nMZ\nendstream",
        ),
        EMBEDDED,
    ),
    "broken": (b"%PDF-1.7\nthis is no PDF at all\n", UNREADABLE_PDF),
    "no page": (pdf_document(PDF_OBJECTS[0], b"<</Type/Pages/Kids[]/Count 0>>"), UNREADABLE_PDF),
}


@pytest.mark.parametrize("case", HOSTILE_PDFS)
def test_a_pdf_with_scripts_or_embedded_files_is_refused(app, db, work, case):
    data, message = HOSTILE_PDFS[case]
    before = _count(db, Evidence), _count(db, AuditEntry)
    with refused_use_case() as refusal:
        add_evidence(work["facilitator"], work["activity"], [Upload("laporan.pdf", data)])
    assert refusal.value.message == ui_message(app, message, name="laporan.pdf")
    assert refusal.value.field == "files"
    assert (_count(db, Evidence), _count(db, AuditEntry)) == before


def test_a_plain_pdf_is_kept_as_sent(app, db, work):
    with app.test_request_context():
        checked = check_file(Upload("laporan.pdf", TINY_PDF))
    assert (checked.filename, checked.content_type, checked.data) == ("laporan.pdf", "application/pdf", TINY_PDF)


def test_a_100_megapixel_png_is_refused_before_it_is_decoded(app, db, work):
    data = bomb_png()
    assert len(data) < 100_000  # small on disk, 100 million pixels once decoded
    before = _count(db, Evidence), _count(db, AuditEntry)
    with refused_use_case() as refusal:
        add_evidence(work["facilitator"], work["activity"], [Upload("peta.png", data)])
    assert refusal.value.message == ui_message(app, TOO_MANY_PIXELS, name="peta.png", count=40)
    assert (_count(db, Evidence), _count(db, AuditEntry)) == before


def test_the_pixel_limit_is_a_setting(app, db, work, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_PIXELS", 2_000_000)
    with refused_use_case() as refusal:
        add_evidence(work["facilitator"], work["activity"], [Upload("peta.png", bomb_png(1500))])
    assert refusal.value.message == ui_message(app, TOO_MANY_PIXELS, name="peta.png", count=2)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_PIXELS", 3_000_000)
    add_evidence(work["facilitator"], work["activity"], [Upload("peta.png", bomb_png(1500))])


def test_a_photo_is_stored_turned_upright_and_without_exif(db, work):
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif()[GPS_INFO]
    [evidence] = add_evidence(work["facilitator"], work["activity"], [Upload("kunjungan.JPEG", original)])
    stored = Image.open(io.BytesIO(evidence.content))
    assert stored.format == "JPEG" and evidence.content_type == "image/jpeg"
    assert stored.size == (30, 40)  # the orientation was applied before it was dropped
    assert dict(stored.getexif()) == {}
    assert not {"exif", "comment", "xmp"} & set(stored.info)
    assert b"Hasna" not in evidence.content and b"secret" not in evidence.content
    assert evidence.filename == "kunjungan.jpg" and evidence.size == len(evidence.content)


def test_png_and_webp_keep_their_type_and_transparency_but_lose_their_metadata(app):
    exif = Image.Exif()
    exif[GPS_INFO] = {1: "S", 2: (5.0, 8.0, 0.0)}
    png, webp = io.BytesIO(), io.BytesIO()
    Image.new("P", (4, 4)).save(png, format="PNG", transparency=0, exif=exif.tobytes())
    Image.new("RGBA", (4, 4), (1, 2, 3, 0)).save(webp, format="WEBP", exif=exif.tobytes())
    with app.test_request_context():
        checked_png = check_file(Upload("a.png", png.getvalue()))
        checked_webp = check_file(Upload("b.webp", webp.getvalue()))
    stored_png = Image.open(io.BytesIO(checked_png.data))
    assert (checked_png.content_type, stored_png.mode, stored_png.info) == ("image/png", "P", {"transparency": 0})
    stored_webp = Image.open(io.BytesIO(checked_webp.data))
    assert (checked_webp.content_type, stored_webp.mode) == ("image/webp", "RGBA")
    assert dict(stored_png.getexif()) == {} and dict(stored_webp.getexif()) == {}


def test_the_stored_name_gets_the_extension_of_the_detected_type(app, db, work):
    added = add_evidence(
        work["facilitator"],
        work["activity"],
        [Upload("evil.html", TINY_PDF), Upload("../../var/www/foto.php", photo_with_gps())],
    )
    stored = [(e.filename, e.content_type) for e in added]
    assert stored == [("evil.pdf", "application/pdf"), ("foto.jpg", "image/jpeg")]


@pytest.mark.parametrize(
    ("name", "content_type", "stored"),
    [
        ("evil.html", "application/pdf", "evil.pdf"),
        ("laporan.PDF", "application/pdf", "laporan.pdf"),
        ("foto kunjungan.jpeg", "image/jpeg", "foto_kunjungan.jpg"),
        ("foto.jpg", "image/png", "foto.png"),
        ("laporan.tar.gz", "application/pdf", "laporan.tar.pdf"),
        ("jam 3.5_kunjungan", "image/png", "jam_3.5_kunjungan.png"),
        ("..\\..\\windows\\evil.exe", "image/webp", "evil.webp"),
        ("a\x00b\r\nc\x1b.pdf", "application/pdf", "ab_c.pdf"),
        ("\u202egpj.exe", "image/jpeg", "gpj.jpg"),
        ("...", "application/pdf", "bukti.pdf"),
        ("Foto Ibu Siti Nurhaliza.jpg", "image/jpeg", "Foto_Ibu_Siti_Nurhaliza.jpg"),
    ],
)
def test_safe_filename(name, content_type, stored):
    assert safe_filename(name, content_type) == stored


def test_a_long_name_keeps_its_extension_within_200_characters():
    stored = safe_filename("x" * 500 + ".html", "application/pdf")
    assert len(stored) == 200 and stored.endswith("x.pdf")
