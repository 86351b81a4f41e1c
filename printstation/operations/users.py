"""Signing in, and the station's accounts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from printstation.operations.base import Actor, issue_actor, operation, transaction
from printstation.people import roles, users
from printstation.storage.models import User

if TYPE_CHECKING:
    from printstation.station import Station


def in_setup_mode(station: Station) -> bool:
    """True until the station's first account exists: nobody needs a PIN yet."""
    with station.db.session() as session:
        return not users.has_users(session)


def sign_in(station: Station, name: str, pin: str | None) -> Actor:
    """The actor ``name`` once their PIN is checked (a failure is audited and refused).

    Before the station's first account exists (set-up mode) the name is taken as given,
    with the role of that name when it is one (operator, supervisor, auditor).
    """
    with station.db.session() as session:
        if not users.has_users(session):
            role = name if name in roles.ROLES else "operator"
            return issue_actor(name, role, setup=True)
        user = users.login(session, name, pin)
        return issue_actor(user.name, user.role)


@dataclass(frozen=True)
class UserInfo:
    name: str
    role: str
    active: bool


@operation("user.manage")
def add(station: Station, actor: Actor, name: str, role: str, pin: str) -> UserInfo:
    """Create an account (the first one, in set-up mode, must be a supervisor's)."""
    with transaction(station) as s:
        user = users.add_user(s, name, role, pin, by=actor.name)
        return UserInfo(user.name, user.role, user.active)


@operation("station.read")
def list_users(station: Station, actor: Actor) -> list[UserInfo]:
    with transaction(station) as s:
        return [
            UserInfo(u.name, u.role, u.active)
            for u in s.execute(select(User).order_by(User.name)).scalars()
        ]
