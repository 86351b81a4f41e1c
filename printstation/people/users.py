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
import re
import secrets
import unicodedata

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printstation.errors import InputError, PermissionDenied
from printstation.ledger import audit
from printstation.people import roles
from printstation.storage.models import User

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PIN_LENGTH = 6


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


def add_user(session: Session, name: str, role: str, pin: str, *, by: str) -> User:
    if role not in roles.ROLES:
        raise InputError(f"role {role!r} is not one of {', '.join(roles.ROLES)}")
    check_user_name(session, name)
    check_pin(pin)
    if role != "supervisor" and not has_users(session):
        raise InputError("the first account must be a supervisor, who then adds the others")
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
