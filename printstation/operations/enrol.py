"""Importing approved enrolments: each line accepted, a duplicate, held or rejected.

A bundle can hold many thousands of lines, so the import streams it (one line read,
checked and stored at a time) and commits the accepted lines in batches; a rejected line
is rolled back to its own savepoint and changes nothing. A reprint (a lost, damaged or
changed card) is accepted but its job is held until a supervisor approves it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from printstation.station import Station

#: Held jobs looked up this many enrolments at a time (a bound on a query's parameters).
LOOKUP_CHUNK = 500
#: The issue reasons of a reprint, as an operator reads them.
REPRINT_WORDS = {
    "lost": "the card was lost",
    "damaged": "the card was damaged",
    "data_change": "the resident's data changed",
}


@dataclass(frozen=True)
class Rejection:
    """A line that was not imported: which line, which field, and why."""

    line: int
    field: str
    reason: str


@dataclass(frozen=True)
class HeldReprint:
    """An accepted reprint whose job waits for a supervisor's approval."""

    line: int
    enrolment_id: str
    nik: str
    #: The job held for the supervisor (``approval list`` shows its request).
    job: int | None
    #: lost, damaged or data_change.
    reason: str
    #: The serial of the card it replaces, when the enrolment names it.
    replaces: str | None
    #: Why it is held, in an operator's words.
    why: str


@dataclass(frozen=True)
class ImportResult:
    accepted: int
    rejected: int
    duplicates: int
    #: Accepted reprints held for a supervisor (counted in ``accepted``).
    held: list[HeldReprint] = field(default_factory=list)
    errors: list[Rejection] = field(default_factory=list)


def _why(reason: str, replaces: str | None) -> str:
    what = REPRINT_WORDS.get(reason, reason)
    card = f"card {replaces}" if replaces else "the earlier card"
    return f"a reprint ({what}; it replaces {card}): a supervisor must approve it first"


@operation("enrol.import")
def import_bundle(
    station: Station,
    actor: Actor,
    path: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import the bundle at ``path`` (a folder or a .zip) and queue a card for each record.

    ``progress`` is called with (lines done, lines in the bundle) as the import goes.
    A bundle that cannot be opened raises an InputError; a bad line never raises.
    """
    from sqlalchemy import select

    from printstation.intake.bundle import open_bundle
    from printstation.intake.enrolment import import_bundle as run_import
    from printstation.storage.models import Job

    on_line: Callable[[int], None] | None = None
    if progress is not None:
        bundle = open_bundle(path)
        try:
            total = bundle.count_lines()
        finally:
            bundle.close()

        def on_line(number: int) -> None:
            progress(number, total)

    report = run_import(
        station.db.session,
        path,
        station.regions,
        actor.name,
        template=station.template,
        progress=on_line,
        home_regency=station.config.office.regency,
    )
    jobs: dict[str, int] = {}
    if report.held:
        ids = [h["enrolment_id"] for h in report.held]
        with transaction(station) as s:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                chunk = ids[start : start + LOOKUP_CHUNK]
                rows = s.execute(
                    select(Job.enrolment_id, Job.id).where(Job.enrolment_id.in_(chunk))
                )
                jobs.update({enrolment: job for enrolment, job in rows})
    return ImportResult(
        accepted=report.accepted,
        rejected=report.rejected,
        duplicates=report.duplicates,
        held=[
            HeldReprint(
                line=h["line"],
                enrolment_id=h["enrolment_id"],
                nik=h["nik"],
                job=jobs.get(h["enrolment_id"]),
                reason=h["reason"],
                replaces=h["replaces"],
                why=_why(h["reason"], h["replaces"]),
            )
            for h in report.held
        ],
        errors=[Rejection(e["line"], e["field"], e["reason"]) for e in report.errors],
    )
