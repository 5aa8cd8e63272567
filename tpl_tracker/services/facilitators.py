"""TPL profiles and contracts: validation against NIK, regions and the other contracts."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from lokal import normalize_phone, parse_nik

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
from . import ServiceError, audit
from .constraints import NO_CONTRACT_OVERLAP, flush_or_refuse
from .regions import region_exists
from .users import normalize_email


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


def normalize_phone_number(phone: str | None) -> str | None:
    """E.164 form of an Indonesian phone number, None when empty; ServiceError when invalid."""
    if not phone or not phone.strip():
        return None
    e164 = normalize_phone(phone.strip())
    if e164 is None:
        raise ServiceError(_("This is not a valid Indonesian phone number."), field="phone")
    return e164


def _check_facilitator(data: FacilitatorData, facilitator: Facilitator | None) -> dict:
    if not data.full_name or not data.full_name.strip():
        raise ServiceError(_("The name is required."), field="full_name")
    if data.gender not in Gender.values():
        raise ServiceError(_("Choose the gender."), field="gender")
    nik = check_nik(data.nik, data.gender, data.birth_date)
    clash = db.session.scalar(sa.select(Facilitator.id).where(Facilitator.nik == nik))
    if clash is not None and (facilitator is None or clash != facilitator.id):
        raise ServiceError(_("Another TPL already has this NIK."), field="nik")
    if data.polytechnic not in POLYTECHNICS:
        raise ServiceError(_("Choose a polytechnic from the list."), field="polytechnic")
    if not 1990 <= int(data.angkatan) <= programme_today().year + 1:
        raise ServiceError(_("The angkatan year is not plausible."), field="angkatan")
    if data.supervisor_id:
        supervisor = db.session.get(User, data.supervisor_id)
        if supervisor is None or not supervisor.has_role(Role.SUPERVISOR):
            raise ServiceError(_("Choose a supervisor account."), field="supervisor_id")
    if data.user_id:
        account = db.session.get(User, data.user_id)
        if account is None or not account.has_role(Role.FACILITATOR):
            raise ServiceError(_("The linked account must have the TPL role."), field="user_id")
        linked = db.session.scalar(sa.select(Facilitator.id).where(Facilitator.user_id == data.user_id))
        if linked is not None and (facilitator is None or linked != facilitator.id):
            raise ServiceError(_("This account is already linked to another TPL."), field="user_id")
    return {
        "nik": nik,
        "full_name": data.full_name.strip(),
        "gender": data.gender,
        "birth_date": data.birth_date,
        "angkatan": int(data.angkatan),
        "polytechnic": data.polytechnic,
        "phone": normalize_phone_number(data.phone),
        "email": normalize_email(data.email) if data.email else None,
        "supervisor_id": data.supervisor_id or None,
        "user_id": data.user_id or None,
    }


def create_facilitator(actor: User | None, data: FacilitatorData) -> Facilitator:
    """Register a TPL profile."""
    values = _check_facilitator(data, None)
    facilitator = Facilitator(**values)
    db.session.add(facilitator)
    db.session.flush()
    audit.record("facilitator_created", actor=actor, entity=facilitator, after=audit.snapshot(facilitator))
    db.session.flush()
    return facilitator


def update_facilitator(actor: User, facilitator: Facilitator, data: FacilitatorData) -> Facilitator:
    """Change a TPL profile."""
    values = _check_facilitator(data, facilitator)
    before = audit.snapshot(facilitator)
    for key, value in values.items():
        setattr(facilitator, key, value)
    db.session.flush()
    old, new = audit.changed(before, audit.snapshot(facilitator))
    if new:
        audit.record("facilitator_updated", actor=actor, entity=facilitator, before=old, after=new)
    db.session.flush()
    return facilitator


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


def _check_contract(facilitator: Facilitator, data: ContractData, contract: Contract | None) -> dict:
    number = (data.number or "").strip()
    if not number:
        raise ServiceError(_("The contract number is required."), field="number")
    clash = db.session.scalar(sa.select(Contract.id).where(Contract.number == number))
    if clash is not None and (contract is None or clash != contract.id):
        raise ServiceError(_("Another contract already has this number."), field="number")
    if data.end_date < data.start_date:
        raise ServiceError(_("A contract cannot end before it starts."), field="end_date")
    if data.status not in ContractStatus.values():
        raise ServiceError(_("Unknown contract status."), field="status")
    if not region_exists(data.placement_code, level=2):
        raise ServiceError(_("Choose a kabupaten/kota for the placement."), field="placement_code")
    terminated_on = data.terminated_on
    reason = (data.termination_reason or "").strip() or None
    if data.status == "terminated":
        if terminated_on is None:
            raise ServiceError(_("A terminated contract needs the termination date."), field="terminated_on")
        if not data.start_date <= terminated_on <= data.end_date:
            raise ServiceError(
                _("The termination date must lie between the start and end dates."), field="terminated_on"
            )
        if not reason:
            raise ServiceError(_("Give the reason for the termination."), field="termination_reason")
    else:
        terminated_on, reason = None, None
    values = {
        "number": number,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "placement_code": data.placement_code,
        "status": data.status,
        "terminated_on": terminated_on,
        "termination_reason": reason,
    }
    _check_no_overlap(facilitator, ContractPeriod.planned(values, contract.id if contract is not None else None))
    return values


def _refresh_placement(facilitator: Facilitator) -> None:
    """Keep the TPL's current region equal to the placement of their latest contract."""
    facilitator.region_code = latest_placement(ContractPeriod.of(contract) for contract in facilitator.contracts)


def create_contract(actor: User | None, facilitator: Facilitator, data: ContractData) -> Contract:
    """Add a contract to a TPL."""
    values = _check_contract(facilitator, data, None)
    contract = Contract(facilitator=facilitator, **values)
    db.session.add(contract)
    _flush_contract(facilitator, values, None)
    _refresh_placement(facilitator)
    audit.record("contract_created", actor=actor, entity=contract, after=audit.snapshot(contract))
    db.session.flush()
    return contract


def update_contract(actor: User, contract: Contract, data: ContractData) -> Contract:
    """Change a contract (dates, placement, status, termination)."""
    values = _check_contract(contract.facilitator, data, contract)
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


def facilitator_query(
    user: User,
    q: str | None = None,
    province: str | None = None,
    angkatan: int | None = None,
    status: str | None = None,
    today: date | None = None,
):
    """A select of the TPL the user may see, filtered; ordered by name.

    Readers who see NIK masked cannot search by NIK (or they could uncover it digit by digit).
    """
    from .policy import can_see_personal_numbers, facilitator_scope, in_regions

    query = sa.select(Facilitator).where(facilitator_scope(user))
    if q:
        term = f"%{q.strip().lower()}%"
        matches = [sa.func.lower(Facilitator.full_name).like(term), sa.func.lower(Facilitator.email).like(term)]
        if can_see_personal_numbers(user):
            matches.append(Facilitator.nik.like(term))
        query = query.where(sa.or_(*matches))
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
    return query.order_by(Facilitator.full_name, Facilitator.id)
