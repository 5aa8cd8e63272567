"""Field-ready forms in a real browser on a phone-sized screen: nothing typed or chosen is lost to a refused form, an
expired form or an ended session; a 12 MB camera photo is made smaller on the phone and accepted."""

import io
import random
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from tpl_tracker.models import Activity, Evidence
from tpl_tracker.services.evidence import MAX_FILE_BYTES

from ..clock import NOW
from ..factories import PASSWORD
from .conftest import axe_problems, new_page, sign_in, skip_without_chromium

skip_without_chromium()

# The server thread must see what the test wrote, and the test what the server wrote.
pytestmark = pytest.mark.real_commits

TERNATE = {1: "N", 2: (0.0, 47.0, 21.48), 3: "E", 4: (127.0, 22.0, 38.64)}  # 0.789300, 127.377400


def _jpeg(width: int, height: int, quality: int = 85, gps: dict | None = None) -> bytes:
    """A JPEG of noise (it compresses as badly as a camera photo of a busy scene), with camera EXIF data."""
    image = Image.frombytes("RGB", (width, height), random.Random(width * height).randbytes(width * height * 3))
    exif = Image.Exif()
    exif[0x010F] = "KameraHP"  # Make
    exif[0x0110] = "Model X"  # Model
    exif[0x0132] = "2026:12:02 09:30:00"  # DateTime
    if gps:
        exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def _drafts(page) -> dict:
    """The drafts kept in the page's localStorage, by key."""
    return page.evaluate(
        "Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('tpl-draft:'))"
        ".map(k => [k, JSON.parse(localStorage.getItem(k))]))"
    )


def _kept_files(page) -> int:
    """How many files the page keeps in IndexedDB for drafts."""
    return page.evaluate(
        """() => new Promise(resolve => {
             const open = indexedDB.open('tpl-drafts', 1);
             open.onupgradeneeded = () => open.result.createObjectStore('files');
             open.onsuccess = () => {
               const count = open.result.transaction('files').objectStore('files').count();
               count.onsuccess = () => resolve(count.result);
             };
           })"""
    )


def _ready(page) -> None:
    """The activity form is ready: its draft and files are back, the photos chosen are prepared."""
    page.wait_for_selector("form[data-draft].photos-ready")


def _choose(page, name: str, data: bytes, count: int) -> None:
    page.set_input_files("input[name=files]", files=[{"name": name, "mimeType": "image/jpeg", "buffer": data}])
    page.wait_for_selector(f"li.kept-file >> nth={count - 1}")
    _ready(page)


def _files_in_input(page) -> int:
    return page.eval_on_selector("input[name=files]", "input => input.files.length")


def _save(page) -> None:
    with page.expect_navigation():
        page.locator("main form[data-draft] [type=submit]").click()


def _sign_out(page) -> None:
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        page.wait_for_selector("#mainnav.show")
    page.locator("#user-menu").click()
    with page.expect_navigation():
        page.locator("form[action$='/auth/logout'] [type=submit]").click()


def _signed_in(page, server, db, email: str, form: str = "/kegiatan/new") -> None:
    """Sign in on the phone and open a form (the activity form: wait until it is ready)."""
    db.session.commit()  # end the test's read transaction: the server thread writes
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}{form}")
    # The forms are watched a task after the page loaded (drafts.js): typing before that would keep no draft.
    page.evaluate("() => window.TplDrafts.ready.then(() => true)")
    if form == "/kegiatan/new":
        _ready(page)


def _saved_activity(page) -> int:
    """The id of the activity whose page the browser shows after saving the form."""
    assert re.search(r"/kegiatan/\d+$", page.url), page.locator("main").inner_text()[:500]
    return int(page.url.rsplit("/", 1)[1])


def _evidence(db, activity_id: int) -> list[SimpleNamespace]:
    """The evidence files of an activity as plain values (read, then the transaction ends: the server writes)."""
    db.session.expire_all()
    query = sa.select(Evidence).where(Evidence.activity_id == activity_id).order_by(Evidence.id)
    rows = [
        SimpleNamespace(filename=e.filename, content_type=e.content_type, size=e.size, content=e.content)
        for e in db.session.scalars(query)
    ]
    db.session.commit()
    return rows


def test_a_refused_form_keeps_the_photos_chosen_and_a_saved_one_forgets_its_draft(page, server, work, db):
    email, business_name = work["facilitator"].email, work["business"].name
    _signed_in(page, server, db, email)
    page.fill("input[name=hours]", "1,5")
    page.fill("textarea[name=description]", "Kunjungan: pendampingan label kemasan")
    _choose(page, "foto kunjungan.jpg", _jpeg(640, 480), 1)

    _save(page)  # no business chosen: refused

    assert page.locator(".invalid-feedback").count() >= 1
    page.wait_for_selector("li.kept-file")
    _ready(page)
    assert "foto kunjungan.jpg" in page.locator("li.kept-file").inner_text()
    assert _files_in_input(page) == 1, "the photo is attached again, not only listed"
    # A second photo is added to the first; the one chosen by mistake is removed again.
    _choose(page, "salah.jpg", _jpeg(320, 240), 2)
    page.get_by_role("button", name="Hapus: salah.jpg").click()
    assert page.locator("li.kept-file").count() == 1 and _files_in_input(page) == 1
    page.get_by_label(business_name).check()
    _save(page)

    activity_id = _saved_activity(page)
    (photo,) = _evidence(db, activity_id)
    assert photo.filename == "foto_kunjungan.jpg" and photo.content_type == "image/jpeg"
    # The activity's page adds evidence through the same input: the photo is made smaller there too.
    page.set_input_files(
        "input[name=files]", files=[{"name": "b.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(2000, 1500)}]
    )
    page.wait_for_selector("form.photos-ready li.kept-file")
    with page.expect_navigation():
        page.locator("form[action$='/evidence'] [type=submit]").click()
    added = _evidence(db, activity_id)[-1]
    assert Image.open(io.BytesIO(added.content)).size == (1600, 1200)
    assert _drafts(page) == {} and _kept_files(page) == 0, "a saved form leaves no draft behind"
    page.goto(f"{server}/kegiatan/new")
    _ready(page)
    assert page.locator(".draft-notice").count() == 0 and page.locator("li.kept-file").count() == 0
    assert page.input_value("textarea[name=description]") == ""
    assert page.csp_errors == []


def test_after_the_form_and_the_session_expired_the_tpl_signs_in_and_finds_everything_typed(
    page, server, work, db, time_machine
):
    email, business_name, business_id = work["facilitator"].email, work["business"].name, work["business"].id
    _signed_in(page, server, db, email)
    page.select_option("select[name=type]", "pelatihan")
    page.get_by_label(business_name).check()
    page.fill("textarea[name=description]", "Pelatihan pengemasan sagu lempeng")
    page.fill("input[name=hours]", "2,5")
    page.fill("input[name=latitude]", "0.7893")
    page.fill("input[name=longitude]", "127.3774")
    _choose(page, "daftar hadir.jpg", _jpeg(800, 600), 1)
    (draft,) = _drafts(page).values()
    assert "csrf_token" not in draft["values"] and "files" not in draft["values"]

    # Two hours in the field: the form's token and the session have both expired.
    time_machine.move_to(NOW + timedelta(hours=2), tick=False)
    _save(page)

    assert "/auth/login" in page.url and "next=" in page.url
    typed = sa.select(sa.func.count()).select_from(Activity).where(Activity.description.like("Pelatihan pengemasan%"))
    assert db.session.scalar(typed) == 0, "nothing of the expired post was saved"
    db.session.commit()
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form [type=submit]")
    assert page.url == f"{server}/kegiatan/new"
    page.wait_for_selector(".draft-notice")
    _ready(page)
    assert page.input_value("select[name=type]") == "pelatihan"
    assert page.is_checked(f"input[name=business_ids][value='{business_id}']")
    assert page.input_value("textarea[name=description]") == "Pelatihan pengemasan sagu lempeng"
    assert page.input_value("input[name=hours]") == "2,5"
    assert page.input_value("input[name=latitude]") == "0.7893"
    assert "daftar hadir.jpg" in page.locator("li.kept-file").inner_text() and _files_in_input(page) == 1
    assert all(PASSWORD not in str(value) for value in _drafts(page).values()), "no password in a draft"

    _save(page)
    assert len(_evidence(db, _saved_activity(page))) == 1
    assert _drafts(page) == {} and _kept_files(page) == 0
    assert page.csp_errors == []


def test_signing_out_forgets_the_drafts_on_a_shared_phone(page, server, work, db):
    email, business_id = work["facilitator"].email, work["business"].id
    _signed_in(page, server, db, email, form=f"/ikm/{business_id}/edit")
    page.fill("textarea[name=products]", "Sagu lempeng, bagea")
    page.goto(f"{server}/kegiatan/new")
    _ready(page)
    page.fill("textarea[name=description]", "Belum selesai diketik")
    _choose(page, "foto.jpg", _jpeg(320, 240), 1)
    assert len(_drafts(page)) == 2 and _kept_files(page) == 1

    page.goto(f"{server}/")
    _sign_out(page)

    assert "/auth/login" in page.url
    assert _drafts(page) == {} and _kept_files(page) == 0
    sign_in(page, server, email)
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/kegiatan/new")
    _ready(page)
    assert page.input_value("textarea[name=description]") == "" and page.locator(".draft-notice").count() == 0


def test_a_12_mb_camera_photo_is_made_smaller_on_the_phone_and_accepted(page, server, work, db, tmp_path):
    email, business_name = work["facilitator"].email, work["business"].name
    camera = tmp_path / "IMG_20261202_093000.jpg"
    camera.write_bytes(_jpeg(4000, 3000, quality=94, gps=TERNATE))
    assert camera.stat().st_size > 10 * 1024 * 1024 > MAX_FILE_BYTES
    _signed_in(page, server, db, email)

    page.set_input_files("input[name=files]", str(camera))
    page.wait_for_selector("li.kept-file")
    _ready(page)
    sent = page.eval_on_selector("input[name=files]", "input => [input.files.length, input.files[0].size]")
    assert sent[0] == 1 and sent[1] < MAX_FILE_BYTES, "the file sent is the smaller one"

    # The photo's position is offered, and filled in only when the TPL says so.
    assert page.input_value("input[name=latitude]") == ""
    offer = page.locator("#files-position")
    assert "0.789300, 127.377400" in offer.inner_text()
    offer.get_by_role("button", name="Gunakan sebagai lokasi kegiatan").click()
    assert page.input_value("input[name=latitude]") == "0.789300"
    assert page.input_value("input[name=longitude]") == "127.377400"
    page.get_by_label(business_name).check()
    page.fill("input[name=hours]", "1")
    page.fill("textarea[name=description]", "Kunjungan ke tempat produksi")
    _save(page)

    activity_id = _saved_activity(page)
    (photo,) = _evidence(db, activity_id)
    assert photo.content_type == "image/jpeg" and photo.filename == "IMG_20261202_093000.jpg"
    assert photo.size < MAX_FILE_BYTES
    stored = Image.open(io.BytesIO(photo.content))
    assert stored.size == (1600, 1200)
    assert dict(stored.getexif()) == {}, "no EXIF data at all: camera, time and position are gone"
    activity = db.session.get(Activity, activity_id)
    assert activity.latitude == pytest.approx(0.7893) and activity.longitude == pytest.approx(127.3774)
    db.session.commit()
    assert page.locator("img[src*='/kegiatan/evidence/']").count() == 1
    assert page.csp_errors == []


def test_the_business_form_comes_back_with_its_region_lists_filled_in_again(page, server, work, db):
    """The kecamatan and desa lists are filled by a script when their parent changes: the draft waits for them."""
    _signed_in(page, server, db, work["facilitator"].email, form="/ikm/new")
    page.fill("input[name=name]", "Bagea Ibu Salma")
    for name, value in (("region_code", "82.72"), ("kecamatan_code", "82.72.01"), ("desa_code", "82.72.01.1001")):
        page.wait_for_selector(f"select[name={name}] option[value='{value}']", state="attached")
        page.select_option(f"select[name={name}]", value)

    page.goto(f"{server}/")
    page.goto(f"{server}/ikm/new")

    page.wait_for_selector(".draft-notice")
    # The last list is filled after two requests: wait until its option is chosen.
    page.wait_for_selector("select[name=desa_code] option[value='82.72.01.1001']:checked", state="attached")
    assert page.input_value("input[name=name]") == "Bagea Ibu Salma"
    assert page.input_value("select[name=region_code]") == "82.72"
    assert page.input_value("select[name=kecamatan_code]") == "82.72.01"
    # Discarded: the form as the server gives it, and no draft any more.
    with page.expect_navigation():
        page.get_by_role("button", name="Buang draf").click()
    assert page.input_value("input[name=name]") == "" and page.locator(".draft-notice").count() == 0
    assert _drafts(page) == {}


@pytest.mark.parametrize("endian", ["<", ">"])  # Android phones write little-endian EXIF, iPhones big-endian
def test_the_gps_position_of_a_photo_is_read_in_either_byte_order(page, server, work, db, endian):
    south_west = {1: "S", 2: (6.0, 10.0, 30.0), 3: "W", 4: (106.0, 49.0, 12.0)}
    image = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif.endian = endian
    exif[0x8825] = south_west
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    _signed_in(page, server, db, work["facilitator"].email)

    position = page.evaluate("bytes => TplPhotos.readGps(new Uint8Array(bytes).buffer)", list(buffer.getvalue()))
    without = page.evaluate("bytes => TplPhotos.readGps(new Uint8Array(bytes).buffer)", list(_jpeg(64, 48)))

    assert position["latitude"] == pytest.approx(-(6 + 10 / 60 + 30 / 3600))
    assert position["longitude"] == pytest.approx(-(106 + 49 / 60 + 12 / 3600))
    assert without is None


def test_axe_finds_nothing_serious_on_the_activity_form_with_a_draft_photos_and_a_position(
    browser, server, work, db, axe_source
):
    """The notice of a restored draft, the list of kept files and the offer of a photo's position, on a phone."""
    page = new_page(browser, bypass_csp=True)  # the CSP would refuse axe's script
    _signed_in(page, server, db, work["facilitator"].email)
    page.fill("textarea[name=description]", "Kunjungan")
    _choose(page, "foto.jpg", _jpeg(320, 240), 1)
    page.goto(f"{server}/")
    page.goto(f"{server}/kegiatan/new")
    page.wait_for_selector(".draft-notice")
    page.wait_for_selector("li.kept-file")
    _choose(page, "lokasi.jpg", _jpeg(320, 240, gps=TERNATE), 2)
    assert page.locator("#files-position").is_visible()

    assert axe_problems(page, axe_source) == []
    page.context.close()


def test_a_draft_older_than_a_week_is_forgotten(page, server, work, db):
    _signed_in(page, server, db, work["facilitator"].email)
    page.fill("textarea[name=description]", "Lama sekali")
    _choose(page, "foto.jpg", _jpeg(320, 240), 1)
    # Eight days pass on the phone: the drafts' times are moved back by the browser's own clock.
    page.evaluate(
        """() => new Promise(resolve => {
             const old = Date.now() - 8 * 24 * 3600 * 1000;
             Object.keys(localStorage).filter(k => k.startsWith('tpl-draft:')).forEach(k => {
               localStorage.setItem(k, JSON.stringify({...JSON.parse(localStorage.getItem(k)), savedAt: old}));
             });
             const open = indexedDB.open('tpl-drafts', 1);
             open.onsuccess = () => {
               const store = open.result.transaction('files', 'readwrite').objectStore('files');
               const cursor = store.openCursor();
               cursor.onsuccess = () => {
                 if (!cursor.result) { resolve(); return; }
                 cursor.result.update({...cursor.result.value, savedAt: old});
                 cursor.result.continue();
               };
             };
           })"""
    )

    page.reload()
    _ready(page)

    assert page.locator(".draft-notice").count() == 0 and page.locator("li.kept-file").count() == 0
    assert page.input_value("textarea[name=description]") == ""
    assert _drafts(page) == {} and _kept_files(page) == 0
