"""Users of the station, their PINs, and how a command learns who is acting.

PINs are stored as scrypt hashes with a per-user salt. A station with no users yet is in
set-up mode: the name given with --user is taken as given, with the role of that name
when it is one (operator, supervisor, auditor); the first account created ends set-up
mode, and from then on every command needs a user and PIN ($PRINTSTATION_PIN or a
prompt). Failed logins are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.errors import InputError, PermissionDenied
from printstation.ledger import audit
from printstation.people import roles
from printstation.storage.models import User

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PIN_LENGTH = 4


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


def has_users(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(User)).scalar_one())


def add_user(session: Session, name: str, role: str, pin: str, *, by: str) -> User:
    if role not in roles.ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(roles.ROLES)}")
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise InputError(f"user name {name!r}: letters, digits, '.', '-' and '_' only")
    if len(pin) < MIN_PIN_LENGTH or not pin.isdigit():
        raise InputError(f"a PIN is at least {MIN_PIN_LENGTH} digits")
    if role != "supervisor" and not has_users(session):
        raise InputError("the first account must be a supervisor, who then adds the others")
    if session.get(User, name) is not None:
        raise InputError(f"user {name} already exists")
    user = User(name=name, role=role, pin_hash=hash_pin(pin), created_by=by)
    session.add(user)
    audit.record(session, by, "user.add", name, role=role)
    return user


def login(session: Session, name: str, pin: str | None) -> User:
    """The active user ``name`` if ``pin`` is theirs; a failure is audited and refused."""
    user = session.get(User, name)
    if user is None or not user.active or pin is None or not pin_matches(user.pin_hash, pin):
        audit.record(
            session,
            name,
            "auth.failed",
            name,
            reason="unknown user" if user is None else "wrong or missing PIN",
        )
        session.commit()
        raise PermissionDenied(f"login refused for {name!r}: unknown user or wrong PIN", where=name)
    return user
