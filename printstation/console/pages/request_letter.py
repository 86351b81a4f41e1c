"""Stok's "Surat permohonan blangko" button: the letter asking the province for blanks
(``operations.stock.request_letter``), with the stock forecast as its evidence, as a PDF
download; the page stays where it was."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words

words.add(
    {
        "Surat permohonan blangko": "Blank request letter",
        "Jumlah blangko yang dimohon": "Blanks to ask for",
        "Nomor surat (boleh kosong)": "Letter number (may be left empty)",
        "Unduh surat (PDF)": "Download the letter (PDF)",
        "Jumlah blangko yang dimohon harus angka bulat dari 1 sampai 1.000.000.": (
            "The blanks to ask for must be a whole number from 1 to 1,000,000."
        ),
    }
)

INVALID_COUNT = "Jumlah blangko yang dimohon harus angka bulat dari 1 sampai 1.000.000."


@web.action
async def request_letter(request: Request, form: FormData) -> Response:
    from printstation.operations.stock import request_letter as write

    text = str(form.get("count") or "").strip().replace(".", "").replace(" ", "")
    number = str(form.get("number") or "").strip() or None
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        web.flash(request, "error", words.translate(INVALID_COUNT, web.lang(request)))
        return web.redirect(request, "/stok")
    try:
        with tempfile.TemporaryDirectory(prefix="permohonan-") as folder:
            done = await web.call(request, write, int(text), Path(folder), number=number)
            body = await web.blocking(Path(done.path).read_bytes)
    except web.Refused as refused:
        if refused.status == 403:
            raise
        web.flash(request, "error", refused.explained.message)
        return web.redirect(request, "/stok")
    return Response(
        body,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="{Path(done.path).name}"'},
    )


routes = [Route("/stok/permohonan-blangko", request_letter, methods=["POST"])]
