"""Laporan bulanan: the monthly blank-use report for the province (``audit.monthly``, the
command line's ``audit monthly``).

A month chosen (this month by default, to today): on hand as it opened and closed, the
blanks received by lot and allocation letter, issued, spoiled by cause, destroyed, pending
write-off, unknown, and each earlier month of the year; the office's letter as PDF (with
the Nomor typed, else a line to fill in) and the CSV. It only reads, so each file is made
when asked for.
"""

from __future__ import annotations

import calendar
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.reports import cause_word, problem_text
from printstation.errors import PermissionDenied
from printstation.reports.indonesian import MONTHS

web.nav("/laporan-bulanan", "Laporan bulanan", ("auditor", "supervisor"))

ACTION = "audit.report"

words.add(
    {
        "Laporan bulanan": "Monthly report",
        "Laporan bulanan penggunaan blangko": "Monthly blank-use report",
        "Pilih bulan": "Choose the month",
        "Bulan": "Month",
        "Nomor surat (boleh dikosongkan)": "Letter number (may be left empty)",
        "Bulan berjalan: angka sampai dengan {day}.": (
            "The month is still running: figures up to {day}."
        ),
        "Dimusnahkan": "Destroyed",
        "Belum dimusnahkan": "Awaiting destruction",
        "Penerimaan menurut kiriman dan surat alokasi": ("Received by lot and allocation letter"),
        "Tanggal terima": "Date received",
        "Surat alokasi": "Allocation letter",
        "Kiriman": "Lot",
        "Tidak ada penerimaan blangko pada bulan ini.": "No blanks were received this month.",
        "Rekap per bulan tahun {year}": "Month by month, {year}",
        "Menunggu penghapusan: {serials}": "Pending write-off: {serials}",
        "Bulan ini kiriman yang diterima berjumlah {a}, tidak sama dengan {b} blangko yang "
        "diterima.": "The lots received this month add up to {a}, not the {b} blanks received.",
        "Blangko rusak yang menunggu pemusnahan {a} + rusak {b} - dimusnahkan {c} tidak sama "
        "dengan {d} pada akhir bulan.": (
            "Spoiled cards awaiting destruction {a} + spoiled {b} - destroyed {c} differs "
            "from the {d} awaiting at the month's end."
        ),
    }
)

#: The monthly report's own reasons for not balancing (reconcile's are the Laporan harian's).
PROBLEMS = [
    (
        re.compile(r"the lots received add up to (?P<a>\d+), not the (?P<b>\d+) blanks received"),
        "Bulan ini kiriman yang diterima berjumlah {a}, tidak sama dengan {b} blangko yang "
        "diterima.",
    ),
    (
        re.compile(
            r"spoiled cards awaiting destruction (?P<a>\d+) \+ spoiled (?P<b>\d+) - destroyed "
            r"(?P<c>\d+) differs from the (?P<d>\d+) awaiting at the month's end"
        ),
        "Blangko rusak yang menunggu pemusnahan {a} + rusak {b} - dimusnahkan {c} tidak sama "
        "dengan {d} pada akhir bulan.",
    ),
]


def monthly_problem(problem: str, lang: str) -> str:
    for pattern, text in PROBLEMS:
        found = pattern.fullmatch(problem)
        if found:
            return words.translate(text, lang).format(**found.groupdict())
    return problem_text(problem, lang)


def month_word(month: date, lang: str) -> str:
    """``Desember 2026`` (``December 2026`` in English)."""
    names = calendar.month_name if lang == "en" else ("", *MONTHS)
    return f"{names[month.month]} {month.year}"


def _may_read(request: Request) -> None:
    """Refuse (403) a person whose role may not make reports: there is nothing to read."""
    if not web.may(request, ACTION):
        person = web.actor(request)
        error = PermissionDenied(
            f"{person.name} is {person.role}: only auditor, supervisor may do {ACTION}",
            where=person.name,
        )
        raise web.Refused(web.explain(error, web.lang(request)), 403, error)


def _asked(request: Request) -> tuple[str | None, str]:
    """The month asked for (``?bulan=2026-12``; None: this month) and the letter's number."""
    month = str(request.query_params.get("bulan") or "").strip() or None
    number = str(request.query_params.get("nomor") or "").strip()
    return month, number


def _query(month: date, number: str) -> str:
    from urllib.parse import urlencode

    asked = {"bulan": f"{month:%Y-%m}"} | ({"nomor": number} if number else {})
    return urlencode(asked)


@web.page
async def monthly_page(request: Request) -> Response:
    from printstation.operations import audit

    _may_read(request)
    month, number = _asked(request)
    lang = web.lang(request)
    context: dict[str, Any] = {
        "typed": month or f"{web.station(request).today():%Y-%m}",
        "letter_number": number,
        "month_word": lambda m: month_word(m, lang),
        "cause_word": lambda cause: cause_word(cause, lang),
        "problem_text": lambda problem: monthly_problem(problem, lang),
    }
    status = 200
    try:
        report = await web.call(request, audit.monthly, month)
        context |= {
            "result": report.data,
            "typed": f"{report.data.month:%Y-%m}",
            "query": _query(report.data.month, number),
        }
    except web.Refused as refused:
        if refused.status == 403:
            raise
        context["error"] = refused.explained
        status = refused.status
    return web.render(request, "monthly.html", status=status, title="Laporan bulanan", **context)


def _file(body: bytes | str, name: str, media: str, *, inline: bool = False) -> Response:
    how = "inline" if inline else "attachment"
    return Response(
        body, media_type=media, headers={"content-disposition": f'{how}; filename="{name}"'}
    )


async def _refused_to_page(request: Request, refused: web.Refused) -> Response:
    if refused.status == 403:
        raise refused
    web.flash(request, "error", refused.explained.message)
    return web.redirect(request, "/laporan-bulanan")


@web.page
async def monthly_pdf(request: Request) -> Response:
    from printstation.operations import audit

    _may_read(request)
    month, number = _asked(request)
    try:
        with tempfile.TemporaryDirectory(prefix="laporan-bulanan-") as folder:
            report = await web.call(
                request, audit.monthly, month, pdf=Path(folder), number=number or None
            )
            assert report.pdf is not None
            body = await web.blocking(Path(report.pdf).read_bytes)
    except web.Refused as refused:
        return await _refused_to_page(request, refused)
    inline = request.query_params.get("unduh") not in ("1", "ya")
    return _file(body, f"{report.name}.pdf", "application/pdf", inline=inline)


@web.page
async def monthly_csv(request: Request) -> Response:
    from printstation.operations import audit
    from printstation.reports.monthly import monthly_csv as as_csv

    _may_read(request)
    month, _ = _asked(request)
    try:
        report = await web.call(request, audit.monthly, month)
    except web.Refused as refused:
        return await _refused_to_page(request, refused)
    config = web.station(request).config
    text = as_csv(report.data, regency=config.office.regency, station=config.name)
    return _file(text, f"{report.name}.csv", "text/csv; charset=utf-8")


routes = [
    Route("/laporan-bulanan", monthly_page, methods=["GET"]),
    Route("/laporan-bulanan/pdf", monthly_pdf, methods=["GET"]),
    Route("/laporan-bulanan/csv", monthly_csv, methods=["GET"]),
]
