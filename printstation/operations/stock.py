"""Blank stock: receive lots, load printers, show the ledger, spoil, reserve, low-stock level.

Every blank is counted: a lot is received against its allocation letter, blanks go into a
printer's feeder, and a blank damaged outside a print job is recorded spoiled with its
cause. The supervisor keeps a reserve of blanks on hand (not loaded) for approved
priority prints; a load that would eat into it is refused unless the operator says the
reserve may be used, and then it carries a warning and an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from printstation.errors import InputError, StockError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from pathlib import Path

    from printstation.operations.writeoffs import WriteOffRequest
    from printstation.reports.forecast import Forecast
    from printstation.station import Station

#: The largest lot ``stock receive`` takes (one allocation letter's blanks).
MAX_LOT = 1_000_000
#: Causes a person records by hand; the print jobs record their own (encoding, printing).
MANUAL_SPOIL_CAUSES = ("damaged", "test_print", "misfeed", "data_changed")


@dataclass(frozen=True)
class LotResult:
    lot: int
    first: str
    last: str
    count: int
    reference: str
    received_by: str
    #: When it was received, in the office's zone (ISO 8601 with the offset).
    received_at: str


@dataclass(frozen=True)
class LoadResult:
    printer: str
    loaded: int
    serials: list[str]
    #: Blanks on hand and not in any printer after this load.
    not_loaded: int
    reserve: int
    #: True when the load took blanks the priority reserve was keeping.
    used_reserve: bool
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StockReport:
    """The blank ledger now: received = issued + spoiled + on hand + unknown + pending."""

    received: int
    issued: int
    spoiled: int
    #: On hand: on the shelf, in a feeder or at an encoder (the office's, not consumed).
    on_hand: int
    unknown: int
    loaded: int
    #: On hand and not in any printer: where the priority reserve is kept.
    not_loaded: int
    balanced: bool
    loaded_by_printer: dict[str, int]
    reserve: int
    low_stock: int
    warnings: list[str]
    #: Each printer's cards fed against the blanks consumed through it, as last read
    #: (printstation.ledger.counters.CounterCheck.as_json).
    printer_counters: list[dict[str, Any]] = field(default_factory=list)
    #: Blanks pending write-off: asked for, awaiting a supervisor's decision (counted
    #: apart: received = issued + spoiled + on hand + unknown + pending).
    pending: int = 0


@dataclass(frozen=True)
class SpoilResult:
    serial: str
    cause: str
    note: str | None
    by: str


@dataclass(frozen=True)
class SettingResult:
    setting: str
    old: int
    new: int
    by: str


@operation("stock.receive")
def receive(station: Station, actor: Actor, first: str, count: int, reference: str) -> LotResult:
    """Receive a lot of ``count`` serialised blanks from ``first``, against its letter."""
    from printstation.intake.serials import canonical_serial
    from printstation.ledger.stock import BlankLedger, serial_run
    from printstation.reports.indonesian import as_local

    if not 1 <= count <= MAX_LOT:
        raise InputError(f"a lot holds 1 to {MAX_LOT:,} blanks, not {count:,}")
    if not reference.strip():
        raise InputError("give the allocation letter's reference of the lot")
    canonical_serial(station.config, first, what="first serial")
    canonical_serial(station.config, serial_run(first, count).last, what="the lot's last serial")
    with transaction(station) as s:
        lot = BlankLedger(s, actor.name).receive(first, count, reference.strip())
        s.flush()
        return LotResult(
            lot=lot.id,
            first=lot.first_serial,
            last=lot.last_serial,
            count=lot.count,
            reference=lot.reference,
            received_by=lot.received_by,
            received_at=as_local(lot.received_at, station.timezone).isoformat(timespec="seconds"),
        )


@operation("stock.load")
def load(
    station: Station,
    actor: Actor,
    printer: str,
    count: int | None = None,
    first: str | None = None,
    use_reserve: bool = False,
) -> LoadResult:
    """Record blanks put into ``printer``'s feeder (a simulated printer gets them too).

    ``count`` blanks from serial ``first``, or the lowest ``count`` on hand; ``first``
    alone is that one blank. A load that would leave fewer blanks on hand (not loaded)
    than the supervisor's reserve is refused unless ``use_reserve``.
    """
    from printstation.intake.serials import canonical_serial
    from printstation.ledger import audit
    from printstation.ledger.stock import BlankLedger, get_setting, serial_range

    cfg = station.printer_config(printer)
    if count is None and first is None:
        raise InputError("say how many blanks go into the feeder (--count)")
    if count is not None and count < 1:
        raise InputError(f"load at least one blank, not {count}")
    with transaction(station) as s:
        ledger = BlankLedger(s, actor.name)
        wanted = 1 if count is None else count
        if first is not None:
            canonical_serial(station.config, first, what="first serial")
            serials = serial_range(first, wanted)
        else:
            serials = ledger.on_hand_serials(wanted)
            if len(serials) < wanted:
                raise StockError(
                    f"only {len(serials)} blanks are on hand and not loaded: "
                    f"{wanted} cannot go into printer {printer}"
                )
        ledger.load(printer, serials)
        s.flush()
        reserve = get_setting(s, "reserve")
        left = ledger.not_loaded()
        eats_reserve = left < reserve
        if eats_reserve and not use_reserve:
            allowed = max(0, left + len(serials) - reserve)
            instead = f"load at most {allowed}" if allowed else "load none now"
            raise StockError(
                f"loading {len(serials)} blanks would leave {left} on hand, below the "
                f"priority reserve of {reserve} the supervisor keeps for approved priority "
                f"prints: {instead}, or confirm that the reserve may be used (--use-reserve)",
                where=f"printer {printer}",
            )
        warnings: list[str] = []
        if eats_reserve:
            warnings.append(
                f"the priority reserve was used: {left} blanks left on hand, "
                f"the reserve is {reserve}"
            )
            audit.record(
                s,
                actor.name,
                "stock.reserve_used",
                printer,
                count=len(serials),
                not_loaded=left,
                reserve=reserve,
            )
        s.flush()
        _blanks_into_feeder(station, printer, serials)
        return LoadResult(
            printer=cfg.name,
            loaded=len(serials),
            serials=serials,
            not_loaded=left,
            reserve=reserve,
            used_reserve=eats_reserve,
            warnings=warnings,
        )


def load_blanks(station: Station, printer: str, serials: list[str], by: str) -> None:
    """Record ``serials`` put into ``printer``'s feeder, without the role check or reserve.

    For setting a station up before anyone signs in (the demo, test stations); a person
    loading blanks uses :func:`load`.
    """
    from printstation.ledger.stock import BlankLedger

    station.printer_config(printer)
    with transaction(station) as s:
        BlankLedger(s, by).load(printer, serials)
        s.flush()
        _blanks_into_feeder(station, printer, serials)


def _blanks_into_feeder(station: Station, printer: str, serials: list[str]) -> None:
    """Tell the printer's backend (a simulated printer puts them into its feeder).

    Called after the ledger's write and before its commit: a feeder that refuses them
    (too many for it) leaves the ledger as it was.
    """
    from printstation.drivers.backends import backend_for

    cfg = station.printer_config(printer)
    backend_for(cfg).blanks_loaded(cfg, state_dir=station.config.sim_dir, serials=serials)


@operation("stock.read")
def show(station: Station, actor: Actor) -> StockReport:
    """The ledger's counts, the blanks in each printer, the reserve and low-stock level,
    and each printer's counter against the ledger (a new difference is audited)."""
    from printstation.ledger import counters
    from printstation.ledger.stock import BlankLedger, get_setting

    with transaction(station) as s:
        ledger = BlankLedger(s, actor.name)
        counts = ledger.counts()
        by_printer = ledger.loaded_by_printer()
        not_loaded = ledger.not_loaded()
        reserve, low = get_setting(s, "reserve"), get_setting(s, "low_stock")
        printer_checks = counters.checks(s, actor.name)
    warnings = [c.message() for c in printer_checks if c.difference]
    if not counts.balanced:
        warnings.append("the ledger does not balance: run audit reconcile and tell the auditor")
    if counts.on_hand <= low:
        warnings.append(f"low stock: {counts.on_hand} blanks on hand (the level is {low})")
    if reserve and not_loaded < reserve:
        warnings.append(
            f"{not_loaded} blanks on hand and not loaded, below the priority reserve of {reserve}"
        )
    if counts.unknown:
        warnings.append(f"{counts.unknown} blanks of unknown fate: resolve their jobs")
    if counts.pending:
        warnings.append(
            f"{counts.pending} blanks pending write-off: a supervisor who did not ask confirms "
            "or rejects each (stock writeoff list)"
        )
    return StockReport(
        received=counts.received,
        issued=counts.issued,
        spoiled=counts.spoiled,
        on_hand=counts.on_hand,
        unknown=counts.unknown,
        loaded=counts.loaded,
        not_loaded=not_loaded,
        balanced=counts.balanced,
        loaded_by_printer=by_printer,
        reserve=reserve,
        low_stock=low,
        warnings=warnings,
        printer_counters=[c.as_json() for c in printer_checks],
        pending=counts.pending,
    )


@operation("writeoff.request")
def spoil(
    station: Station, actor: Actor, serial: str, cause: str, note: str | None = None
) -> WriteOffRequest:
    """Ask for a blank spoiled outside a print job (damaged in stock, a test print) to be
    written off: it is pending until a supervisor who is not you confirms it."""
    from printstation.storage.states import WriteOffKind

    if cause not in MANUAL_SPOIL_CAUSES:
        raise InputError(
            f"{cause!r} is not a cause recorded by hand; one of {', '.join(MANUAL_SPOIL_CAUSES)}"
        )
    return _ask(station, actor, serial, WriteOffKind.SPOIL, cause, note)


@operation("writeoff.request")
def lost(station: Station, actor: Actor, serial: str, note: str) -> WriteOffRequest:
    """Declare a blank lost (where it was looked for, in ``note``): pending until a
    supervisor who is not you confirms it."""
    from printstation.ledger.writeoffs import LOST
    from printstation.storage.states import WriteOffKind

    if not (note or "").strip():
        raise InputError(f"blank {serial}: say where it was last seen and looked for (--note)")
    return _ask(station, actor, serial, WriteOffKind.LOST, LOST, note)


def _ask(
    station: Station, actor: Actor, serial: str, kind: str, cause: str, note: str | None
) -> WriteOffRequest:
    from printstation.intake.serials import canonical_serial
    from printstation.ledger import writeoffs
    from printstation.operations.writeoffs import nip_of, request_result
    from printstation.storage.models import Blank, Job

    serial = canonical_serial(station.config, serial)
    note = (note or "").strip() or None
    with transaction(station) as s:
        blank = s.get(Blank, serial, with_for_update=True)
        job = s.get(Job, blank.job_id) if blank is not None and blank.job_id else None
        if blank is not None and blank.state == "in_use":
            raise StockError(
                f"blank {serial} is at a printer for print job {blank.job_id}: a printer is "
                "working on it; once it stops, settle the job (job resolve), not by hand",
                where=serial,
            )
        if blank is not None and blank.state == "unknown" and job and job.state == "unresolved":
            raise StockError(
                f"blank {serial} belongs to print job {job.id}: settle it with that job "
                "(job resolve), not by hand",
                where=serial,
            )
        row = writeoffs.request(s, actor.name, nip_of(s, actor), serial, kind, cause, note=note)
        return request_result(station, s, row)


@operation("stock.reserve")
def set_reserve(station: Station, actor: Actor, blanks: int) -> SettingResult:
    """Keep ``blanks`` on hand (not loaded) for approved priority prints."""
    return _set(station, actor, "reserve", blanks)


@operation("stock.threshold")
def set_threshold(station: Station, actor: Actor, blanks: int) -> SettingResult:
    """Warn when the blanks on hand fall to ``blanks``."""
    return _set(station, actor, "low_stock", blanks)


def _set(station: Station, actor: Actor, key: str, blanks: int) -> SettingResult:
    from printstation.ledger.stock import set_setting

    if blanks < 0:
        raise InputError(f"a number of blanks cannot be negative ({blanks})")
    with transaction(station) as s:
        old = set_setting(s, key, blanks, actor.name)
    return SettingResult(key, old, blanks, actor.name)


@dataclass(frozen=True)
class RequestLetter:
    """The blank request letter written, with the forecast it gives as evidence."""

    path: str
    count: int
    forecast: Forecast


@operation("stock.read")
def forecast(station: Station, actor: Actor) -> Forecast:
    """When the blanks on hand reach the reserve and run out at the last 7 and 30 office
    days' issue rate, counting the queue; the priority jobs the stock does not cover; each
    printer's ribbon against the queue (printstation.reports.forecast)."""
    from printstation.reports import forecast as figures

    left, errors = _ribbons(station)
    with transaction(station) as s:
        return figures.forecast(s, station.timezone, station.today(), left, errors)


@operation("stock.request")
def request_letter(
    station: Station, actor: Actor, count: int, out: Path, *, number: str | None = None
) -> RequestLetter:
    """Write the surat permohonan blangko asking for ``count`` blanks, with the forecast
    as its evidence, to ``out`` (a folder: as permohonan-blangko-DATE.pdf in it). Audited."""
    from datetime import UTC, datetime

    from printstation.ledger import audit
    from printstation.reports import forecast as figures
    from printstation.reports.request_letter import write_request_letter

    if not 1 <= count <= MAX_LOT:
        raise InputError(f"ask for 1 to {MAX_LOT:,} blanks, not {count:,}")
    left, errors = _ribbons(station)
    with transaction(station) as s:
        found = figures.forecast(s, station.timezone, station.today(), left, errors)
        path = out / f"permohonan-blangko-{found.today.isoformat()}.pdf" if out.is_dir() else out
        write_request_letter(
            found,
            count,
            path,
            station.config.office,
            station=station.config.name,
            now=datetime.now(UTC),
            number=number,
        )
        audit.record(
            s,
            actor.name,
            "stock.request",
            f"{count} blanks",
            count=count,
            on_hand=found.on_hand,
            demand=found.demand,
            at_risk=len(found.at_risk),
            file=path.name,
        )
    return RequestLetter(path=str(path), count=count, forecast=found)


def _ribbons(station: Station) -> tuple[dict[str, int | None], dict[str, str | None]]:
    """Each printer's ribbon prints left: as this process's batch host last read it (the
    console's poller), else read now (the command line, which has no host)."""
    from printstation.jobs.host import known_status
    from printstation.jobs.status import read_printer

    left: dict[str, int | None] = {}
    errors: dict[str, str | None] = {}
    for cfg in station.config.printers:
        found = known_status(station, cfg.name) or read_printer(station, cfg)
        value = found.get("ribbon_left")
        left[cfg.name] = value if isinstance(value, int) else None
        errors[cfg.name] = found.get("error")
    return left, errors
