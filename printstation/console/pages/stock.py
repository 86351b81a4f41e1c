"""Stok blangko: the blank ledger's equation, the blanks in each printer, the reserve and
low-stock level; receive a lot (first serial, count, allocation letter), load a printer
(a count of the lowest blanks on hand, or a run of serials from the first).

Each form calls the operation the command line's ``stock receive`` and ``stock load``
call, and the page shows ``stock.show``: Diterima = Diterbitkan + Rusak + Sisa + Tidak
diketahui (+ blanks pending write-off, while a supervisor decides).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import forecast_card, web, words

#: What asking for a write-off says.
WRITEOFF_ASKED = (
    "Penghapusan blangko {serial} ({cause}) diajukan sebagai permohonan {id}: pengawas yang "
    "tidak mengajukannya memutuskan di Persetujuan."
)

#: What can happen to a blank outside a print job (the form's choices): the operation's
#: cause, in the office's words; "lost" is its own operation.
WRITEOFF_CAUSES = {
    "damaged": "Rusak fisik",
    "test_print": "Cetak uji",
    "misfeed": "Salah tarik",
    "data_changed": "Perubahan data",
    "lost": "Hilang",
}

#: What receiving a lot says.
RECEIVED = "Kiriman ke-{lot} diterima: {first} sampai {last} ({count} blangko), surat {reference}."

words.add(
    {
        "Neraca blangko": "The blank ledger's equation",
        "Diterima": "Received",
        "Diterbitkan": "Issued",
        "Rusak": "Spoiled",
        "Sisa": "On hand",
        "Tidak diketahui": "Unknown",
        "Menunggu penghapusan": "Pending write-off",
        "Seimbang": "Balanced",
        "Tidak seimbang": "Does not balance",
        "Di gudang": "On the shelf",
        "Di printer {printer}": "In printer {printer}",
        "Cadangan prioritas": "Priority reserve",
        "Batas minimum": "Low-stock level",
        "Terima kiriman blangko": "Receive a lot of blanks",
        "Nomor seri pertama": "First serial",
        "Jumlah blangko": "Number of blanks",
        "Nomor surat alokasi": "Allocation letter reference",
        "Terima": "Receive",
        "Muat ke printer": "Load into printer",
        "Jumlah blangko (diambil dari nomor seri terkecil di gudang)": (
            "Count (the lowest serials on the shelf)"
        ),
        "Mulai dari nomor seri (boleh dikosongkan)": "From serial (may be left empty)",
        "Boleh memakai cadangan prioritas": "The priority reserve may be used",
        "Muat": "Load",
        "Printer": "Printer",
        "Peringatan": "Warnings",
        RECEIVED: ("Lot {lot} received: {first} to {last} ({count} blanks), letter {reference}."),
        "{count} blangko dimuat ke printer {printer}: {first} sampai {last}.": (
            "{count} blanks loaded into printer {printer}: {first} to {last}."
        ),
        "Isi nomor seri pertama, jumlah, dan nomor surat alokasi.": (
            "Enter the first serial, the count and the allocation letter reference."
        ),
        "Jumlah harus berupa angka bulat.": "The count must be a whole number.",
        "Isi jumlah blangko, atau nomor seri pertama.": "Enter a count, or a first serial.",
        "Pilih printer.": "Choose a printer.",
        "Penghitung printer": "Printer counters",
        "Kartu ditarik (sejak pertama)": "Cards fed (since first seen)",
        "Blangko terpakai": "Blanks consumed",
        "Selisih": "Difference",
        "Cadangan dan batas minimum": "Reserve and low-stock level",
        "Cadangan prioritas (blangko di gudang untuk cetak prioritas)": (
            "Priority reserve (blanks on the shelf kept for priority prints)"
        ),
        "Batas minimum (peringatan stok menipis)": "Low-stock level (warns of low stock)",
        "Cadangan prioritas diubah dari {old} menjadi {new} blangko.": (
            "Priority reserve changed from {old} to {new} blanks."
        ),
        "Batas minimum diubah dari {old} menjadi {new} blangko.": (
            "Low-stock level changed from {old} to {new} blanks."
        ),
        "Isi jumlah blangko.": "Enter a number of blanks.",
        "Ajukan penghapusan blangko": "Ask for a blank to be written off",
        "Blangko yang rusak di luar pencetakan atau hilang dihapus dari stok hanya setelah "
        "pengawas lain menyetujuinya di Persetujuan.": (
            "A blank spoiled outside printing, or lost, leaves the stock only once another "
            "supervisor approves it under Approvals."
        ),
        "Nomor seri blangko": "Blank serial",
        "Yang terjadi": "What happened",
        "Hilang": "Lost",
        "Rusak fisik": "Physically damaged",
        "Cetak uji": "Test print",
        "Salah tarik": "Misfeed",
        "Perubahan data": "Data changed",
        "Keterangan (untuk blangko hilang: di mana terakhir terlihat dan dicari)": (
            "Note (for a lost blank: where it was last seen and looked for)"
        ),
        "Ajukan": "Ask",
        WRITEOFF_ASKED: (
            "Write-off of blank {serial} ({cause}) asked for as request {id}: a supervisor "
            "who did not ask decides it under Approvals."
        ),
        "Isi nomor seri blangko.": "Enter the blank's serial.",
        "Untuk blangko hilang, tulis di mana terakhir terlihat dan di mana sudah dicari.": (
            "For a lost blank, write where it was last seen and where it was looked for."
        ),
        "Pilih yang terjadi pada blangko.": "Choose what happened to the blank.",
    }
)

#: ``stock.show``'s and ``stock.load``'s warnings (English, as raised) in Indonesian.
WARNINGS: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"the ledger does not balance: run audit reconcile and tell the auditor"),
        "Buku blangko tidak seimbang: jalankan rekonsiliasi dan beri tahu auditor.",
        "The blank ledger does not balance: run a reconciliation and tell the auditor.",
    ),
    (
        re.compile(r"low stock: (?P<n>\d+) blanks on hand \(the level is (?P<low>\d+)\)"),
        "Stok menipis: tersisa {n} blangko (batas minimum {low}). Ajukan permohonan blangko.",
        "Low stock: {n} blanks on hand (the level is {low}). Request blanks.",
    ),
    (
        re.compile(
            r"(?P<n>\d+) blanks on hand and not loaded, below the priority reserve of (?P<r>\d+)"
        ),
        "{n} blangko di gudang, di bawah cadangan prioritas {r}.",
        "{n} blanks on the shelf, below the priority reserve of {r}.",
    ),
    (
        re.compile(r"(?P<n>\d+) blanks of unknown fate: resolve their jobs"),
        "{n} blangko belum jelas nasibnya: selesaikan pekerjaannya di Pencetakan.",
        "{n} blanks of open fate: settle their jobs under Printing.",
    ),
    (
        re.compile(r"(?P<n>\d+) blanks pending write-off: .*"),
        "{n} blangko rusak menunggu persetujuan: pengawas yang tidak mengajukannya "
        "menyetujui atau menolak masing-masing.",
        "{n} blanks await a write-off decision: a supervisor who did not ask decides each.",
    ),
    (
        re.compile(
            r"the priority reserve was used: (?P<left>\d+) blanks left on hand, "
            r"the reserve is (?P<r>\d+)"
        ),
        "Cadangan prioritas terpakai: tinggal {left} blangko di gudang, cadangan {r}.",
        "The priority reserve was used: {left} blanks left on the shelf, the reserve is {r}.",
    ),
    (
        re.compile(
            r"printer (?P<p>\S+)(?: \(device (?P<d>[^)]*)\))? fed (?P<n>\d+) card\(s\) the "
            r"ledger does not show yet: its (?P<j>\d+) job\(s\).*"
        ),
        "Printer {p} sudah menarik {n} kartu yang belum tercatat: {j} pekerjaannya masih "
        "dicetak atau belum jelas dan harus diselesaikan dulu.",
        "Printer {p} fed {n} card(s) the ledger does not show yet: its {j} job(s) printing "
        "or of open fate must finish or be settled.",
    ),
    (
        re.compile(
            r"printer (?P<p>\S+)(?: \(device (?P<d>[^)]*)\))? fed (?P<n>\d+) card\(s\) "
            r"(?P<way>more|fewer) than the ledger consumed through it "
            r"\((?P<fed>\d+) fed, (?P<used>\d+) consumed\).*"
        ),
        "Printer {p} menarik {n} kartu {way_id} dari yang tercatat di buku blangko ({fed} "
        "ditarik, {used} terpakai): selisih yang harus dijelaskan kepada auditor.",
        "Printer {p} fed {n} card(s) {way} than the ledger consumed through it ({fed} fed, "
        "{used} consumed): a discrepancy the auditor must explain.",
    ),
]


def warning_text(message: str, lang: str) -> str:
    """A stock warning in the person's language; one the table does not know, as raised."""
    for pattern, indonesian, english in WARNINGS:
        found = pattern.fullmatch(message)
        if found:
            values = found.groupdict()
            values["way_id"] = "lebih banyak" if values.get("way") == "more" else "lebih sedikit"
            return (indonesian if lang == "id" else english).format(**values)
    return message


async def _report(request: Request) -> Any:
    from printstation.operations.stock import show

    return await web.call(request, show)


def _page(request: Request, report: Any, status: int = 200, **context: Any) -> Response:
    lang = web.lang(request)
    printers = [p.name for p in web.station(request).config.printers]
    return web.render(
        request,
        "stock.html",
        status=status,
        title="Stok blangko",
        report=report,
        printers=printers,
        warnings=[warning_text(w, lang) for w in report.warnings],
        number=web.number,
        error=context.pop("error", None),
        receive_form=context.pop("receive_form", {}),
        load_form=context.pop("load_form", {}),
        settings_form=context.pop("settings_form", {}),
        writeoff_form=context.pop("writeoff_form", {}),
        writeoff_causes=WRITEOFF_CAUSES,
        **context,
    )


@web.page
async def stock_page(request: Request) -> Response:
    forecast = await forecast_card.forecast(request, letter=True)
    return _page(request, await _report(request), forecast=forecast)


def _count(text: str) -> int | None:
    """``"1.000"`` or ``"1000"`` as 1000; empty as None; ValueError when not a number."""
    cleaned = text.strip().replace(".", "").replace(" ", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise ValueError(text)
    return int(cleaned)


async def _act(
    request: Request,
    form_name: str,
    values: dict[str, str],
    run: Callable[[], Any],
) -> Response:
    """Run the form's operation: on success a message and back to /stok (so a reload
    does not repeat it); refused, the page again with the reason and what was typed."""
    try:
        await run()
    except web.Refused as refused:
        report = await _report(request)
        return _page(
            request, report, status=refused.status, error=refused.explained, **{form_name: values}
        )
    except _Invalid as invalid:
        web.flash(request, "error", invalid.text)
        report = await _report(request)
        return _page(request, report, status=400, **{form_name: values})
    return web.redirect(request, "/stok")


class _Invalid(Exception):
    """A form the page refuses before any operation (Indonesian text)."""

    def __init__(self, text: str) -> None:
        self.text = text


@web.action
async def receive_lot(request: Request, form: FormData) -> Response:
    from printstation.operations.stock import receive

    lang = web.lang(request)
    values = {k: str(form.get(k) or "").strip() for k in ("first", "count", "reference")}

    async def run() -> None:
        if not all(values.values()):
            raise _Invalid("Isi nomor seri pertama, jumlah, dan nomor surat alokasi.")
        try:
            count = _count(values["count"])
        except ValueError:
            raise _Invalid("Jumlah harus berupa angka bulat.") from None
        assert count is not None
        lot = await web.call(request, receive, values["first"], count, values["reference"])
        text = words.translate(
            RECEIVED,
            lang,
        ).format(
            lot=lot.lot,
            first=lot.first,
            last=lot.last,
            count=web.number(lot.count),
            reference=lot.reference,
        )
        web.flash(request, "ok", text)

    return await _act(request, "receive_form", values, run)


@web.action
async def load_printer(request: Request, form: FormData) -> Response:
    from printstation.operations.stock import load

    lang = web.lang(request)
    values = {k: str(form.get(k) or "").strip() for k in ("printer", "count", "first")}
    use_reserve = form.get("use_reserve") == "1"

    async def run() -> None:
        if not values["printer"]:
            raise _Invalid("Pilih printer.")
        try:
            count = _count(values["count"])
        except ValueError:
            raise _Invalid("Jumlah harus berupa angka bulat.") from None
        if count is None and not values["first"]:
            raise _Invalid("Isi jumlah blangko, atau nomor seri pertama.")
        loaded = await web.call(
            request,
            load,
            values["printer"],
            count=count,
            first=values["first"] or None,
            use_reserve=use_reserve,
        )
        text = words.translate(
            "{count} blangko dimuat ke printer {printer}: {first} sampai {last}.", lang
        ).format(
            count=web.number(loaded.loaded),
            printer=loaded.printer,
            first=loaded.serials[0],
            last=loaded.serials[-1],
        )
        web.flash(request, "ok", text)
        for warning in loaded.warnings:
            web.flash(request, "error", warning_text(warning, lang))

    return await _act(
        request, "load_form", {**values, "use_reserve": "1" if use_reserve else ""}, run
    )


#: The supervisor's settings: form field -> (operation's name, its message when changed).
SETTINGS = {
    "reserve": ("set_reserve", "Cadangan prioritas diubah dari {old} menjadi {new} blangko."),
    "low_stock": ("set_threshold", "Batas minimum diubah dari {old} menjadi {new} blangko."),
}


@web.action
async def change_settings(request: Request, form: FormData) -> Response:
    """The priority reserve and the low-stock level (a supervisor's; each its own
    operation, so each is checked and audited apart). A field left as it was is not
    sent to its operation."""
    from printstation.operations import stock

    lang = web.lang(request)
    values = {k: str(form.get(k) or "").strip() for k in SETTINGS}
    current = {k: str(form.get(f"was_{k}") or "").strip() for k in SETTINGS}

    async def run() -> None:
        wanted: dict[str, int] = {}
        for key, text in values.items():
            try:
                count = _count(text)
            except ValueError:
                raise _Invalid("Jumlah harus berupa angka bulat.") from None
            if count is None:
                raise _Invalid("Isi jumlah blangko.")
            if text != current[key]:
                wanted[key] = count
        for key, count in wanted.items():
            name, message = SETTINGS[key]
            changed = await web.call(request, getattr(stock, name), count)
            text = words.translate(message, lang).format(
                old=web.number(changed.old), new=web.number(changed.new)
            )
            web.flash(request, "ok", text)

    return await _act(request, "settings_form", values, run)


@web.action
async def ask_writeoff(request: Request, form: FormData) -> Response:
    """Ask for a blank spoiled outside a print job, or lost, to be written off
    (``stock spoil`` / ``stock lost``): pending until another supervisor decides."""
    from printstation.operations import stock

    lang = web.lang(request)
    values = {k: str(form.get(k) or "").strip() for k in ("serial", "cause", "note")}

    async def run() -> None:
        if not values["serial"]:
            raise _Invalid("Isi nomor seri blangko.")
        if values["cause"] not in WRITEOFF_CAUSES:
            raise _Invalid("Pilih yang terjadi pada blangko.")
        if values["cause"] == "lost":
            if not values["note"]:
                raise _Invalid(
                    "Untuk blangko hilang, tulis di mana terakhir terlihat dan di mana sudah "
                    "dicari."
                )
            asked = await web.call(request, stock.lost, values["serial"], values["note"])
        else:
            asked = await web.call(
                request, stock.spoil, values["serial"], values["cause"], values["note"] or None
            )
        text = words.translate(WRITEOFF_ASKED, lang).format(
            serial=asked.serial,
            cause=words.translate(WRITEOFF_CAUSES[values["cause"]], lang).lower(),
            id=asked.id,
        )
        web.flash(request, "ok", text)

    return await _act(request, "writeoff_form", values, run)


routes = [
    Route("/stok", stock_page, methods=["GET"]),
    Route("/stok/pengaturan", change_settings, methods=["POST"]),
    Route("/stok/terima", receive_lot, methods=["POST"]),
    Route("/stok/muat", load_printer, methods=["POST"]),
    Route("/stok/penghapusan", ask_writeoff, methods=["POST"]),
]
