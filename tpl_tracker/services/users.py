"""Managing user accounts: create, change role and scope, deactivate, reset password.

An account may have no usable password yet (created to be invited, or imported): `set_unusable_password` gives
it one that no password matches, `has_usable_password` tells; its owner sets a password through an invitation
or reset link (services/password_links.py).
"""

from collections.abc import Container
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import DOT_ATOM_TEXT, EMAIL_MAX_LENGTH
from flask import current_app
from flask_babel import gettext as _
from lokal import normalize_phone

from ..extensions import db
from ..models import Facilitator, Role, SupervisorRegion, User
from . import Problems, ServiceError, audit, bulk, throttle
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
    phone: str | None = None


def normalize_email(email: str) -> str:
    """Lower-case, syntax-checked email; ServiceError when it is not an address."""
    email = (email or "").strip()
    local, _at, domain = email.rpartition("@")
    # The common address, a plain ASCII local part (email_validator's own first test) at a domain seen before, is
    # put together from its parts as email_validator would; anything else is checked in full.
    forms = _domain_forms(domain) if DOT_ATOM_TEXT.match(local) else None
    if forms is not None:
        normalized = f"{local}@{forms[0]}"
        if max(len(email.encode()), len(normalized.encode()), len(local) + 1 + len(forms[1])) <= EMAIL_MAX_LENGTH:
            return normalized.lower()
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ServiceError(_("This is not a valid email address."), field="email") from None


@lru_cache(maxsize=1024)
def _domain_forms(domain: str) -> tuple[str, str] | None:
    """An email domain as email_validator normalizes it and in IDNA ASCII, None when it refuses it: checked once
    per domain (an import checks thousands of addresses at a few domains). The local part does not change how a
    domain is judged."""
    try:
        checked = validate_email(f"a@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return None
    return checked.domain, checked.ascii_domain


def normalize_phone_number(phone: str | None) -> str | None:
    """E.164 form of an Indonesian phone number, None when empty; ServiceError when invalid."""
    if not phone or not phone.strip():
        return None
    e164 = normalize_phone(phone.strip())
    if e164 is None:
        raise ServiceError(_("This is not a valid Indonesian phone number."), field="phone")
    return e164


def has_usable_password(user: User) -> bool:
    """Whether a password can sign in to the account. False for an account created by an import until a password
    is set for it (by its owner through an invitation, or by an admin with `reset_password`)."""
    return is_usable_hash(user.password_hash)


def check_new_password(password: str, email: str | None) -> None:
    """ServiceError on the password field when a new password is refused."""
    problem = password_problem(password, email)
    if problem:
        raise ServiceError(problem, field="password")


def check_user_values(data: UserData, regions: Container[str] | None = None) -> dict:
    """The cleaned values of an account by the rules that read no other account (the form and the importer):
    email, name, role, phone and scope regions; a refusal lists every problem at once. `regions`: every known
    region code, when the caller loaded them all (else each code is looked up)."""
    problems = Problems()
    email = problems.check(normalize_email, data.email)
    known_role = data.role in {r.value for r in Role}
    if not known_role:
        problems.add(_("Unknown role."), "role")
    full_name = (data.full_name or "").strip()
    if not full_name:
        problems.add(_("The name is required."), "full_name")
    elif len(full_name) > FULL_NAME_MAX:
        problems.add(
            _("%(label)s is too long (at most %(max)d characters).", label=_("Full name"), max=FULL_NAME_MAX),
            "full_name",
        )
    phone = problems.check(normalize_phone_number, data.phone)
    for code in data.region_codes:
        if not (code in regions if regions is not None else region_exists(code)):
            problems.add(_("Unknown region code %(code)s.", code=code), "region_codes")
    if known_role and data.role != Role.SUPERVISOR.value and (data.region_codes or data.facilitator_ids):
        problems.add(_("Only a supervisor has a scope of regions or TPL."), "region_codes")
    problems.raise_if_any()
    return {
        "email": email,
        "full_name": full_name,
        "role": data.role,
        "phone": phone,
        "region_codes": sorted(set(data.region_codes)),
    }


def check_user(data: UserData, user: User | None = None, actor: User | None = None, password: str | None = None) -> str:
    """The normalized email of an account (new with `password`, or a change of `user` by `actor`); a refusal
    lists every problem at once."""
    problems = Problems()
    problems.check(check_user_values, data)
    email = None if problems.has("email") else normalize_email(data.email)
    if email is not None:
        clash = db.session.scalar(sa.select(User.id).where(User.email == email))
        if clash is not None and (user is None or clash != user.id):
            problems.add(_("Another account already uses this email address."), "email")
    if user is not None and actor is not None and user.id == actor.id and data.role != user.role:
        problems.add(_("You cannot change your own role."), "role")
    if data.facilitator_ids and not problems.has("region_codes"):
        problems.check(check_assigned_tpl, data.facilitator_ids, actor)
    if password is not None:
        problems.check(check_new_password, password, email)
    problems.raise_if_any()
    return email


def check_assigned_tpl(facilitator_ids: list[int], actor: User | None) -> None:
    """Refuse a supervisor's assigned TPL that do not exist or lie outside the actor's scope (the picker offers only
    TPL in scope; a posted id is checked again here)."""
    from .policy import facilitator_scope

    wanted = set(facilitator_ids)
    scope = facilitator_scope(actor) if actor is not None else sa.true()
    found = set(db.session.scalars(sa.select(Facilitator.id).where(Facilitator.id.in_(wanted), scope)))
    if wanted - found:
        unknown = len(wanted - found)
        raise ServiceError(
            _("Choose the assigned TPL with the search: %(count)d of the chosen TPL cannot be found.", count=unknown),
            field="facilitator_ids",
        )


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


def create_user(actor: User | None, data: UserData, password: str | None = None) -> User:
    """Create an account, with an initial password or (`password` None) without a usable one, to be invited."""
    email = check_user(data, actor=actor, password=password)
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


def import_accounts(actor: User | None, created: list[dict], note: str) -> dict[str, int]:
    """Create accounts checked by `check_user_values` in bulk (an import); the new accounts' ids by email.

    Each gets an unusable password (`unusable_hash`): nobody signs in to it until its owner sets a
    password through an invitation (or an admin sets one). A supervisor gets the scope regions of its values.
    Each account is audited as `user_created`, with its scope."""
    rows = [
        {
            "email": values["email"],
            "full_name": values["full_name"],
            "role": values["role"],
            "phone": values["phone"],
            "password_hash": unusable_hash(),
        }
        for values in created
    ]
    scopes = [{"region_codes": values["region_codes"]} for values in created]
    ids = bulk.insert_many(User, rows, actor, "user_created", note, audit_extra=scopes)
    regions = [
        {"user_id": user_id, "region_code": code}
        for user_id, values in zip(ids, created, strict=True)
        for code in values["region_codes"]
    ]
    for batch in bulk.batches(regions):
        db.session.execute(sa.insert(SupervisorRegion), batch)
    db.session.flush()
    return {values["email"]: user_id for values, user_id in zip(created, ids, strict=True)}


def _account_state(user: User) -> dict:
    return audit.snapshot(user) | {"region_codes": user.region_codes}


def import_supervisor_changes(actor: User | None, updated: list[tuple[User, dict]], note: str) -> int:
    """Give existing supervisor accounts the name, phone and scope regions of an import (values checked by
    `check_user_values`); each change is audited as `user_updated`, with the scope. Email, role, password and
    sessions are left as they are. How many accounts changed."""

    def set_scope(user: User, values: dict) -> None:
        wanted = set(values.pop("region_codes"))
        for scope in list(user.scope_regions):
            if scope.region_code not in wanted:
                user.scope_regions.remove(scope)
        have = {scope.region_code for scope in user.scope_regions}
        for code in sorted(wanted - have):
            user.scope_regions.append(SupervisorRegion(region_code=code))

    changes = [
        (user, {"full_name": values["full_name"], "phone": values["phone"], "region_codes": values["region_codes"]})
        for user, values in updated
    ]
    return bulk.update_many(changes, actor, "user_updated", note, before_update=set_scope, state=_account_state)


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
