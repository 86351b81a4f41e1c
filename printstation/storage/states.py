"""The states a job and a blank can be in: the one list the code and the schema share.

Both are ``StrEnum``: a state compares equal to its stored string, and the database
refuses any other value (CHECK constraints, see the migrations).
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """One card's way through the station (see printstation.jobs.machine)."""

    HELD = "held"
    QUEUED = "queued"
    CLAIMED = "claimed"
    RENDERED = "rendered"
    FEEDING = "feeding"
    AT_ENCODER = "at_encoder"
    ENCODED = "encoded"
    PRINTING = "printing"
    ISSUED = "issued"
    RETRY = "retry"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNRESOLVED = "unresolved"


class BlankState(StrEnum):
    """A serialised blank's one current fate (see printstation.ledger.stock)."""

    ON_HAND = "on_hand"
    LOADED = "loaded"
    IN_USE = "in_use"
    ISSUED = "issued"
    SPOILED = "spoiled"
    UNKNOWN = "unknown"


def check_in(column: str, states: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint that ``column`` holds one of ``states``."""
    values = ", ".join(f"'{s.value}'" for s in states)
    return f"{column} IN ({values})"
