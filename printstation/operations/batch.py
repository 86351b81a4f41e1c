"""Running the print queue: one worker per printer until the queue is done.

``run`` is the one long operation: it does not run in one transaction, since every step
of every card is committed (and audited) before the hardware acts on it
(printstation.jobs.runner). Its result says, for every printer, what it printed and why
and when it stopped; ``printer_stopped`` is True when one stopped before its work was
done (a printer that needs a person, one not found, a database that failed).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from printstation.errors import ConfigError
from printstation.operations.base import Actor, operation

if TYPE_CHECKING:
    from printstation.station import Station

#: (printer, event, job id or None, detail): see printstation.jobs.runner.EventSink.
Events = Callable[[str, str, int | None, dict[str, Any]], None]


@dataclass(frozen=True)
class PrinterRun:
    """One printer's part of a batch."""

    name: str
    issued: int
    spoiled: int
    failed: int
    unresolved: int
    #: The code of what stopped it before its work was done (``cover_open``,
    #: ``printer_not_found``, ``database``...); None when it finished.
    stopped_by: str | None
    #: Why it stopped, in an operator's words (also when it finished).
    message: str
    #: When it stopped (aware, UTC; shown in the office's zone).
    stopped_at: datetime | None
    #: Technical particulars of a stop: the printer command (``Db;c``), an error's type.
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BatchResult:
    issued: int
    spoiled: int
    failed: int
    unresolved: int
    printers: tuple[PrinterRun, ...]

    @property
    def printer_stopped(self) -> bool:
        """A printer stopped before its work was done (exit code 5)."""
        return any(p.stopped_by is not None for p in self.printers)

    @property
    def stopped(self) -> tuple[PrinterRun, ...]:
        return tuple(p for p in self.printers if p.stopped_by is not None)


@operation("batch.run")
def run(
    station: Station,
    actor: Actor,
    printers: Sequence[str] = (),
    limit: int | None = None,
    wait: bool = False,
    events: Events | None = None,
    stop: threading.Event | None = None,
) -> BatchResult:
    """Print the queue on ``printers`` (default: every configured printer).

    First the jobs of batches that are gone are settled (a live batch's are left alone);
    then one worker a printer prints until the queue is empty, ``limit`` cards, ``stop``
    is set, or its printer stops. ``wait``: a printer that needs a person (jam, cover,
    feeder, ribbon) pauses until it is cleared instead of stopping. ``events`` hears of
    every card as it goes (from the workers' threads).
    """
    from printstation.jobs.runner import run_batch

    names = list(printers) or [p.name for p in station.config.printers]
    if not names:
        raise ConfigError(
            "the station has no printers: add a [[printers]] table to its configuration"
        )
    for name in names:
        station.printer_config(name)  # an unknown printer is a configuration error
    reports = run_batch(
        station,
        names,
        actor.name,
        limit=limit,
        events=events,
        stop=stop,
        wait_for_operator=wait,
    )
    runs = tuple(
        PrinterRun(
            name=r.printer,
            issued=r.issued,
            spoiled=r.spoiled,
            failed=r.failed,
            unresolved=r.unresolved,
            stopped_by=r.stopped_by,
            message=r.message,
            stopped_at=r.stopped_at,
            detail=dict(r.detail),
        )
        for r in reports
    )
    return BatchResult(
        issued=sum(r.issued for r in runs),
        spoiled=sum(r.spoiled for r in runs),
        failed=sum(r.failed for r in runs),
        unresolved=sum(r.unresolved for r in runs),
        printers=runs,
    )
