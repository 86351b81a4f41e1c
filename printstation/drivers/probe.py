"""``printer probe``: a safe, read-only conversation with a printer, for a new model.

It opens the printer without the driver's setup, asks its identity (``Rtp``, ``Rfv``,
``Rsn``), tries the family's error mode (``Pem;2`` on real printers: a setting, not a
card move), then sends every query any family knows (status, ribbon, counters,
sensors) and records each reply as received, byte for byte. No card moves and nothing
is printed. The report is what the team turns into a profile
(``[families.*]`` in printer-profiles.toml) for a printer no public source covers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from printstation.config import PrinterConfig
from printstation.drivers import protocol
from printstation.drivers.backends import backend_for
from printstation.drivers.printer import CardPrinter, NoChip, default_family
from printstation.drivers.profiles import QUERIES, get_family, load_families
from printstation.errors import PrinterError

#: Queries worth asking a printer of unknown dialect beyond the families' own: the
#: ribbon counters the A5013 guide names per model (unknown without hardware).
EXTRA_QUERIES = ("Rco;I", "Rco;l")
IDENTITY = (("model", "Rtp"), ("firmware", "Rfv"), ("serial", "Rsn"))
#: A probe waits no longer than this for each reply (a read-only query answers at once).
PROBE_TIMEOUT_MS = 3_000


@dataclass(frozen=True)
class Exchange:
    """One query and what came back: the text, the bytes as received, or the error."""

    command: str
    reply: str | None
    raw: str | None
    error: str | None = None


@dataclass
class ProbeReport:
    printer: str
    uri: str
    profile: str
    model: str = ""
    firmware: str = ""
    serial: str = ""
    #: The error mode tried (``Pem;2``) and whether the printer answered OK.
    error_mode: dict[str, Any] = field(default_factory=dict)
    queries: list[Exchange] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def probe_commands() -> list[str]:
    """Every query a family knows, in QUERIES order, then EXTRA_QUERIES; no repeats."""
    seen: list[str] = []
    for family in load_families().values():
        for purpose in QUERIES:
            command = family.query(purpose)
            if command and command not in seen:
                seen.append(command)
    for command in EXTRA_QUERIES:
        if command not in seen:
            seen.append(command)
    return seen


def _frame(command: str) -> bytes:
    head, *params = command.split(";")
    return protocol.frame(head, *params)


def _ask(printer: CardPrinter, command: str) -> Exchange:
    try:
        raw = printer.ask(_frame(command), timeout_ms=PROBE_TIMEOUT_MS)
    except PrinterError as exc:
        return Exchange(command, None, None, exc.message)
    return Exchange(command, protocol.clean_reply(raw), repr(raw))


def probe(cfg: PrinterConfig, *, state_dir: Path) -> ProbeReport:
    """Talk to the printer ``cfg`` names, read-only; a printer that cannot be reached
    gives a report that says why."""
    family = get_family(cfg.profile or default_family(cfg), printer=cfg.name)
    report = ProbeReport(printer=cfg.name, uri=cfg.uri, profile=family.name)
    try:
        transport, profile = backend_for(cfg).connect(
            cfg, state_dir=state_dir, chip_station=NoChip()
        )
    except PrinterError as exc:
        report.error = exc.message
        return report
    printer = CardPrinter(transport, cfg.name, profile=profile, family=family)
    try:
        transport.open()
        for key, command in IDENTITY:
            asked = _ask(printer, command)
            report.queries.append(asked)
            setattr(report, key, asked.reply or "")
        mode = _ask(printer, f"Pem;{family.error_mode}")
        report.error_mode = {
            "sent": mode.command,
            "reply": mode.reply,
            "accepted": mode.reply == "OK",
            "error": mode.error,
        }
        for command in probe_commands():
            report.queries.append(_ask(printer, command))
    except PrinterError as exc:
        report.error = exc.message
    finally:
        printer.close()
    return report


def report_text(report: ProbeReport) -> str:
    """The report as lines for a person (and for an issue)."""
    lines = [
        f"Printer {report.printer} ({report.uri}), profile {report.profile}",
        f"model: {report.model}",
        f"firmware: {report.firmware}",
        f"serial: {report.serial}",
    ]
    if report.error_mode:
        mode = report.error_mode
        verdict = "accepted" if mode["accepted"] else "NOT accepted"
        lines.append(f"error mode {mode['sent']}: {verdict} ({mode['reply'] or mode['error']})")
    for asked in report.queries:
        answer = asked.raw if asked.error is None else f"no reply: {asked.error}"
        lines.append(f"{asked.command:<12} -> {answer}")
    if report.error:
        lines.append(f"problem: {report.error}")
    return "\n".join(lines)
