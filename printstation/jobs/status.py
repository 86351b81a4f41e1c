"""Reading the station's printers: each one's status, its cards-fed counter checked.

``read_printers`` is what ``printer status`` shows (printstation.operations.printers
calls it); the batch host's poller uses its two halves: ``read_printer`` (asks the
printer, touches no database) and ``check_counter`` (records the cards-fed reading
against the ledger, in the caller's transaction), so that it writes only when the
counter moved.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from printstation.config import PrinterConfig
from printstation.drivers.printer import printer_status
from printstation.ledger import counters
from printstation.station import Station


def read_printer(station: Station, cfg: PrinterConfig) -> dict[str, Any]:
    """One printer's status as ``printer status --json`` shows it (without the counter
    check); a printer that cannot be reached says why in ``error``."""
    return printer_status(cfg, state_dir=station.config.sim_dir).as_json()


def fed_of(found: dict[str, Any]) -> int | None:
    """The cards-fed counter in a status read by ``read_printer`` (None if unknown)."""
    if found.get("error"):
        return None
    value = (found.get("counters") or {}).get("cards_inserted")
    return value if isinstance(value, int) else None


def check_counter(session: Session, actor: str, found: dict[str, Any]) -> dict[str, Any]:
    """``found`` with its counter check (``counter_check``) and, for a difference, a
    warning; the reading is recorded (a new difference is an audit event)."""
    checked = dict(found)
    check = None
    if not found.get("error"):
        check = counters.observe(session, actor, found["name"], fed_of(found), found.get("serial"))
    if check is not None and check.difference:
        code = "counter_discrepancy" if check.discrepancy else "counter_unsettled"
        checked["warnings"] = [
            *found.get("warnings", []),
            {"code": code, "message": check.message()},
        ]
    checked["counter_check"] = check.as_json() if check else None
    return checked


def read_printers(station: Station, actor: str, name: str | None = None) -> list[dict[str, Any]]:
    """The status of printer ``name`` (every printer when None), each with its counter
    checked against the ledger, in one transaction; a printer that cannot be reached
    says why instead of failing the others."""
    configs = [station.printer_config(name)] if name else list(station.config.printers)
    read = [read_printer(station, cfg) for cfg in configs]
    with station.db.transaction() as session:
        return [check_counter(session, actor, found) for found in read]
