"""Impor data: upload a bundle (.zip) of approved enrolments; see what was accepted, the
duplicates, the reprints held for a supervisor, and each rejected line with its line,
field and reason in the person's language.

The upload is written to a temporary folder and imported by ``enrol.import_bundle``, the
operation ``printstation enrol import`` calls; a bad line never stops the others.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from printstation.console import web, words

words.add(
    {
        "Unggah bundel data perekaman (.zip) yang sudah disetujui. Setiap baris diperiksa "
        "sendiri-sendiri: baris yang salah ditolak, yang lain tetap masuk antrean.": (
            "Upload a bundle (.zip) of approved enrolments. Each line is checked on its own: "
            "a bad line is rejected, the others still join the queue."
        ),
        "Berkas bundel (.zip)": "Bundle file (.zip)",
        "Impor": "Import",
        "Hasil impor": "Import result",
        "Hasil impor {name}": "Import result of {name}",
        "Baris diterima": "Accepted",
        "Duplikat": "Duplicates",
        "Ditolak": "Rejected",
        "Cetak ulang ditahan": "Reprints held",
        "Duplikat sudah ada di antrean dan tidak ditambahkan lagi.": (
            "Duplicates are already in the queue and were not added again."
        ),
        "Cetak ulang menunggu persetujuan pengawas": "Reprints awaiting a supervisor's approval",
        "Baris ditolak": "Rejected lines",
        "Baris": "Line",
        "Kolom": "Field",
        "Alasan": "Reason",
        "Pekerjaan cetak": "Print job",
        "Menggantikan kartu": "Replaces card",
        "kartu sebelumnya": "the earlier card",
        "Semua baris diterima.": "Every line was accepted.",
        "Pilih berkas bundel (.zip) terlebih dahulu.": "Choose a bundle file (.zip) first.",
        "Berkas harus berupa bundel .zip.": "The file must be a .zip bundle.",
        "Bundel tidak dapat dibaca": "The bundle cannot be read",
        "Perbaiki baris yang ditolak di sistem asal, lalu impor lagi bundel berisi baris "
        "itu saja; baris yang sudah diterima tidak akan ganda.": (
            "Correct the rejected lines in the exporting system, then import a bundle of "
            "those lines again; lines already accepted will not be doubled."
        ),
        # reprint reasons
        "Cetak ulang: hilang": "Reprint: lost",
        "Cetak ulang: rusak": "Reprint: damaged",
        "Cetak ulang: perubahan data": "Reprint: data change",
        # the record's fields, as the card and the enrolment form name them
        "Seluruh baris": "The whole line",
        "Format": "Format",
        "ID perekaman": "Enrolment ID",
        "Tempat lahir": "Place of birth",
        "Tanggal lahir": "Date of birth",
        "Jenis kelamin": "Sex",
        "Golongan darah": "Blood type",
        "Alamat": "Address",
        "Alamat: jalan": "Address: street",
        "Alamat: RT": "Address: RT",
        "Alamat: RW": "Address: RW",
        "Alamat: kelurahan/desa": "Address: village",
        "Alamat: kecamatan": "Address: district",
        "Alamat: kabupaten/kota": "Address: regency",
        "Alamat: provinsi": "Address: province",
        "Agama": "Religion",
        "Status perkawinan": "Marital status",
        "Pekerjaan": "Occupation",
        "Kewarganegaraan": "Citizenship",
        "Berlaku hingga": "Valid until",
        "Waktu perekaman": "Recorded at",
        "Waktu persetujuan": "Approved at",
        "Alasan penerbitan": "Reason of issue",
        "Nomor seri kartu lama": "Serial of the earlier card",
        "Foto": "Photo",
        "Tanda tangan": "Signature",
        "Sidik jari": "Fingerprints",
    }
)

#: The record's fields (``Rejection.field``) as an operator reads them.
FIELDS = {
    "line": "Seluruh baris",
    "format": "Format",
    "enrolment_id": "ID perekaman",
    "nik": "NIK",
    "name": "Nama",
    "birth_place": "Tempat lahir",
    "birth_date": "Tanggal lahir",
    "sex": "Jenis kelamin",
    "blood_type": "Golongan darah",
    "address": "Alamat",
    "address.street": "Alamat: jalan",
    "address.rt": "Alamat: RT",
    "address.rw": "Alamat: RW",
    "address.village": "Alamat: kelurahan/desa",
    "address.district": "Alamat: kecamatan",
    "address.regency": "Alamat: kabupaten/kota",
    "address.province": "Alamat: provinsi",
    "religion": "Agama",
    "marital_status": "Status perkawinan",
    "occupation": "Pekerjaan",
    "citizenship": "Kewarganegaraan",
    "valid_until": "Berlaku hingga",
    "recorded_at": "Waktu perekaman",
    "approved_at": "Waktu persetujuan",
    "issue_reason": "Alasan penerbitan",
    "replaces_serial": "Nomor seri kartu lama",
    "photo": "Foto",
    "signature": "Tanda tangan",
    "fingerprints": "Sidik jari",
}
#: A reprint's reason as the office says it.
REPRINT_REASONS = {
    "lost": "Cetak ulang: hilang",
    "damaged": "Cetak ulang: rusak",
    "data_change": "Cetak ulang: perubahan data",
}


def field_label(name: str, lang: str) -> str:
    """``religion`` -> "Agama"; a field of a fingerprint (``fingerprints[1].finger``)
    by its first part; a field the table does not know, as it is."""
    label = FIELDS.get(name) or FIELDS.get(name.split("[", 1)[0].split(".", 1)[0])
    if label is None:
        return name
    shown = words.translate(label, lang)
    return shown if label == FIELDS.get(name) else f"{shown} ({name})"


def line_reason(reason: str, lang: str) -> str:
    """A rejected line's reason in the person's language (the message catalog's)."""
    from printstation.console.messages import explain_line

    return explain_line(reason, lang)


def _saved(upload: UploadFile, folder: Path) -> Path:
    """The upload written to ``folder`` under a plain name (never the browser's path)."""
    target = folder / "bundle.zip"
    upload.file.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return target


def rows(result: Any, lang: str) -> dict[str, Any]:
    """What the page shows of an ``ImportResult``."""
    return {
        "rejected_rows": [
            {
                "line": e.line,
                "field": e.field,
                "field_label": field_label(e.field, lang),
                "reason": line_reason(e.reason, lang),
                "original": e.reason,
            }
            for e in result.errors
        ],
        "held_rows": [
            {
                "line": h.line,
                "nik": h.nik,
                "job": h.job,
                "reason": words.translate(REPRINT_REASONS.get(h.reason, h.reason), lang),
                "replaces": h.replaces,
            }
            for h in result.held
        ],
    }


@web.page
async def import_form(request: Request) -> Response:
    return web.render(request, "imports.html", title="Impor data", result=None, error=None)


@web.action
async def import_upload(request: Request, form: FormData) -> Response:
    from printstation.operations.enrol import import_bundle

    lang = web.lang(request)
    upload = form.get("bundle")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(
            request, words.translate("Pilih berkas bundel (.zip) terlebih dahulu.", lang)
        )
    name = Path(upload.filename).name
    if not name.lower().endswith(".zip"):
        return _refused(request, "Berkas harus berupa bundel .zip.")
    with tempfile.TemporaryDirectory(prefix="printstation-import-") as folder:
        path = await web.blocking(_saved, upload, Path(folder))
        try:
            result = await web.call(request, import_bundle, path)
        except web.Refused as refused:
            return web.render(
                request,
                "imports.html",
                status=refused.status,
                title="Impor data",
                result=None,
                error=refused.explained,
                filename=name,
            )
    return web.render(
        request,
        "imports.html",
        title="Impor data",
        result=result,
        filename=name,
        error=None,
        number=web.number,
        **rows(result, lang),
    )


def _refused(request: Request, text: str) -> Response:
    web.flash(request, "error", text)
    return web.render(
        request, "imports.html", status=400, title="Impor data", result=None, error=None
    )


routes = [
    Route("/impor", import_form, methods=["GET"]),
    Route("/impor", import_upload, methods=["POST"]),
]
