"""In-app notifications and the rules that create them (each notification is created once)."""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    Contract,
    Facilitator,
    Notification,
    OutcomeSurvey,
    PermitFacilitation,
    User,
    utcnow,
)
from . import audit
from .notification_kinds import KINDS, notification_text

OVERDUE_AFTER = timedelta(days=30)


def _plain(value: Any) -> Any:
    """A parameter as JSON stores it: dates as ISO text, everything else as given."""
    return value.isoformat() if isinstance(value, date) else value


def notify(
    user_id: int,
    kind: str,
    params: dict[str, Any],
    dedupe_key: str,
    endpoint: str | None = None,
    endpoint_args: dict[str, Any] | None = None,
) -> bool:
    """Add a notification of a registered kind unless the same (user, dedupe_key) exists; True when added (caller
    commits). Its text and link are built when it is shown, in the reader's language."""
    expected = KINDS[kind].params.keys()
    if params.keys() != expected:
        raise ValueError(f"Notification {kind} takes the parameters {sorted(expected)}, not {sorted(params)}")
    exists = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == user_id, Notification.dedupe_key == dedupe_key)
    )
    if exists is not None:
        return False
    db.session.add(
        Notification(
            user_id=user_id,
            kind=kind,
            params={name: _plain(value) for name, value in params.items()},
            endpoint=endpoint,
            endpoint_args=endpoint_args or {},
            dedupe_key=dedupe_key[:120],
        )
    )
    return True


def enabled_user_ids(user_ids) -> set[int]:
    """Of the given user ids (None allowed), those of active accounts."""
    ids = {i for i in user_ids if i}
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(User.id).where(User.id.in_(ids), User.is_enabled.is_(True))))


def _recipients(facilitator: Facilitator) -> list[int]:
    """The TPL's own account and their supervisor, when they exist and are active."""
    return sorted(enabled_user_ids([facilitator.user_id, facilitator.supervisor_id]))


def contracts_ending(as_of: date) -> int:
    """Contracts whose effective end falls within 30 days: tell the TPL and their supervisor."""
    rows = db.session.execute(
        sa.select(Contract, Facilitator)
        .join(Facilitator, Contract.facilitator_id == Facilitator.id)
        .where(Contract.ends_soon(as_of))
    ).all()
    added = 0
    for contract, facilitator in rows:
        params = {
            "number": contract.number,
            "name": facilitator.full_name,
            "date": contract.effective_end,
            "place": contract.placement_code,
        }
        for user_id in _recipients(facilitator):
            added += notify(
                user_id,
                "contract_ending",
                params,
                f"contract_ending:{contract.id}:{contract.effective_end.isoformat()}",
                "facilitators.detail",
                {"facilitator_id": facilitator.id},
            )
    db.session.flush()
    return added


def tracer_due(as_of: date) -> int:
    """Tracer surveys due (and, 30 days later, overdue) at the configured months after the exit date, until the
    round closes unanswered (missed)."""
    from .outcomes import tracer_rounds

    end = Contract.effective_end
    exits = (
        sa.select(
            Contract.facilitator_id.label("facilitator_id"), sa.type_coerce(sa.func.max(end), sa.Date).label("exit")
        )
        .group_by(Contract.facilitator_id)
        .subquery()
    )
    alumni = db.session.execute(
        sa.select(Facilitator, exits.c.exit)
        .join(exits, exits.c.facilitator_id == Facilitator.id)
        .where(exits.c.exit < as_of)
    ).all()
    ids = [facilitator.id for facilitator, _exit in alumni]
    surveys: dict[int, list[date]] = {}
    for facilitator_id, survey_date in db.session.execute(
        sa.select(OutcomeSurvey.facilitator_id, OutcomeSurvey.survey_date).where(OutcomeSurvey.facilitator_id.in_(ids))
    ):
        surveys.setdefault(facilitator_id, []).append(survey_date)
    added = 0
    for facilitator, exit_date in alumni:
        for count, due, answered, closes in tracer_rounds(exit_date, surveys.get(facilitator.id, []), as_of):
            if due > as_of or answered is not None or as_of >= closes:
                continue  # not due yet, answered, or missed (closed: a survey now answers a later round)
            kind = "tracer_overdue" if as_of - due >= OVERDUE_AFTER else "tracer_due"
            for user_id in _recipients(facilitator):
                added += notify(
                    user_id,
                    kind,
                    {"months": count, "name": facilitator.full_name, "date": due},
                    f"{kind}:{facilitator.id}:{count}:{exit_date.isoformat()}",
                    "facilitators.detail",
                    {"facilitator_id": facilitator.id},
                )
    db.session.flush()
    return added


def inactive_facilitators(as_of: date, days: int = 14) -> int:
    """TPL under contract for at least `days` with no activity logged in the last `days`: tell them and their
    supervisor."""
    from ..models import Activity

    end = Contract.effective_end
    cutoff = as_of - timedelta(days=days)
    running = sa.select(Contract.facilitator_id).where(Contract.start_date <= cutoff, end >= as_of)
    recent = sa.select(Activity.facilitator_id).where(Activity.date > cutoff, Activity.date <= as_of)
    last_activity = (
        sa.select(Activity.facilitator_id, sa.type_coerce(sa.func.max(Activity.date), sa.Date).label("last"))
        .group_by(Activity.facilitator_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Facilitator, last_activity.c.last)
        .outerjoin(last_activity, last_activity.c.facilitator_id == Facilitator.id)
        .where(Facilitator.id.in_(running), Facilitator.id.not_in(recent))
    ).all()
    added = 0
    for facilitator, last in rows:
        # One reminder per quiet spell: the key changes once a new activity is logged.
        spell = last.isoformat() if last else "never"
        for user_id in _recipients(facilitator):
            added += notify(
                user_id,
                "no_activity",
                {"name": facilitator.full_name, "days": days, "date": last},
                f"no_activity:{facilitator.id}:{spell}",
                "facilitators.detail",
                {"facilitator_id": facilitator.id},
            )
    db.session.flush()
    return added


def permits_expiring(as_of: date) -> int:
    """Issued permits expiring within 60 days: tell the TPL who facilitated them and their supervisor."""
    rows = db.session.execute(
        sa.select(PermitFacilitation, Facilitator)
        .join(Facilitator, PermitFacilitation.facilitator_id == Facilitator.id)
        .where(
            PermitFacilitation.status == "issued",
            PermitFacilitation.expires_on.is_not(None),
            PermitFacilitation.expires_on >= as_of,
            PermitFacilitation.expires_on <= as_of + timedelta(days=60),
        )
    ).all()
    added = 0
    for permit, facilitator in rows:
        params = {
            "type": permit.permit_type.upper(),
            "number": permit.document_number or "",
            "business": permit.business.name,
            "date": permit.expires_on,
        }
        for user_id in _recipients(facilitator):
            added += notify(
                user_id,
                "permit_expiring",
                params,
                f"permit_expiring:{permit.id}:{permit.expires_on.isoformat()}",
                "permits.detail",
                {"permit_id": permit.id},
            )
    db.session.flush()
    return added


def alert_admins_of_failed_sign_ins(user: User, failures: int) -> int:
    """Tell every active admin that an account has collected many failed sign-ins (once a day per account); how
    many notifications were added (caller commits)."""
    from ..dates import programme_today
    from ..models import Role

    day = programme_today()
    admins = db.session.scalars(
        sa.select(User.id).where(User.role == Role.ADMIN.value, User.is_enabled.is_(True)).order_by(User.id)
    )
    added = 0
    for admin_id in admins:
        added += notify(
            admin_id,
            "login_failures",
            {"email": user.email, "count": failures, "date": day},
            f"login_failures:{user.id}:{day.isoformat()}",
            "admin.user_edit",
            {"user_id": user.id},
        )
    db.session.flush()
    return added


def unread_count(user: User) -> int:
    """How many notifications the user has not read."""
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        )
        or 0
    )


def user_notifications(user: User):
    """A select of the user's notifications, unread first, newest first."""
    return (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one (or, without an id, every) notification of the user as read; returns how many."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = db.session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    if result.rowcount:
        audit.record(
            "notifications_read",
            actor=user,
            entity_type="notifications",
            entity_id=notification_id,
            note=f"{result.rowcount} marked as read",
        )
    db.session.flush()
    return result.rowcount


def reader_language(user: User) -> str:
    """The language a user reads notifications in away from the app: their last choice, else the default."""
    languages = current_app.config["LANGUAGES"]
    return user.language if user.language in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def send_email_digests(as_of: date) -> Iterator[User]:
    """Email each user one digest of their unread, not yet emailed notifications (only when MAIL_SERVER is set),
    yielding each user once their digest has gone out, so that the caller can commit that much."""
    from .. import mail

    if not mail.configured():
        return
    pending = db.session.execute(
        sa.select(Notification, User)
        .join(User, Notification.user_id == User.id)
        .where(Notification.read_at.is_(None), Notification.emailed_at.is_(None), User.is_enabled.is_(True))
        .order_by(User.id, Notification.created_at)
    ).all()
    by_user: dict[int, tuple[User, list[Notification]]] = {}
    for notification, user in pending:
        by_user.setdefault(user.id, (user, []))[1].append(notification)
    with mail.connection() as smtp:
        for user, notes in by_user.values():
            with force_locale(reader_language(user)):
                subject = _("TPL Tracker: %(n)d new notifications", n=len(notes))
                lines = [_("Hello %(name)s,", name=user.full_name), ""]
                lines += [f"- {notification_text(note)}" for note in notes]
                lines += ["", _("Open TPL Tracker to see them.")]
            mail.send(mail.new_message(user.email, subject, "\n".join(lines)), smtp)
            for note in notes:
                note.emailed_at = utcnow()
            db.session.flush()
            yield user
