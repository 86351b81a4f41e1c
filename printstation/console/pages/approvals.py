"""Persetujuan: the supervisor's decisions. The requests awaiting one (priority prints and
reprints, ``approvals.list_pending``) with the holder's photo, name, NIK, the reason, the
deadline and days left, the card a reprint replaces, who asked and when; approve or
reject each with a reason (``approvals.decide``). The write-off requests
(``writeoffs.list_requests``) with what the station knew of the card when it was asked
for (the blank's record, the printer's cards-fed counter, the job); confirm or reject
each with a note (``writeoffs.confirm`` / ``writeoffs.reject``).

The server refuses a decision on a request the same person made (by NIP, through any of
their accounts); the page says why, in the person's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.jobs import APPROVAL_WORDS, REASON_WORDS, blank_word

web.nav("/persetujuan", "Persetujuan", ("supervisor",))

#: What the page says after each decision.
DECIDED = {
    "approved": "Permintaan {request} (pekerjaan {job}) disetujui.",
    "rejected": "Permintaan {request} (pekerjaan {job}) ditolak.",
    "confirmed": "Penghapusan blangko {serial} disetujui: blangko dicatat rusak.",
    "writeoff_rejected": "Penghapusan blangko {serial} ditolak.",
}
#: A write-off request's kind, as the office names it.
WRITEOFF_KINDS = {
    "spoil": "rusak (dicatat manual)",
    "lost": "hilang",
    "job_spoiled": "rusak saat mencetak",
    "job_none": "tidak keluar dari feeder",
}

words.add(
    {
        "Persetujuan": "Approvals",
        "Permintaan menunggu keputusan": "Requests awaiting a decision",
        "Tidak ada permintaan yang menunggu keputusan.": "No request awaits a decision.",
        "Mengganti kartu": "Replaces card",
        "Diminta": "Asked",
        "Keputusan": "Decision",
        "Alasan keputusan": "Reason for the decision",
        "Setujui": "Approve",
        "Tolak": "Reject",
        "Permohonan penghapusan blangko": "Write-off requests",
        "Tidak ada permohonan penghapusan blangko.": "No write-off request awaits a decision.",
        "Penyebab": "Cause",
        "Keadaan saat diminta": "State when asked",
        "Bukti dari stasiun": "The station's evidence",
        "Menurut printer": "Per the printer",
        "Kartu ditarik": "Cards fed",
        "dibaca": "read",
        "Kejadian terakhir": "Last event",
        "Kartu ada di tangan saya": "I hold the card",
        "Catatan": "Note",
        "Catatan (wajib bila menolak)": "Note (required to reject)",
        "lewat tenggat": "overdue",
        "Tidak dapat diputuskan": "Cannot be decided",
        DECIDED["approved"]: "Request {request} (job {job}) approved.",
        DECIDED["rejected"]: "Request {request} (job {job}) rejected.",
        DECIDED["confirmed"]: "Write-off of blank {serial} confirmed: the blank is spoiled.",
        DECIDED["writeoff_rejected"]: "Write-off of blank {serial} rejected.",
        "Isi catatan alasan penolakan.": "Write a note saying why it is rejected.",
        "rusak (dicatat manual)": "spoiled (recorded by hand)",
        "rusak saat mencetak": "spoiled while printing",
    }
)


def moment(text: str | None) -> datetime | None:
    """A time the evidence carries (ISO, UTC when it names no zone), or None."""
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def writeoff_kind(kind: str, lang: str) -> str:
    return words.translate(WRITEOFF_KINDS.get(kind, kind), lang)


async def _page(request: Request, status: int = 200, **context: Any) -> Response:
    from printstation.operations import approvals, writeoffs

    pending = await web.call(request, approvals.list_pending)
    writeoff_requests = await web.call(request, writeoffs.list_requests)
    lang = web.lang(request)
    return web.render(
        request,
        "approvals.html",
        status=status,
        title="Persetujuan",
        pending=pending,
        writeoffs=writeoff_requests,
        reason_word=lambda value: words.translate(REASON_WORDS.get(value) or value, lang),
        kind_word=lambda value: words.translate(APPROVAL_WORDS.get(value) or value, lang),
        writeoff_kind=lambda value: writeoff_kind(value, lang),
        blank_word=lambda value: blank_word(value, lang),
        moment=moment,
        error=context.pop("error", None),
        **context,
    )


@web.page
async def approvals_page(request: Request) -> Response:
    return await _page(request)


async def _refused(request: Request, refused: web.Refused) -> Response:
    """A decision the server refused: its own request is told on the page; a refused
    role is a 403 page."""
    if refused.status == 403 and refused.error.code != "own_request":
        raise refused
    return await _page(request, status=refused.status, error=refused.explained)


@web.action
async def decide(request: Request, form: FormData) -> Response:
    from printstation.operations import approvals

    request_id = int(request.path_params["request_id"])
    approve = str(form.get("decision") or "") == "approve"
    note = str(form.get("note") or "").strip() or None
    try:
        decided = await web.call(request, approvals.decide, request_id, approve, note)
    except web.Refused as refused:
        return await _refused(request, refused)
    text = words.translate(DECIDED[decided.status], web.lang(request))
    web.flash(request, "ok", text.format(request=decided.id, job=decided.job))
    return web.redirect(request, "/persetujuan")


@web.action
async def decide_writeoff(request: Request, form: FormData) -> Response:
    from printstation.operations import writeoffs

    request_id = int(request.path_params["request_id"])
    confirm = str(form.get("decision") or "") == "confirm"
    note = str(form.get("note") or "").strip()
    card_in_hand = True if form.get("card_in_hand") == "1" else None
    lang = web.lang(request)
    if not confirm and not note:
        web.flash(request, "error", words.translate("Isi catatan alasan penolakan.", lang))
        return await _page(request, status=400)
    try:
        if confirm:
            decided = await web.call(
                request, writeoffs.confirm, request_id, card_in_hand, note or None
            )
        else:
            decided = await web.call(request, writeoffs.reject, request_id, note, card_in_hand)
    except web.Refused as refused:
        return await _refused(request, refused)
    key = "confirmed" if confirm else "writeoff_rejected"
    web.flash(request, "ok", words.translate(DECIDED[key], lang).format(serial=decided.serial))
    return web.redirect(request, "/persetujuan")


routes = [
    Route("/persetujuan", approvals_page, methods=["GET"]),
    Route("/persetujuan/{request_id:int}", decide, methods=["POST"]),
    Route("/persetujuan/penghapusan/{request_id:int}", decide_writeoff, methods=["POST"]),
]
