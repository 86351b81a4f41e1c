"""Pemeriksaan stasiun: is this station safe to run? ``doctor.run`` (the command line's
``printstation doctor``) on a button: the station's files, its people (four-eyes possible,
one person under two accounts), PIN resets before a decision, the document signer, the
audit key and checkpoints, the printers' counters. Each finding in the office's words,
with the station's own words under "Rincian teknis" for whoever fixes it.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.pages.stock import warning_text

#: Each check as the office names it.
CHECK_WORDS = {
    "files": "Berkas stasiun (hak akses)",
    "people": "Pengguna dan empat mata",
    "pin resets": "Keputusan sesudah PIN diatur ulang",
    "pki": "Penanda tangan dokumen",
    "audit": "Kunci audit dan titik periksa",
    "printers": "Penghitung printer",
}

words.add(
    {
        "Pemeriksaan stasiun": "Station check",
        "Memeriksa apakah stasiun aman dijalankan: hak akses berkas dan kunci, pengguna "
        "(empat mata mungkin, satu orang tidak memegang dua akun), penanda tangan dokumen, "
        "kunci audit dan titik periksa, serta penghitung printer.": (
            "Checks whether the station is safe to run: the files' and keys' permissions, "
            "the people (four-eyes possible, nobody holding two accounts), the document "
            "signer, the audit key and checkpoints, and the printers' counters."
        ),
        "Periksa sekarang": "Check now",
        "Stasiun aman dijalankan": "The station is safe to run",
        "Ada yang perlu dibenahi": "Something needs fixing",
        "Semua pemeriksaan lolos.": "Every check passed.",
        "{count} temuan.": "{count} finding(s).",
        "Pemeriksaan": "Check",
        "Hasil": "Result",
        "Baik": "Good",
        "{count} temuan": "{count} finding(s)",
        "Temuan": "Findings",
        "Rincian teknis": "Technical details",
        "Berikan temuan ini kepada pengelola stasiun; temuan tentang pengguna diputuskan "
        "pengawas.": (
            "Give these findings to the station's administrator; those about people are a "
            "supervisor's to settle."
        ),
        **{
            word: english
            for word, english in zip(
                CHECK_WORDS.values(),
                (
                    "The station's files (permissions)",
                    "People and four-eyes",
                    "Decisions after a PIN reset",
                    "The document signer",
                    "The audit key and checkpoints",
                    "Printer counters",
                ),
                strict=True,
            )
        },
    }
)

#: ``doctor.run``'s findings (English, as found) in Indonesian.
FINDINGS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"(?P<what>.+) is mode (?P<mode>\d+): group or others may .*; make it (?P<want>\d+).*"
        ),
        "{what_id} dapat dibuka orang lain di komputer ini (mode {mode}): harus {want}.",
    ),
    (
        re.compile(r"(?P<what>.+) is owned by uid (?P<uid>\d+), not by the station's account.*"),
        "{what_id} dimiliki akun komputer lain (uid {uid}), bukan akun stasiun.",
    ),
    (
        re.compile(r"(?P<what>.+) is a symbolic link: use the file"),
        "{what_id} berupa tautan (symbolic link): pakai berkasnya sendiri.",
    ),
    (
        re.compile(r"(?P<what>.+): cannot be examined \((?P<why>.*)\)"),
        "{what_id} tidak dapat diperiksa ({why}).",
    ),
    (
        re.compile(r"set-up mode is open.*"),
        "Mode persiapan masih terbuka: siapa pun dapat bertindak tanpa PIN sampai akun "
        "pengawas pertama dibuat.",
    ),
    (
        re.compile(r"the station has accounts but the audit log records no account's creation.*"),
        "Ada akun, tetapi log audit tidak mencatat pembuatannya: log audit dihapus atau "
        "ditulis ulang. Jalankan verifikasi rantai di Log audit.",
    ),
    (
        re.compile(r"set-up was closed but the station has no accounts.*"),
        "Mode persiapan sudah ditutup tetapi tidak ada akun: tabel pengguna dikosongkan.",
    ),
    (
        re.compile(r"no active supervisor.*"),
        "Tidak ada pengawas aktif: tidak ada yang dapat mengelola pengguna.",
    ),
    (
        re.compile(r"only one active supervisor \((?P<names>[^)]*)\).*"),
        "Hanya satu pengawas aktif ({names}): permohonannya tidak dapat diputuskan orang "
        "lain, jadi empat mata tidak mungkin. Tambahkan pengawas kedua (dengan NIP lain).",
    ),
    (
        re.compile(r"NIP (?P<nip>\S+) has (?P<n>\d+) active accounts \((?P<names>[^)]*)\).*"),
        "NIP {nip} memegang {n} akun aktif ({names}): satu orang dapat menyetujui "
        "permohonannya sendiri. Nonaktifkan semua kecuali satu.",
    ),
    (
        re.compile(r"active accounts (?P<names>.+) carry one full name with (?P<n>\d+) NIPs.*"),
        "Akun aktif {names} memakai satu nama lengkap dengan {n} NIP: periksa NIP-nya, "
        "mungkin satu orang memegang dua akun.",
    ),
    (
        re.compile(r"(?P<name>\S+) has no NIP or full name.*"),
        "{name} tidak punya NIP atau nama lengkap: akun ini tidak dapat menjadi orang kedua. "
        "Buatkan akun baru dengan NIP.",
    ),
    (
        re.compile(
            r"request (?P<r>\d+) was asked by (?P<a>\S+) and decided by (?P<d>\S+) after "
            r"(?P<x>\S+) had reset (?P<acc>\S+)'s PIN.*"
        ),
        "Permohonan {r} diajukan {a} dan diputuskan {d} sesudah {x} mengatur ulang PIN "
        "{acc}: {x} mengetahui PIN itu, jadi kedua pihak mungkin satu orang. Tanyakan "
        "kepada keduanya.",
    ),
    (
        re.compile(r"no document signer is configured.*"),
        "Penanda tangan dokumen belum diatur: chip kartu tidak membawa tanda tangan yang "
        "dapat diperiksa pembaca.",
    ),
    (re.compile(r"the PKI file (?P<name>\S+) is missing"), "Berkas PKI {name} tidak ada."),
    (
        re.compile(r"the audit key is missing while the log has events MACed with it.*"),
        "Kunci audit tidak ada padahal log audit memakainya: pulihkan dari cadangan "
        "stasiun. Stasiun tidak dapat mencatat kejadian.",
    ),
    (
        re.compile(r"the audit log has no checkpoint in the checkpoints file.*"),
        "Log audit belum punya titik periksa: tandatangani titik periksa di Log audit.",
    ),
    (
        re.compile(r"the last checkpoint is (?P<days>\d+) day\(s\) old and (?P<n>\d+) event.*"),
        "Titik periksa terakhir berumur {days} hari dan {n} kejadian datang sesudahnya: "
        "tandatangani titik periksa di Log audit.",
    ),
]

#: What a file finding is about, in the office's words.
FILE_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"the station folder"), "Folder stasiun"),
    (re.compile(r"the configuration"), "Berkas konfigurasi"),
    (re.compile(r"the database file(?P<s>.*)"), "Berkas basis data{s}"),
    (re.compile(r"the database's folder"), "Folder basis data"),
    (re.compile(r"the key folder"), "Folder kunci"),
    (re.compile(r"the key file (?P<name>.+)"), "Berkas kunci {name}"),
    (re.compile(r"the PKI folder"), "Folder PKI"),
    (re.compile(r"the private key (?P<name>.+)"), "Kunci privat {name}"),
]


def _thing(what: str) -> str:
    for pattern, indonesian in FILE_WORDS:
        found = pattern.fullmatch(what)
        if found:
            return indonesian.format(**found.groupdict())
    return what


def finding_text(finding: Any, lang: str) -> str:
    """A finding in the person's language; one the table does not know, as found."""
    if finding.check == "printers":
        return warning_text(finding.message.split("; run ", 1)[0], lang)
    if lang != "id":
        return str(finding.message)
    for pattern, indonesian in FINDINGS:
        found = pattern.fullmatch(finding.message)
        if found:
            values = found.groupdict()
            values["what_id"] = _thing(values.get("what") or "")
            return indonesian.format(**values)
    return str(finding.message)


def _render(request: Request, report: Any = None) -> Response:
    lang = web.lang(request)
    by_check: dict[str, list[Any]] = {}
    if report is not None:
        for finding in report.findings:
            by_check.setdefault(finding.check, []).append(finding)
    return web.render(
        request,
        "station_check.html",
        title="Pemeriksaan stasiun",
        report=report,
        by_check=by_check,
        check_word=lambda name: CHECK_WORDS.get(name, name),
        finding_text=lambda finding: finding_text(finding, lang),
    )


@web.page
async def check_page(request: Request) -> Response:
    return _render(request)


@web.action
async def run_check(request: Request, form: FormData) -> Response:
    from printstation.operations.doctor import run

    return _render(request, await web.call(request, run))


routes = [
    Route("/pemeriksaan", check_page, methods=["GET"]),
    Route("/pemeriksaan", run_check, methods=["POST"]),
]
