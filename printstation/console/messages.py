"""Every error an operator can see, in plain Indonesian: what happened and what to do.

``explain(error, lang)`` reads a station error: a message the station raises is matched
against ``MESSAGES`` (its English words, with the values it names) and told in
Indonesian; one not listed there falls back to its code's Indonesian text (``CODES``),
with the English original only under "Rincian teknis". In English the original message
is shown as the station wrote it. ``explain_printer`` tells a printer's state, stop or
warning by its code; ``explain_line`` tells why an import rejected a line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from printstation.console.words import ROLE_WORDS, STATE_WORDS
from printstation.errors import PrintStationError


@dataclass(frozen=True)
class Explained:
    """What to show: a title, what happened, what to do, and the technical details."""

    title: str
    message: str
    action: str | None = None
    detail: str | None = None
    code: str = "error"


# --- by code ----------------------------------------------------------------------------

#: Error code -> (title, message, what to do). ``{p}`` is the printer, ``{w}`` where.
CODES: dict[str, tuple[str, str, str | None]] = {
    "error": (
        "Terjadi kesalahan",
        "Stasiun tidak dapat menyelesaikan permintaan ini.",
        "Coba lagi; bila terulang, hubungi pengawas.",
    ),
    "config": (
        "Pengaturan stasiun salah",
        "Pengaturan stasiun salah atau tidak lengkap.",
        "Hubungi petugas teknis stasiun untuk memperbaiki berkas pengaturan.",
    ),
    "input": (
        "Isian tidak dapat diterima",
        "Data yang diisikan tidak dapat diterima.",
        "Periksa isian Anda, lalu coba lagi.",
    ),
    "invalid_nik": (
        "NIK tidak sah",
        "NIK ini tidak sah: harus 16 angka dengan kode wilayah dan tanggal lahir yang benar.",
        "Periksa kembali NIK pada dokumen pemohon.",
    ),
    "enrolment_field": (
        "Data rekaman salah",
        "Sebuah kolom pada data rekaman tidak dapat diterima.",
        "Minta data diekspor ulang dari sistem perekaman.",
    ),
    "bundle": (
        "Berkas impor tidak dapat dibaca",
        "Berkas data rekaman (bundel) tidak dapat dibaca.",
        "Ekspor ulang bundel dari sistem perekaman, lalu unggah lagi.",
    ),
    "malformed_fmr": (
        "Data sidik jari rusak",
        "Data sidik jari pada rekaman tidak dapat dibaca.",
        "Minta data diekspor ulang dari sistem perekaman.",
    ),
    "layout": (
        "Data tidak muat di kartu",
        "Sebuah isian terlalu panjang untuk dicetak di kartu.",
        "Minta isian itu disingkat di sistem perekaman.",
    ),
    "permission_denied": (
        "Tidak berwenang",
        "Anda tidak berwenang melakukan tindakan ini.",
        "Minta petugas dengan peran yang sesuai untuk melakukannya.",
    ),
    "own_request": (
        "Perlu orang lain",
        "Permintaan ini harus diputuskan oleh orang lain, bukan oleh yang mengajukannya.",
        "Minta pengawas lain untuk memutuskannya.",
    ),
    "hardware": (
        "Gangguan perangkat",
        "Perangkat stasiun mengalami gangguan.",
        "Periksa printer dan pembaca chip, lalu coba lagi.",
    ),
    "printer": (
        "Gangguan printer",
        "Printer {p} mengalami gangguan.",
        "Periksa printer {p}, lalu coba lagi.",
    ),
    "printer_not_found": (
        "Printer tidak ditemukan",
        "Printer {p} tidak ditemukan.",
        "Periksa apakah printer {p} menyala dan kabel USB-nya terpasang.",
    ),
    "printer_disconnected": (
        "Kabel USB terlepas",
        "Printer {p} terputus dari stasiun.",
        "Pasang kembali kabel USB printer {p}, lalu tekan Lanjutkan.",
    ),
    "printer_timeout": (
        "Printer tidak menjawab",
        "Printer {p} tidak menjawab.",
        "Matikan lalu nyalakan printer {p}, tunggu siap, lalu coba lagi.",
    ),
    "printer_protocol": (
        "Printer menolak perintah",
        "Printer {p} menolak perintah dari stasiun.",
        "Atur ulang printer {p} lalu coba lagi; bila terulang, hubungi petugas teknis.",
    ),
    "printer_needs_operator": (
        "Printer perlu ditangani",
        "Printer {p} berhenti dan perlu ditangani petugas.",
        "Periksa printer {p}, selesaikan kartu yang belum jelas, lalu tekan Lanjutkan.",
    ),
    "jam": (
        "Kartu macet",
        "Kartu macet di printer {p}.",
        "Buka penutup, keluarkan kartu, lalu tekan Lanjutkan.",
    ),
    "double_feed": (
        "Dua kartu tertarik",
        "Dua blangko tertarik bersamaan di printer {p}.",
        "Buka penutup, keluarkan kedua kartu, catat keduanya, lalu tekan Lanjutkan.",
    ),
    "cover_open": (
        "Penutup terbuka",
        "Penutup printer {p} terbuka.",
        "Tutup penutupnya, lalu tekan Lanjutkan.",
    ),
    "feeder_empty": (
        "Feeder kosong",
        "Feeder printer {p} kosong.",
        "Isi blangko, lalu tekan Lanjutkan.",
    ),
    "misfeed": (
        "Blangko tidak tertarik",
        "Blangko tidak tertarik dari feeder printer {p}.",
        "Kibaskan dan rapikan blangko di feeder, lalu tekan Lanjutkan.",
    ),
    "ribbon": (
        "Pita habis",
        "Pita printer {p} habis.",
        "Ganti pita, lalu tekan Lanjutkan.",
    ),
    "output_full": (
        "Tempat keluaran penuh",
        "Tempat keluaran printer {p} penuh.",
        "Ambil kartu yang sudah tercetak, lalu tekan Lanjutkan.",
    ),
    "reject_full": (
        "Kotak tolak penuh",
        "Kotak tolak printer {p} penuh.",
        "Kosongkan kotak tolak dan catat kartu yang ditolak, lalu tekan Lanjutkan.",
    ),
    "encoder": (
        "Gangguan pembaca chip",
        "Pembaca chip printer {p} mengalami gangguan.",
        "Periksa pembaca chip, lalu coba lagi.",
    ),
    "reader_not_found": (
        "Pembaca chip tidak ditemukan",
        "Pembaca chip tidak ditemukan.",
        "Periksa kabel pembaca chip dan layanan kartu pintar, lalu coba lagi.",
    ),
    "no_card": (
        "Tidak ada kartu di pembaca",
        "Tidak ada kartu di pembaca chip.",
        "Letakkan kartu di pembaca, lalu coba lagi.",
    ),
    "chip": (
        "Gangguan chip",
        "Chip kartu menjawab dengan kesalahan.",
        "Kartu ini tidak dapat dipakai; selesaikan pekerjaan cetaknya sebagai rusak.",
    ),
    "chip_verification_failed": (
        "Chip gagal diverifikasi",
        "Isi chip kartu tidak sesuai dengan yang ditulis.",
        "Kartu ini tidak dapat dipakai; selesaikan pekerjaan cetaknya sebagai rusak.",
    ),
    "stock": (
        "Masalah stok blangko",
        "Permintaan ini tidak sesuai dengan catatan stok blangko.",
        "Periksa stok blangko, lalu coba lagi.",
    ),
    "unknown_blank": (
        "Blangko tidak dikenal",
        "Blangko ini tidak tercatat dalam stok yang diterima stasiun ini.",
        "Sisihkan kartu itu dan laporkan kepada pengawas.",
    ),
    "blank_already_used": (
        "Blangko sudah terpakai",
        "Blangko ini sudah tercatat terpakai.",
        "Sisihkan kartu itu dan laporkan kepada pengawas.",
    ),
    "ledger_unbalanced": (
        "Catatan stok tidak seimbang",
        "Jumlah blangko dalam catatan stok tidak seimbang.",
        "Jalankan rekonsiliasi dan beri tahu auditor.",
    ),
    "job": (
        "Pekerjaan cetak tidak dapat diproses",
        "Pekerjaan cetak ini tidak dalam keadaan yang memungkinkan tindakan ini.",
        "Periksa keadaan pekerjaan cetak itu di Antrean cetak.",
    ),
    # stops of a batch that are not errors of the family
    "database": (
        "Basis data tidak dapat dipakai",
        "Printer {p} berhenti: stasiun tidak dapat memakai basis datanya.",
        "Periksa bahwa basis data dapat dijangkau dan disknya masih lega, lalu mulai lagi.",
    ),
    "internal": (
        "Kesalahan tak terduga",
        "Printer {p} berhenti karena kesalahan yang tidak terduga.",
        "Periksa printer, selesaikan kartu yang dipegangnya, lalu laporkan ke petugas teknis.",
    ),
}

#: Printer states, warnings and stops by code: (title, message, what to do).
PRINTER: dict[str, tuple[str, str, str | None]] = {
    "ready": ("Siap", "Printer {p} siap.", None),
    "printing": ("Sedang mencetak", "Printer {p} sedang mencetak.", None),
    "card_in_path": (
        "Ada kartu di jalur",
        "Ada kartu di jalur printer {p}.",
        "Tunggu sampai kartu keluar; bila tidak keluar, buka penutup dan keluarkan kartunya.",
    ),
    "jammed": CODES["jam"],
    "ribbon_error": CODES["ribbon"],
    "ribbon_ended": CODES["ribbon"],
    "not_found": CODES["printer_not_found"],
    "disconnected": CODES["printer_disconnected"],
    "not_answering": CODES["printer_timeout"],
    "feeder_low": (
        "Feeder hampir kosong",
        "Feeder printer {p} hampir kosong: tinggal {n} blangko.",
        "Siapkan blangko untuk dimuat ke printer {p}.",
    ),
    "ribbon_low": (
        "Pita hampir habis",
        "Pita printer {p} hampir habis: tinggal {n} cetakan.",
        "Siapkan pita pengganti.",
    ),
    "cleaning_due": (
        "Perlu dibersihkan",
        "Printer {p} perlu dibersihkan.",
        "Jalankan kartu pembersih.",
    ),
    "counter_discrepancy": (
        "Penghitung printer berselisih",
        "Penghitung kartu printer {p} tidak sesuai dengan catatan stok blangko.",
        "Jangan lanjutkan sebelum pengawas memeriksa selisihnya dan beri tahu auditor.",
    ),
    "counter_unsettled": (
        "Penghitung printer belum cocok",
        "Penghitung kartu printer {p} belum cocok dengan catatan stok: "
        "ada kartu yang nasibnya belum jelas.",
        "Selesaikan kartu yang belum jelas di printer {p}.",
    ),
    "resumed_by_operator": ("Dilanjutkan", "Printer {p} dilanjutkan oleh petugas.", None),
    "paused_by_operator": ("Dijeda", "Printer {p} dijeda oleh petugas.", "Tekan Lanjutkan."),
}

#: The English a printer's code is told in when no message came with it.
PRINTER_ENGLISH: dict[str, str] = {
    "ready": "printer {p} is ready",
    "printing": "printer {p} is printing",
    "card_in_path": "a card is in the path of printer {p}",
    "jammed": "card jammed on printer {p}: open the cover, remove the card and press resume",
    "jam": "card jammed on printer {p}: open the cover, remove the card and press resume",
    "cover_open": "cover open on printer {p}: close the cover and press resume",
    "feeder_empty": "feeder empty on printer {p}: load blanks and press resume",
    "misfeed": "blank did not feed on printer {p}: fan the blanks and press resume",
    "ribbon_error": "ribbon ended on printer {p}: replace the ribbon and press resume",
    "ribbon": "ribbon ended on printer {p}: replace the ribbon and press resume",
    "output_full": "output hopper full on printer {p}: take the printed cards out",
    "reject_full": "reject box full on printer {p}: empty it and record the rejected cards",
    "not_found": "printer {p} was not found",
    "disconnected": "printer {p} is disconnected: plug its USB cable back in",
    "not_answering": "printer {p} does not answer",
}

#: A reprint's and a priority's reasons, as the console names them.
REASON_WORDS = {
    "lost": "hilang",
    "damaged": "rusak",
    "data_change": "perubahan data",
    "cpns": "CPNS",
    "age17": "17 tahun",
    "disaster": "bencana",
    "suket": "suket",
    "other": "lainnya",
}


def _printer_of(error: PrintStationError) -> str:
    found = re.search(r"\bprinter (\w[\w-]*)", error.message)
    if found:
        return found.group(1)
    where = (error.where or "").removeprefix("printer ").strip()
    return where or "?"


def _codes_of(error: PrintStationError) -> list[str]:
    """The error's code and then its parents' (a subclass without an entry uses theirs)."""
    return [str(c.code) for c in type(error).__mro__ if hasattr(c, "code")]


def _entry(codes: list[str]) -> tuple[str, tuple[str, str, str | None]]:
    for code in codes:
        if code in CODES:
            return code, CODES[code]
        if code in PRINTER:
            return code, PRINTER[code]
    return "error", CODES["error"]


def _technical(error: PrintStationError) -> str:
    lines = [f"{error.code}: {error}"]
    if error.detail:
        lines.append(json.dumps(error.detail, ensure_ascii=False, default=str, sort_keys=True))
    return "\n".join(lines)


# --- by message -------------------------------------------------------------------------


def _state(value: str) -> str:
    return STATE_WORDS.get(value, value)


def _role(value: str) -> str:
    return ROLE_WORDS.get(value, value)


def _roles(value: str) -> str:
    return " atau ".join(_role(r.strip()) for r in value.split(","))


#: Each action of the role table (printstation.people.roles), as a person would say it.
ACTION_WORDS = {
    "station.read": "melihat keadaan stasiun",
    "printer.read": "melihat keadaan printer",
    "job.read": "melihat antrean cetak",
    "stock.read": "melihat stok blangko",
    "audit.read": "melihat log audit",
    "card.verify": "memeriksa kartu",
    "station.check": "memeriksa stasiun",
    "user.pin": "mengganti PIN sendiri",
    "enrol.import": "mengimpor data rekaman",
    "stock.receive": "menerima kiriman blangko",
    "stock.load": "memuat blangko ke printer",
    "writeoff.request": "meminta penghapusan blangko rusak",
    "batch.run": "menjalankan pencetakan",
    "job.resolve": "menyelesaikan kartu yang belum jelas",
    "job.resume": "melanjutkan pekerjaan cetak",
    "printer.operate": "mengoperasikan printer",
    "card.insert": "memasukkan kartu",
    "priority.request": "meminta cetak prioritas",
    "reprint.request": "meminta cetak ulang",
    "approval.decide": "memutuskan permintaan",
    "job.cancel": "membatalkan pekerjaan cetak",
    "job.requeue": "mengantrekan kembali pekerjaan cetak",
    "writeoff.decide": "memutuskan penghapusan blangko",
    "stock.reserve": "mengatur cadangan prioritas",
    "stock.threshold": "mengatur batas minimum stok",
    "stock.request": "membuat surat permohonan blangko",
    "user.manage": "mengelola pengguna",
    "pki.manage": "mengelola kunci dan sertifikat",
    "audit.verify": "memverifikasi log audit",
    "audit.report": "membuat laporan",
    "destruction.record": "mencatat pemusnahan",
    "destruction.witness": "menyaksikan pemusnahan",
    "outbox.sync": "mengirim laporan ke pusat",
}


def _action(value: str) -> str:
    return ACTION_WORDS.get(value, value)


def _reason(value: str) -> str:
    return REASON_WORDS.get(value.strip("'\""), value)


#: Group name -> how its value is told in Indonesian (others are shown as they are).
_CONVERT: dict[str, Callable[[str], str]] = {
    "state": _state,
    "state2": _state,
    "role": _role,
    "roles": _roles,
    "reason": _reason,
    "a": _action,
}

#: Pattern over an English message -> (Indonesian message, what to do or None). The
#: groups' values fill the template, turned into Indonesian by ``_CONVERT``.
MESSAGES: list[tuple[str, str, str | None]] = [
    # signing in and permissions
    (
        r"login refused for '(?P<u>[^']*)': unknown user or wrong PIN",
        "Nama pengguna atau PIN salah.",
        "Periksa nama pengguna dan PIN Anda, lalu coba lagi.",
    ),
    (
        r"login refused for '(?P<u>[^']*)': (?P<n>\d+) wrong PINs, the account is locked "
        r"for (?P<m>\d+) minutes.*",
        "Akun {u} dikunci selama {m} menit karena PIN salah {n} kali.",
        "Tunggu {m} menit, atau minta pengawas membuka kunci akun Anda.",
    ),
    (
        r"login refused for '(?P<u>[^']*)': the account is locked"
        r".*?(?P<m>\d+) (?:more )?minutes?.*",
        "Akun {u} sedang dikunci; coba lagi dalam {m} menit.",
        "Tunggu, atau minta pengawas membuka kunci akun Anda.",
    ),
    (
        r"login refused for '(?P<u>[^']*)': the account is disabled.*",
        "Akun {u} dinonaktifkan.",
        "Hubungi pengawas.",
    ),
    (
        r"(?P<u>\S+) is (?P<role>operator|supervisor|auditor): only (?P<roles>[a-z, ]+) "
        r"may do (?P<a>[\w.]+)",
        "Anda tidak berwenang melakukan tindakan ini: {u} adalah {role}, "
        "hanya {roles} yang boleh {a}.",
        "Minta {roles} untuk melakukannya.",
    ),
    (
        r"(?P<u>\S+) is not signed in at this station",
        "Anda belum masuk di stasiun ini.",
        "Masuk dengan nama pengguna dan PIN Anda.",
    ),
    (
        r"(?P<u>\S+)'s PIN was reset by a supervisor: change it first.*",
        "PIN Anda telah diatur ulang oleh pengawas.",
        "Ganti PIN Anda terlebih dahulu, lalu coba lagi.",
    ),
    (
        r"'(?P<a>[\w.]+)' is not a known action",
        "Tindakan itu tidak dikenal stasiun.",
        None,
    ),
    (
        r"(?P<u>\S+) asked for request (?P<r>\d+): another supervisor must decide it",
        "Permintaan {r} diajukan oleh {u} sendiri.",
        "Pengawas lain harus memutuskannya.",
    ),
    (
        r"(?P<u>\S+) and (?P<v>\S+), who asked for request (?P<r>\d+), are one person "
        r"\(NIP (?P<nip>\d+)\).*",
        "{u} dan {v} (pengaju permintaan {r}) adalah orang yang sama (NIP {nip}).",
        "Pengawas lain harus memutuskannya.",
    ),
    (
        r"(?P<u>\S+) asked for write-off request (?P<r>\d+) \(blank (?P<s>\S+)\).*",
        "Permintaan penghapusan {r} (blangko {s}) diajukan oleh {u} sendiri.",
        "Pengawas lain harus memutuskannya.",
    ),
    (
        r"(?P<u>\S+) cannot decide write-off request (?P<r>\d+) \(blank (?P<s>\S+)\): it was "
        r"asked for by (?P<v>\S+), the same person.*",
        "Permintaan penghapusan {r} (blangko {s}) diajukan oleh {v}, orang yang sama dengan "
        "{u} (atau tidak dapat dibedakan: akun tanpa NIP).",
        "Pengawas lain harus memutuskannya.",
    ),
    (
        r"(?P<u>\S+) is the last active supervisor.*",
        "{u} adalah satu-satunya pengawas yang aktif.",
        "Tambahkan pengawas lain sebelum menonaktifkan akun ini.",
    ),
    # jobs
    (r"there is no job (?P<j>\d+)", "Pekerjaan cetak {j} tidak ada.", None),
    (r"there is no request (?P<r>\d+)", "Permintaan {r} tidak ada.", None),
    (
        r"job (?P<j>\d+) is unresolved and cannot be (?P<x>\w+): .*",
        "Pekerjaan cetak {j} belum jelas nasib kartunya.",
        "Periksa printer dan selesaikan dulu apa yang keluar (Belum jelas).",
    ),
    (
        r"job (?P<j>\d+) is (?P<state>\w+) and cannot be (?P<x>\w+): a printer is working on it",
        "Pekerjaan cetak {j} sedang dikerjakan printer ({state}).",
        "Tunggu sampai printer selesai.",
    ),
    (
        r"job (?P<j>\d+) is (?P<state>\w+) and cannot be (?P<x>\w+): it is finished",
        "Pekerjaan cetak {j} sudah selesai ({state}).",
        None,
    ),
    (
        r"job (?P<j>\d+) is held and cannot be (?P<x>\w+): .*",
        "Pekerjaan cetak {j} ditahan: cetak ulangnya menunggu keputusan pengawas.",
        "Minta pengawas memutuskan permintaan cetak ulangnya.",
    ),
    (
        r"job (?P<j>\d+) is failed and cannot be (?P<x>\w+): .*",
        "Pekerjaan cetak {j} gagal.",
        "Pengawas dapat mengantrekannya kembali.",
    ),
    (
        r"job (?P<j>\d+) is paused and cannot be (?P<x>\w+): .*",
        "Pekerjaan cetak {j} dijeda.",
        "Lanjutkan setelah printernya beres.",
    ),
    (
        r"job (?P<j>\d+) is (?P<state>\w+) and cannot be (?P<x>\w+): .*",
        "Pekerjaan cetak {j} dalam keadaan {state}: tidak ada yang perlu dilakukan.",
        None,
    ),
    (
        r"job (?P<j>\d+) is (?P<state>\w+): only a waiting job can be made priority",
        "Pekerjaan cetak {j} dalam keadaan {state}: hanya pekerjaan yang masih menunggu "
        "yang dapat diprioritaskan.",
        None,
    ),
    (
        r"job (?P<j>\d+) already has a pending priority request \((?P<r>\d+)\)",
        "Pekerjaan cetak {j} sudah punya permintaan prioritas ({r}) yang menunggu persetujuan.",
        "Tunggu keputusan pengawas.",
    ),
    (
        r"priority reason '(?P<reason>[^']*)' is not one of .*",
        "Alasan prioritas '{reason}' tidak dikenal.",
        "Pilih alasan: CPNS, 17 tahun, bencana, suket atau lainnya.",
    ),
    (
        r"the deadline (?P<d>[\d-]+) has already passed \(today is (?P<t>[\d-]+)\).*",
        "Tenggat {d} sudah lewat (hari ini {t}).",
        "Isikan tanggal kartu itu dibutuhkan.",
    ),
    (
        r"request (?P<r>\d+) was already (?P<s>\w+) by (?P<u>\S+)",
        "Permintaan {r} sudah diputuskan oleh {u}.",
        None,
    ),
    (
        r"job (?P<j>\d+) is already (?P<state>\w+): request (?P<r>\d+) no longer needs a decision",
        "Pekerjaan cetak {j} sudah {state}: permintaan {r} tidak perlu diputuskan lagi.",
        None,
    ),
    (
        r"a NIK is 16 digits; '(?P<n>[^']*)' is not one",
        "NIK terdiri atas 16 angka; '{n}' bukan NIK.",
        "Periksa kembali NIK-nya.",
    ),
    (
        r"a reprint's reason is one of .*, not '(?P<reason>[^']*)'",
        "Alasan cetak ulang '{reason}' tidak dikenal.",
        "Pilih alasan: hilang, rusak atau perubahan data.",
    ),
    (
        r"NIK (?P<n>\d+) has no valid card issued by this station.*",
        "NIK {n} belum punya kartu sah yang dicetak stasiun ini: cetak ulang hanya "
        "menggantikan kartu yang ada.",
        "Impor data rekamannya sebagai kartu baru.",
    ),
    (
        r"NIK (?P<n>\d+) already has job (?P<j>\d+) \((?P<state>\w+)\).*",
        "NIK {n} sudah punya pekerjaan cetak {j} ({state}).",
        "Selesaikan atau batalkan pekerjaan itu dulu sebelum meminta cetak ulang.",
    ),
    (
        r"NIK (?P<n>\d+) already has a valid card \((?P<s>\S+)\) and job (?P<j>\d+) is not "
        r"an approved reprint.*",
        "NIK {n} sudah punya kartu sah ({s}) dan pekerjaan cetak {j} bukan cetak ulang yang "
        "disetujui.",
        "Ajukan cetak ulang dan minta persetujuan pengawas.",
    ),
    (
        r"say why job (?P<j>\d+) is cancelled.*",
        "Tuliskan alasan pembatalan pekerjaan cetak {j}.",
        None,
    ),
    (
        r"job (?P<j>\d+) is (?P<state>\w+), not unresolved: nothing to settle",
        "Pekerjaan cetak {j} dalam keadaan {state}, bukan belum jelas: tidak ada yang "
        "perlu diselesaikan.",
        None,
    ),
    (
        r"job (?P<j>\d+): give the serial printed on the card that came out.*",
        "Isikan nomor seri yang tercetak pada kartu yang keluar (pekerjaan cetak {j}).",
        None,
    ),
    (
        r"job (?P<j>\d+): give the serial of the spoiled card.*",
        "Isikan nomor seri kartu yang rusak (pekerjaan cetak {j}).",
        None,
    ),
    (
        r"job (?P<j>\d+) had blank (?P<s>\S+) at the encoder, not (?P<t>\S+):.*",
        "Pekerjaan cetak {j} memakai blangko {s} di pembaca chip, bukan {t}.",
        "Periksa nomor seri yang tercetak pada kartu.",
    ),
    (
        r"job (?P<j>\d+) has (?P<n>\d+) blanks whose fate is open \((?P<l>[^)]*)\).*",
        "Pekerjaan cetak {j} punya {n} blangko yang belum jelas ({l}).",
        "Selesaikan satu per satu dengan nomor seri masing-masing.",
    ),
    (
        r"blank (?P<s>\S+) is not one of job (?P<j>\d+)'s open blanks \((?P<l>[^)]*)\).*",
        "Blangko {s} bukan blangko pekerjaan cetak {j} yang belum jelas ({l}).",
        "Periksa nomor seri yang tercetak pada kartu.",
    ),
    (
        r"job (?P<j>\d+) still has other blanks whose fate is open \((?P<l>[^)]*)\).*",
        "Pekerjaan cetak {j} masih punya blangko lain yang belum jelas ({l}).",
        "Selesaikan dulu blangko itu (rusak atau tidak keluar), baru kartu yang baik.",
    ),
    (
        r"outcome '(?P<o>[^']*)' is not one of .*",
        "Hasil '{o}' tidak dikenal.",
        "Pilih: tercetak baik, rusak, atau tidak keluar dari feeder.",
    ),
    (
        r"cause '(?P<c>[^']*)' is not one of .*",
        "Penyebab '{c}' tidak dikenal.",
        "Pilih salah satu penyebab dari daftar.",
    ),
    (
        r"(?P<state>\w+) is not a job state; one of .*",
        "'{state}' bukan keadaan pekerjaan cetak.",
        "Pilih keadaan dari daftar.",
    ),
    (
        r"a page is numbered from 1, not (?P<n>-?\d+)",
        "Halaman dimulai dari 1, bukan {n}.",
        None,
    ),
    (
        r"a page holds 1 to (?P<m>\d+) jobs, not (?P<n>-?\d+)",
        "Satu halaman memuat 1 sampai {m} pekerjaan cetak, bukan {n}.",
        None,
    ),
    (
        r"job (?P<j>\d+) cannot (?P<x>\w+) from state (?P<state>\w+)",
        "Pekerjaan cetak {j} tidak dapat diproses dari keadaan {state}.",
        None,
    ),
    # stock
    (
        r"a lot holds 1 to (?P<m>[\d,]+) blanks, not (?P<n>-?[\d,]+)",
        "Satu kiriman berisi 1 sampai {m} blangko, bukan {n}.",
        None,
    ),
    (
        r"give the allocation letter's reference of the lot",
        "Isikan nomor surat alokasi kiriman ini.",
        None,
    ),
    (
        r"say how many blanks go into the feeder.*",
        "Isikan jumlah blangko yang dimuat ke feeder.",
        None,
    ),
    (r"load at least one blank, not (?P<n>-?\d+)", "Muat sedikitnya satu blangko.", None),
    (
        r"only (?P<n>\d+) blanks are on hand and not loaded: (?P<w>\d+) cannot go into "
        r"printer (?P<p>\S+)",
        "Sisa blangko yang belum dimuat hanya {n}: {w} blangko tidak dapat dimuat ke printer {p}.",
        "Terima kiriman blangko baru, atau muat lebih sedikit.",
    ),
    (
        r"loading (?P<n>\d+) blanks would leave (?P<l>\d+) on hand, below the priority "
        r"reserve of (?P<r>\d+) .*: load at most (?P<m>\d+), .*",
        "Memuat {n} blangko akan menyisakan {l}, di bawah cadangan prioritas {r}.",
        "Muat paling banyak {m}, atau nyatakan bahwa cadangan prioritas boleh dipakai.",
    ),
    (
        r"loading (?P<n>\d+) blanks would leave (?P<l>\d+) on hand, below the priority "
        r"reserve of (?P<r>\d+) .*: load none now, .*",
        "Memuat {n} blangko akan menyisakan {l}, di bawah cadangan prioritas {r}.",
        "Jangan muat sekarang, atau nyatakan bahwa cadangan prioritas boleh dipakai.",
    ),
    (
        r"blank (?P<s>\S+) was already received: a lot cannot be received twice",
        "Blangko {s} sudah pernah diterima: satu kiriman tidak dapat diterima dua kali.",
        "Periksa nomor seri pertama dan jumlahnya.",
    ),
    (
        r"blank (?P<s>\S+) is (?P<b>\w+), not on hand: it cannot be loaded",
        "Blangko {s} tidak ada di stok ({b}): tidak dapat dimuat.",
        None,
    ),
    (
        r"blank (?P<s>\S+) at the encoder of printer (?P<p>\S+) is not in this station's "
        r"received stock.*",
        "Blangko {s} di pembaca chip printer {p} tidak tercatat dalam stok stasiun ini: "
        "kartunya ditolak.",
        "Ambil kartu itu dari kotak tolak dan laporkan kepada pengawas.",
    ),
    (
        r"blank (?P<s>\S+) at the encoder of printer (?P<p>\S+) is already (?P<b>\w+).*",
        "Blangko {s} di pembaca chip printer {p} sudah terpakai: kartunya ditolak.",
        "Laporkan kepada pengawas.",
    ),
    (
        r"blank (?P<s>\S+) is not in this station's (?:received )?stock.*",
        "Blangko {s} tidak tercatat dalam stok stasiun ini.",
        "Periksa nomor seri yang tercetak pada blangko.",
    ),
    (
        r"blank (?P<s>\S+) is already (?P<b>\w+): it cannot be (?:spoiled|written off)",
        "Blangko {s} sudah tercatat terpakai: tidak dapat dihapus.",
        None,
    ),
    (
        r"blank (?P<s>\S+) already awaits a supervisor's decision on write-off request (?P<r>\S+)",
        "Blangko {s} sudah menunggu keputusan pengawas (permintaan penghapusan {r}).",
        None,
    ),
    (
        r"blank (?P<s>\S+) is at a printer for print job (?P<j>\d+).*",
        "Blangko {s} sedang di printer untuk pekerjaan cetak {j}.",
        "Setelah printer berhenti, selesaikan pekerjaan cetak itu.",
    ),
    (
        r"blank (?P<s>\S+) belongs to print job (?P<j>\d+).*",
        "Blangko {s} milik pekerjaan cetak {j}.",
        "Selesaikan melalui pekerjaan cetak itu (Belum jelas).",
    ),
    (
        r"a number of blanks cannot be negative \((?P<n>-?\d+)\)",
        "Jumlah blangko tidak boleh negatif ({n}).",
        None,
    ),
    (
        r"there is no write-off request (?P<r>\d+)",
        "Permintaan penghapusan {r} tidak ada.",
        None,
    ),
    (
        r"write-off request (?P<r>\d+) was already (?P<s>\w+) by (?P<u>\S+)",
        "Permintaan penghapusan {r} sudah diputuskan oleh {u}.",
        None,
    ),
    (
        r"(?P<w>[\w ]+) '(?P<s>[^']*)' has (?P<n>\d+) characters; this office's serials have .*",
        "Nomor seri '{s}' terdiri atas {n} karakter; panjangnya tidak sesuai nomor seri "
        "kantor ini.",
        "Ketik nomor seri persis seperti tercetak pada blangko.",
    ),
    (
        r"(?P<w>[\w ]+) '(?P<s>[^']*)' does not begin with the office's prefix (?P<x>\S+) .*",
        "Nomor seri '{s}' tidak diawali kode kantor {x}.",
        "Ketik nomor seri persis seperti tercetak pada blangko.",
    ),
    (
        r"(?P<w>[\w ]+) '(?P<s>[^']*)' holds '(?P<c>[^']*)' where a digit 0-9 belongs .*",
        "Nomor seri '{s}' memuat '{c}' di tempat yang seharusnya angka.",
        "Ketik nomor seri persis seperti tercetak pada blangko.",
    ),
    (
        r"(?P<w>[\w ]+) '(?P<s>[^']*)' has spaces around it.*",
        "Nomor seri '{s}' diawali atau diakhiri spasi.",
        "Ketik nomor seri persis seperti tercetak pada blangko.",
    ),
    # printers and batches
    (
        r"card jammed on printer (?P<p>\S+) during .*",
        "Kartu macet di printer {p}.",
        "Buka penutup, keluarkan kartu, lalu tekan Lanjutkan.",
    ),
    (
        r"cover open on printer (?P<p>\S+):.*",
        "Penutup printer {p} terbuka.",
        "Tutup penutupnya, lalu tekan Lanjutkan.",
    ),
    (
        r"feeder empty on printer (?P<p>\S+):.*",
        "Feeder printer {p} kosong.",
        "Isi blangko, lalu tekan Lanjutkan.",
    ),
    (
        r"ribbon ended or missing on printer (?P<p>\S+):.*",
        "Pita printer {p} habis.",
        "Ganti pita, lalu tekan Lanjutkan.",
    ),
    (
        r"blank did not feed on printer (?P<p>\S+):.*",
        "Blangko tidak tertarik dari feeder printer {p}.",
        "Kibaskan dan rapikan blangko di feeder, lalu tekan Lanjutkan.",
    ),
    (
        r"two blanks fed together on printer (?P<p>\S+) during .*",
        "Dua blangko tertarik bersamaan di printer {p}.",
        "Buka penutup, keluarkan kedua kartu, catat keduanya, lalu tekan Lanjutkan.",
    ),
    (
        r"output hopper full on printer (?P<p>\S+):.*",
        "Tempat keluaran printer {p} penuh.",
        "Ambil kartu yang sudah tercetak, lalu tekan Lanjutkan.",
    ),
    (
        r"reject box full on printer (?P<p>\S+):.*",
        "Kotak tolak printer {p} penuh.",
        "Kosongkan kotak tolak dan catat kartu yang ditolak, lalu tekan Lanjutkan.",
    ),
    (
        r"printer (?P<p>\S+) refused (?P<c>\S+) \((?P<k>[^)]*)\):.*",
        "Printer {p} menolak perintah dari stasiun.",
        "Atur ulang printer {p} lalu coba lagi; bila terulang, hubungi petugas teknis.",
    ),
    (
        r"printer (?P<p>\S+) is already printing: pause or stop it first",
        "Printer {p} sedang mencetak.",
        "Jeda atau hentikan dulu printernya.",
    ),
    (
        r"printer (?P<p>\S+) is not printing: start a batch on it first",
        "Printer {p} tidak sedang mencetak.",
        "Mulai cetak di printer itu dulu.",
    ),
    (r"there is no printer (?P<p>\S+)", "Printer {p} tidak ada di stasiun ini.", None),
    (
        r"the number of cards must be at least 1, not (?P<n>-?\d+)",
        "Jumlah kartu sedikitnya 1, bukan {n}.",
        None,
    ),
    (
        r"the station's server is shutting down: no batch can start",
        "Server stasiun sedang dimatikan: pencetakan tidak dapat dimulai.",
        "Tunggu server menyala lagi.",
    ),
    (
        r"printer (?P<p>\S+) stopped: the station could not use its database.*",
        "Printer {p} berhenti: stasiun tidak dapat memakai basis datanya.",
        "Periksa bahwa basis data dapat dijangkau dan disknya masih lega, lalu mulai lagi.",
    ),
    (
        r"printer (?P<p>\S+) stopped on an error the station did not expect.*",
        "Printer {p} berhenti karena kesalahan yang tidak terduga.",
        "Periksa printer, selesaikan kartu yang dipegangnya, lalu laporkan ke petugas teknis.",
    ),
    # people
    (
        r"a PIN is (?P<n>\d+) to (?P<m>\d+) digits 0-9",
        "PIN terdiri atas {n} sampai {m} angka 0-9.",
        None,
    ),
    (r"the new PIN must differ from the old one", "PIN baru harus berbeda dari PIN lama.", None),
    (r"there is no user '(?P<u>[^']*)'", "Pengguna {u} tidak ada.", None),
    (r"user (?P<u>\S+) already exists", "Pengguna {u} sudah ada.", None),
    (r"user (?P<u>\S+) is already disabled", "Pengguna {u} sudah dinonaktifkan.", None),
    (r"user (?P<u>\S+) is already active", "Pengguna {u} sudah aktif.", None),
    (
        r"NIP (?P<nip>\S+) already has an active account.*",
        "NIP {nip} sudah punya akun yang aktif: satu orang, satu akun.",
        None,
    ),
    (
        r"NIP '(?P<nip>[^']*)': a NIP is (?P<n>\d+) digits 0-9",
        "NIP '{nip}' tidak sah: NIP terdiri atas {n} angka.",
        None,
    ),
    (
        r"user name '(?P<u>[^']*)': 2 to 40 lower-case ASCII letters.*",
        "Nama pengguna '{u}' tidak sah: 2 sampai 40 huruf kecil, angka, '.', '-' atau '_', "
        "diawali huruf atau angka.",
        None,
    ),
    (
        r"user name '(?P<u>[^']*)' is reserved.*",
        "Nama pengguna '{u}' sudah dipakai stasiun: pakai nama orangnya sendiri.",
        None,
    ),
    (
        r"user name '(?P<u>[^']*)' reads the same as the existing account '(?P<v>[^']*)'.*",
        "Nama pengguna '{u}' terbaca sama dengan akun '{v}' yang sudah ada.",
        "Pilih nama yang tidak mungkin tertukar dengannya.",
    ),
    (
        r"full name '(?P<f>[^']*)': the person's name as on their NIP.*",
        "Nama lengkap '{f}' tidak sah: tulis nama orang itu seperti pada NIP-nya, 2-120 huruf.",
        None,
    ),
    (
        r"(?P<u>\S+) is the last active supervisor.*",
        "{u} adalah satu-satunya pengawas yang aktif.",
        "Tambahkan pengawas lain sebelum menonaktifkan akun ini.",
    ),
    (
        r"to change your own PIN give the old one.*",
        "PIN sendiri diganti dengan menyebut PIN lama.",
        "Pakai Ganti PIN, bukan Atur ulang PIN.",
    ),
    # import bundles
    (
        r"not a readable zip file \((?P<e>.*)\)",
        "Berkas ini bukan zip yang dapat dibaca.",
        "Ekspor ulang bundel dari sistem perekaman, lalu unggah lagi.",
    ),
    (
        r"no (?P<m>\S+) in the (?:zip|bundle folder)",
        "Bundel tidak memuat daftar isinya ({m}).",
        "Ekspor ulang bundel dari sistem perekaman, lalu unggah lagi.",
    ),
    (
        r"(?P<f>\S+) is encrypted; export the bundle without a password",
        "Berkas {f} dalam bundel dikunci kata sandi.",
        "Ekspor bundel tanpa kata sandi.",
    ),
    (
        r"media file '(?P<f>[^']*)' is missing from the bundle",
        "Berkas {f} tidak ada di dalam bundel.",
        "Ekspor ulang bundel dari sistem perekaman.",
    ),
    (
        r"media file '(?P<f>[^']*)' is damaged in the zip.*",
        "Berkas {f} di dalam zip rusak.",
        "Ekspor ulang bundel dari sistem perekaman.",
    ),
    (
        r"(?P<m>\S+) in the zip is damaged.*",
        "Daftar isi bundel ({m}) rusak.",
        "Ekspor ulang bundel dari sistem perekaman.",
    ),
    (
        r"media path '(?P<f>[^']*)' (?:is absolute|leads outside the bundle|is a link).*",
        "Berkas {f} berada di luar bundel.",
        "Ekspor ulang bundel dari sistem perekaman.",
    ),
    # destroying spoiled cards (pemusnahan)
    (
        r"(?P<w>\S+) cannot witness a destruction recorded by (?P<u>\S+): the second person "
        r"must be someone else \(another NIP\)",
        "{w} tidak dapat menjadi orang kedua pada pemusnahan yang dicatat oleh {u}: orang "
        "kedua harus orang lain (NIP lain).",
        "Minta petugas lain mengisi nama pengguna dan PIN-nya sebagai orang kedua.",
    ),
    (
        r"blank (?P<s>\S+) is (?P<blank_state>\w+), not spoiled: only a spoiled card can be "
        r"destroyed",
        "Blangko {s} {blank_state}, tidak tercatat rusak: hanya blangko rusak yang dapat "
        "dimusnahkan.",
        "Pilih hanya blangko dari daftar blangko rusak yang menunggu pemusnahan.",
    ),
    (
        r"blank (?P<s>\S+) was already destroyed \(destruction (?P<d>\d+)\)",
        "Blangko {s} sudah dimusnahkan (pemusnahan nomor {d}).",
        "Muat ulang halaman: daftar blangko yang menunggu pemusnahan sudah berubah.",
    ),
    (
        r"official (?P<n>.+?): a NIP is 18 digits, not '(?P<v>[^']*)'",
        "NIP pejabat {n} tidak sah: NIP terdiri atas 18 angka, bukan '{v}'.",
        "Periksa NIP pejabat itu, lalu coba lagi.",
    ),
    (
        r"an official is NAME:NIP, .*",
        "Setiap pejabat yang hadir diisi dengan nama dan NIP-nya.",
        None,
    ),
    (
        r"name the serials of the spoiled cards presented for destruction",
        "Pilih nomor seri blangko rusak yang diperlihatkan untuk dimusnahkan.",
        None,
    ),
    (
        r"name at least one official present.*",
        "Isi sedikitnya satu pejabat yang hadir (nama dan NIP).",
        None,
    ),
    (
        r"serial (?P<s>\S+) is given twice",
        "Nomor seri {s} disebut dua kali.",
        None,
    ),
    (
        r"a month is written YYYY-MM, e\.g\. 2026-12, not '(?P<v>[^']*)'",
        "Bulan '{v}' tidak dikenal: tulis tahun dan bulannya, misalnya 2026-12.",
        "Pilih bulannya lagi.",
    ),
    (
        r"the month (?P<m>\d{4}-\d{2}) has not begun: today is (?P<d>\S+) at the office",
        "Bulan {m} belum dimulai: hari ini {d} di kantor.",
        "Pilih bulan ini atau bulan sebelumnya.",
    ),
]

_COMPILED = [(re.compile(p, re.DOTALL), m, a) for p, m, a in MESSAGES]

#: Messages that carry another one (``cause``) before what the printer left open: the
#: cause is told by ``MESSAGES`` and put in front (``{cause}``).
OPEN_FATE: list[tuple[str, str, str | None]] = [
    (
        r"(?P<cause>.+); a blank may be in printer (?P<p>\S+): clear it, then resolve the job",
        "{cause} Mungkin ada blangko di printer {p}.",
        "Keluarkan blangko itu, lalu jawab pertanyaan tentang kartu yang belum jelas.",
    ),
    (
        r"(?:(?P<cause>.+); )?printer (?P<p>\S+) could not move (?:card (?P<s>\S+)|the card "
        r"\(its serial was not read\)) to the reject box \((?P<w>.*)\): it is still in the "
        r"printer; .*, then resolve the job",
        "{cause} Printer {p} tidak dapat memindahkan kartu {s} ke kotak tolak: kartunya "
        "masih di dalam printer.",
        "Keluarkan kartunya, lalu jawab pertanyaan tentang kartu yang belum jelas.",
    ),
    (
        r"the chip of the card at printer (?P<p>\S+) could not be read \((?P<e>.*)\); its "
        r"blank is in the reject box: record its serial as spoiled",
        "Chip kartu di printer {p} tidak dapat dibaca; blangkonya ada di kotak tolak.",
        "Catat nomor serinya sebagai rusak (jawab pertanyaan tentang kartu yang belum jelas).",
    ),
]
_OPEN_FATE = [(re.compile(p, re.DOTALL), m, a) for p, m, a in OPEN_FATE]


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _dates(text: str) -> str:
    """ISO dates (2026-12-07) as the office writes them (7 Desember 2026)."""
    from datetime import date

    from printstation.reports.indonesian import long_date

    def written(found: re.Match[str]) -> str:
        try:
            return long_date(date(*(int(part) for part in found.groups())))
        except ValueError:
            return found.group(0)

    return _ISO_DATE.sub(written, text)


def _fill(template: str, values: dict[str, str]) -> str:
    converted = {k: _CONVERT[k](v) if k in _CONVERT else _digits(v) for k, v in values.items()}
    return _dates(template.format(**converted))


def _digits(value: str) -> str:
    """``1,000,000`` as Indonesian writes it: ``1.000.000``."""
    if value and _GROUPED.fullmatch(value):
        return value.replace(",", ".")
    return value


_GROUPED = re.compile(r"-?\d{1,3}(?:,\d{3})+")


def translate_message(message: str) -> tuple[str, str | None] | None:
    """The Indonesian of one English message the station raises (and what to do), or
    None when it is not in ``MESSAGES``."""
    text = message.strip()
    for pattern, template, action in _OPEN_FATE:
        found = pattern.fullmatch(text)
        if found:
            values = {k: v or "" for k, v in found.groupdict().items()}
            cause = translate_message(values["cause"]) if values.get("cause") else None
            values["cause"] = cause[0] if cause else ""
            said = " ".join(template.format(**values).split())
            return said, action
    for pattern, template, action in _COMPILED:
        found = pattern.fullmatch(text)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            return _fill(template, values), _fill(action, values) if action else None
    return None


def explain(error: PrintStationError, lang: str = "id") -> Explained:
    """``error`` as the console shows it: Indonesian by default, English as raised."""
    codes = _codes_of(error)
    code, (title, message, action) = _entry(codes)
    printer = _printer_of(error)
    if lang == "en":
        return Explained(
            title=_english_title(code),
            message=str(error),
            action=None,
            detail=_technical(error),
            code=error.code,
        )
    fill = {"p": printer, "w": error.where or ""}
    said = translate_message(error.message)
    if said is not None:
        message, new_action = said
        action = new_action or None
    else:
        message = message.format(**fill)
        action = action.format(**fill) if action else None
    return Explained(
        title=title.format(**fill),
        message=message,
        action=action,
        detail=_technical(error),
        code=error.code,
    )


def _english_title(code: str) -> str:
    return {
        "permission_denied": "Not allowed",
        "own_request": "Someone else must decide",
        "invalid_nik": "Invalid NIK",
        "input": "Not accepted",
        "job": "The job cannot be changed",
        "stock": "Blank stock",
        "config": "Station configuration",
    }.get(code, "Something went wrong" if code == "error" else code.replace("_", " ").capitalize())


def explain_printer(
    code: str, printer: str, lang: str = "id", *, fallback: str | None = None
) -> Explained:
    """A printer's state, stop or warning by its ``code`` (jam, cover_open, ribbon_low,
    jammed, feeder_low...): what it means and what to do, in the person's language.
    ``fallback`` is the station's English message, shown in English and kept in the
    details (a number in it, the blanks or prints left, fills the Indonesian)."""
    entry = PRINTER.get(code) or CODES.get(code)
    if lang == "en":
        english = fallback or PRINTER_ENGLISH.get(code, f"printer {printer}: {code}")
        return Explained(
            title=_english_title(code),
            message=english.format(p=printer),
            action=None,
            detail=code,
            code=code,
        )
    if entry is None:
        said = translate_message(fallback) if fallback else None
        if said is not None:
            return Explained("Printer perlu diperhatikan", said[0], said[1], fallback, code)
        return Explained(
            "Printer perlu diperhatikan",
            f"Printer {printer} perlu diperhatikan.",
            "Periksa printernya.",
            f"{code}: {fallback}" if fallback else code,
            code,
        )
    title, message, action = entry
    number = re.search(r"(\d+)", (fallback or "").replace(printer, "")) if fallback else None
    fill = {"p": printer, "n": number.group(1) if number else "?", "w": printer}
    return Explained(
        title=title.format(**fill),
        message=message.format(**fill),
        action=action.format(**fill) if action else None,
        detail=f"{code}: {fallback}" if fallback else code,
        code=code,
    )


# --- import lines -----------------------------------------------------------------------

#: A record's fields (and the address's parts) as the import page names them.
FIELD_WORDS: dict[str, str] = {
    "line": "baris",
    "format": "versi format",
    "enrolment_id": "nomor perekaman",
    "nik": "NIK",
    "name": "nama",
    "birth_place": "tempat lahir",
    "birth_date": "tanggal lahir",
    "sex": "jenis kelamin",
    "blood_type": "golongan darah",
    "address": "alamat",
    "address.street": "alamat",
    "address.rt": "RT",
    "address.rw": "RW",
    "address.village": "kelurahan/desa",
    "address.district": "kecamatan",
    "address.regency": "kabupaten/kota",
    "address.province": "provinsi",
    "religion": "agama",
    "marital_status": "status perkawinan",
    "occupation": "pekerjaan",
    "citizenship": "kewarganegaraan",
    "valid_until": "berlaku hingga",
    "recorded_at": "waktu perekaman",
    "approved_at": "waktu persetujuan",
    "issue_reason": "alasan penerbitan",
    "replaces_serial": "nomor seri kartu yang diganti",
    "photo": "foto",
    "signature": "tanda tangan",
    "fingerprints": "sidik jari",
}


def field_word(name: str) -> str:
    """A field of an enrolment record as the import page names it
    (``fingerprints[0].template`` is "sidik jari 1")."""
    if name in FIELD_WORDS:
        return FIELD_WORDS[name]
    found = re.fullmatch(r"fingerprints(?:\[(\d+)\]|\.(\d+))(?:\.(\w+))?", name)
    if found:
        return f"sidik jari {int(found.group(1) or found.group(2)) + 1}"
    return name


#: A rejected line's English reason -> its Indonesian (the groups fill the template).
LINE_REASONS: list[tuple[str, str]] = [
    (r"is missing: every (?:record|address) needs it", "tidak ada; setiap rekaman memerlukannya"),
    (r"is missing: one of (?P<c>.*)", "tidak ada; harus salah satu dari {c}"),
    (r"is missing: a date YYYY-MM-DD", "tidak ada; harus tanggal TTTT-BB-HH"),
    (r"is missing: a date and time with its time zone", "tidak ada; harus tanggal dan jam"),
    (r"is empty: every record needs it", "kosong; setiap rekaman memerlukannya"),
    (r"must be text, got (?P<t>\w+)", "harus berupa teks"),
    (
        r"has characters the card cannot print: (?P<c>.*?)(?: \(.*)?",
        "memuat karakter yang tidak dapat dicetak di kartu: {c}",
    ),
    (
        r"is (?P<n>\d+) characters long; at most (?P<m>\d+) fit on the card",
        "panjangnya {n} karakter; paling banyak {m} muat di kartu",
    ),
    (r"'?(?P<v>[^']*)'? is not one of (?P<c>.*)", "'{v}' tidak dikenal; harus salah satu dari {c}"),
    (r"'?(?P<v>[^']*)'? is not a real date \(YYYY-MM-DD\)", "'{v}' bukan tanggal yang benar"),
    (
        r"'?(?P<v>[^']*)'? is not a date and time with a time zone.*",
        "'{v}' bukan tanggal dan jam dengan zona waktu",
    ),
    (
        r"(?P<v>\S+) is in the future; check the exporting system's clock",
        "{v} ada di masa depan; periksa jam sistem perekaman",
    ),
    (r"(?P<v>\S+) is in the future", "{v} ada di masa depan"),
    (r"(?P<v>\S+) is before (?P<y>\d+)", "{v} sebelum tahun {y}: kemungkinan salah ketik"),
    (r"'?(?P<v>[^']*)'? is not 1 to 3 digits", "'{v}' harus 1 sampai 3 angka"),
    (
        r"version '?(?P<v>[^']*)'? is not supported.*",
        "versi {v} tidak didukung stasiun ini",
    ),
    (r"must be an object with .*", "harus berisi jalan, RT, RW, kelurahan, dan seterusnya"),
    (r"must be the 16 digits of the NIK, as text", "harus 16 angka NIK, sebagai teks"),
    (r"NIK must have 16 digits, got (?P<n>\d+) characters", "NIK harus 16 angka, bukan {n}"),
    (r"NIK must be digits only, found '(?P<c>.*)'", "NIK hanya boleh angka; ada '{c}'"),
    (r"NIK must be text, got \w+", "NIK harus berupa teks"),
    (r"(?P<w>province|regency|district) code 00 does not exist", "kode wilayah 00 tidak ada"),
    (
        r"day field (?P<d>\d+) \(digits 7-8\) must be 01-31 \(men\) or 41-71 \(women\)",
        "tanggal lahir {d} (angka ke-7 dan 8) harus 01-31 (laki-laki) atau 41-71 (perempuan)",
    ),
    (
        r"month (?P<m>\d+) \(digits 9-10\) must be 01-12",
        "bulan lahir {m} (angka ke-9 dan 10) harus 01-12",
    ),
    (
        r"birth date (?P<d>\S+) \(digits 7-12\) is not a real date",
        "tanggal lahir {d} (angka ke-7 sampai 12) bukan tanggal yang benar",
    ),
    (
        r"serial 0000 \(digits 13-16\) is not issued; serials start at 0001",
        "nomor urut 0000 (angka ke-13 sampai 16) tidak pernah diberikan; dimulai dari 0001",
    ),
    (r"sex must be L or P, got '?(?P<s>[^']*)'?", "jenis kelamin harus L atau P, bukan {s}"),
    (
        r"NIK says (?P<a>.+) but the record says sex (?P<s>\w)",
        "NIK tidak sesuai dengan jenis kelamin {s} pada rekaman",
    ),
    (
        r"NIK birth date (?P<n>\d+) disagrees with the record's birth date (?P<d>\S+) "
        r"\(expected (?P<e>\d+)\)",
        "tanggal lahir pada NIK ({n}) tidak sesuai dengan tanggal lahir rekaman {d} "
        "(seharusnya {e})",
    ),
    (
        r"(?P<w>province|regency|district) (?P<c>\d+) is not in the region table",
        "kode wilayah {c} tidak ada dalam daftar wilayah",
    ),
    (
        r"'?(?P<v>[^']*)'? is not the province of (?P<r>.*) \((?P<p>.*)\)",
        "'{v}' bukan provinsi dari {r} ({p})",
    ),
    (
        r"'?(?P<v>[^']*)'? disagrees with the NIK (?P<n>\d+): its (?:province|regency) code "
        r"(?P<c>\d+) is (?P<p>.*)",
        "'{v}' tidak sesuai dengan NIK {n}: kode wilayah {c} adalah {p}",
    ),
    (
        r"is required for WNA: the date the card expires",
        "wajib untuk WNA: tanggal kartu berakhir",
    ),
    (r"(?P<d>\S+) has already passed", "{d} sudah lewat"),
    (
        r"must be null for WNI \(the card says SEUMUR HIDUP\)",
        "harus kosong untuk WNI (kartu berlaku seumur hidup)",
    ),
    (r"(?P<d>\S+) is before the birth date", "{d} sebelum tanggal lahir"),
    (
        r"(?P<a>\S+) is before recorded_at (?P<r>\S+):.*",
        "{a} sebelum waktu perekaman {r}: rekaman disetujui setelah direkam",
    ),
    (
        r"must be 1 to 40 letters, digits and '-'",
        "harus 1 sampai 40 huruf, angka atau '-'",
    ),
    (
        r"is only for reprints \(lost, damaged, data_change\)",
        "hanya untuk cetak ulang (hilang, rusak, perubahan data)",
    ),
    (r"'?(?P<v>[^']*)'? is not a card serial", "'{v}' bukan nomor seri kartu"),
    (r"is not a JSON object \(\{\.\.\.\}\)", "bukan rekaman yang dapat dibaca (objek JSON)"),
    (r"is not valid JSON \(.*\)", "bukan rekaman yang dapat dibaca (JSON rusak)"),
    (r"is not UTF-8 text \(byte (?P<b>\d+)\)", "bukan teks UTF-8 (byte ke-{b})"),
    (r"is (?P<n>\d+) (?:characters|bytes) long: not an enrolment record", "terlalu panjang"),
    (r"nests .*", "bersarang terlalu dalam: bukan rekaman"),
    (r"has a number of .*", "memuat angka yang terlalu panjang"),
    (r"holds .*, which is not JSON: an export never writes it", "memuat nilai yang bukan JSON"),
    (
        r"appears twice in one object of the line.*",
        "muncul dua kali dalam satu rekaman: tidak jelas nilai yang dimaksud",
    ),
    (
        r"(?P<n>\d+) already has a card to come \(job (?P<j>\d+)\).*",
        "NIK {n} sudah punya kartu yang akan dicetak (pekerjaan cetak {j})",
    ),
    (
        r"(?P<n>\d+) already has a card to come: another import .*",
        "NIK {n} sudah punya kartu yang akan dicetak oleh impor lain",
    ),
    (
        r"NIK (?P<n>\d+) already has a valid card \((?P<s>[^)]*)\); only a reprint .*",
        "NIK {n} sudah punya kartu sah ({s}); hanya cetak ulang yang dapat menggantinya",
    ),
    (
        r"(?P<s>\S+) is not the valid card of NIK (?P<n>\d+) \((?P<v>[^)]*)\)",
        "{s} bukan kartu sah NIK {n} ({v})",
    ),
    (
        r"(?P<e>\S+) was already imported with different content.*",
        "rekaman {e} sudah pernah diimpor dengan isi yang berbeda",
    ),
    (r"must be the path of a file inside the bundle", "harus nama berkas di dalam bundel"),
    (r"must list exactly two fingers", "harus berisi tepat dua jari"),
    (r"must be one of (?P<c>.*)", "harus salah satu dari {c}"),
    (r"names the (?P<f>\S+) twice; two fingers are needed", "jari {f} disebut dua kali"),
    (
        r"'(?P<f>[^']*)' is not named \.jpg, \.jpeg or \.png: only JPEG and PNG",
        "berkas {f} bukan JPEG atau PNG",
    ),
    (r"'(?P<f>[^']*)' is neither a JPEG nor a PNG image", "berkas {f} bukan gambar JPEG atau PNG"),
    (
        r"'(?P<f>[^']*)' is a (?P<a>\w+) image named as (?P<s>\w+).*",
        "berkas {f} berisi gambar {a} tetapi bernama {s}; minta diekspor ulang",
    ),
    (r"is far too large an image to be a card photo", "gambarnya terlalu besar untuk foto kartu"),
    (r"cannot be read as a (?P<k>\w+) image .*", "gambar {k} tidak dapat dibaca"),
    (
        r"is (?P<w>\d+)x(?P<h>\d+) pixels, more than (?P<m>\d+) megapixels.*",
        "ukuran {w}x{h} piksel melebihi {m} megapiksel; ekspor gambar yang lebih kecil",
    ),
    (r"is damaged or truncated and cannot be decoded .*", "gambarnya rusak atau terpotong"),
    (
        r"is (?P<w>\d+)x(?P<h>\d+), landscape: a portrait photo is needed",
        "foto {w}x{h} melebar; diperlukan foto tegak",
    ),
    (
        r"is (?P<w>\d+)x(?P<h>\d+) pixels; at least (?P<a>\d+)x(?P<b>\d+) is needed",
        "foto terlalu kecil: {w}x{h} piksel; sedikitnya {a}x{b} piksel",
    ),
    (r"'(?P<f>[^']*)' is blank: no ink was found", "tanda tangan {f} kosong: tidak ada tinta"),
    (
        r"is (?P<n>\d+) bytes; a finger template on the chip may be at most (?P<m>\d+)",
        "data sidik jari {n} byte; paling banyak {m} byte muat di chip",
    ),
    (
        r"is not an ISO/IEC 19794-2 finger minutiae record.*",
        "bukan data sidik jari ISO/IEC 19794-2 yang sah",
    ),
    (
        r"is a record of the (?P<a>[\w ]+), but the line says (?P<b>\w+)",
        "data sidik jari {a}, tetapi rekaman menyebut {b}",
    ),
    (
        r"'(?P<v>.*)' is too wide for the card's (?P<l>.+?) \(.*",
        "'{v}' terlalu lebar untuk kolom {l} di kartu; harus disingkat di sistem perekaman",
    ),
    (
        r".*the card has no room left for it.*",
        "tidak ada ruang tersisa di kartu; persingkat isian yang lebih panjang",
    ),
    (r"media file '(?P<f>[^']*)' is missing from the bundle", "berkas {f} tidak ada di bundel"),
    (r"media file '(?P<f>[^']*)' is damaged in the zip.*", "berkas {f} rusak di dalam zip"),
    (r"media path .*", "berkas berada di luar bundel"),
    (
        r"media file '(?P<f>[^']*)' is larger than (?P<m>\d+) MB",
        "berkas {f} lebih besar dari {m} MB",
    ),
]

_LINES = [(re.compile(p, re.DOTALL), m) for p, m in LINE_REASONS]


def explain_line(reason: str, lang: str = "id") -> str:
    """Why an import rejected a line, in Indonesian (the station's English in "en");
    a reason not listed keeps its English after a plain Indonesian word."""
    if lang == "en":
        return reason
    text = reason.strip()
    for pattern, template in _LINES:
        found = pattern.fullmatch(text)
        if found:
            values = {k: v for k, v in found.groupdict().items() if v is not None}
            return template.format(**values)
    return f"tidak dapat diterima ({text})"


#: A blank's state as a destruction's refusal says it ("blank X is loaded, not spoiled").
BLANK_STATE_WORDS = {
    "on_hand": "masih di gudang",
    "loaded": "masih di printer",
    "in_use": "sedang dipakai",
    "issued": "sudah tercetak",
    "unknown": "belum jelas nasibnya",
    "pending": "menunggu persetujuan penghapusan",
}
_CONVERT["blank_state"] = lambda value: BLANK_STATE_WORDS.get(value, value)
