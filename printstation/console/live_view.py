"""What the live parts show: each printer (its state, its batch, what it needs from a
person) and the station's board (queue, priority jobs, stock, open fates), in the
person's words. The dashboard, the batch page and ``/events`` render these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from printstation.console import web, words

#: A printer's state as an operator names it (CONSOLE.md), and its tone.
PRINTER_STATES: dict[str, tuple[str, str]] = {
    "unknown": ("Sedang dibaca", "wait"),
    "ready": ("Siap", "ok"),
    "card_in_path": ("Ada kartu di jalur", "warn"),
    "printing": ("Sedang mencetak", "ok"),
    "jammed": ("Kartu macet", "bad"),
    "cover_open": ("Penutup terbuka", "bad"),
    "ribbon_error": ("Pita habis", "bad"),
    "feeder_empty": ("Feeder kosong", "bad"),
    "misfeed": ("Salah tarik kartu", "bad"),
    "output_full": ("Tempat keluaran penuh", "bad"),
    "reject_full": ("Kotak tolak penuh", "bad"),
    "not_found": ("Tidak ditemukan", "bad"),
    "disconnected": ("Kabel USB terlepas", "bad"),
    "not_answering": ("Tidak menjawab", "bad"),
}

#: A printer's batch as the console names it.
RUN_STATES: dict[str, tuple[str, str]] = {
    "idle": ("Tidak berjalan", "wait"),
    "starting": ("Memulai", "ok"),
    "running": ("Mencetak", "ok"),
    "pausing": ("Menjeda setelah kartu ini", "warn"),
    "paused": ("Dijeda", "warn"),
    "needs_operator": ("Menunggu petugas", "bad"),
    "stopping": ("Menghentikan", "warn"),
    "stopped": ("Berhenti", "wait"),
    "finished": ("Selesai", "wait"),
}

words.add(
    {
        "Siap": "Ready",
        "Sedang dibaca": "Being read",
        "Ada kartu di jalur": "Card in the path",
        "Sedang mencetak": "Printing",
        "Kartu macet": "Card jammed",
        "Penutup terbuka": "Cover open",
        "Pita habis": "Ribbon ended",
        "Feeder kosong": "Feeder empty",
        "Salah tarik kartu": "Misfeed",
        "Tempat keluaran penuh": "Output hopper full",
        "Kotak tolak penuh": "Reject box full",
        "Tidak ditemukan": "Not found",
        "Kabel USB terlepas": "USB cable unplugged",
        "Tidak menjawab": "Not answering",
        "Tidak berjalan": "Not running",
        "Memulai": "Starting",
        "Mencetak": "Printing",
        "Menjeda setelah kartu ini": "Pausing after this card",
        "Menunggu petugas": "Waiting for a person",
        "Menghentikan": "Stopping",
        "Berhenti": "Stopped",
        "Selesai": "Finished",
        "Feeder": "Feeder",
        "Sisa pita": "Ribbon left",
        "Tempat keluaran": "Output hopper",
        "Kotak tolak": "Reject box",
        "Kartu sekarang": "Card now",
        "cetakan": "prints",
        "kartu": "cards",
        "Tercetak kali ini": "Issued this run",
        "Blangko di feeder": "Blanks in the feeder",
        "Rusak": "Spoiled",
        "Peringatan": "Warnings",
        "Printer {printer} masih belum siap: {state}.": (
            "Printer {printer} is still not ready: {state}."
        ),
    }
)


@dataclass
class PrinterView:
    name: str
    model: str
    state: str
    state_label: str
    tone: str
    run: str
    run_label: str
    run_tone: str
    job_id: int | None = None
    holder: str | None = None
    nik: str | None = None
    feeder_cards: int | None = None
    feeder_state: str | None = None
    ribbon_left: int | None = None
    output: int | None = None
    reject: int | None = None
    issued: int = 0
    spoiled: int = 0
    failed: int = 0
    unresolved: int = 0
    warnings: list[str] = field(default_factory=list)
    #: What the printer needs from a person: (message, what to do), or None.
    needs: Any = None
    message: str | None = None
    #: Lanjutkan was pressed but the printer is still not ready: what it shows now.
    still: str | None = None
    running: bool = False
    paused: bool = False


def printer_view(progress: Any, language: str) -> PrinterView:
    """One printer from the host's progress (``operations.batch.PrinterProgress``)."""
    from printstation.console.messages import explain_printer

    status = progress.status
    name = progress.printer
    state = status.state if status is not None else "unknown"
    label, tone = PRINTER_STATES.get(state, (state, "warn"))
    run = progress.state
    if run == "running" and progress.pausing:
        run = "pausing"
    run_label, run_tone = RUN_STATES.get(run, (run, "wait"))
    feeder = (status.feeder if status is not None else None) or {}
    counters = (status.counters if status is not None else None) or {}
    warnings = [
        explain_printer(
            str(w.get("code")), name, language, fallback=str(w.get("message") or "")
        ).message
        for w in (status.warnings if status is not None else [])
    ]
    needs = None
    still = None
    if progress.waiting is not None:
        needs = explain_printer(
            str(progress.waiting.code or state), name, language, fallback=progress.waiting.message
        )
        seen = progress.waiting.state
        if seen and seen != "ready":
            shown = words.translate(PRINTER_STATES.get(seen, (seen, ""))[0], language)
            still = words.translate(
                "Printer {printer} masih belum siap: {state}.", language
            ).format(printer=name, state=shown)
    elif tone == "bad" and run not in ("running", "pausing"):
        needs = explain_printer(state, name, language)
    message = None
    if progress.last_stop is not None and run in ("stopped", "idle"):
        stop = progress.last_stop
        message = (
            explain_printer(str(stop.code), name, language, fallback=stop.message).message
            if stop.code
            else None
        )
    current = progress.current
    return PrinterView(
        name=name,
        model=status.model if status is not None else "",
        state=state,
        state_label=words.translate(label, language),
        tone=tone,
        run=run,
        run_label=words.translate(run_label, language),
        run_tone=run_tone,
        job_id=current.job_id if current else None,
        holder=current.name if current else None,
        nik=current.nik if current else None,
        feeder_cards=feeder.get("cards"),
        feeder_state=feeder.get("state"),
        ribbon_left=status.ribbon_left if status is not None else None,
        output=counters.get("output_hopper"),
        reject=counters.get("reject_box"),
        issued=progress.issued,
        spoiled=progress.spoiled,
        failed=progress.failed,
        unresolved=progress.unresolved,
        warnings=warnings,
        needs=needs,
        message=message,
        still=still,
        running=run in ("running", "pausing", "paused", "needs_operator", "stopping"),
        paused=run == "paused",
    )


async def printers(request: Request) -> list[PrinterView]:
    from printstation.operations import batch

    progress = await web.call(request, batch.progress)
    return [printer_view(p, web.lang(request)) for p in progress.printers]


async def board(request: Request) -> Any:
    from printstation.operations import overview

    return await web.call(request, overview.dashboard)
