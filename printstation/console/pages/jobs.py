"""Antrean cetak: search the print jobs by NIK or name, filter them by state, page through
them; a job's page with the holder's photo, the card face as it would print, its details
and its history from the audit log; ask for a priority print or a reprint from there.

The search is ``jobs.search_jobs`` (the same for ``GET /api/jobs``), the job's page
``jobs.show_job`` and ``jobs.history``, the pictures ``jobs.photo`` and
``jobs.face_preview``; the forms call ``jobs.request_priority`` and
``jobs.request_reprint``, the operations the command line's ``job priority`` and
``job reprint`` call. A card whose fate is open is settled on the printing page's guided
questions (``/pencetakan/belum-jelas/{id}``).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from printstation.console import web, words

words.add(
    {
        "Cari NIK atau nama": "Search a NIK or name",
        "Cari": "Search",
        "Keadaan": "State",
        "Semua keadaan": "All states",
        "NIK": "NIK",
        "Nama": "Name",
        "Percobaan": "Attempts",
        "Printer": "Printer",
        "Nomor seri": "Serial",
        "Diubah": "Changed",
        "Prioritas": "Priority",
        "Tenggat": "Deadline",
        "Sisa hari": "Days left",
        "{total} pekerjaan cetak": "{total} print jobs",
        "Lebih dari {total} pekerjaan cetak: perjelas pencarian": (
            "More than {total} print jobs: narrow the search"
        ),
        "Halaman {page} dari {pages}": "Page {page} of {pages}",
        "Sebelumnya": "Previous",
        "Berikutnya": "Next",
        "Tidak ada pekerjaan cetak yang cocok.": "No print job matches.",
        "Pekerjaan cetak {job}": "Print job {job}",
        "Foto pemohon": "The holder's photo",
        "Tampak kartu": "Card face",
        "Tampak depan kartu seperti akan dicetak": "The card's front as it would print",
        "Rincian": "Details",
        "Nomor perekaman": "Enrolment number",
        "Dibuat": "Created",
        "Kesalahan terakhir": "Last error",
        "Permintaan": "Requests",
        "Jenis": "Kind",
        "Alasan": "Reason",
        "Status": "Status",
        "Diminta oleh": "Requested by",
        "Diputuskan oleh": "Decided by",
        "Blangko": "Blanks",
        "Riwayat": "History",
        "Waktu": "Time",
        "Oleh": "By",
        "Kejadian": "Event",
        "Keterangan": "Detail",
        "Belum ada riwayat.": "No history yet.",
        "Minta cetak prioritas": "Request a priority print",
        "Tenggat (tanggal kartu dibutuhkan)": "Deadline (the date the card is needed)",
        "Catatan (boleh dikosongkan)": "Note (may be left empty)",
        "Ajukan prioritas": "Request priority",
        "Minta cetak ulang": "Request a reprint",
        "Ajukan cetak ulang": "Request reprint",
        "Kartu ini belum jelas nasibnya.": "This card's fate is open.",
        "Jawab pertanyaan di printer": "Answer the questions at the printer",
        "Kembali ke antrean": "Back to the queue",
        "ya": "yes",
        "tidak": "no",
        "Permintaan prioritas {request} untuk pekerjaan {job} diajukan: menunggu persetujuan "
        "pengawas.": (
            "Priority request {request} for job {job} made: it awaits a supervisor's approval."
        ),
        "Permintaan cetak ulang {request} diajukan: pekerjaan {job} ditahan sampai pengawas "
        "menyetujuinya.": (
            "Reprint request {request} made: job {job} is held until a supervisor approves it."
        ),
        "Pilih alasan.": "Choose a reason.",
        "Tanggal tenggat tidak sah.": "The deadline is not a valid date.",
        "Disetujui": "Approved",
        "Ditolak": "Rejected",
        "Menunggu persetujuan": "Awaiting approval",
        "prioritas": "priority",
        "cetak ulang": "reprint",
        "CPNS": "Civil service (CPNS)",
        "17 tahun": "Turning 17",
        "bencana": "disaster",
        "suket": "certificate (suket)",
        "lainnya": "other",
        "hilang": "lost",
        "rusak": "damaged",
        "perubahan data": "data change",
    }
)

#: The state filter: (key, Indonesian label, the job states it selects). A worker's steps
#: are all "Sedang dicetak" to an operator.
FILTERS: list[tuple[str, str, tuple[str, ...]]] = [
    ("queued", "Menunggu", ("queued",)),
    (
        "printing",
        "Sedang dicetak",
        ("claimed", "rendered", "feeding", "at_encoder", "encoded", "printing", "retry"),
    ),
    ("issued", "Tercetak", ("issued",)),
    ("held", "Ditahan", ("held",)),
    ("paused", "Dijeda", ("paused",)),
    ("failed", "Gagal", ("failed",)),
    ("cancelled", "Dibatalkan", ("cancelled",)),
    ("unresolved", "Belum jelas", ("unresolved",)),
]
#: Why a job may be printed first (operations.jobs.PRIORITY_REASONS), as the office says it.
PRIORITY_CHOICES = [
    ("cpns", "CPNS"),
    ("age17", "17 tahun"),
    ("disaster", "bencana"),
    ("suket", "suket"),
    ("other", "lainnya"),
]
#: Why a NIK with a valid card gets another (operations.jobs.REPRINT_REASONS).
REPRINT_CHOICES = [("lost", "hilang"), ("damaged", "rusak"), ("data_change", "perubahan data")]
REASON_WORDS = dict(PRIORITY_CHOICES + REPRINT_CHOICES)
APPROVAL_WORDS = {
    "pending": "Menunggu persetujuan",
    "approved": "Disetujui",
    "rejected": "Ditolak",
    "priority": "prioritas",
    "reprint": "cetak ulang",
}
#: An audit event's action, as the job's history names it ({state}: the new state).
EVENT_WORDS: dict[str, str] = {
    "priority.request": "Permintaan prioritas",
    "reprint.request": "Permintaan cetak ulang",
    "approval.decide": "Keputusan pengawas",
    "approval.self_refused": "Keputusan sendiri ditolak",
    "job.resolve": "Nasib kartu diselesaikan",
    "job.cancel": "Dibatalkan",
    "job.requeue": "Diantrekan ulang",
    "job.resume": "Dilanjutkan",
    "stock.bind": "Blangko dipakai",
    "stock.issue": "Kartu diterbitkan",
    "stock.spoil": "Blangko rusak",
    "stock.unknown": "Blangko belum jelas",
    "stock.unbind": "Blangko dilepas",
    "writeoff.request": "Permintaan penghapusan blangko",
    "writeoff.confirm": "Penghapusan blangko disetujui",
    "writeoff.reject": "Penghapusan blangko ditolak",
    "card.replaced": "Kartu lama diganti",
    "enrolment.import": "Data rekaman diimpor",
}
words.add(
    {
        "Permintaan prioritas": "Priority request",
        "Permintaan cetak ulang": "Reprint request",
        "Keputusan pengawas": "Supervisor's decision",
        "Keputusan sendiri ditolak": "Own decision refused",
        "Nasib kartu diselesaikan": "Card's fate settled",
        "Diantrekan ulang": "Requeued",
        "Dilanjutkan": "Resumed",
        "Blangko dipakai": "Blank bound",
        "Kartu diterbitkan": "Card issued",
        "Blangko rusak": "Blank spoiled",
        "Blangko belum jelas": "Blank of open fate",
        "Blangko dilepas": "Blank released",
        "Permintaan penghapusan blangko": "Write-off request",
        "Penghapusan blangko disetujui": "Write-off confirmed",
        "Penghapusan blangko ditolak": "Write-off rejected",
        "Kartu lama diganti": "Old card replaced",
        "Data rekaman diimpor": "Enrolment imported",
        "Keadaan menjadi {state}": "State became {state}",
        "Keadaan kartu": "Card status",
        "Berlaku": "Valid",
        "Diganti oleh kartu {serial}": "Replaced by card {serial}",
        "Mengganti kartu {serial}": "Replaces card {serial}",
        "pekerjaan {job}": "job {job}",
    }
)
#: The most jobs a search page shows.
PER_PAGE = 50
#: The job page's pictures: the photo thumbnail's longest side, the face preview's width.
THUMBNAIL = 160
FACE_WIDTH = 508


def _filter(key: str) -> tuple[str, ...]:
    """The job states a filter key selects (a single job state selects itself)."""
    for name, _label, states in FILTERS:
        if name == key:
            return states
    return (key,) if key else ()


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or 1))
    except ValueError:
        return 1


def event_text(action: str, lang: str) -> str:
    """An audit event's action in the person's language."""
    if action in EVENT_WORDS:
        return words.translate(EVENT_WORDS[action], lang)
    state = action.removeprefix("job.")
    if state != action and state in words.STATE_WORDS:
        return words.translate("Keadaan menjadi {state}", lang).format(
            state=words.state_word(state, lang)
        )
    return action


#: The details of an event a person reads in the history, in order, with their names.
DETAIL_WORDS = {
    "reason": "alasan",
    "deadline": "tenggat",
    "approve": "disetujui",
    "outcome": "hasil",
    "serial": "nomor seri",
    "cause": "penyebab",
    "printer": "printer",
    "note": "catatan",
    "replaces": "mengganti",
}
#: A blank's state and a spoiled blank's cause, as the office names them.
BLANK_WORDS = {
    "on_hand": "Di gudang",
    "loaded": "Di printer",
    "in_use": "Sedang dipakai",
    "issued": "Tercetak",
    "spoiled": "Rusak",
    "unknown": "Belum jelas",
    "pending": "Menunggu penghapusan",
    "encoding_failed": "chip gagal ditulis",
    "print_failed": "gagal cetak",
    "damaged": "rusak",
    "data_changed": "data berubah",
    "misfeed": "salah tarik",
    "test_print": "cetak uji",
    "none": "tidak keluar dari feeder",
}
words.add(
    {
        "alasan": "reason",
        "tenggat": "deadline",
        "disetujui": "approved",
        "hasil": "outcome",
        "nomor seri": "serial",
        "penyebab": "cause",
        "printer": "printer",
        "catatan": "note",
        "mengganti": "replaces",
        "Di gudang": "On the shelf",
        "Di printer": "In a printer",
        "Sedang dipakai": "In use",
        "Rusak": "Spoiled",
        "Menunggu penghapusan": "Pending write-off",
        "chip gagal ditulis": "chip encoding failed",
        "gagal cetak": "print failed",
        "data berubah": "data changed",
        "salah tarik": "misfeed",
        "cetak uji": "test print",
        "tidak keluar dari feeder": "did not leave the feeder",
    }
)


#: The notes the station itself writes, in Indonesian.
NOTE_WORDS = {
    "settled by the operator": "diselesaikan oleh operator",
}


def blank_word(value: str | None, lang: str) -> str:
    if not value:
        return ""
    return words.translate(BLANK_WORDS.get(value, value), lang)


def event_detail(detail: dict[str, Any], lang: str) -> str:
    """The few details of an event a person reads (reason, serial, printer...)."""
    shown = []
    for key, name in DETAIL_WORDS.items():
        value = detail.get(key)
        if value in (None, "", [], {}):
            continue
        text = str(value)
        if key == "note" and lang != "en":
            text = NOTE_WORDS.get(text, text)
        if key == "reason":
            text = words.translate(REASON_WORDS.get(text, text), lang)
        elif key == "approve":
            text = words.translate("ya" if value else "tidak", lang)
        elif key == "outcome":
            text = (
                words.state_word("issued", lang)
                if text == "issued"
                else blank_word("spoiled" if text == "spoiled" else text, lang)
            )
        elif key == "cause":
            text = blank_word(text, lang)
        shown.append(f"{words.translate(name, lang)}: {text}")
    return "; ".join(shown)


@web.page
async def jobs_page(request: Request) -> Response:
    from printstation.operations import jobs

    query = request.query_params
    search = (query.get("q") or query.get("search") or "").strip()
    key = (query.get("state") or "").strip()
    number = _page_number(query.get("page"))
    found = await web.call(
        request,
        jobs.search_jobs,
        search=search or None,
        states=_filter(key),
        page=number,
        per_page=PER_PAGE,
    )
    return web.render(
        request,
        "jobs.html",
        title="Antrean cetak",
        found=found,
        search=search,
        state=key,
        filters=[(name, label) for name, label, _ in FILTERS],
        number=web.number,
    )


async def _job_context(request: Request, job_id: int) -> dict[str, Any]:
    from printstation.operations import jobs

    lang = web.lang(request)
    job = await web.call(request, jobs.show_job, job_id)
    history = await web.call(request, jobs.history, job_id)
    from printstation.console.messages import translate_message

    said = translate_message(job.last_error) if job.last_error and lang != "en" else None
    card = None
    if job.serial and job.state == "issued":
        from printstation.operations import cards

        card = await web.call(request, cards.issued_card, job.serial)
    return {
        "card": card,
        "title": "Antrean cetak",
        "job": job,
        "last_error": said[0] if said else (job.last_error if lang == "en" else None),
        "history": [
            {
                "at": e.at,
                "actor": e.actor,
                "what": event_text(e.action, lang),
                "action": e.action,
                "detail": event_detail(e.detail, lang),
            }
            for e in history
        ],
        "priority_choices": PRIORITY_CHOICES,
        "reprint_choices": REPRINT_CHOICES,
        "reason_word": lambda r: words.translate(REASON_WORDS.get(str(r), str(r)), lang),
        "approval_word": lambda s: words.translate(APPROVAL_WORDS.get(str(s), str(s)), lang),
        "blank_word": lambda s: blank_word(s, lang),
        "priority_pending": any(
            a.kind == "priority" and a.status == "pending" for a in job.approvals
        ),
        "today": web.station(request).today().isoformat(),
        "face_width": FACE_WIDTH,
    }


@web.page
async def job_page(request: Request) -> Response:
    job_id = int(request.path_params["job_id"])
    return web.render(request, "job.html", **await _job_context(request, job_id))


def _picture(data: bytes, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers={"cache-control": "private, max-age=60"})


@web.page
async def photo(request: Request) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    return _picture(await web.call(request, jobs.photo, job_id, size=THUMBNAIL), "image/jpeg")


@web.page
async def face(request: Request) -> Response:
    from printstation.operations import jobs

    job_id = int(request.path_params["job_id"])
    data = await web.call(request, jobs.face_preview, job_id, width=FACE_WIDTH)
    return _picture(data, "image/png")


async def _ask(request: Request, job_id: int, run: Any) -> Response:
    """Run a request's operation: its message and the job's page (a reload repeats
    nothing); refused, the reason in the person's words (a refused role: 403 page)."""
    try:
        target = await run()
    except web.Refused as refused:
        if refused.status == 403:
            raise
        web.flash(request, "error", refused.explained.message)
        return web.redirect(request, f"/antrean/{job_id}")
    return web.redirect(request, f"/antrean/{target}")


def _request_form(request: Request, form: FormData) -> tuple[int, str, str, str | None]:
    """A request form's job, the person's language, the reason chosen and the note."""
    reason = str(form.get("reason") or "").strip()
    note = str(form.get("note") or "").strip() or None
    return int(request.path_params["job_id"]), web.lang(request), reason, note


@web.action
async def request_priority(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs

    job_id, lang, reason, note = _request_form(request, form)
    deadline_text = str(form.get("deadline") or "").strip()

    async def run() -> int:
        if reason not in dict(PRIORITY_CHOICES):
            web.flash(request, "error", "Pilih alasan.")
            return job_id
        deadline = None
        if deadline_text:
            try:
                deadline = date.fromisoformat(deadline_text)
            except ValueError:
                web.flash(request, "error", "Tanggal tenggat tidak sah.")
                return job_id
        asked = await web.call(
            request, jobs.request_priority, job_id, reason, deadline=deadline, note=note
        )
        text = words.translate(
            "Permintaan prioritas {request} untuk pekerjaan {job} diajukan: menunggu "
            "persetujuan pengawas.",
            lang,
        ).format(request=asked.request, job=asked.job)
        web.flash(request, "ok", text)
        return job_id

    return await _ask(request, job_id, run)


@web.action
async def request_reprint(request: Request, form: FormData) -> Response:
    from printstation.operations import jobs

    job_id, lang, reason, note = _request_form(request, form)

    async def run() -> int:
        if reason not in dict(REPRINT_CHOICES):
            web.flash(request, "error", "Pilih alasan.")
            return job_id
        job = await web.call(request, jobs.show_job, job_id)
        asked = await web.call(request, jobs.request_reprint, job.nik, reason, note=note)
        text = words.translate(
            "Permintaan cetak ulang {request} diajukan: pekerjaan {job} ditahan sampai "
            "pengawas menyetujuinya.",
            lang,
        ).format(request=asked.request, job=asked.job)
        web.flash(request, "ok", text)
        return asked.job

    return await _ask(request, job_id, run)


def _json_of(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_of(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_of(v) for v in value]
    return value


@web.api
async def api_jobs(request: Request) -> Response:
    """``GET /api/jobs?state=&search=&page=&per_page=``: the search as JSON."""
    from printstation.operations import jobs

    query = request.query_params
    per_page_text = query.get("per_page") or str(PER_PAGE)
    found = await web.call(
        request,
        jobs.search_jobs,
        search=(query.get("search") or query.get("q") or "").strip() or None,
        states=_filter((query.get("state") or "").strip()),
        page=_page_number(query.get("page")),
        per_page=int(per_page_text) if per_page_text.isdigit() else PER_PAGE,
    )
    return JSONResponse(
        {
            "total": found.total,
            "more": found.more,
            "page": found.page,
            "per_page": found.per_page,
            "pages": found.pages,
            "jobs": [_json_of(asdict(row)) for row in found.rows],
        }
    )


routes = [
    Route("/antrean", jobs_page),
    Route("/antrean/{job_id:int}", job_page),
    Route("/antrean/{job_id:int}/foto", photo),
    Route("/antrean/{job_id:int}/tampak.png", face),
    Route("/antrean/{job_id:int}/prioritas", request_priority, methods=["POST"]),
    Route("/antrean/{job_id:int}/cetak-ulang", request_reprint, methods=["POST"]),
    Route("/api/jobs", api_jobs),
]
