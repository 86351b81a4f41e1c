"""Periksa kartu: read the card in a reader and say whether it is genuine.

The button calls ``operations.cards.verify`` (what the command line's ``card verify``
calls): the chip's security object checked up to the CA (passive authentication), its
lock, and its content against the station's record of the card. The page shows the
verdict (Asli, Tidak cocok, Tidak ada kartu), each finding in Indonesian, the chip's
holder, and what the station recorded for its serial (``operations.cards.issued_card``):
to whom it was issued, by which job, and whether a reprint replaced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words
from printstation.console.messages import Explained, field_word

web.nav("/periksa-kartu", "Periksa kartu", ("operator", "supervisor", "auditor"))

words.add(
    {
        "Periksa kartu": "Check a card",
        "Letakkan kartu di pembaca chip, lalu tekan Periksa kartu.": (
            "Put the card on the chip reader, then press Check a card."
        ),
        "Pembaca chip": "Chip reader",
        "Pembaca {reader} (printer {printers})": "Reader {reader} (printer {printers})",
        "Pembaca chip: {reader} (printer {printers})": (
            "Chip reader: {reader} (printer {printers})"
        ),
        "Hasil pemeriksaan": "Result",
        "Asli": "Genuine",
        "Tidak cocok": "Does not match",
        "Tidak ada kartu": "No card",
        "Kartu {serial} asli: ditandatangani penanda tangan dokumen yang sah, chipnya "
        "terkunci, dan isinya sama dengan catatan stasiun.": (
            "Card {serial} is genuine: signed by a valid document signer, its chip locked, "
            "and its content as the station recorded it."
        ),
        "Kartu {serial} tidak cocok: {count} masalah ditemukan.": (
            "Card {serial} does not match: {count} problem(s) found."
        ),
        "Tidak ada kartu di pembaca {reader}.": "There is no card in reader {reader}.",
        "Autentikasi pasif": "Passive authentication",
        "Tanda tangan": "Signature",
        "Sah": "Valid",
        "Tidak sah": "Not valid",
        "Penanda tangan dokumen": "The document signer",
        "Tidak diketahui": "Unknown",
        "Hash berkas chip": "Hashes of the chip's files",
        "Cocok": "Match",
        "Kunci chip": "Chip lock",
        "Terkunci": "Locked",
        "Tidak terkunci": "Not locked",
        "Isi chip": "Chip content",
        "Nomor seri": "Serial",
        "NIK": "NIK",
        "Nama": "Name",
        "Dibaca di pembaca": "Read in reader",
        "Catatan stasiun": "The station's record",
        "Diterbitkan untuk": "Issued to",
        "Pekerjaan cetak": "Print job",
        "Pekerjaan {job}": "Job {job}",
        "Printer": "Printer",
        "Diterbitkan pada": "Issued at",
        "Keadaan kartu": "Card status",
        "Berlaku": "Valid",
        "Diganti": "Replaced",
        "Kartu pengganti": "Replaced by",
        "Mengganti kartu": "Replaces card",
        "Stasiun ini tidak pernah menerbitkan kartu dengan nomor seri {serial}.": (
            "This station never issued a card with serial {serial}."
        ),
        "Masalah yang ditemukan": "Problems found",
        "Masalah lain pada chip: {problem}": "Another problem with the chip: {problem}",
        "Pilih pembaca chip stasiun ini.": "Choose one of this station's chip readers.",
        # the reader's errors
        "Pembaca chip tidak ditemukan": "Chip reader not found",
        "Pembaca {reader} tidak ditemukan, atau layanan kartu pintar (pcscd) tidak berjalan.": (
            "Reader {reader} was not found, or the smart card service (pcscd) is not running."
        ),
        "Periksa kabel pembaca chip dan layanan kartu pintar (pcscd), lalu coba lagi.": (
            "Check the chip reader's cable and the smart card service (pcscd), then try again."
        ),
        "Letakkan kartu di pembaca {reader}, lalu tekan Periksa kartu lagi.": (
            "Put the card on reader {reader}, then press Check a card again."
        ),
        "Kartu tidak dikenal": "Unknown card",
        "Kartu di pembaca {reader} tidak dapat dibaca sebagai KTP-el.": (
            "The card in reader {reader} cannot be read as an e-KTP."
        ),
        "Kartu ini bukan KTP-el atau chipnya rusak. Sisihkan kartu itu dan laporkan "
        "kepada pengawas.": (
            "This card is not an e-KTP or its chip is damaged. Set it aside and tell a supervisor."
        ),
        "Gangguan pembaca chip": "Chip reader fault",
        "Pembaca {reader} mengalami gangguan.": "Reader {reader} failed.",
        "Angkat kartu, letakkan lagi, lalu coba lagi.": (
            "Lift the card, put it back, then try again."
        ),
    }
)

#: A finding of ``verify`` (English, as raised) -> its Indonesian and its English.
FINDINGS: list[tuple[re.Pattern[str], str, str]] = [
    (
        re.compile(r"the chip holds no security object \(EF 6FF6\): it is not signed"),
        "Chip tidak memuat objek keamanan (EF 6FF6): kartu ini tidak ditandatangani.",
        "The chip holds no security object (EF 6FF6): the card is not signed.",
    ),
    (
        re.compile(r"the security object's signature is not valid"),
        "Tanda tangan objek keamanan tidak sah.",
        "The security object's signature is not valid.",
    ),
    (
        re.compile(r"the security object carries no certificate of its signer"),
        "Objek keamanan tidak membawa sertifikat penanda tangannya.",
        "The security object carries no certificate of its signer.",
    ),
    (
        re.compile(r"the security object's content does not match its signed digest"),
        "Isi objek keamanan tidak sesuai dengan ringkasan yang ditandatangani.",
        "The security object's content does not match its signed digest.",
    ),
    (
        re.compile(r"the signer (?P<s>.+) was not issued by the CA (?P<ca>.+)"),
        "Penanda tangan {s} tidak diterbitkan oleh CA {ca}: bukan penanda tangan yang sah.",
        "The signer {s} was not issued by the CA {ca}: not a valid signer.",
    ),
    (
        re.compile(r"the (?P<w>signer|CA) certificate is not valid now"),
        "Sertifikat {w_id} tidak berlaku saat ini.",
        "The {w} certificate is not valid now.",
    ),
    (
        re.compile(r"EF (?P<f>[0-9A-F]{4}) is signed but missing from the chip"),
        "Berkas EF {f} ditandatangani tetapi tidak ada di chip.",
        "EF {f} is signed but missing from the chip.",
    ),
    (
        re.compile(r"EF (?P<f>[0-9A-F]{4}) is on the chip but not in the security object"),
        "Berkas EF {f} ada di chip tetapi tidak ada di objek keamanan.",
        "EF {f} is on the chip but not in the security object.",
    ),
    (
        re.compile(r"EF (?P<f>[0-9A-F]{4}) does not match its hash: it was altered"),
        "Berkas EF {f} tidak sesuai dengan hash-nya: isinya telah diubah.",
        "EF {f} does not match its hash: it was altered.",
    ),
    (
        re.compile(r"the chip is not locked: it still accepts writes"),
        "Chip tidak terkunci: isinya masih dapat ditulis ulang.",
        "The chip is not locked: it still accepts writes.",
    ),
    (
        re.compile(
            r"the chip in reader '(?P<r>[^']*)' holds no e-KTP application \(DF (?P<d>\w+)\): "
            r"it was never personalised"
        ),
        "Chip di pembaca {r} tidak memuat aplikasi KTP-el (DF {d}): kartu ini belum pernah "
        "diisi, jadi bukan KTP-el yang diterbitkan.",
        "The chip in reader {r} holds no e-KTP application (DF {d}): it was never "
        "personalised, so it is not an issued e-KTP.",
    ),
    (
        re.compile(r"the chip in reader '(?P<r>[^']*)' refused (?P<d>.+) \(SW (?P<sw>\w+)\)"),
        "Chip di pembaca {r} menolak perintah {d} (SW {sw}): isinya tidak dapat dibaca.",
        "The chip in reader {r} refused {d} (SW {sw}): its content cannot be read.",
    ),
    (
        re.compile(r"(?P<f>EF \w+(?: \([^)]*\))?) is too large to read \((?P<n>\d+) bytes\)"),
        "Berkas {f} di chip terlalu besar untuk dibaca ({n} bita).",
        "{f} on the chip is too large to read ({n} bytes).",
    ),
    (
        re.compile(r"the chip gave no size for (?P<f>EF \w+(?: \([^)]*\))?): .*"),
        "Chip tidak memberi ukuran berkas {f}: isinya tidak dapat dibaca.",
        "The chip gave no size for {f}: its content cannot be read.",
    ),
    (
        re.compile(r"the station has no issued card with serial (?P<s>\S+)"),
        "Stasiun ini tidak pernah menerbitkan kartu dengan nomor seri {s}.",
        "This station never issued a card with serial {s}.",
    ),
    (
        re.compile(r"the enrolment (?P<e>\S+) of card (?P<s>\S+) is missing"),
        "Data rekaman {e} untuk kartu {s} tidak ada di stasiun.",
        "The enrolment {e} of card {s} is missing from the station.",
    ),
    (
        re.compile(r"card (?P<s>\S+) is replaced: it is no longer valid"),
        "Kartu {s} sudah diganti dengan kartu cetak ulang: kartu ini tidak berlaku lagi.",
        "Card {s} was replaced by a reprint: it is no longer valid.",
    ),
    (
        re.compile(r"card (?P<s>\S+) is (?P<st>\w+): it is no longer valid"),
        "Kartu {s} berstatus {st}: kartu ini tidak berlaku lagi.",
        "Card {s} is {st}: it is no longer valid.",
    ),
    (
        re.compile(r"the chip holds no biodata"),
        "Chip tidak memuat biodata.",
        "The chip holds no biodata.",
    ),
    (
        re.compile(r"the biodata cannot be read: (?P<e>.*)"),
        "Biodata di chip tidak dapat dibaca.",
        "The biodata cannot be read: {e}",
    ),
    (
        re.compile(r"biodata (?P<n>\S+): the chip says (?P<c>.*), the record says (?P<r>.*)"),
        "Data {n_id} berbeda: di chip {c}, di catatan stasiun {r}.",
        "Biodata {n}: the chip says {c}, the record says {r}.",
    ),
    (
        re.compile(r"the chip's (?P<n>.+) is not the enrolled (?P<f>\S+) template"),
        "Berkas {n_id} di chip bukan templat sidik jari ({f}) yang direkam.",
        "The chip's {n} is not the enrolled {f} template.",
    ),
]

#: The chip's file names (printstation.chip.card.FILE_NAMES) in Indonesian.
FILE_WORDS = {"minutiae 1": "sidik jari 1", "minutiae 2": "sidik jari 2"}


def _quoted(value: str) -> str:
    """A Python repr's value as a person reads it: ``'ANI'`` as "ANI", ``None`` as "-"."""
    if value == "None":
        return "–"
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return f"“{value[1:-1]}”"
    return value


def finding_text(problem: str, lang: str) -> str:
    """One of ``verify``'s findings in the person's language (unknown ones as raised)."""
    for pattern, indonesian, english in FINDINGS:
        found = pattern.fullmatch(problem.strip())
        if not found:
            continue
        values = {k: v or "" for k, v in found.groupdict().items()}
        if "c" in values:
            values["c"], values["r"] = _quoted(values["c"]), _quoted(values["r"])
        if "n" in values:
            name = values["n"]
            values["n_id"] = FILE_WORDS.get(name) or field_word(name.removeprefix("address."))
        if "w" in values:
            values["w_id"] = "penanda tangan" if values["w"] == "signer" else "CA"
        return (english if lang == "en" else indonesian).format(**values)
    if lang == "en":
        return problem
    return words.translate("Masalah lain pada chip: {problem}", lang).format(problem=problem)


def readers(request: Request) -> list[tuple[str, str]]:
    """The station's chip readers, each with the printers it serves: (reader, printers)."""
    found: dict[str, list[str]] = {}
    for printer in web.station(request).config.printers:
        found.setdefault(printer.reader, []).append(printer.name)
    return [(reader, ", ".join(names)) for reader, names in found.items()]


@dataclass(frozen=True)
class ReaderError:
    """A reader that could not give a card: the verdict it shows and why."""

    verdict: str
    explained: Explained


def reader_error(refused: web.Refused, reader: str, lang: str) -> ReaderError:
    """The reader's refusal, naming the reader: no card, no reader (or no pcscd), a card
    that is not an e-KTP; another station error as ``messages`` tells it."""

    def said(text: str) -> str:
        return words.translate(text, lang).format(reader=reader)

    code = refused.error.code
    detail = refused.explained.detail
    if code == "no_card":
        explained = Explained(
            title=said("Tidak ada kartu"),
            message=said("Tidak ada kartu di pembaca {reader}."),
            action=said("Letakkan kartu di pembaca {reader}, lalu tekan Periksa kartu lagi."),
            detail=detail,
            code=code,
        )
        return ReaderError("none", explained)
    if code == "reader_not_found":
        explained = Explained(
            title=said("Pembaca chip tidak ditemukan"),
            message=said(
                "Pembaca {reader} tidak ditemukan, atau layanan kartu pintar (pcscd) tidak "
                "berjalan."
            ),
            action=said(
                "Periksa kabel pembaca chip dan layanan kartu pintar (pcscd), lalu coba lagi."
            ),
            detail=detail,
            code=code,
        )
        return ReaderError("error", explained)
    if code in ("chip", "chip_verification_failed"):
        explained = Explained(
            title=said("Kartu tidak dikenal"),
            message=said("Kartu di pembaca {reader} tidak dapat dibaca sebagai KTP-el."),
            action=said(
                "Kartu ini bukan KTP-el atau chipnya rusak. Sisihkan kartu itu dan laporkan "
                "kepada pengawas."
            ),
            detail=detail,
            code=code,
        )
        return ReaderError("unknown", explained)
    if code == "encoder":
        explained = Explained(
            title=said("Gangguan pembaca chip"),
            message=said("Pembaca {reader} mengalami gangguan."),
            action=said("Angkat kartu, letakkan lagi, lalu coba lagi."),
            detail=detail,
            code=code,
        )
        return ReaderError("error", explained)
    return ReaderError("error", refused.explained)


def _page(request: Request, status: int = 200, **context: Any) -> Response:
    lang = web.lang(request)
    choices = readers(request)
    chosen = context.pop("reader", None) or (choices[0][0] if choices else "")
    return web.render(
        request,
        "card_check.html",
        status=status,
        title="Periksa kartu",
        readers=choices,
        chosen=chosen,
        finding=lambda problem: finding_text(problem, lang),
        **context,
    )


@web.page
async def check_page(request: Request) -> Response:
    return _page(request)


@web.action
async def check_card(request: Request, form: FormData) -> Response:
    from printstation.operations import cards

    lang = web.lang(request)
    known = [reader for reader, _ in readers(request)]
    reader = str(form.get("reader") or "").strip() or (known[0] if known else "")
    if known and reader not in known:
        web.flash(request, "error", words.translate("Pilih pembaca chip stasiun ini.", lang))
        return _page(request, status=400)
    try:
        result = await web.call(request, cards.verify, reader or None)
    except web.Refused as refused:
        if refused.status == 403:
            raise
        failed = reader_error(refused, reader, lang)
        return _page(request, status=refused.status, reader=reader, failure=failed)
    record = None
    if result.serial:
        record = await web.call(request, cards.issued_card, result.serial)
    return _page(request, reader=reader, result=result, record=record)


routes = [
    Route("/periksa-kartu", check_page, methods=["GET"]),
    Route("/periksa-kartu", check_card, methods=["POST"]),
]
