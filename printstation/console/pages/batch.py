"""Pencetakan: the batches the server runs, per printer; a printer that needs a
person; the guided questions that settle a card whose fate is open."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import live_view, web, words

words.add(
    {
        "Mulai cetak": "Start printing",
        "Mulai semua": "Start all",
        "Jeda": "Pause",
        "Lanjutkan": "Continue",
        "Hentikan": "Stop",
        "Hentikan semua": "Stop all",
        "Printer": "Printer",
        "Kemajuan": "Progress",
        "Dicetak dalam batch ini": "Printed in this batch",
        "Menunggu di antrean": "Waiting in the queue",
        "Kartu yang belum jelas": "Cards of open fate",
        "Tidak ada kartu yang belum jelas.": "No card's fate is open.",
        "Selesaikan": "Settle",
        "Lihat": "View",
        "Pertanyaan tentang kartu ini dijawab oleh operator di printer {printer}.": (
            "The questions about this card are answered by an operator at printer {printer}."
        ),
        "Pertanyaan": "Question",
        "Apakah kartu {serial} ada di tempat keluaran dan tercetak baik?": (
            "Is card {serial} in the output hopper, printed well?"
        ),
        "Apakah kartu untuk {name} ada di tempat keluaran dan tercetak baik?": (
            "Is the card for {name} in the output hopper, printed well?"
        ),
        "Apakah kartu {serial} ada di kotak tolak, atau sudah Anda keluarkan dari printer "
        "karena macet atau rusak?": (
            "Is card {serial} in the reject box, or did you take it out of the printer "
            "because it jammed or is damaged?"
        ),
        "Apakah kartu ada di kotak tolak, atau sudah Anda keluarkan dari printer karena "
        "macet atau rusak?": (
            "Is the card in the reject box, or did you take it out of the printer because it "
            "jammed or is damaged?"
        ),
        "Apakah blangko masih di feeder (tidak pernah ditarik printer)?": (
            "Is the blank still in the feeder (never taken in by the printer)?"
        ),
        "Nomor seri pada kartu": "Serial number on the card",
        "Apa kerusakannya?": "What is wrong with it?",
        "Kartu belum ditemukan": "The card has not been found",
        "Buka penutup printer {printer} dan periksa di dalam, dekat pembaca chip dan kepala "
        "cetak. Jika kartu ditemukan, mulai lagi dari pertanyaan pertama.": (
            "Open the cover of printer {printer} and look inside, by the chip reader and the "
            "print head. If you find the card, start again from the first question."
        ),
        "Jika kartu tetap tidak ditemukan, laporkan blangko hilang: seorang pengawas "
        "memeriksa dan memutuskan.": (
            "If the card still cannot be found, report the blank lost: a supervisor "
            "checks and decides."
        ),
        "Laporkan blangko hilang": "Report the blank lost",
        "Ulangi dari awal": "Start again",
        "Kartu {serial} dicatat tercetak.": "Card {serial} recorded as issued.",
        "Kartu {serial} dicatat rusak; menunggu persetujuan pengawas.": (
            "Card {serial} recorded as spoiled; awaiting a supervisor's decision."
        ),
        "Tidak ada blangko yang keluar; pekerjaan kembali ke antrean.": (
            "No blank left the feeder; the job is back in the queue."
        ),
        "Laporan blangko hilang dikirim ke pengawas.": (
            "The lost blank was reported to a supervisor."
        ),
        "Pekerjaan ini sudah diselesaikan.": "This job has been settled.",
        "Pemegang": "Holder",
        "Semua printer": "All printers",
        "Batas kartu (kosongkan untuk semua)": "Card limit (empty for all)",
        "Batas kartu harus berupa angka 1 atau lebih.": (
            "The card limit must be a number, 1 or more."
        ),
        "Printer {printer} mulai mencetak.": "Printer {printer} starts printing.",
        "Printer {printer} berhenti sementara setelah kartu ini selesai.": (
            "Printer {printer} pauses once this card is done."
        ),
        "Printer {printer} mencetak lagi.": "Printer {printer} prints again.",
        "Printer {printer} berhenti setelah kartu yang sedang dicetak.": (
            "Printer {printer} stops after the card it is printing."
        ),
        "Printer {printer} diperiksa lagi: pencetakan berlanjut bila printer sudah siap.": (
            "Printer {printer} is looked at again: printing goes on once it is ready."
        ),
        "Printer {printer} siap.": "Printer {printer} is ready.",
        "Printer {printer} belum siap: {state}.": "Printer {printer} is not ready: {state}.",
        "semua": "all",
        "Hentikan pencetakan di printer {printer}? Kartu yang sedang dicetak diselesaikan dulu.": (
            "Stop printing on printer {printer}? The card being printed is finished first."
        ),
        "Hentikan pencetakan di semua printer? Kartu yang sedang dicetak diselesaikan dulu.": (
            "Stop printing on every printer? The cards being printed are finished first."
        ),
    }
)

SPOIL_CHOICES = (
    ("print_failed", "Gagal cetak"),
    ("encoding_failed", "Gagal tulis chip"),
    ("damaged", "Rusak fisik"),
    ("misfeed", "Salah tarik"),
)
words.add(
    {
        "Gagal cetak": "Printing failed",
        "Gagal tulis chip": "Chip writing failed",
        "Rusak fisik": "Physically damaged",
        "Salah tarik": "Misfeed",
    }
)


@web.page
async def batch_page(request: Request) -> Response:
    view = await live_view.printers(request)
    board = await live_view.board(request)
    return web.render(request, "batch.html", title="Pencetakan", printers=view, board=board)


def _printer_of(form: FormData) -> str | None:
    name = str(form.get("printer") or "").strip()
    return name or None


def _back(form: FormData) -> str:
    back = str(form.get("back") or "/pencetakan")
    return back if back in ("/", "/pencetakan") else "/pencetakan"


@web.action
async def start(request: Request, form: FormData) -> Response:
    from printstation.operations import batch

    printer = _printer_of(form)
    limit_text = str(form.get("limit") or "").strip()
    limit = None
    if limit_text:
        if not limit_text.isdigit() or int(limit_text) < 1:
            web.flash(request, "error", "Batas kartu harus berupa angka 1 atau lebih.")
            return web.redirect(request, _back(form))
        limit = int(limit_text)
    done = await web.attempt(request, batch.start, (printer,) if printer else (), limit=limit)
    if done is not None:
        _said(request, "Printer {printer} mulai mencetak.", printer)
    return web.redirect(request, _back(form))


async def _control(request: Request, form: FormData, fn: Any, said: str) -> Response:
    """One printer's (or every printer's) batch control, confirmed by ``said``."""
    printer = _printer_of(form)
    if await web.attempt(request, fn, printer) is not None:
        _said(request, said, printer)
    return web.redirect(request, _back(form))


@web.action
async def pause(request: Request, form: FormData) -> Response:
    from printstation.operations import batch

    said = "Printer {printer} berhenti sementara setelah kartu ini selesai."
    return await _control(request, form, batch.pause, said)


@web.action
async def resume(request: Request, form: FormData) -> Response:
    from printstation.operations import batch

    return await _control(request, form, batch.resume, "Printer {printer} mencetak lagi.")


@web.action
async def stop(request: Request, form: FormData) -> Response:
    from printstation.operations import batch

    said = "Printer {printer} berhenti setelah kartu yang sedang dicetak."
    return await _control(request, form, batch.stop, said)


@web.action
async def carry_on(request: Request, form: FormData) -> Response:
    """Lanjutkan: the operator cleared the printer."""
    from printstation.console.live_view import PRINTER_STATES
    from printstation.operations import printers

    printer = _printer_of(form)
    result = await web.attempt(request, printers.carry_on, printer)
    if result is None:
        return web.redirect(request, _back(form))
    language = web.lang(request)
    if result.woken:
        text = "Printer {printer} diperiksa lagi: pencetakan berlanjut bila printer sudah siap."
        web.flash(request, "ok", words.translate(text, language).format(printer=printer))
    elif result.ready:
        _said(request, "Printer {printer} siap.", printer)
    else:
        state = PRINTER_STATES.get(result.state or "", (result.state or "", ""))[0]
        text = words.translate("Printer {printer} belum siap: {state}.", language)
        web.flash(
            request,
            "error",
            text.format(printer=printer, state=words.translate(state, language)),
        )
    return web.redirect(request, _back(form))


def _said(request: Request, text: str, printer: str | None) -> None:
    """A confirmation for ``printer`` (or every printer)."""
    language = web.lang(request)
    who = printer or words.translate("semua", language)
    web.flash(request, "ok", words.translate(text, language).format(printer=who))


# -- a card whose fate is open: guided questions --------------------------------------


@web.page
async def open_fate(request: Request) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    detail = await web.call(request, jobs.show_job, job_id)
    step = request.query_params.get("q", "1")
    unknown = [b.serial for b in detail.blanks if b.state == "unknown"]
    serial = unknown[0] if unknown else None
    return web.render(
        request,
        "open_fate.html",
        title="Belum jelas",
        job=detail,
        serial=serial,
        unknown=unknown,
        step=step if step in ("1", "2", "3", "4") else "1",
        causes=SPOIL_CHOICES,
    )


@web.action
async def settle(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs, stock

    job_id = int(request.path_params["job_id"])
    answer = str(form.get("answer") or "")
    serial = str(form.get("serial") or "").strip() or None
    here = f"/pencetakan/belum-jelas/{job_id}"
    language = web.lang(request)
    try:
        if answer == "issued":
            done = await web.call(request, jobs.resolve, job_id, "issued", serial=serial)
            text = words.translate("Kartu {serial} dicatat tercetak.", language)
            web.flash(request, "ok", text.format(serial=done.serial or ""))
        elif answer == "spoiled":
            cause = str(form.get("cause") or "print_failed")
            done = await web.call(
                request, jobs.resolve, job_id, "spoiled", serial=serial, cause=cause
            )
            text = words.translate(
                "Kartu {serial} dicatat rusak; menunggu persetujuan pengawas.", language
            )
            web.flash(request, "ok", text.format(serial=done.serial or ""))
        elif answer == "none":
            await web.call(request, jobs.resolve, job_id, "none", serial=serial)
            web.flash(request, "ok", "Tidak ada blangko yang keluar; pekerjaan kembali ke antrean.")
        elif answer == "lost" and serial:
            note = f"not found after a stop, job {job_id} (console)"
            await web.call(request, stock.lost, serial, note)
            web.flash(request, "ok", "Laporan blangko hilang dikirim ke pengawas.")
        else:
            return web.redirect(request, here)
    except web.Refused as refused:
        if refused.status == 403:
            raise
        web.flash(request, "error", refused.explained.message)
        return web.redirect(request, here)
    return web.redirect(request, "/pencetakan")


routes = [
    Route("/pencetakan", batch_page, methods=["GET"]),
    Route("/pencetakan/mulai", start, methods=["POST"]),
    Route("/pencetakan/jeda", pause, methods=["POST"]),
    Route("/pencetakan/lanjut", resume, methods=["POST"]),
    Route("/pencetakan/hentikan", stop, methods=["POST"]),
    Route("/pencetakan/lanjutkan", carry_on, methods=["POST"]),
    Route("/pencetakan/belum-jelas/{job_id:int}", open_fate, methods=["GET"]),
    Route("/pencetakan/belum-jelas/{job_id:int}", settle, methods=["POST"]),
]
