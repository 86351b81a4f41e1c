"""The station's printers: list them, read their status, and act on a simulated one.

``simulate`` acts on a simulated printer as a person at the machine would (open the
cover, load blanks, arrange a fault) for training and tests; it goes through the
printer's backend (printstation.drivers.backends), so the simulator stays a plugin and
a real printer refuses. The drivers are imported inside the functions: listing the
printers, or ``printstation --help``, loads no hardware code.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from printstation.errors import ConfigError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from printstation.station import Station

#: The scheme of simulated printers' addresses (``simulated:NAME``).
SIMULATED_SCHEME = "simulated"


@dataclass(frozen=True)
class PrinterInfo:
    """A configured printer and where it is attached."""

    name: str
    uri: str
    reader: str
    simulated: bool


@dataclass(frozen=True)
class PrinterState:
    """One printer at a glance (``printer status``); ``error`` says why it cannot be
    asked (then ``state`` is ``not_found``, ``disconnected`` or ``not_answering``)."""

    name: str
    model: str
    firmware: str
    serial: str
    #: ready, card_in_path, jammed, cover_open, ribbon_error, feeder_empty, misfeed,
    #: output_full, reject_full, or not_found / disconnected / not_answering
    state: str
    #: {"state": ok | low | empty | unknown, "cards": blanks in it or None}
    feeder: dict[str, Any] = field(default_factory=dict)
    ribbon_type: str = ""
    ribbon_left: int | None = None
    counters: dict[str, int | None] = field(default_factory=dict)
    #: [{"code": "ribbon_low", "message": "ribbon low on printer P1: 12 prints left"}]
    warnings: list[dict[str, str]] = field(default_factory=list)
    profile: str = ""
    error: str | None = None
    #: The printer's cards-fed counter against the ledger (printstation.ledger.counters):
    #: fed_since, consumed_since, difference, discrepancy...; None if it keeps no counter
    #: or cannot be asked.
    counter_check: dict[str, Any] | None = None


@dataclass(frozen=True)
class Simulated:
    """What ``simulate`` did to the simulated printer, one line an action."""

    printer: str
    simulated: bool
    done: list[str]


@operation("printer.read")
def list_printers(station: Station, actor: Actor) -> list[PrinterInfo]:
    """The configured printers, in the configuration's order."""
    return [
        PrinterInfo(cfg.name, cfg.uri, cfg.reader, cfg.simulated) for cfg in station.config.printers
    ]


@operation("printer.read")
def status(station: Station, actor: Actor, name: str | None = None) -> list[PrinterState]:
    """The status of printer ``name`` (every printer when None); a printer that cannot be
    reached says why instead of failing the others.

    Each printer's cards-fed counter is checked against the ledger (its first reading is
    the baseline); a new difference is a ``printer.discrepancy`` audit event and a
    warning. A printer a batch of this server prints on is not opened a second time:
    its status is the one the batch last reported."""
    from printstation.jobs.host import printing_status
    from printstation.jobs.status import read_printers

    names = [name] if name else [p.name for p in station.config.printers]
    states = []
    for each in names:
        printing = printing_status(station, each)
        if printing is not None:
            states.append(state_of(printing))
        else:
            states += [PrinterState(**found) for found in read_printers(station, actor.name, each)]
    return states


def state_of(found: dict[str, Any]) -> PrinterState:
    """A ``PrinterState`` from a status as the batch host keeps it (some fields may be
    missing when the printer was only seen between cards)."""
    known = {f.name for f in fields(PrinterState)}
    kept = {k: v for k, v in found.items() if k in known}
    for key in ("name", "model", "firmware", "serial"):
        kept.setdefault(key, "")
    kept.setdefault("state", "unknown")
    return PrinterState(**kept)


@dataclass(frozen=True)
class CarriedOn:
    """What the Lanjutkan button did for printer ``printer``."""

    printer: str
    #: A batch was waiting on it and was told to look at it again at once (whether it
    #: goes on, or is still not clear, its events say).
    woken: bool
    #: The printer as read now when no batch prints on it (None when one does).
    state: str | None
    #: Whether it can print now (None when a batch prints on it: the batch looks).
    ready: bool | None
    message: str


@operation("printer.operate")
def carry_on(station: Station, actor: Actor, printer: str) -> CarriedOn:
    """The operator has cleared ``printer`` (the Lanjutkan button): a batch waiting on
    it looks at it again at once and goes on if it is ready; with no batch on it, its
    status is read and says whether it is ready now. Audited."""
    from printstation.jobs.host import host_for
    from printstation.jobs.status import read_printers
    from printstation.ledger import audit

    station.printer_config(printer)  # an unknown printer is a configuration error
    host = host_for(station)
    woken = host.wake(printer)
    state: str | None = None
    ready: bool | None = None
    if woken:
        message = (
            f"printer {printer}: the batch looks at the printer again and goes on if it is ready"
        )
    else:
        (found,) = read_printers(station, actor.name, printer)
        state = str(found["state"])
        ready = state == "ready" and (found.get("feeder") or {}).get("state") != "empty"
        if ready:
            message = f"printer {printer} is ready"
        else:
            message = f"printer {printer} is not ready ({found.get('error') or state})"
    with transaction(station) as s:
        audit.record(
            s, actor.name, "printer.carry_on", f"printer {printer}", woken=woken, state=state
        )
    return CarriedOn(printer=printer, woken=woken, state=state, ready=ready, message=message)


@operation("printer.operate")
def simulate(station: Station, actor: Actor, name: str, actions: dict[str, Any]) -> Simulated:
    """Act on simulated printer ``name`` as an operator at the machine would.

    ``actions``: open_cover, close_cover, clear_jam, replace_ribbon, load (a number of
    blanks), serials, insert, empty_output, empty_reject, clean, unplug, plug, faults
    (rules such as ``card next, step Db;c: jam``; see ``fault_names``). Refused for a
    real printer. What was done is an audit event.
    """
    from printstation.drivers.backends import backend_for
    from printstation.ledger import audit

    cfg = station.printer_config(name)
    done = backend_for(cfg).operate(cfg, state_dir=station.config.sim_dir, actions=actions)
    if done is None:
        raise ConfigError(
            f"printer {name} is a real printer: 'printer sim' acts only on simulated "
            "printers (the training and test ones)",
            where=f"printer {name}",
        )
    if done:
        with transaction(station) as s:
            audit.record(s, actor.name, "printer.simulated", f"printer {name}", done=done)
    return Simulated(printer=name, simulated=True, done=done)


def fault_names() -> list[str]:
    """The faults a simulated printer can be given (``printer sim --fault``), as its
    backend names them; empty if the simulator is not installed.

    Not an operation: it reads no station and changes nothing (the command's help
    shows it).
    """
    from printstation.config import PrinterConfig
    from printstation.drivers.backends import backend_for

    try:
        backend = backend_for(PrinterConfig(name="-", uri=f"{SIMULATED_SCHEME}:", reader=""))
    except ConfigError:
        return []
    names = getattr(backend, "fault_names", None)
    return list(names()) if callable(names) else []


def _doctor_check() -> None:
    """Register the printers' counters check with ``printstation doctor`` (imported by it)."""
    from printstation.operations.doctor import Finding, check

    @check("printers")
    def printer_counters(station: Station) -> list[Finding]:
        """Each printer's cards fed, as last read, against the blanks consumed through it
        (from the database only: the doctor talks to no printer)."""
        from printstation.ledger import counters

        with station.db.session() as s:
            found = counters.checks(s)
        return [
            Finding(
                "printers",
                f"printer {c.printer}",
                c.message() + "; run 'printstation audit reconcile' and tell the auditor",
            )
            for c in found
            if c.discrepancy
        ]


_doctor_check()


@dataclass(frozen=True)
class Probed:
    """What ``printer probe`` read from printer ``printer``: the report (model, firmware,
    serial, error mode accepted, each query's reply as received) and its text."""

    printer: str
    report: dict[str, Any]
    text: str


@operation("printer.read")
def probe(station: Station, actor: Actor, name: str) -> Probed:
    """A read-only conversation with printer ``name`` (no card moves), for making a
    profile of a new model; refused while a batch prints on it."""
    from printstation.drivers.probe import probe as probe_printer
    from printstation.drivers.probe import report_text
    from printstation.errors import InputError
    from printstation.jobs.host import printing_status

    cfg = station.printer_config(name)
    if printing_status(station, name) is not None:
        raise InputError(
            f"printer {name} is printing a batch: probe it once the batch has stopped",
            where=f"printer {name}",
        )
    report = probe_printer(cfg, state_dir=station.config.sim_dir)
    return Probed(printer=name, report=report.as_json(), text=report_text(report))
