"""TPL profiles and contracts: validation against NIK, regions and the other contracts."""

import re
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lokal import parse_nik

from ..dates import programme_today
from ..extensions import db
from ..models import (
    POLYTECHNICS,
    Contract,
    ContractStatus,
    Facilitator,
    Gender,
    Role,
    User,
)
from . import Problems, ServiceError, audit, bulk, roster_flags
from .constraints import NO_CONTRACT_OVERLAP, flush_or_refuse
from .regions import region_exists
from .users import normalize_email, normalize_phone_number

MAX_NAME = 120
MAX_CONTRACT_NUMBER = 60
MAX_TERMINATION_REASON = 500


@dataclass
class FacilitatorData:
    """What an admin types about a TPL."""

    nik: str
    full_name: str
    gender: str
    birth_date: date
    angkatan: int
    polytechnic: str
    phone: str | None = None
    email: str | None = None
    supervisor_id: int | None = None
    user_id: int | None = None


@dataclass
class ContractData:
    """What an admin types about a contract."""

    number: str
    start_date: date
    end_date: date
    placement_code: str
    status: str = "active"
    terminated_on: date | None = None
    termination_reason: str | None = None


def check_nik(nik: str, gender: str | None = None, birth_date: date | None = None) -> str:
    """Validate a NIK (and its agreement with gender and birth date); return its 16 digits."""
    info = parse_nik((nik or "").strip())
    if not info.valid:
        message = info.errors[0].message if info.errors else _("The NIK is not valid.")
        raise ServiceError(_("NIK: %(reason)s", reason=message), field="nik")
    if gender and info.gender != gender:
        raise ServiceError(_("The gender does not match the NIK."), field="gender")
    if birth_date and info.birth_date != birth_date.isoformat():
        raise ServiceError(_("The birth date does not match the NIK."), field="birth_date")
    return info.nik


def _clean_text(value: str | None, limit: int, field: str, label, missing=None) -> str | None:
    """A stripped text, None when empty; refused when too long, or when empty and `missing` (the message) is given.

    `label` and `missing` are lazy texts: translated only when refused (the importer checks thousands of rows)."""
    value = (value or "").strip()
    if not value:
        if missing:
            raise ServiceError(str(missing), field=field)
        return None
    if len(value) > limit:
        raise ServiceError(
            _("%(label)s is too long (at most %(max)d characters).", label=str(label), max=limit), field=field
        )
    return value


def check_facilitator_values(data: FacilitatorData) -> dict:
    """The cleaned profile values of a TPL by the rules that read no other record (the form and the importer);
    a refusal lists every problem at once. Supervisor and login account are not among them."""
    problems = Problems()
    full_name = problems.check(
        _clean_text, data.full_name, MAX_NAME, "full_name", _l("Full name"), _l("The name is required.")
    )
    gender_known = data.gender in Gender.values()
    if not gender_known:
        problems.add(_("Choose the gender."), "gender")
    if data.birth_date is None:
        problems.add(_("%(label)s is required.", label=_("Birth date")), "birth_date")
    nik = problems.check(check_nik, data.nik, data.gender if gender_known else None, data.birth_date)
    if data.polytechnic not in POLYTECHNICS:
        problems.add(_("Choose a polytechnic from the list."), "polytechnic")
    if data.angkatan is None:
        problems.add(_("%(label)s is required.", label=_("Angkatan")), "angkatan")
    elif not 1990 <= int(data.angkatan) <= programme_today().year + 1:
        problems.add(_("The angkatan year is not plausible."), "angkatan")
    phone = problems.check(normalize_phone_number, data.phone)
    email = problems.check(normalize_email, data.email) if data.email and data.email.strip() else None
    problems.raise_if_any()
    return {
        "nik": nik,
        "full_name": full_name,
        "gender": data.gender,
        "birth_date": data.birth_date,
        "angkatan": int(data.angkatan),
        "polytechnic": data.polytechnic,
        "phone": phone,
        "email": email,
    }


def check_facilitator(data: FacilitatorData, facilitator: Facilitator | None) -> dict:
    """The cleaned values of a TPL profile (new, or a change of `facilitator`); a refusal lists every problem."""
    problems = Problems()
    values = problems.check(check_facilitator_values, data)
    if data.supervisor_id:
        supervisor = db.session.get(User, data.supervisor_id)
        if supervisor is None or not supervisor.has_role(Role.SUPERVISOR):
            problems.add(_("Choose a supervisor account."), "supervisor_id")
    if data.user_id:
        account = db.session.get(User, data.user_id)
        if account is None or not account.has_role(Role.FACILITATOR):
            problems.add(_("The linked account must have the TPL role."), "user_id")
        else:
            linked = db.session.scalar(sa.select(Facilitator.id).where(Facilitator.user_id == data.user_id))
            if linked is not None and (facilitator is None or linked != facilitator.id):
                problems.add(_("This account is already linked to another TPL."), "user_id")
    problems.raise_if_any()
    clash = db.session.scalar(sa.select(Facilitator.id).where(Facilitator.nik == values["nik"]))
    if clash is not None and (facilitator is None or clash != facilitator.id):
        raise ServiceError(_("Another TPL already has this NIK."), field="nik")
    return values | {"supervisor_id": data.supervisor_id or None, "user_id": data.user_id or None}


def create_facilitator(actor: User | None, data: FacilitatorData) -> Facilitator:
    """Register a TPL profile."""
    values = check_facilitator(data, None)
    facilitator = Facilitator(**values)
    db.session.add(facilitator)
    db.session.flush()
    audit.record("facilitator_created", actor=actor, entity=facilitator, after=audit.snapshot(facilitator))
    db.session.flush()
    return facilitator


def update_facilitator(actor: User, facilitator: Facilitator, data: FacilitatorData) -> Facilitator:
    """Change a TPL profile."""
    values = check_facilitator(data, facilitator)
    before = audit.snapshot(facilitator)
    for key, value in values.items():
        setattr(facilitator, key, value)
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(facilitator))
    if new:
        audit.record("facilitator_updated", actor=actor, entity=facilitator, before=old, after=new)
    db.session.flush()
    return facilitator


def import_facilitators(
    actor: User | None, created: list[dict], updated: list[tuple[Facilitator, dict]], note: str
) -> dict[str, int]:
    """Write TPL profiles checked by `check_facilitator_values` in bulk (an import); the new TPL's ids by NIK."""
    ids = bulk.insert_many(Facilitator, created, actor, "facilitator_created", note)
    bulk.update_many(updated, actor, "facilitator_updated", note)
    return {values["nik"]: new_id for values, new_id in zip(created, ids, strict=True)}


def facilitator_ids(niks: Iterable[str]) -> dict[str, int]:
    """The ids of the stored TPL with these NIKs, by NIK (a few large IN queries)."""
    niks = sorted(set(niks))
    ids: dict[str, int] = {}
    for start in range(0, len(niks), 900):  # bound parameters per query: below SQLite's oldest limit of 999
        chunk = niks[start : start + 900]
        query = sa.select(Facilitator.nik, Facilitator.id).where(Facilitator.nik.in_(chunk))
        ids.update((nik, facilitator_id) for nik, facilitator_id in db.session.execute(query))
    return ids


def effective_end_of(status: str, end_date: date, terminated_on: date | None) -> date:
    """The effective end (docs/metric.md) of contract values not saved yet."""
    return terminated_on if status == "terminated" and terminated_on else end_date


@dataclass(frozen=True)
class ContractPeriod:
    """The days a contract holds its TPL, from its start to its effective end (both included), and its placement.

    `contract_id` is None for a contract not written yet.
    """

    start: date
    end: date
    number: str
    placement_code: str
    contract_id: int | None = None

    @classmethod
    def of(cls, contract: Contract) -> "ContractPeriod":
        """The period of a stored contract."""
        return cls(contract.start_date, contract.effective_end, contract.number, contract.placement_code, contract.id)

    @classmethod
    def planned(cls, values: dict, contract_id: int | None) -> "ContractPeriod":
        """The period of checked contract values (a new contract, or new values of the stored one `contract_id`)."""
        end = effective_end_of(values["status"], values["end_date"], values["terminated_on"])
        return cls(values["start_date"], end, values["number"], values["placement_code"], contract_id)

    def overlaps(self, other: "ContractPeriod") -> bool:
        """True when the two periods share at least one day."""
        return self.start <= other.end and other.start <= self.end


def _kept(stored: Iterable[ContractPeriod], planned: list[ContractPeriod]) -> list[ContractPeriod]:
    """The stored periods that the planned ones leave as they are (not the stored contracts they change)."""
    replaced = {period.contract_id for period in planned if period.contract_id is not None}
    return [period for period in stored if period.contract_id not in replaced]


def find_overlaps(stored: Iterable[ContractPeriod], planned: list[ContractPeriod]) -> list[ContractPeriod | None]:
    """Per planned period of one TPL, in order: the first period it overlaps, else None.

    A planned period is checked against the TPL's stored periods it leaves as they are, then against the
    planned periods before it.
    """
    others = _kept(stored, planned)
    clashes = []
    for period in planned:
        clashes.append(next((other for other in others if period.overlaps(other)), None))
        others.append(period)
    return clashes


def latest_placement(stored: Iterable[ContractPeriod], planned: Iterable[ContractPeriod] = ()) -> str | None:
    """The placement of a TPL's latest contract once the planned periods are written, None without contracts.

    Latest by effective end, then start, then id; contracts not written yet come after the stored ones, in order.
    """
    planned = list(planned)
    periods = _kept(stored, planned) + planned
    if not periods:
        return None

    def rank(position: int) -> tuple:
        period = periods[position]
        return period.end, period.start, period.contract_id is None, period.contract_id or 0, position

    return periods[max(range(len(periods)), key=rank)].placement_code


def _check_no_overlap(facilitator: Facilitator, planned: ContractPeriod) -> None:
    """Refuse a period (up to its effective end) that overlaps another contract of the TPL."""
    (clash,) = find_overlaps([ContractPeriod.of(contract) for contract in facilitator.contracts], [planned])
    if clash is not None:
        raise ServiceError(
            _("This period overlaps contract %(number)s of the same TPL.", number=clash.number),
            field="start_date",
        )


def _flush_contract(facilitator: Facilitator, values: dict, contract_id: int | None) -> None:
    """Flush a new or changed contract; one that a concurrent request wrote meanwhile is refused as an overlap."""
    planned = ContractPeriod.planned(values, contract_id)
    # After the rollback the TPL's contracts are read again, the one written meanwhile included.
    flush_or_refuse(NO_CONTRACT_OVERLAP, lambda: _check_no_overlap(facilitator, planned))


def check_contract_values(data: ContractData, regencies: Container[str] | None = None) -> dict:
    """The cleaned values of a contract by the rules that read no other contract (the form and the importer);
    a refusal lists every problem at once. `regencies`: the kabupaten/kota codes, when the caller loaded them
    all (else the placement is looked up)."""
    problems = Problems()
    number = problems.check(
        _clean_text,
        data.number,
        MAX_CONTRACT_NUMBER,
        "number",
        _l("Contract number"),
        _l("The contract number is required."),
    )
    if data.start_date is None:
        problems.add(_("%(label)s is required.", label=_("Start date")), "start_date")
    if data.end_date is None:
        problems.add(_("%(label)s is required.", label=_("End date")), "end_date")
    dated = data.start_date is not None and data.end_date is not None
    if dated and data.end_date < data.start_date:
        problems.add(_("A contract cannot end before it starts."), "end_date")
    placement_known = data.placement_code and (
        data.placement_code in regencies if regencies is not None else region_exists(data.placement_code, level=2)
    )
    if not placement_known:
        problems.add(_("Choose a kabupaten/kota for the placement."), "placement_code")
    if data.status not in ContractStatus.values():
        problems.add(_("Unknown contract status."), "status")
    terminated_on = data.terminated_on
    reason = problems.check(
        _clean_text,
        data.termination_reason,
        MAX_TERMINATION_REASON,
        "termination_reason",
        _l("Reason for termination"),
    )
    if data.status == "terminated":
        if terminated_on is None:
            problems.add(_("A terminated contract needs the termination date."), "terminated_on")
        elif dated and not data.start_date <= terminated_on <= data.end_date:
            problems.add(_("The termination date must lie between the start and end dates."), "terminated_on")
        if not reason and not problems.has("termination_reason"):
            problems.add(_("Give the reason for the termination."), "termination_reason")
    else:
        terminated_on, reason = None, None
    problems.raise_if_any()
    return {
        "number": number,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "placement_code": data.placement_code,
        "status": data.status,
        "terminated_on": terminated_on,
        "termination_reason": reason,
    }


def check_contract(facilitator: Facilitator, data: ContractData, contract: Contract | None) -> dict:
    """The cleaned values of a contract of the TPL (new, or a change of `contract`); a refusal lists every
    problem of its values at once, then refuses a number of another contract or an overlapping period."""
    values = check_contract_values(data)
    clash = db.session.scalar(sa.select(Contract.id).where(Contract.number == values["number"]))
    if clash is not None and (contract is None or clash != contract.id):
        raise ServiceError(_("Another contract already has this number."), field="number")
    _check_no_overlap(facilitator, ContractPeriod.planned(values, contract.id if contract is not None else None))
    return values


def _refresh_placement(facilitator: Facilitator) -> None:
    """Keep the TPL's current region equal to the placement of their latest contract."""
    facilitator.region_code = latest_placement(ContractPeriod.of(contract) for contract in facilitator.contracts)


def create_contract(actor: User | None, facilitator: Facilitator, data: ContractData) -> Contract:
    """Add a contract to a TPL."""
    values = check_contract(facilitator, data, None)
    contract = Contract(facilitator=facilitator, **values)
    db.session.add(contract)
    _flush_contract(facilitator, values, None)
    _refresh_placement(facilitator)
    audit.record("contract_created", actor=actor, entity=contract, after=audit.snapshot(contract))
    db.session.flush()
    return contract


def update_contract(actor: User, contract: Contract, data: ContractData) -> Contract:
    """Change a contract (dates, placement, status, termination)."""
    values = check_contract(contract.facilitator, data, contract)
    facilitator, contract_id = contract.facilitator, contract.id
    before = audit.snapshot(contract)
    for key, value in values.items():
        setattr(contract, key, value)
    _flush_contract(facilitator, values, contract_id)
    _refresh_placement(contract.facilitator)
    old, new = audit.changed(before, audit.snapshot(contract))
    if new:
        audit.record("contract_updated", actor=actor, entity=contract, before=old, after=new)
    db.session.flush()
    return contract


def import_contracts(
    actor: User | None,
    created: list[dict],
    updated: list[tuple[Contract, dict]],
    note: str,
    new_tpl: Iterable[int] = (),
) -> None:
    """Write contracts checked by `check_contract_values` and `find_overlaps` in bulk (an import); the caller then
    gives each TPL concerned the placement of their latest contract (`import_placements`). `new_tpl`: the ids of
    the TPL the import itself created."""
    bulk.insert_many(Contract, created, actor, "contract_created", note)
    bulk.update_many(updated, actor, "contract_updated", note)
    # Plain inserts: the roster flags of their TPL are computed again at commit (the updates go through the ORM).
    tpl_ids, new_tpl = {values["facilitator_id"] for values in created}, set(new_tpl)
    roster_flags.touch(tpl_ids - new_tpl)
    roster_flags.touch(tpl_ids & new_tpl, created=True)


def import_placements(placements: Iterable[tuple[Facilitator, str | None]]) -> None:
    """Give stored TPL the region of their latest contract after an import (`latest_placement` of what it wrote)."""
    for facilitator, code in placements:
        if facilitator.region_code != code:
            facilitator.region_code = code
    db.session.flush()


def find_by_nik(user: User, nik: str) -> Facilitator | None:
    """The TPL in the user's scope with exactly this NIK (spaces and dots ignored), or None.

    Readers who see NIK masked cannot look one up (or they could confirm a NIK they guessed).
    """
    from .policy import can_see_personal_numbers, facilitator_scope

    digits = re.sub(r"[\s.]", "", nik or "")
    if not can_see_personal_numbers(user) or not re.fullmatch(r"\d{16}", digits):
        raise ServiceError(_("Type the 16 digits of the NIK."), field="nik")
    return db.session.scalar(sa.select(Facilitator).where(facilitator_scope(user), Facilitator.nik == digits))


def facilitator_query(
    user: User,
    q: str | None = None,
    province: str | None = None,
    angkatan: int | None = None,
    status: str | None = None,
    today: date | None = None,
):
    """A select of the TPL the user may see, filtered; ordered by name.

    The search text matches names and emails only: a NIK is looked up by `find_by_nik` (posted, so that it never
    lands in an address or an access log).
    """
    from .policy import copied_scope, facilitator_scope, in_regions

    # The list shows each TPL's supervisor: loaded for the whole page at once, not one statement per TPL.
    query = sa.select(Facilitator).where(facilitator_scope(user)).options(sa.orm.selectinload(Facilitator.supervisor))
    if q:
        term = f"%{q.strip().lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(Facilitator.full_name).like(term), sa.func.lower(Facilitator.email).like(term))
        )
    if province:
        query = query.where(in_regions(Facilitator.region_code, [province]))
    if angkatan:
        query = query.where(Facilitator.angkatan == angkatan)
    if status in ("running", "alumni"):
        today = today or programme_today()
        end = Contract.effective_end
        exits = sa.select(Contract.facilitator_id).group_by(Contract.facilitator_id)
        if status == "alumni":
            exits = exits.having(sa.func.max(end) < today)
        else:
            exits = exits.having(sa.func.max(end) >= today)
        query = query.where(Facilitator.id.in_(exits))
    elif status == "ending":
        ending = sa.select(Contract.facilitator_id).where(Contract.ends_soon(today or programme_today()))
        if (copied := copied_scope(user, Contract)) is not None:  # a supervisor's, by the contracts' copies
            ending = ending.where(copied)
        query = query.where(Facilitator.id.in_(ending))
    return query.order_by(Facilitator.full_name, Facilitator.id)
