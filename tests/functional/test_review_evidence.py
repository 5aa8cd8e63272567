"""The month's evidence on the review page: photos as lazy thumbnails served as the file itself is, PDFs as links."""

import hashlib
import io
import re

import pytest
from PIL import Image

from tpl_tracker.models import Evidence

from ..clock import moment, period
from ..conftest import page_text as _page
from ..conftest import ui_message as _message
from ..factories import TINY_PDF


@pytest.fixture(autouse=True)
def fixed_today(time_machine):
    """15 April of the tests' year: March, the world's month of work, has ended."""
    time_machine.move_to(moment(4, 15), tick=False)


def _add(db, activity, data: bytes, content_type: str, filename: str) -> Evidence:
    evidence = Evidence(
        activity=activity,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )
    db.session.add(evidence)
    db.session.commit()
    return evidence


def _photo(size=(1200, 900)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 160, 60)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_the_review_page_shows_each_photo_as_a_lazy_thumbnail_linking_to_the_file(app, client, login_as, work, db):
    photo = _add(db, work["activity"], _photo(), "image/jpeg", "produksi.jpg")
    pdf = _add(db, work["activity"], TINY_PDF, "application/pdf", "nota.pdf")
    login_as("supervisor")
    page = _page(client.get(f"/bulanan/tpl/{work['tpl'].id}/{period(3)}"))
    for evidence in (work["evidence"], photo):
        file_url = f"/kegiatan/evidence/{evidence.id}"
        tag = re.search(rf'<a href="{file_url}"><img [^>]*src="{file_url}/thumbnail"[^>]*>', page)
        assert tag, evidence.filename
        assert 'loading="lazy"' in tag.group(0) and 'width="96"' in tag.group(0)
        assert f'alt="{evidence.filename}' not in tag.group(0)  # says what it is, not just the name
        with app.test_request_context():
            from tpl_tracker import formatting as fmt

            alt = _message(
                app,
                "Evidence photo %(name)s of the activity of %(date)s",
                name=evidence.filename,
                date=fmt.day(work["activity"].date),
            )
        assert f'alt="{alt}"' in tag.group(0)
    assert f'href="/kegiatan/evidence/{pdf.id}"' in page and _message(app, "PDF: %(name)s", name="nota.pdf") in page
    assert f"/kegiatan/evidence/{pdf.id}/thumbnail" not in page


def test_the_thumbnail_is_a_small_jpeg_served_like_the_file(client, login_as, work, db):
    photo = _add(db, work["activity"], _photo((2000, 1000)), "image/jpeg", "produksi.jpg")
    login_as("supervisor")
    response = client.get(f"/kegiatan/evidence/{photo.id}/thumbnail")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(response.data)).size == (240, 120)
    assert len(response.data) < photo.size
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_no_thumbnail_of_a_pdf(client, login_as, work, db):
    pdf = _add(db, work["activity"], TINY_PDF, "application/pdf", "nota.pdf")
    login_as("supervisor")
    assert client.get(f"/kegiatan/evidence/{pdf.id}").status_code == 200
    assert client.get(f"/kegiatan/evidence/{pdf.id}/thumbnail").status_code == 404


@pytest.mark.parametrize("who", ["supervisor2", "facilitator2"])
def test_another_provinces_supervisor_or_tpl_gets_neither_the_file_nor_its_thumbnail(client, login_as, work, who):
    login_as(who)
    evidence = work["evidence"]
    assert client.get(f"/kegiatan/evidence/{evidence.id}").status_code == 404
    assert client.get(f"/kegiatan/evidence/{evidence.id}/thumbnail").status_code == 404
    assert client.get("/kegiatan/evidence/999999/thumbnail").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client, work):
    response = client.get(f"/kegiatan/evidence/{work['evidence'].id}/thumbnail")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
