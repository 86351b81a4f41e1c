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
    #: A write-off was requested (spoiled by hand, settled spoiled or none, lost): the
    #: blank waits for a second person's decision (see printstation.ledger.writeoffs).
    PENDING = "pending"


class WriteOffKind(StrEnum):
    """What asked for a write-off (see printstation.ledger.writeoffs)."""

    #: ``stock spoil``: a blank spoiled outside a print job.
    SPOIL = "spoil"
    #: ``stock lost``: a blank no one can find.
    LOST = "lost"
    #: ``job resolve --outcome spoiled``: an operator says the job's card is spoiled.
    JOB_SPOILED = "job_spoiled"
    #: ``job resolve --outcome none``: an operator says no card came out, though the
    #: station read the blank's chip at the encoder.
    JOB_NONE = "job_none"


class WriteOffStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


def check_in(column: str, states: type[StrEnum]) -> str:
    """The SQL of a CHECK constraint that ``column`` holds one of ``states``."""
    values = ", ".join(f"'{s.value}'" for s in states)
    return f"{column} IN ({values})"
