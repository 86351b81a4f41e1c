"""Pemusnahan: the spoiled cards awaiting destruction (``audit.awaiting_destruction``),
the destruction recorded by two people in front of the officials (``audit.destroy``),
the latest destructions (``audit.recent_destructions``) and the day's berita acara as a
PDF (``audit.destruction_record``), the command line's ``audit destruction`` and
``audit destroy``.

The person signed in records the destruction; the second person signs on the same form
with their own account name and PIN (``users.sign_in`` gives their actor, as the command
line's ``--witness`` does). The station refuses one person in both places (by NIP), a
serial that is not spoiled or was already destroyed; the page tells why in the person's
language and keeps what was typed, never the PIN.
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.jobs import blank_word
from printstation.errors import PrintStationError

web.nav("/pemusnahan", "Pemusnahan", ("auditor", "supervisor"))

#: Rows of officials on the form (at least MIN_OFFICIALS filled in).
OFFICIAL_ROWS = 3
MIN_OFFICIALS = 2
#: Destructions listed under "Pemusnahan terakhir".
RECENT = 10

#: What the page says after a destruction is recorded.
RECORDED = "Pemusnahan nomor {id} dicatat: {count} blangko rusak dimusnahkan, disaksikan {witness}."
NOT_PRESENTED = (
    "Selisih: {count} blangko rusak yang lebih lama tidak diperlihatkan pada pemusnahan ini: "
    "{serials}."
)

words.add(
    {
        "Pemusnahan": "Destruction",
        "Pemusnahan blangko rusak": "Destruction of spoiled blanks",
        "Blangko rusak menunggu pemusnahan": "Spoiled blanks awaiting destruction",
        "Tidak ada blangko rusak yang menunggu pemusnahan.": (
            "No spoiled blank awaits destruction."
        ),
        "Nomor seri": "Serial",
        "Penyebab": "Cause",
        "Waktu rusak": "Spoiled at",
        "Dicatat oleh": "Recorded by",
        "Pekerjaan cetak": "Print job",
        "Catat pemusnahan": "Record a destruction",
        "Blangko yang diperlihatkan dan dimusnahkan": "Blanks presented and destroyed",
        "Pejabat yang hadir (sedikitnya dua)": "Officials present (at least two)",
        "Nama pejabat {n}": "Official {n}'s name",
        "NIP pejabat {n}": "Official {n}'s NIP",
        "Catatan (boleh dikosongkan)": "Note (may be left empty)",
        "Orang kedua (saksi)": "Second person (witness)",
        "Orang kedua masuk dengan akunnya sendiri di formulir ini: orang lain, dengan NIP lain.": (
            "The second person signs on this form with their own account: someone else, "
            "with another NIP."
        ),
        "Nama pengguna orang kedua": "Second person's user name",
        "PIN orang kedua": "Second person's PIN",
        "Berita acara": "Berita acara (record)",
        "Buka berita acara hari ini, {day} (PDF)": "Open today's berita acara, {day} (PDF)",
        "Hari lain": "Another day",
        "Buka": "Open",
        "Unduh": "Download",
        "Pemusnahan terakhir": "Latest destructions",
        "Belum ada pemusnahan yang dicatat.": "No destruction has been recorded yet.",
        "Nomor": "Number",
        "Waktu": "Time",
        "Saksi": "Witness",
        "Pejabat": "Officials",
        "Jumlah blangko": "Number of blanks",
        "Orang kedua tidak dapat menandatangani": "The second person could not sign",
        "Orang kedua {name}:": "Second person {name}:",
        RECORDED: "Destruction {id} recorded: {count} spoiled blanks destroyed, witnessed by "
        "{witness}.",
        NOT_PRESENTED: (
            "Discrepancy: {count} older spoiled blanks were not presented at this "
            "destruction: {serials}."
        ),
        "Pilih sedikitnya satu blangko rusak yang dimusnahkan.": (
            "Choose at least one spoiled blank to destroy."
        ),
        "Isi nama dan NIP sedikitnya dua pejabat yang hadir.": (
            "Enter the name and NIP of at least two officials present."
        ),
        "Pejabat baris {n}: isi nama dan NIP-nya.": "Official row {n}: enter the name and NIP.",
        "Isi nama pengguna dan PIN orang kedua.": "Enter the second person's user name and PIN.",
        "Tanggal tidak sah: {value}. Tulis tanggal sebagai TTTT-BB-HH.": (
            "Not a date: {value}. Write the date as YYYY-MM-DD."
        ),
    }
)


class _Invalid(Exception):
    """A form the page refuses before any operation (Indonesian text)."""

    def __init__(self, text: str) -> None:
        self.text = text


def _blank_form() -> dict[str, Any]:
    return {
        "serials": None,  # None: every serial awaiting is checked
        "officials": [("", "")] * OFFICIAL_ROWS,
        "note": "",
        "witness": "",
    }


async def _page(request: Request, status: int = 200, **context: Any) -> Response:
    from printstation.operations import audit

    awaiting = await web.call(request, audit.awaiting_destruction)
    recent = await web.call(request, audit.recent_destructions, RECENT)
    lang = web.lang(request)
    form = context.pop("form", None) or _blank_form()
    return web.render(
        request,
        "destruction.html",
        status=status,
        title="Pemusnahan",
        awaiting=awaiting,
        recent=recent,
        form=form,
        today=web.station(request).today(),
        cause_word=lambda value: blank_word(value, lang),
        error=context.pop("error", None),
        **context,
    )


@web.page
async def destruction_page(request: Request) -> Response:
    return await _page(request)


def _officials(rows: list[tuple[str, str]], lang: str) -> list[str]:
    """The filled rows as ``NAME:NIP`` (the station checks each NIP); a half-filled row,
    or fewer than two officials, refused."""
    chosen = []
    for n, (name, nip) in enumerate(rows, start=1):
        if name and nip:
            chosen.append(f"{name}:{nip}")
        elif name or nip:
            text = words.translate("Pejabat baris {n}: isi nama dan NIP-nya.", lang)
            raise _Invalid(text.format(n=n))
    if len(chosen) < MIN_OFFICIALS:
        raise _Invalid("Isi nama dan NIP sedikitnya dua pejabat yang hadir.")
    return chosen


@web.action
async def record_destruction(request: Request, form: FormData) -> Response:
    from printstation.operations import audit
    from printstation.operations.users import sign_in

    lang = web.lang(request)
    if not web.may(request, "destruction.record"):
        # The role table refuses it (audited): the operation says so, as a 403 page.
        await web.call(request, audit.destroy, web.actor(request), [], [])
    serials = [str(s).strip() for s in form.getlist("serial") if str(s).strip()]
    rows = [
        (
            " ".join(str(form.get(f"official_name_{n}") or "").split()),
            str(form.get(f"official_nip_{n}") or "").strip(),
        )
        for n in range(1, OFFICIAL_ROWS + 1)
    ]
    note = str(form.get("note") or "").strip()
    witness_name = str(form.get("witness") or "").strip()
    pin = str(form.get("witness_pin") or "")
    typed = {"serials": serials, "officials": rows, "note": note, "witness": witness_name}

    try:
        if not serials:
            raise _Invalid("Pilih sedikitnya satu blangko rusak yang dimusnahkan.")
        officials = _officials(rows, lang)
        if not witness_name or not pin:
            raise _Invalid("Isi nama pengguna dan PIN orang kedua.")
    except _Invalid as invalid:
        web.flash(request, "error", invalid.text)
        return await _page(request, status=400, form=typed)

    try:
        witness = await web.blocking(sign_in, web.station(request), witness_name, pin)
    except PrintStationError as exc:
        explained = web.explain(exc, lang)
        who = words.translate("Orang kedua {name}:", lang).format(name=witness_name)
        explained = dataclasses.replace(
            explained,
            title=words.translate("Orang kedua tidak dapat menandatangani", lang),
            message=f"{who} {explained.message}",
        )
        return await _page(request, status=web.status_for(exc), form=typed, error=explained)

    try:
        done = await web.call(request, audit.destroy, witness, serials, officials, note or None)
    except web.Refused as refused:
        return await _page(request, status=refused.status, form=typed, error=refused.explained)
    web.flash(
        request,
        "ok",
        words.translate(RECORDED, lang).format(
            id=done.id, count=web.number(len(done.serials)), witness=done.witness
        ),
    )
    if done.not_presented:
        web.flash(
            request,
            "error",
            words.translate(NOT_PRESENTED, lang).format(
                count=web.number(len(done.not_presented)), serials=", ".join(done.not_presented)
            ),
        )
    return web.redirect(request, "/pemusnahan")


@web.page
async def berita_acara(request: Request) -> Response:
    """The office day's berita acara pemusnahan as a PDF: shown in the browser, or
    downloaded with ``?unduh=1``."""
    from printstation.operations import audit

    lang = web.lang(request)
    text = (request.query_params.get("tanggal") or "").strip()
    try:
        day = date.fromisoformat(text) if text else web.station(request).today()
    except ValueError:
        message = words.translate(
            "Tanggal tidak sah: {value}. Tulis tanggal sebagai TTTT-BB-HH.", lang
        ).format(value=text)
        web.flash(request, "error", message)
        return await _page(request, status=400)
    with tempfile.TemporaryDirectory(prefix="berita-acara-") as folder:
        report = await web.call(request, audit.destruction_record, day, pdf=Path(folder))
        assert report.pdf is not None
        content = await web.blocking(Path(report.pdf).read_bytes)
    how = "attachment" if request.query_params.get("unduh") else "inline"
    return Response(
        content,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'{how}; filename="{report.name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/pemusnahan", destruction_page, methods=["GET"]),
    Route("/pemusnahan", record_destruction, methods=["POST"]),
    Route("/pemusnahan/berita-acara", berita_acara, methods=["GET"]),
]
