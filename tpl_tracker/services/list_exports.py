"""The lists as files: each list's columns and its rows, read from the list's own query a batch at a time.

The headers are snake_case words in the interface language (`kode_provinsi` in Indonesian, `province_code` in
English); codes stand beside their labels and region codes beside their names; amounts, counts and dates keep
their types. NIK and phone numbers are masked for readers who see them masked on the pages.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from ..dates import programme_today
from ..extensions import db
from ..formatting import nik as format_nik
from ..formatting import phone as format_phone
from ..models import (
    ActivityType,
    Assessment,
    AssessmentKind,
    Business,
    Contract,
    ContractStatus,
    Facilitator,
    MarketReach,
    MonthStatus,
    PermitStatus,
    PermitType,
    SizeClass,
    SurveyStatus,
    Verification,
)
from .businesses import issued_permit_counts
from .exports import Column
from .months import month_start, month_statuses
from .regions import region_name

EXPORT_BATCH = 1000  # rows read (and then let go) at a time
XLSX_MAX_ROWS = 1_048_575  # an Excel sheet's rows, less the header

# The header of every column, by its key: snake_case words, translated (the English key is the msgid).
HEADERS = {
    "id": _l("id"),
    "nik": _l("nik"),
    "full_name": _l("full_name"),
    "angkatan": _l("angkatan"),
    "polytechnic": _l("polytechnic"),
    "phone": _l("phone"),
    "email": _l("email"),
    "province_code": _l("province_code"),
    "province": _l("province"),
    "regency_code": _l("regency_code"),
    "regency": _l("regency"),
    "supervisor": _l("supervisor"),
    "contracts": _l("contracts"),
    "first_contract_start": _l("first_contract_start"),
    "exit_date": _l("exit_date"),
    "contract_state_code": _l("contract_state_code"),
    "contract_state": _l("contract_state"),
    "facilitator_id": _l("facilitator_id"),
    "tpl_nik": _l("tpl_nik"),
    "tpl_name": _l("tpl_name"),
    "contract_number": _l("contract_number"),
    "start_date": _l("start_date"),
    "end_date": _l("end_date"),
    "terminated_on": _l("terminated_on"),
    "effective_end": _l("effective_end"),
    "status_code": _l("status_code"),
    "status": _l("status"),
    "termination_reason": _l("termination_reason"),
    "business_name": _l("business_name"),
    "owner_name": _l("owner_name"),
    "owner_nik": _l("owner_nik"),
    "address": _l("address"),
    "kecamatan_code": _l("kecamatan_code"),
    "desa_code": _l("desa_code"),
    "kbli": _l("kbli"),
    "products": _l("products"),
    "nib": _l("nib"),
    "size_class_code": _l("size_class_code"),
    "size_class": _l("size_class"),
    "workers": _l("workers"),
    "capital_rp": _l("capital_rp"),
    "turnover_rp": _l("turnover_rp"),
    "year_founded": _l("year_founded"),
    "current_mentors": _l("current_mentors"),
    "permits_issued": _l("permits_issued"),
    "date": _l("date"),
    "type_code": _l("type_code"),
    "type": _l("type"),
    "business_ids": _l("business_ids"),
    "businesses": _l("businesses"),
    "hours": _l("hours"),
    "evidence_files": _l("evidence_files"),
    "month_status_code": _l("month_status_code"),
    "month_status": _l("month_status"),
    "description": _l("description"),
    "latitude": _l("latitude"),
    "longitude": _l("longitude"),
    "created_at": _l("created_at"),
    "business_id": _l("business_id"),
    "permit_type_code": _l("permit_type_code"),
    "permit_type": _l("permit_type"),
    "status_date": _l("status_date"),
    "planned_on": _l("planned_on"),
    "submitted_on": _l("submitted_on"),
    "issued_on": _l("issued_on"),
    "rejected_on": _l("rejected_on"),
    "document_number": _l("document_number"),
    "expires_on": _l("expires_on"),
    "notes": _l("notes"),
    "kind_code": _l("kind_code"),
    "kind": _l("kind"),
    "assessed_on": _l("assessed_on"),
    "production_capacity": _l("production_capacity"),
    "market_reach_code": _l("market_reach_code"),
    "market_reach": _l("market_reach"),
    "has_packaging_label": _l("has_packaging_label"),
    "month": _l("month"),
    "submitted_at": _l("submitted_at"),
    "reviewed_at": _l("reviewed_at"),
    "reviewer": _l("reviewer"),
    "comment": _l("comment"),
    "activities": _l("activities"),
    "permit_steps": _l("permit_steps"),
    "assessments": _l("assessments"),
    "survey_date": _l("survey_date"),
    "founded_date": _l("founded_date"),
    "monthly_revenue_rp": _l("monthly_revenue_rp"),
    "business_region_code": _l("business_region_code"),
    "business_region": _l("business_region"),
    "verification_code": _l("verification_code"),
    "verification": _l("verification"),
    "verification_note": _l("verification_note"),
    "verified_at": _l("verified_at"),
    "verified_by": _l("verified_by"),
    "recorded_by": _l("recorded_by"),
}
CONTRACT_STATES = {"running": _l("Under contract"), "alumni": _l("Alumni (contract ended)")}


def _column(key: str, value: Callable[[Any], Any], kind: str = "text") -> Column:
    return Column(key=key, value=value, header=HEADERS[key], kind=kind)


def _labeller(codes) -> Callable[[str | None], str]:
    """The label of a code in the interface language, translated once per export rather than once per row."""
    labels = {member.value: str(member.label) for member in codes}
    return lambda value: labels.get(value, value) if value else ""


def _labelled(key: str, codes, code_of: Callable[[Any], str | None]) -> Column:
    """A column of labels of the codes `code_of` reads."""
    label = _labeller(codes)
    return _column(key, lambda row: label(code_of(row)))


def _province(code: str | None) -> str | None:
    return code[:2] if code else None


def _regency(code: str | None) -> str | None:
    return code[:5] if code and len(code) >= 5 else None


def _region_columns(code_of: Callable[[Any], str | None]) -> list[Column]:
    """Province and kabupaten/kota of a region code, each as code and name side by side."""
    return [
        _column("province_code", lambda row: _province(code_of(row))),
        _column("province", lambda row: region_name(_province(code_of(row)))),
        _column("regency_code", lambda row: _regency(code_of(row))),
        _column("regency", lambda row: region_name(_regency(code_of(row)))),
    ]


def _tpl_columns(masked: bool | None = None) -> list[Column]:
    """The TPL of a record (its `facilitator`): id, NIK (unless `masked` is None: lists that show no NIK) and name."""
    nik = [] if masked is None else [_column("tpl_nik", lambda row: format_nik(row[0].facilitator.nik, masked=masked))]
    return [
        _column("facilitator_id", lambda row: row[0].facilitator_id, "int"),
        *nik,
        _column("tpl_name", lambda row: row[0].facilitator.full_name),
    ]


# --- reading ---------------------------------------------------------------------------------------------------


def count_rows(query) -> int:
    """How many rows a list's query selects (the number an export's audit entry records)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0


def stream(query, extras: Callable[[list], dict] | None = None, batch: int = EXPORT_BATCH) -> Iterator[tuple]:
    """The query's records in its order, as (record, extra) pairs, read `batch` at a time; `extras(records)` gives
    what one query per batch adds (counts, statuses), keyed by record. The session holds its records weakly
    (yield_per), so a batch is let go once written."""
    result = db.session.execute(query.execution_options(yield_per=batch))
    for records in result.scalars().partitions(batch):
        added = extras(records) if extras else {}
        for record in records:
            yield record, added.get(record.id)


# --- TPL and their contracts -----------------------------------------------------------------------------------


def _contract_state(facilitator: Facilitator, today: date) -> str | None:
    exit_date = facilitator.exit_date
    if exit_date is None:
        return None
    return "alumni" if exit_date < today else "running"


def facilitator_rows(query) -> Iterator[tuple]:
    """The TPL of the list's query, with their contracts, a batch at a time."""
    return stream(query.options(selectinload(Facilitator.contracts)))


def facilitator_columns(masked: bool, today: date | None = None) -> list[Column]:
    """The columns of the TPL export."""
    today = today or programme_today()
    states = {code: str(label) for code, label in CONTRACT_STATES.items()}
    return [
        _column("id", lambda row: row[0].id, "int"),
        _column("nik", lambda row: format_nik(row[0].nik, masked=masked)),
        _column("full_name", lambda row: row[0].full_name),
        _column("angkatan", lambda row: row[0].angkatan, "int"),
        _column("polytechnic", lambda row: row[0].polytechnic),
        _column("phone", lambda row: format_phone(row[0].phone, masked=masked)),
        _column("email", lambda row: row[0].email),
        *_region_columns(lambda row: row[0].region_code),
        _column("supervisor", lambda row: row[0].supervisor.full_name if row[0].supervisor else None),
        _column("contracts", lambda row: len(row[0].contracts), "int"),
        _column(
            "first_contract_start",
            lambda row: row[0].contracts[0].start_date if row[0].contracts else None,
            "date",
        ),
        _column("exit_date", lambda row: row[0].exit_date, "date"),
        _column("contract_state_code", lambda row: _contract_state(row[0], today)),
        _column("contract_state", lambda row: states.get(_contract_state(row[0], today), "")),
    ]


def contract_query(facilitators):
    """The contracts of the TPL a TPL list's query selects: by the TPL's name, then by start date."""
    chosen = facilitators.order_by(None).with_only_columns(Facilitator.id, Facilitator.full_name).subquery()
    return (
        sa.select(Contract)
        .join(chosen, Contract.facilitator_id == chosen.c.id)
        .options(selectinload(Contract.facilitator))
        .order_by(chosen.c.full_name, chosen.c.id, Contract.start_date, Contract.id)
    )


def contract_columns(masked: bool) -> list[Column]:
    """The columns of the contracts export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        *_tpl_columns(masked),
        _column("contract_number", lambda row: row[0].number),
        _column("start_date", lambda row: row[0].start_date, "date"),
        _column("end_date", lambda row: row[0].end_date, "date"),
        _column("terminated_on", lambda row: row[0].terminated_on, "date"),
        _column("effective_end", lambda row: row[0].effective_end, "date"),
        _column("status_code", lambda row: row[0].status),
        _labelled("status", ContractStatus, lambda row: row[0].status),
        *_region_columns(lambda row: row[0].placement_code),
        _column("termination_reason", lambda row: row[0].termination_reason),
    ]


# --- businesses and their assessments --------------------------------------------------------------------------


def business_rows(query) -> Iterator[tuple]:
    """The businesses of the list's query with their issued permits counted, a batch at a time."""
    return stream(query, extras=lambda records: issued_permit_counts(record.id for record in records))


def business_columns(masked: bool) -> list[Column]:
    """The columns of the businesses export."""

    def mentors(business: Business) -> str:
        return "; ".join(m.facilitator.full_name for m in business.current_mentorships)

    return [
        _column("id", lambda row: row[0].id, "int"),
        _column("business_name", lambda row: row[0].name),
        _column("owner_name", lambda row: row[0].owner_name),
        _column("owner_nik", lambda row: format_nik(row[0].owner_nik, masked=masked)),
        _column("phone", lambda row: format_phone(row[0].phone, masked=masked)),
        _column("address", lambda row: row[0].address),
        *_region_columns(lambda row: row[0].region_code),
        _column("kecamatan_code", lambda row: row[0].kecamatan_code),
        _column("desa_code", lambda row: row[0].desa_code),
        _column("kbli", lambda row: row[0].kbli),
        _column("products", lambda row: row[0].products),
        _column("nib", lambda row: row[0].nib),
        _column("size_class_code", lambda row: row[0].size_class),
        _labelled("size_class", SizeClass, lambda row: row[0].size_class),
        _column("workers", lambda row: row[0].workers, "int"),
        _column("capital_rp", lambda row: row[0].capital, "int"),
        _column("turnover_rp", lambda row: row[0].turnover, "int"),
        _column("year_founded", lambda row: row[0].year_founded, "int"),
        _column("current_mentors", lambda row: mentors(row[0])),
        _column("permits_issued", lambda row: row[1] or 0, "int"),
    ]


def assessment_query(businesses):
    """The assessments of the businesses a business list's query selects: by business name, then by date."""
    chosen = businesses.order_by(None).with_only_columns(Business.id, Business.name).subquery()
    return (
        sa.select(Assessment)
        .join(chosen, Assessment.business_id == chosen.c.id)
        .options(selectinload(Assessment.business), selectinload(Assessment.facilitator))
        .order_by(chosen.c.name, chosen.c.id, Assessment.assessed_on, Assessment.id)
    )


def assessment_columns() -> list[Column]:
    """The columns of the assessments export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        _column("business_id", lambda row: row[0].business_id, "int"),
        _column("business_name", lambda row: row[0].business.name),
        *_region_columns(lambda row: row[0].business.region_code),
        _column("kind_code", lambda row: row[0].kind),
        _labelled("kind", AssessmentKind, lambda row: row[0].kind),
        _column("assessed_on", lambda row: row[0].assessed_on, "date"),
        _column("turnover_rp", lambda row: row[0].turnover, "int"),
        _column("workers", lambda row: row[0].workers, "int"),
        _column("production_capacity", lambda row: row[0].production_capacity),
        _column("products", lambda row: row[0].products),
        _column("market_reach_code", lambda row: row[0].market_reach),
        _labelled("market_reach", MarketReach, lambda row: row[0].market_reach),
        _column("has_packaging_label", lambda row: 1 if row[0].has_packaging_label else 0, "int"),
        *_tpl_columns(),
        _column("notes", lambda row: row[0].notes),
    ]


# --- activities and permits ------------------------------------------------------------------------------------


def _with_month_statuses(day_of: Callable[[Any], date | None]) -> Callable[[list], dict]:
    def extras(records: list) -> dict:
        statuses = month_statuses((record.facilitator_id, day_of(record)) for record in records)
        return {
            record.id: statuses.get((record.facilitator_id, month_start(day_of(record))))
            for record in records
            if day_of(record) is not None
        }

    return extras


def activity_rows(query) -> Iterator[tuple]:
    """The activities of the list's query with their month's review status and evidence count, a batch at a time."""
    from .activities import evidence_counts

    by_month = _with_month_statuses(lambda activity: activity.date)

    def extras(records: list) -> dict:
        statuses, counts = by_month(records), evidence_counts(records)
        return {record.id: (statuses.get(record.id), counts.get(record.id, 0)) for record in records}

    return stream(query, extras=extras)


def activity_columns() -> list[Column]:
    """The columns of the activities export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        _column("date", lambda row: row[0].date, "date"),
        *_tpl_columns(),
        *_region_columns(lambda row: row[0].facilitator.region_code),
        _column("type_code", lambda row: row[0].type),
        _labelled("type", ActivityType, lambda row: row[0].type),
        _column("business_ids", lambda row: "; ".join(str(b.id) for b in row[0].businesses)),
        _column("businesses", lambda row: "; ".join(b.name for b in row[0].businesses)),
        _column("hours", lambda row: row[0].hours, "number"),
        _column("evidence_files", lambda row: row[1][1], "int"),
        _column("month_status_code", lambda row: row[1][0]),
        _labelled("month_status", MonthStatus, lambda row: row[1][0]),
        _column("description", lambda row: row[0].description),
        _column("latitude", lambda row: row[0].latitude, "number"),
        _column("longitude", lambda row: row[0].longitude, "number"),
        _column("created_at", lambda row: row[0].created_at, "datetime"),
    ]


def permit_rows(query) -> Iterator[tuple]:
    """The permit facilitations of the list's query with their month's review status, a batch at a time."""
    return stream(query, extras=_with_month_statuses(lambda permit: permit.status_on))


def permit_columns() -> list[Column]:
    """The columns of the permits export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        _column("business_id", lambda row: row[0].business_id, "int"),
        _column("business_name", lambda row: row[0].business.name),
        *_region_columns(lambda row: row[0].business.region_code),
        _column("permit_type_code", lambda row: row[0].permit_type),
        _labelled("permit_type", PermitType, lambda row: row[0].permit_type),
        _column("status_code", lambda row: row[0].status),
        _labelled("status", PermitStatus, lambda row: row[0].status),
        _column("status_date", lambda row: row[0].status_on, "date"),
        _column("planned_on", lambda row: row[0].planned_on, "date"),
        _column("submitted_on", lambda row: row[0].submitted_on, "date"),
        _column("issued_on", lambda row: row[0].issued_on, "date"),
        _column("rejected_on", lambda row: row[0].rejected_on, "date"),
        _column("document_number", lambda row: row[0].document_number),
        _column("expires_on", lambda row: row[0].expires_on, "date"),
        *_tpl_columns(),
        _column("month_status_code", lambda row: row[1]),
        _labelled("month_status", MonthStatus, lambda row: row[1]),
        _column("notes", lambda row: row[0].notes),
    ]


# --- monthly reports and tracer surveys ------------------------------------------------------------------------


def report_rows(query) -> Iterator[tuple]:
    """The monthly reports of the list's query with the work each month holds, a batch at a time."""
    from .reviews import month_counts

    def extras(records: list) -> dict:
        counts = month_counts((record.facilitator_id, record.period) for record in records)
        return {record.id: counts.get((record.facilitator_id, record.period)) for record in records}

    return stream(query, extras=extras)


def report_columns(masked: bool) -> list[Column]:
    """The columns of the monthly reports export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        *_tpl_columns(masked),
        *_region_columns(lambda row: row[0].facilitator.region_code),
        _column("month", lambda row: row[0].period, "date"),
        _column("status_code", lambda row: row[0].status),
        _labelled("status", MonthStatus, lambda row: row[0].status),
        _column("submitted_at", lambda row: row[0].submitted_at, "datetime"),
        _column("reviewed_at", lambda row: row[0].reviewed_at, "datetime"),
        _column("reviewer", lambda row: row[0].reviewer.full_name if row[0].reviewer else None),
        _column("activities", lambda row: row[1].activities if row[1] else 0, "int"),
        _column("permit_steps", lambda row: row[1].permit_steps if row[1] else 0, "int"),
        _column("assessments", lambda row: row[1].assessments if row[1] else 0, "int"),
        _column("comment", lambda row: row[0].comment),
    ]


def survey_rows(query) -> Iterator[tuple]:
    """The tracer surveys of the list's query with the names of who recorded and verified them, a batch at a time."""
    from .outcomes import user_names

    def extras(records: list) -> dict:
        names = user_names(records)
        return {record.id: (names.get(record.recorded_by_id), names.get(record.verified_by_id)) for record in records}

    return stream(query, extras=extras)


def survey_columns(masked: bool) -> list[Column]:
    """The columns of the tracer surveys export."""
    return [
        _column("id", lambda row: row[0].id, "int"),
        *_tpl_columns(masked),
        *_region_columns(lambda row: row[0].facilitator.region_code),
        _column("survey_date", lambda row: row[0].survey_date, "date"),
        _column("status_code", lambda row: row[0].status),
        _labelled("status", SurveyStatus, lambda row: row[0].status),
        _column("business_id", lambda row: row[0].business_id, "int"),
        _column("business_name", lambda row: row[0].business_name),
        _column("founded_date", lambda row: row[0].founded_date, "date"),
        _column("nib", lambda row: row[0].nib),
        _column("kbli", lambda row: row[0].kbli),
        _column("workers", lambda row: row[0].workers, "int"),
        _column("monthly_revenue_rp", lambda row: row[0].monthly_revenue, "int"),
        _column("business_region_code", lambda row: row[0].business_region_code),
        _column("business_region", lambda row: region_name(row[0].business_region_code)),
        _column("verification_code", lambda row: row[0].verification),
        _labelled("verification", Verification, lambda row: row[0].verification),
        _column("verification_note", lambda row: row[0].verification_note),
        _column("verified_at", lambda row: row[0].verified_at, "datetime"),
        _column("verified_by", lambda row: row[1][1]),
        _column("recorded_by", lambda row: row[1][0]),
    ]
