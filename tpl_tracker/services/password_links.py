"""Password links: invitations to new accounts (valid 7 days) and password resets (1 hour), each usable once.

A link's token is `secrets.token_urlsafe(32)`; only its SHA-256 is stored. Issuing a link replaces the user's
older open links of the same purpose (they stop working), and using any link sets the password, ends every
other session of the user (the session token rotates) and withdraws every other open link of theirs.

Links reach their owner in two ways:

- by email (MAIL_*), in the recipient's language: an invitation from the admin's user page goes out at once; the
  invitations of a whole group and every self-service reset request are queued (a row without a token) and sent
  by the `send-account-emails` job, which makes the token as it sends. So a reset request takes the same path
  whether or not the address exists, and no queue holds a secret;
- by hand: the admin's user page (or `flask accounts invite` without SMTP) makes a link and shows it to the admin
  only, never to whoever asked for a reset.

Every step is audited: queued, sent, failed, link shown, used, and each attempt with a dead link (refused).
"""

import hashlib
import secrets
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _

from .. import mail
from ..extensions import db
from ..models import Facilitator, LinkDelivery, LinkPurpose, LinkState, PasswordLink, SupervisorRegion, User
from . import Problems, ServiceError, audit, throttle
from .auth import MAX_TYPED_PASSWORD, end_all_sessions
from .notifications import reader_language
from .passwords import hash_password, password_problem

TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100  # token_urlsafe(32) is 43 characters; anything much longer is not ours
ENDPOINTS = {LinkPurpose.INVITATION: "auth.invitation", LinkPurpose.RESET: "auth.reset"}
ACTION_PREFIX = {LinkPurpose.INVITATION: "invitation", LinkPurpose.RESET: "password_reset"}
# What refuses one message while the connection stays usable: that link fails, the others are still sent.
REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def _now() -> datetime:
    return datetime.now(UTC)


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, 64 hex digits."""
    return hashlib.sha256(token.encode()).hexdigest()


def valid_for(purpose: str) -> timedelta:
    """How long a link of this purpose works once issued (INVITATION_VALID_DAYS, RESET_LINK_VALID_MINUTES)."""
    config = current_app.config
    if purpose == LinkPurpose.INVITATION:
        return timedelta(days=config["INVITATION_VALID_DAYS"])
    return timedelta(minutes=config["RESET_LINK_VALID_MINUTES"])


def _action(purpose: str, event: str) -> str:
    return f"{ACTION_PREFIX[LinkPurpose(purpose)]}_{event}"


def _open(now: datetime):
    """The condition of a link that may still be sent or used."""
    return sa.and_(
        PasswordLink.used_at.is_(None),
        PasswordLink.revoked_at.is_(None),
        PasswordLink.failed_at.is_(None),
        sa.or_(PasswordLink.expires_at.is_(None), PasswordLink.expires_at > now),
    )


def _queued():
    """The condition of a link waiting for the mail job."""
    return sa.and_(
        PasswordLink.delivery == LinkDelivery.EMAIL.value,
        PasswordLink.token_hash.is_(None),
        PasswordLink.used_at.is_(None),
        PasswordLink.revoked_at.is_(None),
        PasswordLink.failed_at.is_(None),
    )


def _withdraw(user_id: int, now: datetime, purpose: str | None = None, keep: int | None = None) -> None:
    conditions = [PasswordLink.user_id == user_id, _open(now)]
    if purpose is not None:
        conditions.append(PasswordLink.purpose == purpose)
    if keep is not None:
        conditions.append(PasswordLink.id != keep)
    db.session.execute(
        sa.update(PasswordLink).where(*conditions).values(revoked_at=now).execution_options(synchronize_session=False)
    )


def withdraw_open_links(user: User) -> None:
    """Make every open link of the user useless (their password was set another way)."""
    _withdraw(user.id, _now())
    db.session.flush()


def _issue(link: PasswordLink, now: datetime) -> str:
    """Give a link its token (returned: the only time it exists outside the email or the admin's screen)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link.token_hash = hash_token(token)
    link.issued_at = now
    link.expires_at = now + valid_for(link.purpose)
    return token


def link_url(purpose: str, token: str, site_url: str | None = None) -> str:
    """The address of a link: on `site_url`, else PUBLIC_URL, else the current request's own address."""
    try:
        return mail.external_url(ENDPOINTS[LinkPurpose(purpose)], site_url, token=token)
    except mail.NoSiteAddress:
        raise ServiceError(_("Links cannot be made without the site's address: set PUBLIC_URL.")) from None


def _stamp(moment: datetime) -> str:
    """A moment as people read it, with the programme's timezone (e.g. 09/12/2026 10:00 WIB)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return f"{format_datetime(moment, 'dd/MM/yyyy HH:mm')} {moment.astimezone(zone).tzname()}"


def check_invitable(user: User) -> None:
    """ServiceError unless the account may be invited: active and never signed in."""
    if not user.is_enabled:
        raise ServiceError(_("This account is deactivated: reactivate it first."))
    if user.last_login_at is not None:
        raise ServiceError(_("This account has already signed in: give its owner a password reset link instead."))


def _check_purpose(user: User, purpose: str) -> None:
    if purpose == LinkPurpose.INVITATION:
        check_invitable(user)
    elif not user.is_enabled:
        raise ServiceError(_("This account is deactivated: reactivate it first."))


def _note(link: PasswordLink) -> str:
    return f"link {link.id}, valid until {link.expires_at.isoformat()}"


# --- by hand ------------------------------------------------------------------------------------------------------


def hand_over_link(
    actor: User | None, user: User, purpose: str, site_url: str | None = None
) -> tuple[str, PasswordLink]:
    """Make a link for the admin to hand over (shown once, to the admin only): its address, and the link."""
    _check_purpose(user, purpose)
    now = _now()
    link = PasswordLink(
        user=user,
        purpose=purpose,
        delivery=LinkDelivery.MANUAL.value,
        created_at=now,
        created_by_id=getattr(actor, "id", None),
    )
    token = _issue(link, now)
    url = link_url(purpose, token, site_url)
    db.session.add(link)
    db.session.flush()
    _withdraw(user.id, now, purpose, keep=link.id)
    audit.record(_action(purpose, "link_shown"), actor=actor, entity=user, note=_note(link))
    db.session.flush()
    return url, link


# --- by email -----------------------------------------------------------------------------------------------------


def _email(user: User, purpose: str, url: str, valid_until: datetime):
    """The message of a link, in the recipient's language."""
    with force_locale(reader_language(user)):
        hello = _("Hello %(name)s,", name=user.full_name)
        until = _("The link works once, until %(time)s.", time=_stamp(valid_until))
        if purpose == LinkPurpose.INVITATION:
            subject = _("TPL Tracker: set the password of your account")
            lines = [
                hello,
                "",
                _("An account on TPL Tracker has been made for you (%(email)s).", email=user.email),
                _("Choose your password with this link; you are then signed in:"),
                "",
                url,
                "",
                until,
                _("If you did not expect this email, you can ignore it."),
            ]
        else:
            subject = _("TPL Tracker: reset your password")
            lines = [
                hello,
                "",
                _("Someone asked to reset the password of your TPL Tracker account (%(email)s).", email=user.email),
                _("Choose a new password with this link:"),
                "",
                url,
                "",
                until,
                _("If you did not ask for it, ignore this email: your password stays as it is."),
            ]
    return mail.new_message(user.email, subject, "\n".join(lines))


def _deliver(link: PasswordLink, smtp=None, failures=REFUSALS, site_url: str | None = None) -> bool:
    """Make the link's token and email it; on success the user's older links of that purpose stop working.

    A failure of the kinds in `failures` leaves the link failed, without a token, and audited (False); any
    other error propagates (the caller's transaction is rolled back: a queued link stays queued).
    """
    now = _now()
    token = _issue(link, now)
    message = _email(link.user, link.purpose, link_url(link.purpose, token, site_url), link.expires_at)
    try:
        mail.send(message, smtp)
    except failures as error:
        link.token_hash = link.issued_at = link.expires_at = None
        link.failed_at = now
        current_app.logger.warning("Password link %s could not be sent: %s", link.id, type(error).__name__)
        audit.record(
            _action(link.purpose, "failed"),
            actor=link.created_by,
            entity=link.user,
            note=f"link {link.id}: {type(error).__name__}",
        )
        db.session.flush()
        return False
    _withdraw(link.user_id, now, link.purpose, keep=link.id)
    audit.record(_action(link.purpose, "sent"), actor=link.created_by, entity=link.user, note=_note(link))
    db.session.flush()
    return True


def _require_mail() -> None:
    if not mail.configured():
        raise ServiceError(_("No email server is set up (MAIL_SERVER): hand over a link instead."))


def send_invitation(actor: User | None, user: User, site_url: str | None = None) -> bool:
    """Email an invitation now; False when the email server refused or could not be reached (audited)."""
    _require_mail()
    check_invitable(user)
    link = PasswordLink(
        user=user,
        purpose=LinkPurpose.INVITATION.value,
        delivery=LinkDelivery.EMAIL.value,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(link)
    db.session.flush()
    return _deliver(link, failures=(smtplib.SMTPException, OSError), site_url=site_url)


@dataclass
class InvitationFilter:
    """Which accounts the invitations page lists (and a group invitation reaches)."""

    q: str | None = None
    role: str | None = None
    province: str | None = None
    angkatan: int | None = None
    signed_in: bool | None = None  # None: either

    def describe(self) -> str:
        """The filters as a short note for the audit trail (no personal data)."""
        parts = [f"{name}={value}" for name, value in vars(self).items() if value not in (None, "") and name != "q"]
        return ", ".join(parts) or "everyone"


def _region_condition(code: str):
    return sa.or_(Facilitator.region_code == code, Facilitator.region_code.like(f"{code}.%"))


def accounts(filters: InvitationFilter):
    """A select of the accounts matching the filters, by name."""
    query = sa.select(User).order_by(User.full_name, User.id)
    if filters.q:
        term = f"%{filters.q.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.full_name).like(term), User.email.like(term)))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.province:
        code = filters.province
        placed = sa.select(Facilitator.user_id).where(Facilitator.user_id.is_not(None), _region_condition(code))
        scoped = sa.select(SupervisorRegion.user_id).where(
            sa.or_(SupervisorRegion.region_code == code, SupervisorRegion.region_code.like(f"{code}.%"))
        )
        query = query.where(sa.or_(User.id.in_(placed), User.id.in_(scoped)))
    if filters.angkatan:
        query = query.where(User.id.in_(sa.select(Facilitator.user_id).where(Facilitator.angkatan == filters.angkatan)))
    if filters.signed_in is not None:
        query = query.where(User.last_login_at.is_not(None) if filters.signed_in else User.last_login_at.is_(None))
    return query


def invitation_candidates(filters: InvitationFilter):
    """A select of the accounts a group invitation reaches: those matching the filters that are active, have not
    signed in yet, and hold no invitation still waiting or valid."""
    now = _now()
    holding = sa.select(PasswordLink.user_id).where(PasswordLink.purpose == LinkPurpose.INVITATION.value, _open(now))
    query = accounts(InvitationFilter(**{**vars(filters), "signed_in": False})).where(
        User.is_enabled.is_(True), User.id.not_in(holding)
    )
    return query.where(sa.false()) if filters.signed_in else query  # "has signed in" leaves nobody to invite


def count_candidates(filters: InvitationFilter) -> int:
    """How many accounts a group invitation would reach now."""
    subquery = invitation_candidates(filters).order_by(None).subquery()
    return db.session.scalar(sa.select(sa.func.count()).select_from(subquery)) or 0


def queue_invitations(actor: User, filters: InvitationFilter) -> int:
    """Queue an invitation by email to every account a group invitation reaches (the mail job sends them within a
    minute); how many."""
    _require_mail()
    user_ids = list(db.session.scalars(invitation_candidates(filters).with_only_columns(User.id)))
    now = _now()
    db.session.add_all(
        PasswordLink(
            user_id=user_id,
            purpose=LinkPurpose.INVITATION.value,
            delivery=LinkDelivery.EMAIL.value,
            created_at=now,
            created_by_id=actor.id,
        )
        for user_id in user_ids
    )
    audit.record(
        "invitations_queued",
        actor=actor,
        entity_type="password_links",
        note=f"{len(user_ids)} invitations queued ({filters.describe()})",
    )
    db.session.flush()
    return len(user_ids)


def latest_links(user_ids: list[int], purpose: str) -> dict[int, PasswordLink]:
    """The newest link of each of these users for this purpose."""
    if not user_ids:
        return {}
    newest = (
        sa.select(sa.func.max(PasswordLink.id))
        .where(PasswordLink.user_id.in_(user_ids), PasswordLink.purpose == purpose)
        .group_by(PasswordLink.user_id)
    )
    links = db.session.scalars(sa.select(PasswordLink).where(PasswordLink.id.in_(newest)))
    return {link.user_id: link for link in links}


def request_reset(email: str) -> None:
    """A reset link asked for on the sign-in page. The same steps whatever the address: the request is audited
    (the typed address only as its keyed hash); for an active account, and only when email is set up, a reset
    link is queued for the mail job (once: a request already waiting is not repeated)."""
    typed = throttle.normalise_email(email)
    user = db.session.scalar(sa.select(User).where(User.email == typed))
    audit.record("password_reset_requested", entity=user, note=f"account {throttle.account_digest(typed)}")
    if user is not None and user.is_enabled and mail.configured():
        waiting = db.session.scalar(
            sa.select(PasswordLink.id).where(
                PasswordLink.user_id == user.id, PasswordLink.purpose == LinkPurpose.RESET.value, _queued()
            )
        )
        if waiting is None:
            db.session.add(
                PasswordLink(user_id=user.id, purpose=LinkPurpose.RESET.value, delivery=LinkDelivery.EMAIL.value)
            )
    db.session.flush()


def queued_links_waiting() -> bool:
    """Whether a link waits for the mail job (and email is set up)."""
    return mail.configured() and db.session.scalar(sa.select(sa.exists().where(_queued()))) is True


def send_queued() -> Iterator[PasswordLink]:
    """Send every queued link, oldest first, on one SMTP connection, yielding each once it is sent or failed (the
    caller commits that much). A link whose account was deactivated meanwhile is withdrawn, not sent."""
    if not mail.configured():
        return
    ids = list(db.session.scalars(sa.select(PasswordLink.id).where(_queued()).order_by(PasswordLink.id)))
    if not ids:
        return
    with mail.connection() as smtp:
        for link_id in ids:
            link = db.session.get(PasswordLink, link_id)
            if link is None or link.state() != LinkState.QUEUED:
                continue
            if not link.user.is_enabled or (
                link.purpose == LinkPurpose.INVITATION and link.user.last_login_at is not None
            ):
                link.revoked_at = _now()
                db.session.flush()
                continue
            _deliver(link, smtp=smtp)
            yield link


# --- using a link -------------------------------------------------------------------------------------------------


def find_link(token: str | None, purpose: str, for_update: bool = False) -> PasswordLink | None:
    """The link of a token and purpose, whatever its state (None: no such link)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    query = sa.select(PasswordLink).where(PasswordLink.token_hash == hash_token(token), PasswordLink.purpose == purpose)
    if for_update:
        query = query.with_for_update()
    return db.session.scalar(query)


def usable_state(link: PasswordLink) -> LinkState:
    """The link's state for whoever opens it: a link of a deactivated account counts as withdrawn."""
    state = link.state()
    if state == LinkState.VALID and not link.user.is_enabled:
        return LinkState.REPLACED
    return state


def refuse_link(link: PasswordLink) -> None:
    """Audit an attempt with a link that no longer works (expired, used, replaced)."""
    audit.record(_action(link.purpose, "refused"), entity=link.user, note=f"link {link.id}: {usable_state(link).value}")
    db.session.flush()


def check_chosen_password(user: User, password: str | None, confirm: str | None) -> None:
    """Refuse a password chosen through a link that breaks a rule, naming every problem: given, of a length worth
    hashing, acceptable (passwords.password_problem), and typed twice alike."""
    problems = Problems()
    required = _("This field is required.")
    if not password:
        problems.add(required, "password")
    elif len(password) > MAX_TYPED_PASSWORD:
        problems.add(_("The password may have at most %(n)d characters.", n=MAX_TYPED_PASSWORD), "password")
    else:
        problem = password_problem(password, user.email)
        if problem:
            problems.add(problem, "password")
    if not confirm:
        problems.add(required, "confirm")
    elif confirm != password:
        problems.add(_("The two passwords differ."), "confirm")
    problems.raise_if_any()


def use_link(link: PasswordLink, new_password: str | None, confirm: str | None) -> User:
    """Set the password of the link's owner (typed twice; the password rules apply) and sign them in: the link is
    used, every other open link of theirs withdrawn, every other session ended, every client's wait lifted."""
    if usable_state(link) != LinkState.VALID:
        raise ServiceError(_("This link no longer works."))
    user = link.user
    check_chosen_password(user, new_password, confirm)
    now = _now()
    user.password_hash = hash_password(new_password)
    user.password_changed_at = now
    user.failed_login_count = 0
    user.failed_login_window_start = None
    user.locked_until = None
    user.last_login_at = now
    throttle.forget(throttle.account_digest(user.email))
    end_all_sessions(user)
    link.used_at = now
    _withdraw(user.id, now, keep=link.id)
    audit.record(_action(link.purpose, "used"), actor=user, entity=user, note=f"link {link.id}")
    db.session.flush()
    return user
