"""Blank stock: receive lots, load printers, show the ledger, spoil, reserve, low-stock level.

Every blank is counted: a lot is received against its allocation letter, blanks go into a
printer's feeder, and a blank damaged outside a print job is recorded spoiled with its
cause. The supervisor keeps a reserve of blanks on hand (not loaded) for approved
priority prints; a load that would eat into it is refused unless the operator says the
reserve may be used, and then it carries a warning and an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from printstation.errors import InputError, StockError
from printstation.operations.base import Actor, operation, transaction

if TYPE_CHECKING:
    from printstation.station import Station

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
    """The blank ledger now: received = issued + spoiled + on hand + unknown."""

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
    from printstation.ledger.stock import BlankLedger
    from printstation.reports.indonesian import as_local

    if count < 1:
        raise InputError(f"a lot holds at least one blank, not {count}")
    if not reference.strip():
        raise InputError("give the allocation letter's reference of the lot")
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
    """The ledger's counts, the blanks in each printer, the reserve and low-stock level."""
    from printstation.ledger.stock import BlankLedger, get_setting

    with transaction(station) as s:
        ledger = BlankLedger(s, actor.name)
        counts = ledger.counts()
        by_printer = ledger.loaded_by_printer()
        not_loaded = ledger.not_loaded()
        reserve, low = get_setting(s, "reserve"), get_setting(s, "low_stock")
    warnings = []
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
    )


@operation("stock.spoil")
def spoil(
    station: Station, actor: Actor, serial: str, cause: str, note: str | None = None
) -> SpoilResult:
    """Record a blank spoiled outside a print job (damaged in stock, a test print)."""
    from printstation.ledger.stock import BlankLedger
    from printstation.storage.models import Blank

    if cause not in MANUAL_SPOIL_CAUSES:
        raise InputError(
            f"{cause!r} is not a cause recorded by hand; one of {', '.join(MANUAL_SPOIL_CAUSES)}"
        )
    with transaction(station) as s:
        blank = s.get(Blank, serial)
        if blank is not None and blank.state in ("in_use", "unknown"):
            raise StockError(
                f"blank {serial} belongs to print job {blank.job_id}: settle it with that job "
                "(job resolve), not by hand",
                where=serial,
            )
        spoilage = BlankLedger(s, actor.name).spoil(serial, cause, detail=note)
        return SpoilResult(spoilage.serial, spoilage.cause, spoilage.detail, spoilage.by)


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
