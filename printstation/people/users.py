"""The people who use the station, their accounts and PINs, and how one signs in.

An account belongs to a person: a full name and an 18-digit NIP, one active account per
NIP (a partial unique index). Four-eyes compares people (``same_person``), not account
names. PINs are 6 to 12 ASCII digits, stored as scrypt hashes with a per-user salt.

Set-up mode lasts until the station's first account is ever created: that account's
``user.add`` event and a ``station.setup_closed`` event are in the audit chain, in the
same transaction, and set-up mode is over for good once either is there, whatever the
users table holds afterwards. In set-up mode only the role names (operator, supervisor,
auditor) act, without a PIN, and nobody can countersign.

Five wrong PINs in a row lock an account for 15 minutes (``auth.locked``); a supervisor
can unlock it. A failure costs the same work whoever is named: an unknown, disabled or
locked account's PIN is still run through scrypt, against a dummy hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printstation.errors import InputError, PermissionDenied
from printstation.ledger import audit
from printstation.people import roles
from printstation.storage.models import AuditEvent, User, utcnow

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PIN_LENGTH = 6
#: Wrong PINs in a row that lock an account, and for how long.
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
NIP_LENGTH = 18
#: The audit events that say the station's set-up is over.
SETUP_CLOSING_EVENTS = ("station.setup_closed", "user.add")


def hash_pin(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def pin_matches(stored: str, pin: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    actual = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(actual.hex(), digest)


@cache
def _dummy_hash() -> str:
    """A hash no PIN matches, for the same scrypt work when the account cannot sign in."""
    return hash_pin(secrets.token_hex(16))


def has_users(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(User)).scalar_one())


def setup_closed(session: Session) -> bool:
    """Whether the station's set-up is over: an account was ever created.

    The audit chain says so (``station.setup_closed`` or any ``user.add``), so emptying
    the users table does not re-open set-up mode.
    """
    return has_users(session) or setup_recorded(session)


def setup_recorded(session: Session) -> bool:
    """Whether the audit chain records the set-up closing (or any account's creation)."""
    found = session.execute(
        select(AuditEvent.id).where(AuditEvent.action.in_(SETUP_CLOSING_EVENTS)).limit(1)
    ).scalar_one_or_none()
    return found is not None


def nip_of(session: Session, name: str) -> str | None:
    """The NIP of the account ``name``; None when there is no such account or it has none."""
    return session.execute(select(User.nip).where(User.name == name)).scalar_one_or_none()


def same_person(session: Session, a: str, b: str) -> bool:
    """Whether accounts ``a`` and ``b`` may be one person (four-eyes refuses them then).

    True when the names are the same, when the accounts share a NIP, or when either has
    no account with a NIP (set-up mode's role names, an account made before NIPs were
    recorded): a person the station cannot tell apart cannot countersign.
    """
    if a == b:
        return True
    nip_a, nip_b = nip_of(session, a), nip_of(session, b)
    return nip_a is None or nip_b is None or nip_a == nip_b


#: Names an account may not take: they would read as a role or as the station itself.
RESERVED_NAMES = frozenset(
    {*roles.ROLES, "station", "system", "setup", "admin", "administrator", "root", "demo"}
)
_USER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")
_PIN = re.compile(rf"[0-9]{{{MIN_PIN_LENGTH},12}}")
#: Letters that look alike in a log or on a screen, folded to one (Cyrillic, Greek,
#: I, l and 1; O and 0); names that fold to the same skeleton are one name to a reader.
_LOOK_ALIKE = str.maketrans(
    {
        "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
        "і": "l", "ј": "j", "һ": "h", "ԁ": "d", "ӏ": "l", "ο": "o", "α": "a", "ρ": "p",
        "ν": "v", "τ": "t", "κ": "k", "ι": "l", "i": "l", "0": "o", "1": "l",
    }
)  # fmt: skip


def name_skeleton(name: str) -> str:
    """What ``name`` looks like to a reader: case, width and look-alike letters folded."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKE)
    return folded.replace("rn", "m").replace("vv", "w")


def check_user_name(session: Session, name: str) -> None:
    """Refuse a name that is malformed, reserved, or reads as an existing account's."""
    if not _USER_NAME.fullmatch(name):
        raise InputError(
            f"user name {name!r}: 2 to 40 lower-case ASCII letters, digits, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    if name in RESERVED_NAMES:
        raise InputError(f"user name {name!r} is reserved: choose the person's own name")
    skeleton = name_skeleton(name)
    for existing in session.execute(select(User.name)).scalars():
        if existing == name:
            raise InputError(f"user {name} already exists")
        if name_skeleton(existing) == skeleton:
            raise InputError(
                f"user name {name!r} reads the same as the existing account {existing!r}: "
                "choose a name that cannot be mistaken for it"
            )


def check_pin(pin: str) -> None:
    if not _PIN.fullmatch(pin):
        raise InputError(f"a PIN is {MIN_PIN_LENGTH} to 12 digits 0-9")


_NIP = re.compile(rf"[0-9]{{{NIP_LENGTH}}}")


def check_nip(nip: str) -> str:
    """The NIP as 18 ASCII digits (spaces between its groups are dropped)."""
    compact = nip.replace(" ", "")
    if not _NIP.fullmatch(compact):
        raise InputError(f"NIP {nip!r}: a NIP is {NIP_LENGTH} digits 0-9")
    return compact


def check_full_name(full_name: str) -> str:
    name = " ".join(full_name.split())
    if not 2 <= len(name) <= 120 or not any(c.isalpha() for c in name):
        raise InputError(
            f"full name {full_name!r}: the person's name as on their NIP, 2-120 letters"
        )
    return name


def _active_with_nip(session: Session, nip: str, *, besides: str | None = None) -> str | None:
    query = select(User.name).where(User.nip == nip, User.active.is_(True))
    if besides is not None:
        query = query.where(User.name != besides)
    return session.execute(query.limit(1)).scalar_one_or_none()


def _flush_one_per_nip(session: Session, nip: str) -> None:
    """Flush; the database's one-active-account-per-NIP index may still refuse (a race)."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise InputError(f"NIP {nip} already has an active account") from exc


def add_user(
    session: Session,
    name: str,
    role: str,
    pin: str,
    *,
    by: str,
    full_name: str,
    nip: str,
) -> User:
    """Create the account ``name`` for the person ``full_name``, NIP ``nip``.

    The first account the station ever has must be a supervisor's; creating it closes
    set-up mode for good (``station.setup_closed``, in this transaction).
    """
    if role not in roles.ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(roles.ROLES)}")
    check_user_name(session, name)
    check_pin(pin)
    nip = check_nip(nip)
    full_name = check_full_name(full_name)
    first = not setup_closed(session)
    if role != "supervisor" and first:
        raise InputError("the first account must be a supervisor, who then adds the others")
    holder = _active_with_nip(session, nip)
    if holder is not None:
        raise InputError(
            f"NIP {nip} already has an active account, {holder!r}: one person, one active "
            "account (disable that one first)"
        )
    user = User(
        name=name,
        role=role,
        pin_hash=hash_pin(pin),
        created_by=by,
        full_name=full_name,
        nip=nip,
        failed_logins=0,
        must_change_pin=False,
    )
    session.add(user)
    _flush_one_per_nip(session, nip)
    if first:
        audit.record(session, by, "station.setup_closed", name, first_account=name)
    audit.record(session, by, "user.add", name, role=role, full_name=full_name, nip=nip)
    return user


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as UTC-aware (SQLite hands them back naive)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def locked_until(user: User, now: datetime | None = None) -> datetime | None:
    """When ``user``'s lock ends, or None when the account is not locked."""
    until = aware(user.locked_until)
    if until is None or until <= (now or utcnow()):
        return None
    return until


def _refuse(session: Session, name: str, reason: str, message: str | None = None) -> None:
    shown = name[:40]  # whatever was typed, as far as the log's actor column holds
    audit.record(session, shown, "auth.failed", shown, reason=reason)
    session.commit()
    raise PermissionDenied(
        message or f"login refused for {shown!r}: unknown user or wrong PIN", where=shown
    )


def _minutes(left: timedelta) -> int:
    return max(1, -(-int(left.total_seconds()) // 60))


def login(session: Session, name: str, pin: str | None) -> User:
    """The active user ``name`` if ``pin`` is theirs; a failure is audited and refused.

    Every attempt runs scrypt once, whether or not the account exists, is active or is
    locked, so a failure takes the same time whoever is named. The fifth wrong PIN in a
    row locks the account for 15 minutes (``auth.locked``). Commits.
    """
    user = session.get(User, name, with_for_update=True)
    now = utcnow()
    can_try = user is not None and user.active and locked_until(user, now) is None
    stored = user.pin_hash if can_try and user is not None else _dummy_hash()
    right = pin_matches(stored, pin or "") and pin is not None
    if user is None:
        _refuse(session, name, "unknown user")
    assert user is not None
    if not user.active:
        _refuse(session, name, "account disabled")
    until = locked_until(user, now)
    if until is not None:
        _refuse(
            session,
            name,
            "account locked",
            f"login refused for {name!r}: the account is locked after {MAX_FAILED_LOGINS} "
            f"wrong PINs, for {_minutes(until - now)} more minutes; a supervisor can unlock "
            f"it (printstation user unlock {name})",
        )
    if not right:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            audit.record(session, name, "auth.failed", name, reason="wrong or missing PIN")
            audit.record(
                session,
                "station",
                "auth.locked",
                name,
                failures=MAX_FAILED_LOGINS,
                until=user.locked_until,
            )
            session.commit()
            raise PermissionDenied(
                f"login refused for {name!r}: {MAX_FAILED_LOGINS} wrong PINs, the account is "
                f"locked for {LOCKOUT.seconds // 60} minutes; a supervisor can unlock it",
                where=name,
            )
        _refuse(session, name, "wrong or missing PIN")
    user.failed_logins, user.last_login_at = 0, now
    session.commit()
    return user


def account(session: Session, name: str) -> User:
    user = session.get(User, name, with_for_update=True)
    if user is None:
        raise InputError(f"there is no user {name!r}")
    return user


def active_supervisors(session: Session) -> list[str]:
    return list(
        session.execute(
            select(User.name)
            .where(User.role == "supervisor", User.active.is_(True))
            .order_by(User.name)
        ).scalars()
    )


def disable(session: Session, name: str, *, by: str) -> User:
    """Disable ``name``; never the last active supervisor's account (nobody could then
    manage the station)."""
    user = account(session, name)
    if not user.active:
        raise InputError(f"user {name} is already disabled")
    if user.role == "supervisor" and active_supervisors(session) == [name]:
        raise PermissionDenied(
            f"{name} is the last active supervisor: add another supervisor before disabling "
            "this account",
            where=by,
        )
    user.active = False
    audit.record(session, by, "user.disable", name)
    return user


def enable(session: Session, name: str, *, by: str) -> User:
    user = account(session, name)
    if user.active:
        raise InputError(f"user {name} is already active")
    if user.nip is None:
        raise InputError(
            f"user {name} has no NIP (made before NIPs were recorded): add a new account "
            "for the person with --full-name and --nip"
        )
    holder = _active_with_nip(session, user.nip, besides=name)
    if holder is not None:
        raise InputError(
            f"NIP {user.nip} already has an active account, {holder!r}: one person, one "
            "active account"
        )
    user.active = True
    _flush_one_per_nip(session, user.nip)
    audit.record(session, by, "user.enable", name)
    return user


def unlock(session: Session, name: str, *, by: str) -> User:
    user = account(session, name)
    was = user.locked_until
    user.locked_until, user.failed_logins = None, 0
    audit.record(session, by, "user.unlock", name, was_locked_until=was)
    return user


def reset_pin(session: Session, name: str, pin: str, *, by: str) -> User:
    """A supervisor sets ``name``'s PIN; its owner must change it at next sign-in."""
    check_pin(pin)
    user = account(session, name)
    user.pin_hash, user.must_change_pin = hash_pin(pin), True
    user.locked_until, user.failed_logins = None, 0
    audit.record(session, by, "user.pin_reset", name)
    return user


def change_pin(session: Session, name: str, new_pin: str, *, old_pin: str) -> User:
    """``name`` changes their own PIN; the caller has checked ``old_pin`` with ``login``."""
    check_pin(new_pin)
    if new_pin == old_pin:
        raise InputError("the new PIN must differ from the old one")
    user = account(session, name)
    user.pin_hash, user.must_change_pin = hash_pin(new_pin), False
    audit.record(session, name, "user.pin_change", name)
    return user
