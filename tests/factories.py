"""factory_boy factories for the models (valid NIK, real region codes)."""

import contextlib
from datetime import date
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from tpl_tracker.extensions import db
from tpl_tracker.models import Contract, Facilitator, User
from tpl_tracker.services.passwords import hash_password

from .clock import on

PASSWORD = "correct-horse-battery"


def make_nik(district: str, birth_date: date, gender: str, serial: int) -> str:
    """A structurally valid NIK: district code, birth date (day + 40 for women), serial."""
    day = birth_date.day + (40 if gender == "P" else 0)
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


@cache
def password_hash() -> str:
    """The Argon2id hash of PASSWORD, computed once: hashing is slow on purpose, every test user shares it."""
    return hash_password(PASSWORD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.id")
    full_name = factory.Faker("name", locale="id_ID")
    role = "facilitator"
    password_hash = factory.LazyFunction(password_hash)


class FacilitatorFactory(BaseFactory):
    class Meta:
        model = Facilitator

    class Params:
        district = "827101"

    gender = "L"
    birth_date = date(1999, 5, 17)
    nik = factory.LazyAttributeSequence(lambda o, n: make_nik(o.district, o.birth_date, o.gender, n + 1))
    full_name = factory.Faker("name", locale="id_ID")
    angkatan = 2022
    polytechnic = "STMI Jakarta"
    phone = "+6281234567890"
    region_code = "82.71"


class ContractFactory(BaseFactory):
    class Meta:
        model = Contract

    facilitator = factory.SubFactory(FacilitatorFactory)
    number = factory.Sequence(lambda n: f"KP/TPL/{n:05d}")
    start_date = factory.LazyFunction(lambda: on(1, 1))
    end_date = factory.LazyFunction(lambda: on(12, 31))
    placement_code = factory.SelfAttribute("facilitator.region_code")
    status = "active"


@contextlib.contextmanager
def added_only():
    """Inside the block the factories only add their objects to the session (no flush, no commit each): the caller
    writes them all at once, as the `world` fixture does."""
    metas = [factory_class._meta for factory_class in (UserFactory, FacilitatorFactory, ContractFactory)]
    saved = [meta.sqlalchemy_session_persistence for meta in metas]
    for meta in metas:
        meta.sqlalchemy_session_persistence = None
    try:
        yield
    finally:
        for meta, persistence in zip(metas, saved, strict=True):
            meta.sqlalchemy_session_persistence = persistence


def tiny_png() -> bytes:
    """A real 2x2 PNG image, for evidence uploads."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_document(*objects: bytes) -> bytes:
    """A PDF whose numbered objects are the given bodies (object 1 is the catalog), with a correct xref table."""
    out = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


# The catalog, page tree and page of a one-page PDF: pdf_document(*PDF_OBJECTS); change the catalog to add to it.
PDF_CATALOG = b"<</Type/Catalog/Pages 2 0 R>>"
PDF_OBJECTS = (
    PDF_CATALOG,
    b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
    b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
)
TINY_PDF = pdf_document(*PDF_OBJECTS)
