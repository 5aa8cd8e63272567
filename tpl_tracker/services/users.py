"""Managing user accounts: create, change role and scope, deactivate, reset password.

An account may have no usable password yet (created to be invited, or imported): `set_unusable_password` gives
it one that no password matches, `has_usable_password` tells; its owner sets a password through an invitation
or reset link (services/password_links.py).
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _

from ..extensions import db
from ..models import Facilitator, Role, SupervisorRegion, User
from . import Problems, ServiceError, audit, throttle
from .auth import end_all_sessions
from .passwords import hash_password, is_usable_hash, password_problem, unusable_hash
from .regions import region_exists

FULL_NAME_MAX = 120


@dataclass
class UserData:
    """What an admin types about an account."""

    email: str
    full_name: str
    role: str
    region_codes: list[str] = field(default_factory=list)
    facilitator_ids: list[int] = field(default_factory=list)


def normalize_email(email: str) -> str:
    """Lower-case, syntax-checked email; ServiceError when it is not an address."""
    try:
        return validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ServiceError(_("This is not a valid email address."), field="email") from None


def check_new_password(password: str, email: str | None) -> None:
    """ServiceError on the password field when a new password is refused."""
    problem = password_problem(password, email)
    if problem:
        raise ServiceError(problem, field="password")


def check_user(data: UserData, user: User | None = None, actor: User | None = None, password: str | None = None) -> str:
    """The normalized email of an account (new with `password`, or a change of `user` by `actor`); a refusal
    lists every problem at once."""
    problems = Problems()
    email = problems.check(normalize_email, data.email)
    if email is not None:
        clash = db.session.scalar(sa.select(User.id).where(User.email == email))
        if clash is not None and (user is None or clash != user.id):
            problems.add(_("Another account already uses this email address."), "email")
    known_role = data.role in {r.value for r in Role}
    if not known_role:
        problems.add(_("Unknown role."), "role")
    elif user is not None and actor is not None and user.id == actor.id and data.role != user.role:
        problems.add(_("You cannot change your own role."), "role")
    full_name = (data.full_name or "").strip()
    if not full_name:
        problems.add(_("The name is required."), "full_name")
    elif len(full_name) > FULL_NAME_MAX:
        problems.add(
            _("%(label)s is too long (at most %(max)d characters).", label=_("Full name"), max=FULL_NAME_MAX),
            "full_name",
        )
    for code in data.region_codes:
        if not region_exists(code):
            problems.add(_("Unknown region code %(code)s.", code=code), "region_codes")
    if known_role and data.role != Role.SUPERVISOR.value and (data.region_codes or data.facilitator_ids):
        problems.add(_("Only a supervisor has a scope of regions or TPL."), "region_codes")
    if password is not None:
        problems.check(check_new_password, password, email)
    problems.raise_if_any()
    return email


def _apply_scope(user: User, data: UserData) -> None:
    wanted = set(data.region_codes)
    for scope in list(user.scope_regions):
        if scope.region_code not in wanted:
            user.scope_regions.remove(scope)
    have = {s.region_code for s in user.scope_regions}
    for code in sorted(wanted - have):
        user.scope_regions.append(SupervisorRegion(region_code=code))
    if user.id is None:
        db.session.flush()
    assigned = set(data.facilitator_ids)
    for facilitator in db.session.scalars(
        sa.select(Facilitator).where(sa.or_(Facilitator.supervisor_id == user.id, Facilitator.id.in_(assigned)))
    ):
        facilitator.supervisor_id = user.id if facilitator.id in assigned else None


def _state(user: User) -> dict:
    state = audit.snapshot(user)
    state["region_codes"] = user.region_codes
    state["facilitator_ids"] = (
        sorted(db.session.scalars(sa.select(Facilitator.id).where(Facilitator.supervisor_id == user.id)))
        if user.id
        else []
    )
    return state


def set_unusable_password(user: User) -> None:
    """Leave the account without a usable password: no password signs it in until its owner sets one through an
    invitation or reset link (the caller audits)."""
    user.password_hash = unusable_hash()


def has_usable_password(user: User) -> bool:
    """True when some password signs the account in; False for an account still waiting for its owner's."""
    return is_usable_hash(user.password_hash)


def create_user(actor: User | None, data: UserData, password: str | None = None) -> User:
    """Create an account, with an initial password or (`password` None) without a usable one, to be invited."""
    email = check_user(data, password=password)
    user = User(email=email, full_name=data.full_name.strip(), role=data.role)
    if password is None:
        set_unusable_password(user)
    else:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    _apply_scope(user, data)
    db.session.flush()
    after = {**_state(user), "has_password": password is not None}
    audit.record("user_created", actor=actor, entity=user, after=after)
    db.session.flush()
    return user


def update_user(actor: User, user: User, data: UserData) -> User:
    """Change name, email, role and scope of an account."""
    email = check_user(data, user, actor)
    before = _state(user)
    role_changed = data.role != user.role
    user.email = email
    user.full_name = data.full_name.strip()
    user.role = data.role
    _apply_scope(user, data)
    if role_changed:
        end_all_sessions(user)
    db.session.flush()
    old, new = audit.changed(before, _state(user))
    audit.record("user_updated", actor=actor, entity=user, before=old, after=new)
    db.session.flush()
    return user


def set_enabled(actor: User, user: User, enabled: bool) -> User:
    """Deactivate (ending every session) or reactivate an account."""
    if user.id == actor.id and not enabled:
        raise ServiceError(_("You cannot deactivate your own account."))
    if user.is_enabled == enabled:
        return user
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user)
    audit.record(
        "user_activated" if enabled else "user_deactivated",
        actor=actor,
        entity=user,
        before={"is_enabled": not enabled},
        after={"is_enabled": enabled},
    )
    db.session.flush()
    return user


def reset_password(actor: User, user: User, new_password: str) -> User:
    """Set a new password chosen by an admin; the user's sessions end, every client's wait is lifted and their open
    invitation or reset links stop working."""
    check_new_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.locked_until = None
    user.failed_login_count = 0
    user.failed_login_window_start = None
    throttle.forget(throttle.account_digest(user.email))
    end_all_sessions(user)
    from .password_links import withdraw_open_links  # it builds on this module

    withdraw_open_links(user)
    audit.record("password_reset", actor=actor, entity=user)
    db.session.flush()
    return user


def remember_language(user: User, language: str) -> User:
    """Keep the interface language the user chose, for what reaches them outside the app (email digests)."""
    if language not in current_app.config["LANGUAGES"]:
        raise ServiceError(_("This language is not available."))
    if user.language == language:
        return user
    before = {"language": user.language}
    user.language = language
    audit.record("language_chosen", actor=user, entity=user, before=before, after={"language": language})
    db.session.flush()
    return user
