"""Running the print queue: one worker per printer until the queue is done.

``run`` is the one long operation: it does not run in one transaction, since every step
of every card is committed (and audited) before the hardware acts on it
(printstation.jobs.runner). Its result says, for every printer, what it printed and why
and when it stopped; ``printer_stopped`` is True when one stopped before its work was
done (a printer that needs a person, one not found, a database that failed).

A server runs its batches in the background instead, on the station's batch host
(printstation.jobs.host): ``start``, ``pause``, ``resume`` and ``stop`` a printer's
batch (each audited), ``progress`` (every printer's run and status), ``watch`` (the
host's event stream). ``open_host`` and ``close_host`` are the server's own start-up
and shutdown, not a person's actions.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from printstation.errors import ConfigError
from printstation.operations.base import Actor, operation, transaction
from printstation.operations.printers import PrinterState, state_of

if TYPE_CHECKING:
    from printstation.jobs.host import BatchHost, Subscription
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


def _printer_names(station: Station, printers: Sequence[str]) -> list[str]:
    """``printers``, or every configured one; an unknown printer, or none at all, is a
    configuration error."""
    names = list(printers) or [p.name for p in station.config.printers]
    if not names:
        raise ConfigError(
            "the station has no printers: add a [[printers]] table to its configuration"
        )
    for name in names:
        station.printer_config(name)
    return names


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

    names = _printer_names(station, printers)
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


# -- batches in the background (a server's) ---------------------------------------------


@dataclass(frozen=True)
class CardInProgress:
    """A card a printer holds: the one in it, or the one prepared ahead."""

    job_id: int
    nik: str | None
    name: str | None


@dataclass(frozen=True)
class RunStop:
    """Why a printer's last batch ended: ``code`` None when it finished or was stopped
    when asked; else what stopped it (``jam``, ``printer_not_found``, ``database``...)."""

    code: str | None
    message: str
    at: datetime | None


@dataclass(frozen=True)
class OperatorNeeded:
    """What a printer waits for a person to do (a jam, the cover, the feeder)."""

    code: str | None
    message: str
    at: datetime | None
    #: The printer's state when last looked at after the operator said it was cleared.
    state: str | None


@dataclass(frozen=True)
class PrinterProgress:
    """One printer's batch and status, as the station's server sees them."""

    printer: str
    #: idle, running, paused, needs_operator, stopping, stopped (the last batch stopped
    #: by a fault: see ``last_stop``)
    state: str
    #: A pause was asked for; the card in the printer is finishing.
    pausing: bool
    actor: str | None
    started_at: datetime | None
    current: CardInProgress | None
    next: CardInProgress | None
    issued: int
    spoiled: int
    failed: int
    unresolved: int
    waiting: OperatorNeeded | None
    last_stop: RunStop | None
    #: The printer itself (None before it was first read).
    status: PrinterState | None
    status_at: datetime | None


@dataclass(frozen=True)
class Progress:
    printers: tuple[PrinterProgress, ...]
    #: The last event's number when this was read: ``watch(since=seq)`` goes on from it.
    seq: int

    def printer(self, name: str) -> PrinterProgress:
        return next(p for p in self.printers if p.printer == name)


def _host(station: Station) -> BatchHost:
    from printstation.jobs.host import host_for

    return host_for(station)


def open_host(station: Station) -> None:
    """The server's start-up: make the station's batch host, which first takes back the
    jobs a crashed server left (they show as unresolved at once), and start reading its
    printers (every half second, those no batch is using). Not an operation."""
    _host(station).start_polling()


def close_host(station: Station, timeout: float | None = None) -> bool:
    """The server's shutdown: stop every batch after its card in progress and wait up to
    ``timeout`` seconds; True if all ended. Not an operation."""
    from printstation.jobs import host

    return host.close_host(station, timeout)


@operation("batch.run")
def start(
    station: Station,
    actor: Actor,
    printers: Sequence[str] = (),
    limit: int | None = None,
) -> Progress:
    """Start a batch in the background on each of ``printers`` (default: every one not
    printing already), ``limit`` cards each at most; a printer that needs a person waits
    for one. A printer named that is already printing is refused (InputError naming
    it), and then none starts."""
    from printstation.ledger import audit

    _printer_names(station, printers)
    host = _host(station)
    with transaction(station) as s:
        started = host.start(printers, actor.name, limit)
        audit.record(s, actor.name, "batch.start", "batch", printers=started, limit=limit)
    return _progress(host)


@operation("batch.run")
def pause(station: Station, actor: Actor, printer: str) -> Progress:
    """Pause ``printer``'s batch after the card in it; the card prepared ahead goes back
    to the queue."""
    return _control(station, actor, printer, "pause")


@operation("batch.run")
def resume(station: Station, actor: Actor, printer: str) -> Progress:
    """Let ``printer``'s paused batch go on."""
    return _control(station, actor, printer, "resume")


@operation("batch.run")
def stop(station: Station, actor: Actor, printer: str | None = None) -> Progress:
    """Stop ``printer``'s batch (None: every printer's) after the card in the printer."""
    from printstation.ledger import audit

    if printer is not None:
        station.printer_config(printer)
    host = _host(station)
    with transaction(station) as s:
        stopped = host.stop(printer)
        audit.record(s, actor.name, "batch.stop", _subject(printer), printers=stopped)
    return _progress(host)


def _control(station: Station, actor: Actor, printer: str, what: str) -> Progress:
    from printstation.ledger import audit

    station.printer_config(printer)  # an unknown printer is a configuration error
    host = _host(station)
    with transaction(station) as s:
        getattr(host, what)(printer)
        audit.record(s, actor.name, f"batch.{what}", _subject(printer))
    return _progress(host)


def _subject(printer: str | None) -> str:
    return f"printer {printer}" if printer else "batch"


@operation("printer.read")
def progress(station: Station, actor: Actor) -> Progress:
    """Every printer's batch (state, card in progress, counts, why it stopped or waits)
    and status, as the station's server sees them."""
    return _progress(_host(station))


@operation("printer.read")
def watch(station: Station, actor: Actor, since: int | None = None) -> Subscription:
    """The station's event stream (printstation.jobs.host: ``get(timeout)`` from a
    thread, ``await next_events(timeout)`` on the event loop, ``close()`` when done);
    ``since``: first the remembered events after that number."""
    return _host(station).subscribe(since)


def _progress(host: BatchHost) -> Progress:
    seq, rows = host.view()
    return Progress(printers=tuple(_printer_progress(r) for r in rows), seq=seq)


def _printer_progress(row: dict[str, Any]) -> PrinterProgress:
    def card(found: dict[str, Any] | None) -> CardInProgress | None:
        return CardInProgress(**found) if found else None

    waiting, stopped, status = row["waiting"], row["last_stop"], row["status"]
    return PrinterProgress(
        printer=row["printer"],
        state=row["state"],
        pausing=row["pausing"],
        actor=row["actor"],
        started_at=_time(row["started_at"]),
        current=card(row["current"]),
        next=card(row["next"]),
        issued=row["issued"],
        spoiled=row["spoiled"],
        failed=row["failed"],
        unresolved=row["unresolved"],
        waiting=OperatorNeeded(
            code=waiting["code"],
            message=waiting["message"] or "",
            at=_time(waiting["at"]),
            state=waiting["state"],
        )
        if waiting
        else None,
        last_stop=RunStop(stopped["code"], stopped["message"] or "", _time(stopped["at"]))
        if stopped
        else None,
        status=state_of(status) if status else None,
        status_at=_time(row["status_at"]),
    )


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
