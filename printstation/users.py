"""Users of the station and how a command learns who is acting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from printstation import roles

if TYPE_CHECKING:
    from printstation.station import Station


def authenticate(station: Station, user: str, action: str) -> str:
    """Check that ``user`` may perform ``action``; returns the name to record as actor.

    Until user accounts exist on a station the name is taken as given, with the role of
    the same name when it is one (operator, supervisor, auditor), else operator.
    """
    role = user if user in roles.ROLES else "operator"
    roles.check(user, role, action)
    return user
