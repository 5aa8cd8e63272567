"""A business's change history: the latest 20 changes on its page, the whole history on a page of its own."""

import re
from datetime import timedelta

from tpl_tracker.models import AuditEntry
from tpl_tracker.services.businesses import HISTORY_ON_PAGE

from ..clock import NOW
from ..conftest import page_text as _page
from ..conftest import ui_message as _message


def _changes(db, work, count: int, nik: str | None = None) -> None:
    """`count` changes of the world's business (note "change n", n = 1 the oldest), one of its mentorship and
    one of its assessment; the last business change writes an owner NIK."""
    business = work["business"]
    for n in range(1, count + 1):
        db.session.add(
            AuditEntry(
                at=NOW - timedelta(hours=count - n),
                action="update",
                entity_type="businesses",
                entity_id=str(business.id),
                after={"owner_nik": nik} if nik and n == count else {"products": f"Produk {n}"},
                note=f"change {n}",
            )
        )
    for record, note in ((work["mentorship"], "mentorship change"), (work["assessment"], "assessment change")):
        db.session.add(
            AuditEntry(
                at=NOW - timedelta(days=30),
                action="update",
                entity_type=record.__tablename__,
                entity_id=str(record.id),
                note=note,
            )
        )
    db.session.commit()


def _notes(text: str) -> list[str]:
    return re.findall(r"change \d+|mentorship change|assessment change", text)


def test_a_business_page_shows_its_latest_changes_and_links_to_the_whole_history(app, client, login_as, work, db):
    _changes(db, work, 30)
    login_as("supervisor")
    page = _page(client.get(f"/ikm/{work['business'].id}"))
    assert _notes(page) == [f"change {n}" for n in range(30, 30 - HISTORY_ON_PAGE, -1)]
    assert _message(app, "the latest %(n)d", n=HISTORY_ON_PAGE) in page
    assert f'href="/ikm/{work["business"].id}/riwayat"' in page


def test_the_history_page_pages_every_change_of_the_business_its_mentorships_and_assessments(
    app, client, login_as, work, db
):
    _changes(db, work, 30)
    login_as("evaluator")
    first = _page(client.get(f"/ikm/{work['business'].id}/riwayat"))
    after = re.search(r'href="[^"]*after=([^"&]+)"', first).group(1)
    second = _page(client.get(f"/ikm/{work['business'].id}/riwayat?after={after}"))
    seen = _notes(first) + _notes(second)
    assert seen[:30] == [f"change {n}" for n in range(30, 0, -1)]
    assert set(seen[30:]) == {"mentorship change", "assessment change"}
    assert len(_notes(first)) == app.config["PER_PAGE"]


def test_a_short_history_has_no_link(app, client, login_as, work, db):
    _changes(db, work, 2)
    login_as("facilitator")
    page = _page(client.get(f"/ikm/{work['business'].id}"))
    assert "change 2" in page and "change 1" in page
    assert f'href="/ikm/{work["business"].id}/riwayat"' not in page


def test_the_history_page_masks_the_owner_nik_for_those_who_may_not_read_it(app, client, login_as, work, db):
    nik = "8271014501900001"
    _changes(db, work, 3, nik=nik)
    login_as("evaluator")
    page = _page(client.get(f"/ikm/{work['business'].id}/riwayat"))
    assert "change 3" in page and nik not in page


def test_another_tpls_business_history_is_not_found(client, login_as, work, db):
    login_as("facilitator")
    assert client.get(f"/ikm/{work['business2'].id}/riwayat").status_code == 404
    assert client.get("/ikm/999999/riwayat").status_code == 404
