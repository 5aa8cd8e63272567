"""Activity pages over HTTP: logging with evidence, bad input, the month lock, scope, evidence files, the list."""

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tpl_tracker.models import (
    Activity,
    AuditEntry,
    Business,
    Evidence,
    Mentorship,
    MonthlyReportEvent,
    ReviewComment,
)

from ..clock import TOMORROW, YEAR, dmy, on, period
from ..conftest import page_text as _page
from ..conftest import statements_for_get as _queries
from ..conftest import ui_message as _message
from ..factories import TINY_PDF, tiny_png


def _count(db, model, *where) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _writes(db) -> int:
    return _count(db, AuditEntry, AuditEntry.action.not_in(["login", "access_denied"]))


def _form(work, **changes) -> dict:
    data = {
        "date": dmy(3, 20),
        "type": "pelatihan",
        "business_ids": [str(work["business"].id)],
        "description": "Pelatihan pengemasan sagu lempeng",
        "hours": "3.5",
    }
    data.update(changes)
    return data


def _lock(db, work, status="approved"):
    work["month"].status = status
    db.session.commit()


def test_tpl_logs_an_activity_with_photo_and_location(app, client, login_as, work, db):
    login_as("facilitator")
    page = client.get("/kegiatan/new")
    assert page.status_code == 200
    text = _page(page)
    assert work["business"].name in text and work["business2"].name not in text
    assert 'src="/static/activities.js' in text and 'enctype="multipart/form-data"' in text
    data = _form(
        work,
        latitude="0.789300",
        longitude="127.377400",
        files=[(io.BytesIO(tiny_png()), "foto kunjungan.jpg"), (io.BytesIO(TINY_PDF), "daftar hadir.pdf")],
    )
    response = client.post("/kegiatan/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, _page(response)[:3000]
    activity = db.session.scalars(sa.select(Activity).order_by(Activity.id.desc())).first()
    assert response.headers["Location"] == f"/kegiatan/{activity.id}"
    assert activity.date == on(3, 20) and activity.hours == Decimal("3.5")
    assert activity.latitude == pytest.approx(0.7893)
    assert [(e.filename, e.content_type) for e in activity.evidence] == [
        ("foto_kunjungan.png", "image/png"),
        ("daftar_hadir.pdf", "application/pdf"),
    ]
    detail = _page(client.get(f"/kegiatan/{activity.id}"))
    assert "https://www.openstreetmap.org/?mlat=0.7893&mlon=127.3774" in detail
    assert f'src="/kegiatan/evidence/{activity.evidence[0].id}"' in detail  # photo thumbnail
    assert f'href="/kegiatan/evidence/{activity.evidence[1].id}"' in detail  # PDF link
    assert _message(app, "File uploaded") in detail and f"/kegiatan/{activity.id}/edit" in detail


def test_empty_form_shows_messages_and_writes_nothing(app, client, login_as, work, db):
    login_as("facilitator")
    before = _writes(db)
    response = client.post("/kegiatan/new", data={"type": "kunjungan"})
    assert response.status_code == 200
    text = _page(response)
    assert _message(app, "Choose at least one business.") in text
    assert _message(app, "Give the hours spent, e.g. 2 or 1.5.") in text
    assert _writes(db) == before and _count(db, Activity) == 2


def test_every_mistake_of_the_activity_form_is_named_in_one_submit(app, client, login_as, work, db):
    """Five mistakes, one submit: each message stands next to its field, in Indonesian, and nothing is written."""
    login_as("facilitator")
    before = _writes(db)
    mistakes = {
        "date": TOMORROW.strftime("%d/%m/%Y"),
        "type": "tidur",
        "description": "",
        "hours": "25",
        "latitude": "95",
        "longitude": "dua",
    }

    response = client.post("/kegiatan/new", data=_form(work, **mistakes), content_type="multipart/form-data")

    text = _page(response)
    for message in (
        "The date of an activity cannot be in the future.",
        "Choose the type of activity.",
        "Describe the activity.",
        "The hours must be more than 0 and at most 24.",
    ):
        assert _message(app, message) in text
    assert text.count("invalid-feedback") >= 5  # the longitude's type error too
    assert "This field is required." not in text
    assert _writes(db) == before and _count(db, Activity) == 2


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"date": TOMORROW.strftime("%d/%m/%Y")}, "The date of an activity cannot be in the future."),
        ({"date": dmy(12, 31, years=-1)}, "The date must lie within one of your contract periods."),
        ({"date": f"31/02/{YEAR}"}, "Not a valid date: use DD/MM/YYYY."),
        ({"hours": "0"}, "The hours must be more than 0 and at most 24."),
        ({"hours": "25"}, "The hours must be more than 0 and at most 24."),
        ({"hours": "dua"}, "Not a valid decimal value."),
        ({"description": "x" * 2001}, "The description may have at most %(count)d characters."),
        ({"latitude": "0.79"}, "Give both latitude and longitude, or neither."),
        ({"latitude": "95", "longitude": "127.3"}, "The latitude must lie between -90 and 90."),
        (
            {"files": [(io.BytesIO(b"not an image"), "x.jpg")]},
            "The file %(name)s is not a JPEG, PNG or WebP photo or a PDF document.",
        ),
        (
            {"files": [(io.BytesIO(b"%PDF-" + b"0" * (6 * 1024 * 1024)), "scan.pdf")]},
            "The file %(name)s is larger than 5 MB.",
        ),
    ],
)
def test_bad_input_is_refused_on_the_form(app, client, login_as, work, db, changes, message):
    login_as("facilitator")
    before = _writes(db)
    name = changes["files"][0][1] if "files" in changes else ""
    response = client.post("/kegiatan/new", data=_form(work, **changes), content_type="multipart/form-data")
    # The test client spools a large body to a temporary file and closes only its wrapper: close the file.
    response.request.environ["wsgi.input"].close()
    assert response.status_code == 200
    text = _page(response)
    assert _message(app, message, name=name, count=2000) in text, text[-3000:]
    assert _writes(db) == before
    assert _count(db, Activity) == 2 and _count(db, Evidence) == 2


def test_another_tpls_business_is_not_a_choice(app, client, login_as, work, db):
    login_as("facilitator")
    response = client.post("/kegiatan/new", data=_form(work, business_ids=[str(work["business2"].id)]))
    assert response.status_code == 200 and _count(db, Activity) == 2


def test_owner_edits_and_deletes(app, client, login_as, work, db):
    login_as("facilitator")
    activity_id = work["activity"].id
    form = client.get(f"/kegiatan/{activity_id}/edit")
    assert form.status_code == 200 and "Kunjungan ke tempat produksi" in _page(form)
    response = client.post(f"/kegiatan/{activity_id}/edit", data=_form(work, hours="4"))
    assert response.status_code == 302
    assert db.session.get(Activity, activity_id).hours == Decimal("4.0")
    # Hours typed the Indonesian way, with a decimal comma.
    response = client.post(f"/kegiatan/{activity_id}/edit", data=_form(work, hours="1,5"))
    assert response.status_code == 302
    assert db.session.get(Activity, activity_id).hours == Decimal("1.5")
    # The box is a text box with the phone's decimal keyboard (a number input refuses the comma), and it shows
    # the stored hours the Indonesian way.
    (hours,) = re.findall(r"<input[^>]*name=\"hours\"[^>]*>", _page(client.get(f"/kegiatan/{activity_id}/edit")))
    assert 'type="text"' in hours and 'inputmode="decimal"' in hours and 'value="1,5"' in hours
    response = client.post(f"/kegiatan/{activity_id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/kegiatan/"
    assert db.session.get(Activity, activity_id) is None
    assert _count(db, Evidence) == 1


def test_evidence_add_and_delete(app, client, login_as, work, db):
    login_as("facilitator")
    activity_id = work["activity"].id
    response = client.post(
        f"/kegiatan/{activity_id}/evidence",
        data={"files": [(io.BytesIO(TINY_PDF), "notulen.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert _count(db, Evidence, Evidence.activity_id == activity_id) == 2
    # a fake photo is refused with its name, nothing written
    before = _writes(db)
    response = client.post(
        f"/kegiatan/{activity_id}/evidence",
        data={"files": [(io.BytesIO(b"not an image"), "x.jpg")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert _message(
        app, "The file %(name)s is not a JPEG, PNG or WebP photo or a PDF document.", name="x.jpg"
    ) in _page(response)
    assert _writes(db) == before
    response = client.post(f"/kegiatan/evidence/{work['evidence'].id}/delete")
    assert response.status_code == 302
    assert _count(db, Evidence, Evidence.activity_id == activity_id) == 1


def test_locked_month_refuses_every_edit_route(app, client, login_as, work, db):
    _lock(db, work)
    login_as("facilitator")
    activity_id, evidence_id = work["activity"].id, work["evidence"].id
    detail = _page(client.get(f"/kegiatan/{activity_id}"))
    assert f"/kegiatan/{activity_id}/edit" not in detail and f"/kegiatan/{activity_id}/delete" not in detail
    response = client.get(f"/kegiatan/{activity_id}/edit")
    assert response.status_code == 302 and response.headers["Location"] == f"/kegiatan/{activity_id}"
    before = _writes(db)
    locked = _message(
        app, "%(month)s has been submitted or approved and can no longer be changed.", month=f"Maret {YEAR}"
    )
    response = client.post(f"/kegiatan/{activity_id}/edit", data=_form(work, date=dmy(3, 12)))
    assert response.status_code == 200 and locked in _page(response)
    for url, data in [
        (f"/kegiatan/{activity_id}/delete", {}),
        (f"/kegiatan/{activity_id}/evidence", {"files": [(io.BytesIO(tiny_png()), "a.png")]}),
        (f"/kegiatan/evidence/{evidence_id}/delete", {}),
    ]:
        response = client.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)
        assert response.status_code == 200 and locked in _page(response), url
    # moving an activity of an open month into the locked month is refused as well
    response = client.post("/kegiatan/new", data=_form(work, date=dmy(3, 15)))
    assert response.status_code == 200 and locked in _page(response)
    assert _writes(db) == before
    assert db.session.get(Activity, activity_id).date == on(3, 10)
    assert _count(db, Evidence) == 2


def test_other_tpl_and_out_of_scope_supervisor_get_404(app, client, login_as, work, db):
    login_as("facilitator")
    other, other_file = work["activity2"].id, work["evidence2"].id
    for url in (f"/kegiatan/{other}", f"/kegiatan/{other}/edit", f"/kegiatan/evidence/{other_file}"):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/kegiatan/{other}/edit",
        f"/kegiatan/{other}/delete",
        f"/kegiatan/{other}/evidence",
        f"/kegiatan/evidence/{other_file}/delete",
    ):
        assert client.post(url, data=_form(work)).status_code == 404, url
    assert _count(db, Activity) == 2 and _count(db, Evidence) == 2
    client.post("/auth/logout")
    login_as("supervisor")
    assert client.get(f"/kegiatan/{other}").status_code == 404
    assert client.get(f"/kegiatan/evidence/{other_file}").status_code == 404
    assert client.get(f"/kegiatan/{work['activity'].id}").status_code == 200
    denied = _count(db, AuditEntry, AuditEntry.action == "access_denied")
    assert denied >= 2


def test_evidence_is_served_with_its_stored_type(app, client, login_as, work, db):
    login_as("evaluator")
    response = client.get(f"/kegiatan/evidence/{work['evidence2'].id}")
    assert response.status_code == 200
    assert response.data == tiny_png() or response.data.startswith(b"\x89PNG")
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == "inline; filename=foto.png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_detail_shows_review_comments_and_history(app, client, login_as, work, db):
    event = MonthlyReportEvent(
        report=work["month"],
        action="return",
        actor_id=work["supervisor"].id,
        item_comments=[
            ReviewComment(
                item_type="activity", item_id=work["activity"].id, comment="Foto kurang jelas, mohon diganti."
            )
        ],
    )
    db.session.add(event)
    db.session.commit()
    login_as("facilitator")
    text = _page(client.get(f"/kegiatan/{work['activity'].id}"))
    assert "Foto kurang jelas, mohon diganti." in text
    assert _message(app, "Change history") in text


def test_list_filters(app, client, login_as, work, db):
    tpl = work["tpl"]
    other = Business(
        name="Meubel Jati",
        normalized_name="meubel jati",
        owner_name="Pak Ali",
        region_code="82.71",
        kbli="31001",
        size_class="kecil",
        workers=4,
    )
    db.session.add_all(
        [
            other,
            Mentorship(business=other, facilitator=tpl, start_date=on(2, 1)),
            Activity(
                facilitator=tpl,
                date=on(4, 5),
                type="pemasaran",
                description="Pameran mebel",
                hours=Decimal(5),
                businesses=[other],
            ),
        ]
    )
    db.session.commit()
    login_as("supervisor")

    def rows(query):
        return len(re.findall(r'href="/kegiatan/\d+"', _page(client.get(f"/kegiatan/?{query}"))))

    assert rows("") == 2  # the supervisor's scope: tpl only
    assert rows("q=pameran") == 1
    assert rows(f"month={period(3)}") == 1
    assert rows("type=pemasaran") == 1
    assert rows("kbli=31") == 1
    assert rows("region=82") == 2 and rows("region=73") == 0
    assert rows(f"tpl={tpl.id}") == 2
    bad = client.get(f"/kegiatan/?month={YEAR}-13")
    assert bad.status_code == 200 and _message(app, "Use the form YYYY-MM.") in _page(bad)
    client.post("/auth/logout")
    login_as("evaluator")
    assert rows("") == 3 and rows(f"tpl={work['tpl2'].id}") == 1


def test_tpl_filter_is_a_text_box_searching_by_name_or_id(app, client, login_as, work, db):
    """The TPL filter is a text box (no list of every TPL): part of the name, any case, or a TPL's id."""
    login_as("evaluator")
    tpl, tpl2 = work["tpl"], work["tpl2"]

    def rows(query):
        return len(re.findall(r'href="/kegiatan/\d+"', _page(client.get(f"/kegiatan/?{query}"))))

    page = _page(client.get("/kegiatan/"))
    assert re.search(r'<input[^>]*name="tpl"[^>]*type="text"', page) and 'select id="tpl"' not in page
    assert rows("") == 2
    assert rows(f"tpl={tpl.id}") == 1 and rows(f"tpl={tpl2.id}") == 1
    assert rows(f"tpl={tpl2.full_name[1:6].upper()}") >= 1
    assert rows(f"tpl={tpl.full_name}") == 1
    assert rows("tpl=nobody-has-this-name") == 0 and rows("tpl=100%25") == 0
    assert rows("tpl=99999999999999999999") == 0
    assert f'value="{tpl.full_name}"' in _page(client.get(f"/kegiatan/?tpl={tpl.full_name}"))


def _add_activities(db, work, count):
    png = tiny_png()
    for i in range(count):
        activity = Activity(
            facilitator=work["tpl"],
            date=on(4, 1 + i % 28),
            type="kunjungan",
            description=f"Kunjungan {i}",
            hours=Decimal("1.0"),
            businesses=[work["business"]],
        )
        db.session.add(activity)
        db.session.add(
            Evidence(
                activity=activity,
                filename="f.png",
                content_type="image/png",
                size=len(png),
                sha256="0" * 64,
                content=png,
            )
        )
    db.session.commit()


def test_list_query_count_does_not_grow_with_rows(app, client, login_as, work, db, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 100)
    login_as("supervisor")
    _add_activities(db, work, 4)
    five = _queries(app, client, "/kegiatan/")
    assert len(re.findall(r'href="/kegiatan/\d+"', _page(client.get("/kegiatan/")))) == 5
    _add_activities(db, work, 45)
    fifty = _queries(app, client, "/kegiatan/")
    assert len(re.findall(r'href="/kegiatan/\d+"', _page(client.get("/kegiatan/")))) == 50
    assert five == fifty


def test_the_activity_list_pages_by_key_and_counts_only_when_asked(app, client, login_as, db, work, monkeypatch):
    import html

    from tpl_tracker import pagination
    from tpl_tracker.models import Activity

    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    added = [
        Activity(facilitator=work["tpl"], date=on(4, 1 + i), type="kunjungan", description="x", hours=1)
        for i in range(26)
    ]
    db.session.add_all(added)
    db.session.commit()
    newest, oldest = f'href="/kegiatan/{added[-1].id}"', f'href="/kegiatan/{added[0].id}"'
    login_as("supervisor")

    first = _page(client.get("/kegiatan/"))
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1)
    second = _page(client.get(html.unescape(older)))

    assert newest in first and oldest not in first
    assert "Lebih dari 10 data" in first and "Hitung semuanya" in first
    assert oldest in second and newest not in second and 'rel="prev"' in second
    assert "27 data" in _page(client.get("/kegiatan/?total=1"))  # the one of `work` in scope and the 26 above
    assert client.get("/kegiatan/?after=bm90LWEtY3Vyc29y").status_code == 404
