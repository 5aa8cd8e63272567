"""What each kind of notification says and where it leads, built in the reader's language when it is shown.

A notification stores its kind, plain parameters (names, ISO dates, counts, ids) and the endpoint of its target
with the endpoint's arguments. `KINDS` maps each kind to its message template and to how each parameter is
shown; `notification_text` and `notification_url` render a stored notification in the current locale.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import url_for
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from ..formatting import month
from .regions import region_name

# Rows written before notifications were rendered at display time: their text and path, shown as stored.
LEGACY = "legacy"


def as_text(value: Any) -> str:
    """A name, number or code, shown as is."""
    return str(value)


def as_count(value: Any) -> int:
    """A whole number, for `%(name)d` placeholders."""
    return int(value)


def as_day(value: str | None) -> str:
    """An ISO date shown as 31/12/2026 (GLOSSARY.md); '–' when there is none."""
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else "–"


def as_month(value: str) -> str:
    """The ISO date of a month's first day shown as the month's name and year: 'Maret 2026'."""
    return month(date.fromisoformat(value))


def as_region(value: str) -> str:
    """A Kemendagri region code shown as its name: 'Kota Ternate'."""
    return region_name(value)


@dataclass(frozen=True)
class Kind:
    """A kind of notification: its message (translated when shown) and how each of its parameters is shown."""

    template: LazyString
    params: dict[str, Callable[[Any], Any]]

    def text(self, params: dict[str, Any]) -> str:
        """The message in the current locale, with the parameters shown."""
        return str(self.template) % {name: show(params[name]) for name, show in self.params.items()}


KINDS: dict[str, Kind] = {
    "contract_ending": Kind(
        _l("Contract %(number)s of %(name)s ends on %(date)s (%(place)s)."),
        {"number": as_text, "name": as_text, "date": as_day, "place": as_region},
    ),
    "tracer_due": Kind(
        _l("The %(months)d-month tracer survey of %(name)s is due (%(date)s)."),
        {"months": as_count, "name": as_text, "date": as_day},
    ),
    "tracer_overdue": Kind(
        _l("The %(months)d-month tracer survey of %(name)s is overdue (due %(date)s)."),
        {"months": as_count, "name": as_text, "date": as_day},
    ),
    "no_activity": Kind(
        _l("%(name)s has logged no activity for %(days)d days (last: %(date)s)."),
        {"name": as_text, "days": as_count, "date": as_day},
    ),
    "permit_expiring": Kind(
        _l("Permit %(type)s %(number)s of %(business)s expires on %(date)s."),
        {"type": as_text, "number": as_text, "business": as_text, "date": as_day},
    ),
    "month_not_submitted": Kind(
        _l("The monthly report of %(name)s for %(month)s has not been submitted yet."),
        {"name": as_text, "month": as_month},
    ),
    "review_waiting": Kind(
        _l("The monthly report of %(name)s for %(month)s has been waiting for your review since %(date)s."),
        {"name": as_text, "month": as_month, "date": as_day},
    ),
    "month_submitted": Kind(
        _l("%(name)s has submitted the monthly report for %(month)s for your review."),
        {"name": as_text, "month": as_month},
    ),
    "month_approved": Kind(_l("Your monthly report for %(month)s has been approved."), {"month": as_month}),
    "month_returned": Kind(
        _l("Your monthly report for %(month)s has been returned for correction."), {"month": as_month}
    ),
    "month_reopened": Kind(
        _l("Your monthly report for %(month)s has been reopened for correction: %(reason)s"),
        {"month": as_month, "reason": as_text},
    ),
    "login_failures": Kind(
        _l("The account %(email)s has had %(count)d failed sign-ins or password checks on %(date)s."),
        {"email": as_text, "count": as_count, "date": as_day},
    ),
}


def notification_text(note) -> str:
    """The notification's message in the current locale (a legacy row: its stored text)."""
    if note.kind == LEGACY:
        return note.params["message"]
    return KINDS[note.kind].text(note.params)


def notification_url(note) -> str | None:
    """Where the notification leads, built by url_for now (a legacy row: its stored path); needs a request."""
    if note.kind == LEGACY:
        return note.params.get("link")
    if not note.endpoint:
        return None
    return url_for(note.endpoint, **note.endpoint_args)
