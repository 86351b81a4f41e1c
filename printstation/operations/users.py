"""Signing in, and the station's accounts: add, list, disable, enable, unlock, PINs.

Set-up mode (before the station's first account is ever created) is narrow: only the
role names act (``--user operator``, ``supervisor`` or ``auditor``), with that role and
no PIN, so the demo and a new station's first steps work; nobody can countersign
(``Actor.nip`` is None), and the first account made must be a supervisor's. It ends for
good when that account is created (``station.setup_closed`` in the audit chain), even if
the users table is emptied afterwards; the station also leaves ``keys/setup-closed``
(0600), so wiping the audit log along with the users does not re-open it either.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from printstation.errors import PermissionDenied
from printstation.ledger import audit
from printstation.operations.base import Actor, issue_actor, operation, refusal, transaction
from printstation.people import roles, users
from printstation.storage.models import User, utcnow

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.station import Station


#: Left in the station's keys/ folder when its set-up closes (outside the database).
SETUP_MARKER = "setup-closed"


def setup_marker(station: Station) -> Path:
    return station.config.home / "keys" / SETUP_MARKER


def _leave_setup_marker(station: Station, first: str) -> None:
    marker = setup_marker(station)
    marker.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"set-up closed {utcnow().isoformat()} by the first account, {first}\n")


def _setup_closed(station: Station, session: Session) -> bool:
    return users.setup_closed(session) or setup_marker(station).exists()


def in_setup_mode(station: Station) -> bool:
    """True until the station's first account is ever created: nobody needs a PIN yet."""
    with station.db.session() as session:
        return not _setup_closed(station, session)


def sign_in(station: Station, name: str, pin: str | None) -> Actor:
    """The actor ``name`` once their PIN is checked (a failure is audited and refused).

    In set-up mode only a role's name is taken (operator, supervisor, auditor), with that
    role and no NIP. Once set-up is closed, a station whose users table is empty refuses
    everyone (audited): the accounts were deleted behind the station's back.
    """
    with station.db.session() as session:
        if not _setup_closed(station, session):
            if name not in roles.ROLES:
                raise PermissionDenied(
                    f"the station has no accounts yet (set-up mode): act as "
                    f"{', '.join(roles.ROLES)} until the first supervisor's account is made "
                    "(printstation --user supervisor user add NAME --role supervisor ...)",
                    where=name,
                )
            return issue_actor(name, name, setup=True)
        if not users.has_users(session):
            audit.record(session, name[:40], "auth.failed", name[:40], reason="no accounts")
            session.commit()
            raise PermissionDenied(
                "the station's set-up was closed when its first account was made, but it "
                "has no accounts now: the users table was emptied; set-up mode does not "
                "open again (the auditor should run printstation audit verify)",
                where=name,
            )
        user = users.login(session, name, pin)
        return issue_actor(user.name, user.role, nip=user.nip, must_change_pin=user.must_change_pin)


@dataclass(frozen=True)
class UserInfo:
    name: str
    full_name: str | None
    nip: str | None
    role: str
    active: bool
    #: When a lock after wrong PINs ends (office time), or None.
    locked_until: datetime | None
    #: The last successful sign-in (office time), or None.
    last_login: datetime | None
    #: The PIN was reset by a supervisor and must be changed at the next sign-in.
    must_change_pin: bool


def _info(station: Station, user: User) -> UserInfo:
    from printstation.operations.jobs import office_time

    until = users.locked_until(user)
    last = users.aware(user.last_login_at)
    return UserInfo(
        name=user.name,
        full_name=user.full_name,
        nip=user.nip,
        role=user.role,
        active=user.active,
        locked_until=office_time(station, until) if until is not None else None,
        last_login=office_time(station, last) if last is not None else None,
        must_change_pin=bool(user.must_change_pin),
    )


@operation("user.manage")
def add(
    station: Station, actor: Actor, name: str, role: str, pin: str, *, full_name: str, nip: str
) -> UserInfo:
    """Create the account of a person (the first one, in set-up mode, must be a
    supervisor's; it closes set-up mode for good)."""
    with transaction(station) as s:
        first = not _setup_closed(station, s)
        user = users.add_user(s, name, role, pin, by=actor.name, full_name=full_name, nip=nip)
        added = _info(station, user)
    if first:
        _leave_setup_marker(station, name)
    return added


@operation("station.read")
def list_users(station: Station, actor: Actor) -> list[UserInfo]:
    with transaction(station) as s:
        return [_info(station, u) for u in s.execute(select(User).order_by(User.name)).scalars()]


@operation("user.manage")
def disable(station: Station, actor: Actor, name: str) -> UserInfo:
    """Disable an account; the last active supervisor's account cannot be disabled."""
    try:
        with transaction(station) as s:
            return _info(station, users.disable(s, name, by=actor.name))
    except PermissionDenied as exc:
        with refusal(station) as s2:
            audit.record(s2, actor.name, "user.disable_refused", name, reason=exc.message)
        raise


@operation("user.manage")
def enable(station: Station, actor: Actor, name: str) -> UserInfo:
    """Enable a disabled account (refused while its NIP has another active account)."""
    with transaction(station) as s:
        return _info(station, users.enable(s, name, by=actor.name))


@operation("user.manage")
def unlock(station: Station, actor: Actor, name: str) -> UserInfo:
    """End the lock wrong PINs put on an account."""
    with transaction(station) as s:
        return _info(station, users.unlock(s, name, by=actor.name))


@operation("user.manage")
def reset_pin(station: Station, actor: Actor, name: str, pin: str) -> UserInfo:
    """Give another person's account a new PIN, which they must change at next sign-in."""
    if name == actor.name:
        raise PermissionDenied(
            "to change your own PIN give the old one: printstation user pin (without a name)",
            where=actor.name,
        )
    with transaction(station) as s:
        return _info(station, users.reset_pin(s, name, pin, by=actor.name))


@operation("user.pin")
def change_pin(station: Station, actor: Actor, old_pin: str, new_pin: str) -> UserInfo:
    """Change your own PIN: the old one is checked again (a wrong one counts as a failed
    sign-in)."""
    if actor.setup:
        raise PermissionDenied(
            "set-up mode has no accounts and no PINs: create the first supervisor's account",
            where=actor.name,
        )
    users.check_pin(new_pin)
    with station.db.session() as session:
        users.login(session, actor.name, old_pin)
    with transaction(station) as s:
        return _info(station, users.change_pin(s, actor.name, new_pin, old_pin=old_pin))
