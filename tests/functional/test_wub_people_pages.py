"""The drill-down page /reports/wub/people and its download: access, scope, masking, the stored figure, audit."""

import csv
import io
import re

import sqlalchemy as sa
from openpyxl import load_workbook

from tpl_tracker.models import AuditEntry, MetricSnapshot
from tpl_tracker.services.metric import store_snapshot

from ..clock import on
from ..conftest import page_text
from ..unit.test_wub_people import AS_OF, _programme

URL = "/reports/wub/people"


def _listed(text: str) -> set[str]:
    """The names the page's table lists (each links to the TPL's page)."""
    return set(re.findall(r'<a href="/tpl/\d+">([^<]+)</a>', text))


def _args(**extra):
    return {"as_of": AS_OF.isoformat(), **extra}


def test_the_page_lists_the_people_of_a_figure_with_the_stored_figure(client, world, db, login_as):
    expected = _programme(db)
    store_snapshot(AS_OF)
    db.session.commit()
    login_as("evaluator")
    response = client.get(URL, query_string=_args(group_by="angkatan", key="2019", figure="wub"))
    assert response.status_code == 200
    text = page_text(response)
    assert f"WUB angkatan 2019 per {AS_OF.day} Juni {AS_OF.year}: 3 orang" in text
    assert _listed(text) == {"Ani", "Kartika", "Oki"}  # not Budi, of angkatan 2020
    assert all(expected[name][0] == "wub" for name in _listed(text))
    assert "Sesuai dengan angka tersimpan" in text
    assert "usaha terverifikasi berdiri Agustus" in text  # Kartika's reason in words


def test_the_page_says_when_the_records_changed_since_the_stored_figure(client, world, db, login_as):
    expected = _programme(db)
    store_snapshot(AS_OF)
    db.session.execute(sa.update(MetricSnapshot).where(MetricSnapshot.group_by == "total").values(alumni=99))
    db.session.commit()
    login_as("admin")
    text = page_text(client.get(URL, query_string=_args()))
    assert f"adalah 99; data saat ini memberikan {len(expected)}." in text


def test_evaluators_read_the_nik_masked_and_admins_in_full(client, world, db, login_as):
    _programme(db)
    ani = db.session.scalar(sa.text("select nik from facilitators where full_name = 'Ani'"))
    login_as("evaluator")
    text = page_text(client.get(URL, query_string=_args()))
    assert ani not in text
    assert ani[:4] + "********" + ani[-4:] in text
    client.post("/auth/logout")
    login_as("admin")
    assert ani in page_text(client.get(URL, query_string=_args()))


def test_a_supervisor_sees_only_their_scope(client, world, db, login_as):
    _programme(db)
    login_as("supervisor2")  # province 73: Citra and Dedi live there
    text = page_text(client.get(URL, query_string=_args()))
    assert _listed(text) == {"Citra", "Dedi"}
    assert "Hanya TPL dalam cakupan Anda" in text
    text = page_text(client.get(URL, query_string=_args(group_by="province", key="82")))
    assert _listed(text) == set()


def test_a_facilitator_is_refused(client, world, db, login_as):
    login_as("facilitator")
    assert client.get(URL).status_code == 403
    assert client.get(URL + ".csv").status_code == 403


def test_bad_arguments_get_a_message_not_an_error(client, world, db, login_as):
    login_as("evaluator")
    for args in (
        {"as_of": "kemarin"},
        {"as_of": on(1, 1, years=1).isoformat()},
        {"group_by": "region", "key": "82"},
        {"group_by": "angkatan"},
        {"figure": "rate"},
    ):
        response = client.get(URL, query_string=args)
        assert response.status_code == 400, args
        assert 'class="alert alert-danger"' in response.get_data(as_text=True)
    text = page_text(client.get(URL, query_string={"as_of": on(1, 1, years=1).isoformat()}))
    assert "Tanggal acuan tidak boleh di masa depan." in text
    response = client.get(URL + ".csv", query_string={"figure": "rate"})
    assert response.status_code == 302
    assert client.get(URL + ".json").status_code == 404


def test_the_download_is_audited_and_masked_for_evaluators(client, world, db, login_as):
    expected = _programme(db)
    user = login_as("evaluator")
    response = client.get(URL + ".csv", query_string=_args(figure="tracked"))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    tracked = [name for name, facts in expected.items() if facts[0] != "untracked"]
    assert len(rows) == 1 + len(tracked)
    assert rows[0][:3] == ["NIK", "Nama", "Angkatan"]
    assert rows[0][-1] == "Alasan (tidak) dihitung"
    assert all("********" in row[0] for row in rows[1:])
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export"))
    assert entry.actor_id == user.id and entry.entity_type == "wub_people"
    assert entry.after["rows"] == len(tracked)
    assert entry.after["filters"]["figure"] == "tracked"
    assert entry.after["format"] == "csv"


def test_the_excel_download_has_typed_cells(client, world, db, login_as):
    expected = _programme(db)
    login_as("admin")
    response = client.get(URL + ".xlsx", query_string=_args())
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + len(expected)
    ani = next(row for row in rows if row[1] == "Ani")
    assert ani[2] == 2019  # angkatan, a number
    assert ani[4] == "82" and ani[5] == "Maluku Utara"
    assert ani[6].date() == on(12, 31, years=-3)  # exit date, a date


def test_the_list_is_paginated(app, client, world, db, login_as, monkeypatch):
    expected = _programme(db)
    monkeypatch.setitem(app.config, "PER_PAGE", 5)
    login_as("admin")
    seen = set()
    for number in range(1, 5):
        text = page_text(client.get(URL, query_string=_args(page=number)))
        names = _listed(text)
        assert len(names) == (5 if number < 4 else len(expected) - 15)
        seen |= names
        assert f": {len(expected)} orang" in text  # the count of every page is the whole list's
    assert seen == set(expected)
    assert 'rel="next"' in page_text(client.get(URL, query_string=_args(page=1)))
    assert _listed(page_text(client.get(URL, query_string=_args(page=9)))) == set()
