"""Reports read from the records (the mentorship output report, the people behind a WUB figure) asked again within
REPORT_COUNTS_SECONDS show the rows counted first, with the time they were counted; each scope keeps its own, and a
new snapshot of the date lists its people anew."""

import re
from datetime import timedelta
from urllib.parse import urlencode

from tpl_tracker.models import Activity
from tpl_tracker.services.metric import store_snapshot

from .. import output_programme as programme
from ..clock import NOW, iso, on
from ..conftest import page_text
from ..factories import ContractFactory, FacilitatorFactory
from ..unit.test_wub_people import AS_OF, FIRST_START, _programme

OUTPUT = "/reports/output?" + urlencode({"level": "province", "period": "dates", "start": iso(1, 1), "end": iso(6, 30)})
PEOPLE = f"/reports/wub/people?as_of={AS_OF.isoformat()}"


def _report(client) -> str:
    """The output report's time and figures as the page shows them (its first table)."""
    text = page_text(client.get(OUTPUT))
    return text[text.index("Dihitung dari catatan") : text.index("</table>")]


def _alumnus(db):
    """One more alumnus (a contract ended three years ago) of Kota Ternate."""
    tpl = FacilitatorFactory(full_name="Zaenal", region_code="82.71")
    ContractFactory(facilitator=tpl, start_date=FIRST_START, end_date=FIRST_START.replace(month=12, day=31))
    db.session.commit()


def test_the_output_report_is_kept_with_its_time_per_scope(client, world, db, login_as, keep_counts, time_machine):
    programme.build(world, db)
    login_as("evaluator")
    first = _report(client)
    assert first.startswith("Dihitung dari catatan 02/12/")
    db.session.add(
        Activity(facilitator=world["tpl"], date=on(3, 3), type="pelatihan", description="Pelatihan", hours=2)
    )
    db.session.commit()
    time_machine.move_to(NOW + timedelta(minutes=2), tick=False)
    assert _report(client) == first  # the same rows and time, within the time kept
    login_as("supervisor")  # another scope: counted now, with the new activity
    assert _report(client).startswith("Dihitung dari catatan 02/12/")
    login_as("evaluator")
    time_machine.move_to(NOW + timedelta(minutes=6), tick=False)  # past the time kept: counted again
    again = _report(client)
    assert again != first and again.replace("10:06", "10:00") != first  # a new time, and one activity more


def test_the_people_of_a_figure_are_kept_until_a_new_snapshot(client, world, db, login_as, keep_counts):
    people = _programme(db)
    store_snapshot(AS_OF)
    db.session.commit()
    login_as("admin")
    assert f"{len(people)} orang" in page_text(client.get(PEOPLE))
    _alumnus(db)
    assert f"{len(people)} orang" in page_text(client.get(PEOPLE))  # kept: the rows listed first
    store_snapshot(AS_OF)  # the date computed again: its people are listed anew
    db.session.commit()
    text = page_text(client.get(PEOPLE))
    assert f"{len(people) + 1} orang" in text and "Didaftar dari catatan" in text


def test_a_supervisors_figures_are_kept_with_their_time(app, client, world, db, login_as, keep_counts):
    _programme(db)
    login_as("supervisor")  # province 82
    wub = f"/reports/wub?as_of={AS_OF.isoformat()}"

    def alumni() -> int:
        text = client.get(wub).get_data(as_text=True)
        assert "dihitung saat ini dari catatan (02/12/" in text
        return int(re.search(r'group_by=total&amp;key=all&amp;figure=alumni"[^>]*>(\d+)<', text).group(1))

    first = alumni()
    _alumnus(db)  # one more alumnus of Kota Ternate: left out until the figures are computed again
    assert alumni() == first
    app.config["REPORT_COUNTS_SECONDS"] = 0
    assert alumni() == first + 1
