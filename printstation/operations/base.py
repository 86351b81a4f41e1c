"""What every operation shares: who is acting, the role check, one transaction.

An ``Actor`` is made only by ``sign_in`` (a user and PIN, or set-up mode before the
first account is ever created). Each operation is a function decorated with
``@operation(action)``: before its body runs, the decorator checks that the actor was
signed in by this process and that their role may perform ``action``
(``printstation.people.roles``), and that their PIN was not reset by a supervisor (then
only ``user.pin``, changing it, is allowed); a refusal is audited and raised as
``PermissionDenied``. The body does its work and its audit events
in one transaction (``with transaction(station) as session``) and returns a plain,
typed result that an interface renders.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from printstation.errors import PermissionDenied
from printstation.ledger import audit
from printstation.people import roles

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from printstation.station import Station

P = ParamSpec("P")
R = TypeVar("R")

#: operation name ("jobs.cancel") -> (action, the checked function)
OPERATIONS: dict[str, tuple[str, Callable[..., Any]]] = {}

_SIGNED_IN: weakref.WeakSet[Actor] = weakref.WeakSet()


#: The one action open to a person whose PIN a supervisor has reset.
CHANGE_OWN_PIN = "user.pin"


@dataclass(frozen=True, eq=False)
class Actor:
    """A person signed in at this station: their account name, role and NIP."""

    name: str
    role: str
    #: True while the station's set-up is open (no account was ever created).
    setup: bool = False
    #: The person's NIP; None only in set-up mode (nobody can then countersign).
    nip: str | None = None
    #: Their PIN was reset by a supervisor: only changing it is allowed.
    must_change_pin: bool = False

    def __str__(self) -> str:
        return self.name


def issue_actor(
    name: str,
    role: str,
    *,
    setup: bool = False,
    nip: str | None = None,
    must_change_pin: bool = False,
) -> Actor:
    """An actor the operations layer will accept: for the sign-in functions only."""
    actor = Actor(name, role, setup, nip, must_change_pin)
    _SIGNED_IN.add(actor)
    return actor


def authorize(station: Station, actor: Actor, action: str) -> None:
    """Refuse (audited) unless ``actor`` was signed in here and may perform ``action``."""
    if not isinstance(actor, Actor) or actor not in _SIGNED_IN:
        who = getattr(actor, "name", str(actor))
        with station.db.transaction() as session:
            audit.record(session, who, "auth.denied", who, action=action, reason="not signed in")
        raise PermissionDenied(f"{who} is not signed in at this station", where=who)
    if actor.must_change_pin and action != CHANGE_OWN_PIN:
        with station.db.transaction() as session:
            audit.record(
                session, actor.name, "auth.denied", actor.name, action=action, reason="PIN reset"
            )
        raise PermissionDenied(
            f"{actor.name}'s PIN was reset by a supervisor: change it first "
            "(printstation user pin), then try again",
            where=actor.name,
        )
    try:
        roles.check(actor.name, actor.role, action)
    except PermissionDenied:
        with station.db.transaction() as session:
            audit.record(
                session, actor.name, "auth.denied", actor.name, action=action, role=actor.role
            )
        raise


def operation(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register an operation performed as ``action``; the role check runs before it.

    The decorated function takes ``(station, actor, ...)``.
    """
    if action not in roles.PERMISSIONS:
        raise ValueError(f"{action!r} is not in the role table")

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def checked(*args: P.args, **kwargs: P.kwargs) -> R:
            station, actor = args[0], args[1]
            authorize(station, actor, action)  # type: ignore[arg-type]
            return fn(*args, **kwargs)

        module = fn.__module__.rsplit(".", 1)[-1]
        OPERATIONS[f"{module}.{fn.__name__}"] = (action, checked)
        checked.action = action  # type: ignore[attr-defined]
        return checked

    return decorate


@contextmanager
def transaction(station: Station) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error."""
    with station.db.transaction() as session:
        yield session


@contextmanager
def refusal(station: Station) -> Iterator[Session]:
    """A separate transaction for the audit event of a refusal, committed even though the
    operation then raises (its own transaction is rolled back)."""
    with station.db.transaction() as session:
        yield session
