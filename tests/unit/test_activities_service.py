"""Activities and their evidence files: the rules of an activity, content-checked uploads, the month lock."""

import hashlib
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image

from tpl_tracker.models import Activity, AuditEntry, Evidence, Mentorship
from tpl_tracker.services.activities import (
    ActivityData,
    add_evidence,
    create_activity,
    delete_activity,
    delete_evidence,
    evidence_counts,
    update_activity,
)
from tpl_tracker.services.evidence import Upload, detect_type, safe_filename

from ..clock import YEAR, iso, on
from ..conftest import refused_use_case, ui_message
from ..factories import TINY_PDF, tiny_png

TODAY = on(11, 27)


def _count(db, model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 3), (10, 120, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _data(work, **changes) -> ActivityData:
    values = {
        "date": on(3, 20),
        "type": "pelatihan",
        "description": "Pelatihan pengemasan sagu",
        "hours": Decimal("3.5"),
        "business_ids": [work["business"].id],
    }
    values.update(changes)
    return ActivityData(**values)


def _lock(db, work, status="submitted"):
    work["month"].status = status
    db.session.commit()


def test_detect_type_reads_the_content():
    assert detect_type(tiny_png()) == "image/png"
    assert detect_type(_image("JPEG")) == "image/jpeg"
    assert detect_type(_image("WEBP")) == "image/webp"
    assert detect_type(TINY_PDF) == "application/pdf"
    assert detect_type(b"not an image") is None
    assert detect_type(_image("GIF")) is None  # a real image, but not an accepted type
    assert detect_type(tiny_png()[:20]) is None  # truncated


def test_safe_filename_keeps_the_name_but_not_its_path():
    assert safe_filename("../../etc/foto kunjungan.jpg", "image/jpeg") == "foto_kunjungan.jpg"
    assert safe_filename("C:\\Users\\tpl\\laporan.pdf", "application/pdf") == "laporan.pdf"
    assert safe_filename("", "application/pdf") == "bukti.pdf"
    long = safe_filename("a" * 300 + ".png", "image/png")
    assert len(long) == 200 and long.endswith(".png")


def test_create_with_evidence_in_one_commit(db, work):
    user = work["facilitator"]
    png = tiny_png()
    activity = create_activity(
        user,
        work["tpl"],
        _data(work, latitude=0.7893, longitude=127.3774),
        [Upload("foto.jpg", png), Upload("laporan.pdf", TINY_PDF)],
        today=TODAY,
    )
    assert activity.hours == Decimal("3.5") and [b.id for b in activity.businesses] == [work["business"].id]
    files = sorted(activity.evidence, key=lambda e: e.id)
    # The stored type comes from the content: a PNG named .jpg is stored as PNG, with the extension of PNG.
    assert [(e.filename, e.content_type) for e in files] == [
        ("foto.png", "image/png"),
        ("laporan.pdf", "application/pdf"),
    ]
    # Photos are stored re-encoded: size and digest are those of the stored bytes.
    stored = files[0].content
    assert files[0].size == len(stored) and files[0].sha256 == hashlib.sha256(stored).hexdigest()
    actions = [
        (a.action, a.entity_type)
        for a in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.in_(["create", "upload"])).order_by(AuditEntry.id)
        )
    ]
    assert actions == [("create", "activities"), ("upload", "evidence"), ("upload", "evidence")]
    assert evidence_counts([activity, work["activity"]]) == {activity.id: 2, work["activity"].id: 1}


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"date": on(11, 28)}, "date", "The date of an activity cannot be in the future."),
        ({"date": on(12, 31, years=-1)}, "date", "The date must lie within one of your contract periods."),
        ({"hours": Decimal(0)}, "hours", "The hours must be more than 0 and at most 24."),
        ({"hours": Decimal(25)}, "hours", "The hours must be more than 0 and at most 24."),
        ({"hours": Decimal("1.25")}, "hours", "Give the hours with at most one decimal, e.g. 1.5."),
        ({"business_ids": []}, "business_ids", "Choose at least one business."),
        ({"description": "   "}, "description", "Describe the activity."),
        ({"description": "x" * 2001}, "description", "The description may have at most %(count)d characters."),
        ({"latitude": 0.8}, "latitude", "Give both latitude and longitude, or neither."),
        ({"latitude": 91.0, "longitude": 127.0}, "latitude", "The latitude must lie between -90 and 90."),
        ({"type": "rapat"}, "type", "Choose the type of activity."),
    ],
)
def test_bad_activity_is_refused_and_nothing_written(app, db, work, changes, field, message):
    before = _count(db, Activity)
    with refused_use_case() as refused:
        create_activity(work["facilitator"], work["tpl"], _data(work, **changes), today=TODAY)
    assert refused.value.field == field
    assert refused.value.message == ui_message(app, message, count=2000)
    db.session.rollback()
    assert _count(db, Activity) == before


def test_another_tpls_business_cannot_be_chosen(db, work):
    with refused_use_case() as refused:
        create_activity(work["facilitator"], work["tpl"], _data(work, business_ids=[work["business2"].id]), today=TODAY)
    assert refused.value.field == "business_ids"


def test_an_ended_mentorship_counts_only_for_the_dates_it_covered(db, work):
    mentorship = db.session.get(Mentorship, work["mentorship"].id)
    mentorship.end_date = on(4, 30)
    db.session.commit()
    create_activity(work["facilitator"], work["tpl"], _data(work, date=on(4, 2)), today=TODAY)
    with refused_use_case():
        create_activity(work["facilitator"], work["tpl"], _data(work, date=on(5, 2)), today=TODAY)


@pytest.mark.parametrize(
    "uploads,message",
    [
        ([Upload("x.jpg", b"not an image")], "The file %(name)s is not a JPEG, PNG or WebP photo or a PDF document."),
        ([Upload("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024 + 1))], "The file %(name)s is larger than 5 MB."),
        ([Upload(f"f{i}.png", tiny_png()) for i in range(6)], "An activity can have at most %(count)d evidence files."),
    ],
)
def test_bad_files_refuse_the_whole_activity(app, db, work, uploads, message):
    with refused_use_case() as refused:
        create_activity(work["facilitator"], work["tpl"], _data(work), uploads, today=TODAY)
    assert refused.value.field == "files"
    assert refused.value.message == ui_message(app, message, name=uploads[0].filename, count=5)
    db.session.rollback()
    assert _count(db, Activity) == 2 and _count(db, Evidence) == 2


def test_only_the_owner_writes(db, work):
    for actor in (work["supervisor"], work["facilitator2"], work["admin"]):
        with refused_use_case():
            create_activity(actor, work["tpl"], _data(work), today=TODAY)
        with refused_use_case():
            update_activity(actor, work["activity"], _data(work), today=TODAY)
        with refused_use_case():
            delete_activity(actor, work["activity"])
        db.session.rollback()


def test_update_audits_the_changes_including_businesses(db, work):
    activity = work["activity"]
    update_activity(work["facilitator"], activity, _data(work, date=on(4, 1)), today=TODAY)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.before["date"] == iso(3, 10) and entry.after["date"] == iso(4, 1)
    assert entry.after["hours"] == "3.5" and "business_ids" not in entry.after  # unchanged


def test_a_locked_month_refuses_every_change(app, db, work):
    _lock(db, work)
    user, activity, evidence = work["facilitator"], work["activity"], work["evidence"]
    attempts = [
        lambda: create_activity(user, work["tpl"], _data(work), today=TODAY),
        lambda: update_activity(user, activity, _data(work), today=TODAY),
        # moving out of the locked month is a change to it too
        lambda: update_activity(user, activity, _data(work, date=on(4, 2)), today=TODAY),
        lambda: delete_activity(user, activity),
        lambda: add_evidence(user, activity, [Upload("a.png", tiny_png())]),
        lambda: delete_evidence(user, evidence),
    ]
    expected = ui_message(
        app, "%(month)s has been submitted or approved and can no longer be changed.", month=f"Maret {YEAR}"
    )
    for attempt in attempts:
        with refused_use_case() as refused:
            attempt()
        assert refused.value.message == expected
        db.session.rollback()
    # ...and moving an activity of an open month into the locked one
    other = create_activity(user, work["tpl"], _data(work, date=on(4, 3)), today=TODAY)
    with refused_use_case():
        update_activity(user, other, _data(work, date=on(3, 3)), today=TODAY)
    db.session.rollback()
    assert _count(db, Activity) == 3 and _count(db, Evidence) == 2


def test_a_returned_month_is_open_again(db, work):
    _lock(db, work, "returned")
    delete_evidence(work["facilitator"], work["evidence"])
    assert _count(db, Evidence) == 1


def test_add_and_delete_evidence(db, work):
    user, activity = work["facilitator"], work["activity"]
    added = add_evidence(user, activity, [Upload("b.webp", _image("WEBP"))])
    assert added[0].content_type == "image/webp"
    with refused_use_case() as refused:
        add_evidence(user, activity, [Upload(f"{i}.png", tiny_png()) for i in range(4)])  # 2 + 4 > 5
    assert refused.value.field == "files"
    db.session.rollback()
    with refused_use_case():
        add_evidence(user, activity, [])
    db.session.rollback()
    delete_evidence(user, added[0])
    assert _count(db, Evidence, Evidence.activity_id == activity.id) == 1
    assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "delete")).entity_type == "evidence"


def test_delete_removes_the_evidence_and_audits_both(db, work):
    delete_activity(work["facilitator"], work["activity"])
    assert _count(db, Activity) == 1 and _count(db, Evidence) == 1
    deleted = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "delete"))
    types = sorted(e.entity_type for e in deleted)
    assert types == ["activities", "evidence"]
