"""Thumbnails of evidence photos: small JPEGs, made once and kept, none for PDFs or unreadable files."""

import hashlib
import io

import pytest
from PIL import Image

from tpl_tracker.extensions import cache
from tpl_tracker.models import Evidence
from tpl_tracker.services import evidence as service
from tpl_tracker.services.evidence import THUMBNAIL_SIDE, make_thumbnail, thumbnail

from ..factories import TINY_PDF


def _image(size, mode="RGB", image_format="JPEG", colour=(20, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, format=image_format)
    return buffer.getvalue()


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("size", "image_format", "expected"),
    [
        ((3000, 2000), "JPEG", (THUMBNAIL_SIDE, 160)),
        ((1000, 2000), "PNG", (120, THUMBNAIL_SIDE)),
        ((800, 800), "WEBP", (THUMBNAIL_SIDE, THUMBNAIL_SIDE)),
        ((100, 50), "JPEG", (100, 50)),  # a small photo is not made larger
    ],
)
def test_a_thumbnail_is_a_small_jpeg_of_the_photo(app, size, image_format, expected):
    with app.app_context():
        small = _opened(make_thumbnail(_image(size, image_format=image_format)))
    assert small.format == "JPEG" and small.size == expected and small.mode == "RGB"


def test_transparency_turns_white(app):
    with app.app_context():
        small = _opened(make_thumbnail(_image((400, 400), mode="RGBA", image_format="PNG", colour=(0, 0, 0, 0))))
    assert small.getpixel((10, 10)) >= (250, 250, 250)


def test_no_thumbnail_of_a_pdf_broken_bytes_or_a_png_or_webp_too_large_to_decode_whole(app):
    with app.app_context():
        assert make_thumbnail(TINY_PDF) is None
        assert make_thumbnail(b"not a photo at all") is None
        assert make_thumbnail(_image((5000, 4000), mode="1", image_format="PNG", colour=0)) is None  # 20 MP
        assert make_thumbnail(_image((3000, 2000), image_format="WEBP")) is None  # 6 MP: a WebP is decoded whole
        assert make_thumbnail(_image((5000, 4000), image_format="JPEG")) is not None  # decoded at 1/8


def _evidence(data: bytes, content_type: str) -> Evidence:
    return Evidence(
        filename="bukti",
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        content=data,
    )


def test_a_thumbnail_is_made_once_then_kept(app, monkeypatch):
    made = []
    original = service.make_thumbnail

    def counting(data, *args, **kwargs):
        made.append(1)
        return original(data, *args, **kwargs)

    monkeypatch.setattr(service, "make_thumbnail", counting)
    photo = _evidence(_image((640, 480), colour=(1, 2, 3)), "image/jpeg")
    broken = _evidence(b"\xff\xd8 truncated", "image/jpeg")
    with app.app_context():
        cache.clear()
        first = thumbnail(photo)
        assert thumbnail(photo) == first and _opened(first).size == (THUMBNAIL_SIDE, 180)
        assert thumbnail(broken) is None and thumbnail(broken) is None
        assert thumbnail(_evidence(TINY_PDF, "application/pdf")) is None
    assert len(made) == 2  # the photo once, the broken file once: a PDF is never decoded
