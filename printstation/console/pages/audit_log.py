"""Log audit: the audit events, newest first, filtered by person, action, job, serial and
period (office days), a page at a time; and the chain's verification: every event's MAC
and link, the signed checkpoints, the ledger replayed from the log, naming any event
that was changed, removed or inserted.

The list is ``audit.log`` (the command line's ``audit log``), the check
``audit.verify_chain`` (``audit verify``; auditors and supervisors, the role table says).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.jobs import EVENT_WORDS

web.nav("/log-audit", "Log audit", ("auditor", "supervisor"))

#: Events a page shows.
PER_PAGE = 25
FILTERS = ("by", "action", "job", "serial", "from", "to")

#: What signing a checkpoint says.
CHECKPOINT_TAKEN = (
    "Titik periksa ditandatangani: rantai audit sampai kejadian {event} ({method}), {at}."
)

words.add(
    {
        "Log audit": "Audit log",
        "Saring": "Filter",
        "Orang": "Person",
        "Tindakan (mis. stock.spoil atau stock)": "Action (e.g. stock.spoil or stock)",
        "Pekerjaan cetak": "Print job",
        "Dari tanggal": "From",
        "Sampai tanggal": "To",
        "Hapus saringan": "Clear the filter",
        "Subjek": "Subject",
        "Tidak ada kejadian yang cocok.": "No event matches.",
        "Halaman {page}": "Page {page}",
        "Verifikasi rantai": "Verify the chain",
        "Hasil verifikasi": "The verification's result",
        "Memeriksa MAC dan kaitan setiap kejadian, titik periksa yang ditandatangani, dan "
        "buku blangko terhadap log audit.": (
            "Checks every event's MAC and link, the signed checkpoints, and the blank ledger "
            "against the audit log."
        ),
        "Rantai audit utuh": "The audit chain is intact",
        "Rantai audit rusak": "The audit chain is broken",
        "{events} kejadian, {macs} MAC dan {checkpoints} titik periksa cocok; buku blangko "
        "sesuai dengan log audit.": (
            "{events} events, {macs} MACs and {checkpoints} checkpoints agree; the blank "
            "ledger replays to its tables."
        ),
        "{count} masalah dalam {events} kejadian.": "{count} problem(s) in {events} events.",
        "Kejadian {id}": "Event {id}",
        "Kejadian {id} sudah tidak ada di tabel.": "Event {id} is no longer in the table.",
        "Masalah": "Problem",
        "Buku blangko berbeda dari log audit: {count} selisih.": (
            "The blank ledger differs from its audit log: {count} difference(s)."
        ),
        "Kembali ke log audit": "Back to the audit log",
        "Nomor pekerjaan harus berupa angka.": "The job number must be a number.",
        "Tanggal tidak sah: pakai bentuk tahun-bulan-tanggal.": (
            "Not a valid date: use year-month-day."
        ),
        "Titik periksa": "Checkpoint",
        "Menandatangani kepala rantai audit sekarang, sehingga kejadian sampai saat ini tidak "
        "dapat diubah atau dihapus tanpa terlihat. Stasiun juga melakukannya setiap hari dan "
        "setiap kali laporan dibuat.": (
            "Signs the audit chain's head now, so that no event up to now can be changed or "
            "removed unseen. The station also does it daily and with every report."
        ),
        "Tandatangani titik periksa": "Sign a checkpoint",
        CHECKPOINT_TAKEN: (
            "Checkpoint signed: the audit chain up to event {event} ({method}), {at}."
        ),
        "Beri tahu pengawas dan simpan salinan basis data sebelum ada yang diubah.": (
            "Tell the supervisor and keep a copy of the database before anything changes."
        ),
    }
)

#: ``verify_chain``'s problems (English, as found) in Indonesian.
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"content was changed after it was written"), "Isinya diubah setelah ditulis."),
    (
        re.compile(r"its MAC does not match.*"),
        "MAC-nya tidak cocok: kejadian ini diubah, disisipkan, atau dipalsukan tanpa kunci audit.",
    ),
    (
        re.compile(r"does not follow the event before it.*"),
        "Tidak menyambung ke kejadian sebelumnya: ada kejadian yang dihapus atau disisipkan.",
    ),
    (
        re.compile(r"events? (?P<a>\d+)(?: to (?P<b>\d+))? (?:is|are) missing before it.*"),
        "Kejadian {gone} hilang sebelum kejadian ini (dihapus).",
    ),
    (re.compile(r"is numbered out of order"), "Nomornya tidak berurutan."),
    (
        re.compile(r"is not the event (?P<m>.+) saw.*"),
        "Bukan kejadian yang dilihat {m}: rantai ditulis ulang sampai di sini.",
    ),
    (
        re.compile(r"the chain's end does not match its head, which says event (?P<n>\d+).*"),
        "Ujung rantai tidak cocok dengan kepalanya (kejadian {n}): kejadian di akhir "
        "dihapus, atau kepalanya diubah.",
    ),
    (
        re.compile(r"the chain's head row was deleted.*"),
        "Baris kepala rantai (audit_head) dihapus.",
    ),
    (
        re.compile(r"(?P<m>.+) has a bad signature.*"),
        "Tanda tangan {m} tidak sah (dipalsukan atau diubah).",
    ),
    (
        re.compile(r"(?P<m>.+) was deleted from the audit_checkpoints table"),
        "{m} dihapus dari tabel audit_checkpoints.",
    ),
    (
        re.compile(r".*events after (?P<n>\d+) were removed"),
        "Kejadian sesudah {n} dihapus (ekor rantai dipotong).",
    ),
]


def problem_text(problem: str, lang: str) -> str:
    """A chain problem in Indonesian; in English (or one the table lacks), as found."""
    if lang != "id":
        return problem
    for pattern, indonesian in PROBLEMS:
        found = pattern.fullmatch(problem)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            if "a" in values:
                values["gone"] = values["a"] + (f"–{values['b']}" if "b" in values else "")
            return indonesian.format(**values)
    return problem


#: A ledger difference's kind (``LedgerProblem.what``) in Indonesian.
LEDGER_WHAT = {
    "lot": "Kiriman",
    "blank": "Blangko",
    "spoilage": "Kerusakan blangko",
    "issued card": "Kartu terbit",
}
#: ``verify_chain``'s notes on what it could not check (English, as found).
NOTES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?P<n>\d+) checkpoint\(s\) not checked here.*"),
        "{n} titik periksa tidak dapat diperiksa di sini (penanda tangan stasiun lain, atau "
        "tanpa kunci MAC atau sertifikat penanda tangan).",
    ),
    (
        re.compile(r"event MACs not checked.*"),
        "MAC kejadian tidak diperiksa (tanpa kunci audit).",
    ),
    (
        re.compile(r"no checkpoints file entries.*"),
        "Berkas titik periksa kosong: ekor rantai yang dipotong atau log yang dihapus "
        "tidak akan terlihat.",
    ),
    (
        re.compile(r"events 1 to (?P<n>\d+) predate the audit key.*"),
        "Kejadian 1 sampai {n} tercatat sebelum ada kunci audit (SHA-256 biasa).",
    ),
]


#: A state or status the ledger's replay names, as the office says it.
LEDGER_STATES = {
    "on_hand": "di gudang",
    "loaded": "di printer",
    "in_use": "sedang dipakai",
    "issued": "tercetak",
    "spoiled": "rusak",
    "unknown": "belum jelas",
    "pending": "menunggu penghapusan",
    "destroyed": "dimusnahkan",
    "valid": "berlaku",
    "replaced": "sudah diganti",
    "-": "-",
    "never received": "tidak pernah diterima",
    "not spoiled": "tidak rusak",
    "never issued": "tidak pernah diterbitkan",
    "no such lot was received": "tidak ada kiriman seperti ini yang diterima",
    "no such lot (deleted)": "tidak ada kiriman ini (barisnya dihapus)",
    "no such blank was received": "tidak ada blangko seperti ini yang diterima",
    "no such blank (the row was deleted)": "tidak ada blangko ini (barisnya dihapus)",
    "no spoilage row": "tidak ada baris kerusakan",
    "no issued-card row": "tidak ada baris kartu terbit",
}
#: The replay's other figures (English, as it writes them) in Indonesian.
LEDGER_FIGURES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"(?P<n>\d+) blanks (?P<a>\S+) to (?P<b>\S+) \((?P<ref>.*)\)"),
        "{n} blangko {a} sampai {b} ({ref})",
    ),
    (re.compile(r"spoiled \((?P<cause>\w+)\)"), "rusak ({cause_id})"),
    (
        re.compile(r"event (?P<id>\d+) destroyed it while it was (?P<state>.+)"),
        "kejadian {id} memusnahkannya saat blangko {state_id}",
    ),
    (
        re.compile(r"event (?P<id>\d+) \((?P<action>[\w.]+)\) names it but no lot received it"),
        "kejadian {id} ({action}) menyebutnya, padahal tidak ada kiriman yang memuatnya",
    ),
    (
        re.compile(r"event (?P<id>\d+) \((?P<action>[\w.]+)\): (?P<why>.*)"),
        "kejadian {id} ({action}) tidak mungkin benar: {why}",
    ),
]


def ledger_figure(text: str) -> str:
    """One side of a ledger difference (what the log says, what the table says) in
    Indonesian; a figure the tables do not know, as written."""
    from printstation.reports.indonesian import CAUSE_LABELS

    if text in LEDGER_STATES:
        return LEDGER_STATES[text]
    for pattern, indonesian in LEDGER_FIGURES:
        found = pattern.fullmatch(text)
        if found:
            values = found.groupdict()
            cause = values.get("cause") or ""
            values["cause_id"] = CAUSE_LABELS.get(cause, cause).lower()
            values["state_id"] = LEDGER_STATES.get(values.get("state") or "", values.get("state"))
            return indonesian.format(**values)
    return text


def ledger_text(difference: Any, lang: str) -> str:
    """A difference between the ledger and its replay, in the person's language."""
    if lang != "id":
        return str(difference)
    what = LEDGER_WHAT.get(difference.what, difference.what)
    return (
        f"{what} {difference.subject}: log audit mencatat {ledger_figure(difference.log_says)}, "
        f"tabel mencatat {ledger_figure(difference.table_says)}"
    )


def note_text(note: str, lang: str) -> str:
    if lang == "id":
        for pattern, indonesian in NOTES:
            found = pattern.fullmatch(note)
            if found:
                return indonesian.format(**found.groupdict())
    return note


#: Actions the job's history does not name (accounts, sign-in, stock), as the office says.
ACCOUNT_WORDS = {
    "user.add": "Pengguna ditambahkan",
    "user.disable": "Pengguna dinonaktifkan",
    "user.disable_refused": "Penonaktifan ditolak",
    "user.enable": "Pengguna diaktifkan",
    "user.unlock": "Kunci akun dibuka",
    "user.pin_reset": "PIN diatur ulang",
    "user.pin_change": "PIN diganti",
    "auth.failed": "Gagal masuk",
    "auth.locked": "Akun dikunci",
    "auth.denied": "Tidak berwenang",
    "station.setup_closed": "Mode persiapan ditutup",
    "stock.receive": "Kiriman blangko diterima",
    "stock.load": "Blangko dimuat ke printer",
    "stock.discrepancy": "Selisih stok",
    "batch.start": "Pencetakan dimulai",
    "batch.stop": "Pencetakan dihentikan",
}
words.add(
    {
        "Pengguna ditambahkan": "Account added",
        "Pengguna dinonaktifkan": "Account disabled",
        "Penonaktifan ditolak": "Disabling refused",
        "Pengguna diaktifkan": "Account enabled",
        "Kunci akun dibuka": "Account unlocked",
        "PIN diatur ulang": "PIN reset",
        "PIN diganti": "PIN changed",
        "Gagal masuk": "Failed sign-in",
        "Akun dikunci": "Account locked",
        "Tidak berwenang": "Not allowed",
        "Mode persiapan ditutup": "Set-up mode closed",
        "Kiriman blangko diterima": "Lot of blanks received",
        "Blangko dimuat ke printer": "Blanks loaded into a printer",
        "Selisih stok": "Stock discrepancy",
        "Pencetakan dimulai": "Printing started",
        "Pencetakan dihentikan": "Printing stopped",
    }
)


def action_word(action: str, lang: str) -> str:
    """An event's action as the office says it, with its code."""
    word = EVENT_WORDS.get(action) or ACCOUNT_WORDS.get(action)
    return f"{words.translate(word, lang)} ({action})" if word else action


def _moment(at: str) -> datetime:
    return datetime.fromisoformat(at)


class _Invalid(Exception):
    def __init__(self, text: str) -> None:
        self.text = text


def _day(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Invalid("Tanggal tidak sah: pakai bentuk tahun-bulan-tanggal.") from None


def _number(text: str | None, default: int = 1) -> int:
    try:
        return max(1, int(text or default))
    except ValueError:
        return default


def _render(request: Request, status: int = 200, **context: Any) -> Response:
    lang = web.lang(request)
    return web.render(
        request,
        "audit_log.html",
        status=status,
        title="Log audit",
        moment=_moment,
        action_word=lambda action: action_word(action, lang),
        problem_text=lambda problem: problem_text(problem, lang),
        ledger_text=lambda difference: ledger_text(difference, lang),
        note_text=lambda note: note_text(note, lang),
        **context,
    )


@web.page
async def log_page(request: Request) -> Response:
    from printstation.operations.audit import log

    values = {k: str(request.query_params.get(k) or "").strip() for k in FILTERS}
    page = _number(request.query_params.get("page"))
    try:
        job: int | None = None
        if values["job"]:
            if not values["job"].isdigit():
                raise _Invalid("Nomor pekerjaan harus berupa angka.")
            job = int(values["job"])
        found = await web.call(
            request,
            log,
            PER_PAGE + 1,
            offset=(page - 1) * PER_PAGE,
            by=values["by"] or None,
            action=values["action"] or None,
            job=job,
            serial=values["serial"] or None,
            date_from=_day(values["from"]),
            date_to=_day(values["to"]),
        )
    except _Invalid as invalid:
        web.flash(request, "error", invalid.text)
        return _render(request, status=400, filters=values, events=[], page=page)
    except web.Refused as refused:
        if refused.status == 403:
            raise
        return _render(
            request, status=refused.status, filters=values, events=[], page=page,
            error=refused.explained,
        )  # fmt: skip
    query = {k: v for k, v in values.items() if v}
    return _render(
        request,
        filters=values,
        events=found.events[:PER_PAGE],
        zone=found.zone,
        page=page,
        previous=urlencode({**query, "page": page - 1}) if page > 1 else None,
        following=urlencode({**query, "page": page + 1}) if len(found.events) > PER_PAGE else None,
    )


@web.action
async def verify(request: Request, form: FormData) -> Response:
    from printstation.operations.audit import verify_chain

    check = await web.call(request, verify_chain)
    named = {e.id: e for e in check.named}
    return _render(request, check=check, named=named, filters={}, events=None, page=1)


@web.action
async def sign_checkpoint(request: Request, form: FormData) -> Response:
    """Sign the chain's head now (``audit checkpoint``), then back to the log."""
    from printstation.operations.audit import checkpoint

    taken = await web.call(request, checkpoint)
    text = words.translate(CHECKPOINT_TAKEN, web.lang(request)).format(
        event=taken.event_id,
        method=taken.method,
        at=words.when(_moment(taken.at), web.station(request).timezone, web.lang(request)),
    )
    web.flash(request, "ok", text)
    return web.redirect(request, "/log-audit")


routes = [
    Route("/log-audit", log_page, methods=["GET"]),
    Route("/log-audit/titik-periksa", sign_checkpoint, methods=["POST"]),
    Route("/log-audit/verifikasi", verify, methods=["POST"]),
]
