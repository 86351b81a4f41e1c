"""Rekonsiliasi and Laporan harian: the auditor's reports of blank stock.

Rekonsiliasi reconciles the blanks over a period of office days against a physical count
(``audit.reconcile``, the command line's ``audit reconcile``): the equation, opening and
closing, the count's difference from the ledger as a discrepancy with its explanation,
the spoiled blanks by cause and serial, the printers' counters, the spoiled cards not
presented at a destruction. A count that differs is recorded as a ``stock.discrepancy``
audit event each time the reconciliation runs, so it runs once per form sent: its result
and its files (the signed PDF, CSV, JSON) are kept in the person's session and the
downloads are served from there, never by running it again.

Laporan harian is one office day's posting (``audit.posting``): opening, received,
issued, spoiled, unknown, closing; its PDF and CSV. It only reads, so each file is made
when asked for.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.jobs import blank_word
from printstation.errors import PermissionDenied

web.nav("/rekonsiliasi", "Rekonsiliasi", ("auditor", "supervisor"))
web.nav("/laporan-harian", "Laporan harian", ("auditor", "supervisor"))

#: The session's key for the last reconciliation.
KEPT = "reports.reconciliation"
#: The action both pages need (the role table: auditors and supervisors).
ACTION = "audit.report"

words.add(
    {
        "Rekonsiliasi": "Reconciliation",
        "Laporan harian": "Daily posting",
        "Rekonsiliasi stok blangko": "Blank stock reconciliation",
        "Laporan harian stok blangko": "Daily blank stock posting",
        "Buat rekonsiliasi": "Reconcile",
        "Periode": "Period",
        "Hasil hitung fisik (boleh dikosongkan)": "Physical count (may be left empty)",
        "Penjelasan selisih": "Explanation of a difference",
        "Stok awal": "Opening on hand",
        "Stok akhir": "Closing on hand",
        "Sisa (stok akhir)": "On hand (closing)",
        "Hasil hitung fisik": "Physical count",
        "Hitung fisik tidak dilakukan.": "No physical count was given.",
        "Hasil hitung fisik sesuai dengan catatan stok: {count} blangko.": (
            "The physical count agrees with the ledger: {count} blanks."
        ),
        "Selisih": "Difference",
        "kurang": "short",
        "lebih": "over",
        "Selisih: {direction} {count} blangko": "Difference: {count} blanks {direction}",
        "Hasil hitung fisik {counted} blangko, catatan stok {on_hand} blangko.": (
            "{counted} blanks counted, the ledger says {on_hand}."
        ),
        "Penjelasan": "Explanation",
        "Belum ada penjelasan: tuliskan pada berita acara.": (
            "No explanation given: write it on the signed document."
        ),
        "Selisih ini dicatat di log audit.": "This difference is recorded in the audit log.",
        "Pembukuan tidak seimbang": "The ledger does not balance",
        "Blangko rusak menurut penyebab": "Spoiled blanks by cause",
        "Nomor seri blangko rusak": "Spoiled serials",
        "Nihil.": "None.",
        "Jumlah": "Total",
        "Penyebab": "Cause",
        "Oleh": "By",
        "Nomor seri": "Serial",
        "hilang": "lost",
        "Penghitung printer": "Printer counters",
        "Belum ada printer yang dibaca penghitungnya.": "No printer's counter has been read yet.",
        "Nomor seri printer": "Printer serial",
        "Kartu ditarik": "Cards fed",
        "Blangko terpakai": "Blanks consumed",
        "sesuai": "agrees",
        "belum diselesaikan": "not settled yet",
        "Blangko rusak yang tidak diperlihatkan pada pemusnahan": (
            "Spoiled blanks not presented at a destruction"
        ),
        "Blangko rusak ini tidak diperlihatkan pada pemusnahan yang diadakan sesudahnya.": (
            "These spoiled blanks were not presented at a destruction held after they were spoiled."
        ),
        "Menunggu persetujuan penghapusan": "Pending write-off",
        "Berkas": "Files",
        "Buka berita acara (PDF)": "Open the signed document (PDF)",
        "Unduh PDF": "Download the PDF",
        "Unduh CSV": "Download the CSV",
        "Unduh JSON": "Download the JSON",
        "Dari tanggal": "From",
        "Sampai tanggal": "To",
        "Tanggal": "Date",
        "Tampilkan": "Show",
        "Pilih hari": "Choose the day",
        "Posting {day}": "Posting for {day}",
        "Buka laporan (PDF)": "Open the report (PDF)",
        "Tanggal tidak sah: pakai bentuk tahun-bulan-tanggal.": (
            "Not a valid date: use year-month-day."
        ),
        "Tanggal awal ({first}) sesudah tanggal akhir ({last}): tukar keduanya.": (
            "The first day ({first}) is after the last ({last}): swap them."
        ),
        "Hasil hitung fisik harus berupa angka bulat, tidak negatif.": (
            "The physical count must be a whole number, not negative."
        ),
        "Belum ada rekonsiliasi: buat dulu di halaman Rekonsiliasi.": (
            "No reconciliation yet: make one on the Reconciliation page."
        ),
        "Rekonsiliasi dibuat.": "Reconciliation made.",
        "Periode {first} sampai {last}": "Period {first} to {last}",
        "Seimbang": "Balanced",
        "Tidak seimbang": "Does not balance",
    }
)


#: Why a reconciliation does not balance (``Reconciliation.problems``, English as found)
#: in Indonesian.
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"opening \+ received - issued - spoiled - unknown - pending differs from closing"
        ),
        "Stok awal + diterima - diterbitkan - rusak - tidak diketahui - menunggu penghapusan "
        "tidak sama dengan stok akhir.",
    ),
    (
        re.compile(r"more blanks consumed than received: a consumption predates its lot"),
        "Blangko terpakai lebih banyak daripada yang diterima: ada pemakaian yang tercatat "
        "sebelum kirimannya diterima.",
    ),
    (
        re.compile(
            r"closing on hand (?P<c>-?\d+) differs from the (?P<n>\d+) blanks on hand, "
            r"loaded or in use now"
        ),
        "Stok akhir {c} berbeda dari {n} blangko yang sekarang ada di gudang, di printer, "
        "atau sedang dipakai.",
    ),
    (
        re.compile(r"unknown (?P<u>\d+) differs from the (?P<n>\d+) blanks unknown now"),
        "Blangko tidak diketahui {u} berbeda dari {n} blangko yang sekarang belum jelas.",
    ),
    (
        re.compile(r"pending write-off (?P<p>\d+) differs from the (?P<n>\d+) blanks pending now"),
        "Menunggu penghapusan {p} berbeda dari {n} blangko yang sekarang menunggu penghapusan.",
    ),
    (
        re.compile(
            r"the ledger's records disagree: lots (?P<a>\d+) vs blanks (?P<b>\d+), issued cards "
            r"(?P<c>\d+) vs issued blanks (?P<d>\d+), spoilages (?P<e>\d+) vs spoiled blanks "
            r"(?P<f>\d+), write-off requests pending (?P<g>\d+) vs blanks pending (?P<h>\d+)"
        ),
        "Catatan buku blangko tidak cocok satu sama lain: kiriman {a} dan blangko {b}, kartu "
        "terbit {c} dan blangko terbit {d}, kerusakan {e} dan blangko rusak {f}, permohonan "
        "penghapusan {g} dan blangko menunggu penghapusan {h}.",
    ),
]


def problem_text(problem: str, lang: str) -> str:
    """Why the ledger does not balance, in Indonesian; in English (or unknown), as found."""
    if lang != "id":
        return problem
    for pattern, indonesian in PROBLEMS:
        found = pattern.fullmatch(problem)
        if found:
            return indonesian.format(**found.groupdict())
    return problem


@dataclass(frozen=True)
class Kept:
    """A reconciliation as it ran once: its figures, the form sent, its files."""

    data: Any
    name: str
    form: dict[str, str]
    pdf: bytes
    csv: str
    json: str


class _Invalid(Exception):
    """A form the page refuses before any operation (Indonesian text)."""

    def __init__(self, text: str, **values: str) -> None:
        self.text = text
        self.values = values


def _day(text: str) -> date | None:
    """``2026-12-04`` as a date; empty as None; ``_Invalid`` otherwise."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid("Tanggal tidak sah: pakai bentuk tahun-bulan-tanggal.") from None


def _count(text: str) -> int | None:
    """``"1.000"`` or ``"1000"`` as 1000; empty as None; negative or not a number refused."""
    cleaned = text.replace(".", "").replace(" ", "")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise _Invalid("Hasil hitung fisik harus berupa angka bulat, tidak negatif.")
    return int(cleaned)


def _may_read(request: Request) -> None:
    """Refuse (403) a person whose role may not make reports: there is nothing to read."""
    if not web.may(request, ACTION):
        person = web.actor(request)
        error = PermissionDenied(
            f"{person.name} is {person.role}: only auditor, supervisor may do {ACTION}",
            where=person.name,
        )
        raise web.Refused(web.explain(error, web.lang(request)), 403, error)


def _explained_text(invalid: _Invalid, lang: str) -> str:
    return words.translate(invalid.text, lang).format(**invalid.values)


def cause_word(cause: str, lang: str) -> str:
    return words.translate("hilang", lang) if cause == "lost" else blank_word(cause, lang)


def _helpers(request: Request) -> dict[str, Any]:
    lang = web.lang(request)
    return {
        "cause_word": lambda cause: cause_word(cause, lang),
        "signed": lambda n: f"{n:+d}" if n else "0",
        "problem_text": lambda problem: problem_text(problem, lang),
    }


# --- Rekonsiliasi ----------------------------------------------------------------------


def _reconcile_page(
    request: Request, status: int = 200, *, form: dict[str, str] | None = None, **context: Any
) -> Response:
    kept: Kept | None = web.session(request).kept.get(KEPT)
    today = web.station(request).today().isoformat()
    shown = form or (kept.form if kept else {"from": today, "to": today})
    return web.render(
        request,
        "reconcile.html",
        status=status,
        title="Rekonsiliasi",
        form=shown,
        kept=kept,
        result=kept.data if kept and context.get("error") is None and not form else None,
        **_helpers(request),
        **context,
    )


@web.page
async def reconcile_page(request: Request) -> Response:
    _may_read(request)
    return _reconcile_page(request)


@web.action
async def reconcile(request: Request, form: FormData) -> Response:
    from printstation.operations import audit

    values = {k: str(form.get(k) or "").strip() for k in ("from", "to", "counted", "explanation")}
    lang = web.lang(request)
    try:
        first, last = _day(values["from"]), _day(values["to"])
        if first and last and first > last:
            raise _Invalid(
                "Tanggal awal ({first}) sesudah tanggal akhir ({last}): tukar keduanya.",
                first=words.long_date(first, lang),
                last=words.long_date(last, lang),
            )
        counted = _count(values["counted"])
    except _Invalid as invalid:
        web.flash(request, "error", _explained_text(invalid, lang))
        return _reconcile_page(request, 400, form=values)
    with tempfile.TemporaryDirectory(prefix="rekonsiliasi-") as folder:
        try:
            report = await web.call(
                request,
                audit.reconcile,
                first,
                last,
                counted,
                values["explanation"] or None,
                pdf=Path(folder),
            )
        except web.Refused as refused:
            if refused.status == 403:
                raise
            return _reconcile_page(request, refused.status, form=values, error=refused.explained)
        assert report.pdf is not None
        pdf = await web.blocking(Path(report.pdf).read_bytes)
    web.session(request).kept[KEPT] = Kept(
        data=report.data,
        name=report.name,
        form=values,
        pdf=pdf,
        csv=_reconciliation_csv(report.data),
        json=_reconciliation_json(report.data),
    )
    web.flash(request, "ok", "Rekonsiliasi dibuat.")
    return web.redirect(request, "/rekonsiliasi")


def _reconciliation_csv(result: Any) -> str:
    from printstation.reports.posting import reconciliation_csv

    return reconciliation_csv(result)


def _reconciliation_json(result: Any) -> str:
    period = result.period
    data = {
        "date_from": period.first.isoformat(),
        "date_to": period.last.isoformat(),
        "timezone": period.tz.key,
        **result.as_json(),
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _kept(request: Request) -> Kept:
    _may_read(request)
    kept: Kept | None = web.session(request).kept.get(KEPT)
    if kept is None:
        web.flash(request, "error", "Belum ada rekonsiliasi: buat dulu di halaman Rekonsiliasi.")
        raise _NothingKept()
    return kept


class _NothingKept(Exception):
    pass


def _file(body: bytes | str, name: str, media: str, *, inline: bool = False) -> Response:
    how = "inline" if inline else "attachment"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'{how}; filename="{name}"'},
    )


def _pdf(request: Request, body: bytes, name: str) -> Response:
    inline = request.query_params.get("unduh") not in ("1", "ya")
    return _file(body, f"{name}.pdf", "application/pdf", inline=inline)


@web.page
async def reconcile_pdf(request: Request) -> Response:
    try:
        kept = _kept(request)
    except _NothingKept:
        return web.redirect(request, "/rekonsiliasi")
    return _pdf(request, kept.pdf, kept.name)


@web.page
async def reconcile_csv(request: Request) -> Response:
    try:
        kept = _kept(request)
    except _NothingKept:
        return web.redirect(request, "/rekonsiliasi")
    return _file(kept.csv, f"{kept.name}.csv", "text/csv; charset=utf-8")


@web.page
async def reconcile_json(request: Request) -> Response:
    try:
        kept = _kept(request)
    except _NothingKept:
        return web.redirect(request, "/rekonsiliasi")
    return _file(kept.json, f"{kept.name}.json", "application/json")


# --- Laporan harian --------------------------------------------------------------------


def _posting_day(request: Request) -> tuple[str, date]:
    """The day asked for (``?tanggal=``, default today): what was typed, and the date."""
    typed = str(request.query_params.get("tanggal") or "").strip()
    return typed, _day(typed) or web.station(request).today()


@web.page
async def posting_page(request: Request) -> Response:
    from printstation.operations import audit

    _may_read(request)
    context: dict[str, Any] = {"typed": str(request.query_params.get("tanggal") or "").strip()}
    status = 200
    try:
        _, day = _posting_day(request)
        report = await web.call(request, audit.posting, day)
        context |= {"result": report.data, "day_iso": day.isoformat(), "typed": day.isoformat()}
    except _Invalid as invalid:
        web.flash(request, "error", _explained_text(invalid, web.lang(request)))
        status = 400
    except web.Refused as refused:
        if refused.status == 403:
            raise
        context["error"] = refused.explained
        status = refused.status
    return web.render(
        request,
        "posting.html",
        status=status,
        title="Laporan harian",
        **_helpers(request),
        **context,
    )


async def _posting_report(request: Request, *, pdf: Path | None = None) -> Any:
    from printstation.operations import audit

    _may_read(request)
    _, day = _posting_day(request)
    return await web.call(request, audit.posting, day, pdf=pdf)


@web.page
async def posting_pdf(request: Request) -> Response:
    try:
        with tempfile.TemporaryDirectory(prefix="posting-") as folder:
            report = await _posting_report(request, pdf=Path(folder))
            assert report.pdf is not None
            body = await web.blocking(Path(report.pdf).read_bytes)
    except _Invalid as invalid:
        web.flash(request, "error", _explained_text(invalid, web.lang(request)))
        return web.redirect(request, "/laporan-harian")
    return _pdf(request, body, report.name)


@web.page
async def posting_csv(request: Request) -> Response:
    from printstation.reports.posting import posting_csv as as_csv

    try:
        report = await _posting_report(request)
    except _Invalid as invalid:
        web.flash(request, "error", _explained_text(invalid, web.lang(request)))
        return web.redirect(request, "/laporan-harian")
    return _file(as_csv(report.data), f"{report.name}.csv", "text/csv; charset=utf-8")


routes = [
    Route("/rekonsiliasi", reconcile_page, methods=["GET"]),
    Route("/rekonsiliasi", reconcile, methods=["POST"]),
    Route("/rekonsiliasi/pdf", reconcile_pdf, methods=["GET"]),
    Route("/rekonsiliasi/csv", reconcile_csv, methods=["GET"]),
    Route("/rekonsiliasi/json", reconcile_json, methods=["GET"]),
    Route("/laporan-harian", posting_page, methods=["GET"]),
    Route("/laporan-harian/pdf", posting_pdf, methods=["GET"]),
    Route("/laporan-harian/csv", posting_csv, methods=["GET"]),
]
