"""The console's words: Indonesian is the source text, English a translation.

Templates write ``{{ t("Antrean cetak") }}``; ``translate`` returns the text itself in
Indonesian and its English from ``ENGLISH`` when a person chose English. Page modules
add their own words with ``add``. Dates and times are the office's: "2 Desember 2026",
"14.05 WITA" (Indonesian writes the time with a dot).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from printstation.reports.indonesian import MONTHS, as_local, zone_name

LANGUAGES = ("id", "en")

#: Indonesian source text -> English.
ENGLISH: dict[str, str] = {
    # navigation and session
    "Beranda": "Dashboard",
    "Antrean cetak": "Print queue",
    "Antrean": "Jobs",
    "Impor data": "Import",
    "Stok blangko": "Blank stock",
    "Pencetakan": "Printing",
    "Masuk": "Sign in",
    "Keluar": "Sign out",
    "Nama pengguna": "User name",
    "PIN": "PIN",
    "Bahasa": "Language",
    "Konsol stasiun cetak KTP-el": "e-KTP print station console",
    "Stasiun": "Station",
    "Masuk sebagai": "Signed in as",
    "Anda sudah keluar.": "You have signed out.",
    "Sesi Anda berakhir karena tidak ada kegiatan. Silakan masuk lagi.": (
        "Your session ended after a period of inactivity. Please sign in again."
    ),
    "Silakan masuk untuk melanjutkan.": "Please sign in to continue.",
    "Permintaan ditolak: formulir ini sudah kedaluwarsa. Muat ulang halaman lalu coba lagi.": (
        "Request refused: this form has expired. Reload the page and try again."
    ),
    "Halaman tidak ditemukan": "Page not found",
    "Kembali ke Beranda": "Back to the dashboard",
    "Terjadi kesalahan": "Something went wrong",
    "Rincian teknis": "Technical details",
    "Yang perlu dilakukan": "What to do",
    "Ganti PIN": "Change PIN",
    "PIN lama": "Old PIN",
    "PIN baru": "New PIN",
    "Simpan": "Save",
    "Batal": "Cancel",
    "Ya": "Yes",
    "Tidak": "No",
    "Muat ulang": "Reload",
    "Diperbarui langsung": "Live",
    "Terputus, menyambung lagi…": "Disconnected, reconnecting…",
    # roles
    "operator": "operator",
    "pengawas": "supervisor",
    "auditor": "auditor",
    # job states
    "Menunggu": "Waiting",
    "Sedang dicetak": "Printing",
    "Tercetak": "Issued",
    "Ditahan": "Held",
    "Dijeda": "Paused",
    "Gagal": "Failed",
    "Dibatalkan": "Cancelled",
    "Belum jelas": "Unresolved",
}

_extra: dict[str, str] = {}


def add(words: dict[str, str]) -> None:
    """A page module's own words (Indonesian -> English). The table is one for the whole
    console: a word another page already gave a different English is refused when the
    page is imported (one Indonesian word, one English; say the other sense in other
    words, e.g. "Pekerjaan cetak" for a print job beside the holder's "Pekerjaan")."""
    for word, english in words.items():
        known = ENGLISH.get(word) or _extra.get(word)
        if known is not None and known != english:
            raise ValueError(f"{word!r} is {known!r} in English already, not {english!r}")
    _extra.update(words)


def translate(text: str, lang: str) -> str:
    if lang == "en":
        return ENGLISH.get(text) or _extra.get(text) or text
    return text


def known(text: str) -> bool:
    return text in ENGLISH or text in _extra


#: Job states as the console names them (CONSOLE.md): a worker's steps are all
#: "Sedang dicetak" to an operator.
STATE_WORDS = {
    "queued": "Menunggu",
    "claimed": "Sedang dicetak",
    "rendered": "Sedang dicetak",
    "feeding": "Sedang dicetak",
    "at_encoder": "Sedang dicetak",
    "encoded": "Sedang dicetak",
    "printing": "Sedang dicetak",
    "retry": "Sedang dicetak",
    "issued": "Tercetak",
    "held": "Ditahan",
    "paused": "Dijeda",
    "failed": "Gagal",
    "cancelled": "Dibatalkan",
    "unresolved": "Belum jelas",
}

ROLE_WORDS = {"operator": "operator", "supervisor": "pengawas", "auditor": "auditor"}

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def state_word(state: str, lang: str) -> str:
    return translate(STATE_WORDS.get(state, state), lang)


def long_date(day: date | datetime | None, lang: str) -> str:
    """``2 Desember 2026`` (``2 December 2026`` in English); empty for None."""
    if day is None:
        return ""
    months = _MONTHS_EN if lang == "en" else MONTHS
    return f"{day.day} {months[day.month - 1]} {day.year}"


def clock(moment: datetime | None, tz: ZoneInfo, lang: str, *, seconds: bool = False) -> str:
    """``14.05 WITA`` in the office's zone (``14:05 WITA`` in English)."""
    if moment is None:
        return ""
    local = as_local(moment, tz)
    sep = ":" if lang == "en" else "."
    text = f"{local.hour:02d}{sep}{local.minute:02d}"
    if seconds:
        text += f"{sep}{local.second:02d}"
    return f"{text} {zone_name(tz)}"


def when(moment: datetime | None, tz: ZoneInfo, lang: str) -> str:
    """``2 Desember 2026 14.05 WITA``: a moment in the office's zone."""
    if moment is None:
        return ""
    return f"{long_date(as_local(moment, tz), lang)} {clock(moment, tz, lang)}"
